"""Staff copies still to be deleted after an erasure or retention (the citizen's thread in the
staff group, the bot's messages there, a note for General), kept until the Bot API did it.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03
"""
import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "topic_deletions",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("thread_id", sa.BigInteger()),
        sa.Column("message_ids", sa.JSON(), nullable=False),
        sa.Column("notice", sa.Text()),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_by", sa.String(64)),
        sa.Column("claimed_at", sa.DateTime(timezone=True)),
    )


def downgrade() -> None:
    op.drop_table("topic_deletions")
