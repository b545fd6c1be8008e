"""FAQ answers approved or corrected by staff in Telegram, laid over the shipped files.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03
"""
import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "content_reviews",
        sa.Column("language", sa.String(8), primary_key=True),
        sa.Column("topic", sa.String(64), primary_key=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("text", sa.Text()),
        sa.Column("reviewed_by", sa.String(80)),
        sa.Column("reviewed_by_id", sa.BigInteger()),
        sa.Column("reviewed_at", sa.DateTime(timezone=True)),
        sa.Column("source_version", sa.String(32)),
        sa.Column("source_text", sa.Text()),
        sa.Column("checked", sa.Date()),
        sa.Column("checked_by", sa.String(80)),
    )


def downgrade() -> None:
    op.drop_table("content_reviews")
