"""Anonymous tallies, processed update ids, citizens who blocked the bot.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("citizens") as batch:
        batch.add_column(sa.Column("blocked_at", sa.DateTime(timezone=True)))
    op.create_table(
        "tallies",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("month", sa.String(7), nullable=False),
        sa.Column("metric", sa.String(48), nullable=False),
        sa.Column("key", sa.String(48), nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
    )
    op.create_index("uq_tallies", "tallies", ["month", "metric", "key"], unique=True)
    op.create_table(
        "processed_updates",
        sa.Column("update_id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_processed_updates_processed_at", "processed_updates",
                    ["processed_at"])


def downgrade() -> None:
    op.drop_table("processed_updates")
    op.drop_table("tallies")
    with op.batch_alter_table("citizens") as batch:
        batch.drop_column("blocked_at")
