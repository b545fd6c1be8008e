"""Staff registry, one staff-group thread per citizen, hand-overs, message links.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "staff",
        sa.Column("user_id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("name", sa.String(80), nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("languages", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "citizen_topics",
        sa.Column("citizen_id", sa.BigInteger(),
                  sa.ForeignKey("citizens.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("case_code", sa.String(16), nullable=False, unique=True),
        sa.Column("thread_id", sa.BigInteger()),
    )
    op.create_table(
        "handovers",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("citizen_id", sa.BigInteger(),
                  sa.ForeignKey("citizens.id", ondelete="CASCADE"), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(16), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_by", sa.BigInteger()),
        sa.Column("claimed_at", sa.DateTime(timezone=True)),
        sa.Column("first_human_at", sa.DateTime(timezone=True)),
        sa.Column("closed_at", sa.DateTime(timezone=True)),
        sa.Column("announced", sa.Boolean(), nullable=False),
    )
    op.create_index("ix_handovers_citizen_id", "handovers", ["citizen_id"])
    op.create_index("ix_handovers_status", "handovers", ["status", "priority", "opened_at"])
    op.create_table(
        "message_links",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("citizen_id", sa.BigInteger(),
                  sa.ForeignKey("citizens.id", ondelete="CASCADE"), nullable=False),
        sa.Column("citizen_message_id", sa.BigInteger(), nullable=False),
        sa.Column("staff_message_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_links_citizen_msg", "message_links",
                    ["citizen_id", "citizen_message_id"])
    op.create_index("ix_links_staff_msg", "message_links", ["staff_message_id"])


def downgrade() -> None:
    op.drop_table("message_links")
    op.drop_table("handovers")
    op.drop_table("citizen_topics")
    op.drop_table("staff")
