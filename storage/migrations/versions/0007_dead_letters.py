"""Updates put aside because they could not be handled (a dead-letter table): the update id,
the citizen, when, at which stage, the error's type and the number of tries; never the text.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27
"""
import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dead_letters",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("update_id", sa.BigInteger()),
        sa.Column("citizen_id", sa.BigInteger()),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("stage", sa.String(8), nullable=False),
        sa.Column("error", sa.String(64), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="1"),
        sa.Column("kind", sa.String(32)),
    )
    op.create_index("ix_dead_letters_citizen_id", "dead_letters", ["citizen_id"])
    op.create_index("ix_dead_letters_created_at", "dead_letters", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_dead_letters_created_at", table_name="dead_letters")
    op.drop_index("ix_dead_letters_citizen_id", table_name="dead_letters")
    op.drop_table("dead_letters")
