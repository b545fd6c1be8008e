"""Staff linked to a professional of the directory, calendar feed tokens, staff closures.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26
"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("staff") as batch:
        batch.add_column(sa.Column("professional_id", sa.String(32)))
        batch.add_column(sa.Column("feed_token", sa.String(64)))
        batch.create_unique_constraint("uq_staff_feed_token", ["feed_token"])
    op.create_table(
        "closures",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("day", sa.String(10), nullable=False, unique=True),
        sa.Column("reason", sa.String(200), nullable=False),
        sa.Column("created_by", sa.BigInteger()),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("closures")
    with op.batch_alter_table("staff") as batch:
        batch.drop_constraint("uq_staff_feed_token", type_="unique")
        batch.drop_column("feed_token")
        batch.drop_column("professional_id")
