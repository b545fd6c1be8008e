"""Staff messages waiting to reach a citizen: an outbox delivered in order per citizen,
retried on transient errors, so a mediator's message is never lost (issue 13, item 6).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-27
"""
import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "relay_outbox",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("citizen_id", sa.BigInteger(),
                  sa.ForeignKey("citizens.id", ondelete="CASCADE"), nullable=False),
        sa.Column("staff_message_id", sa.BigInteger()),
        sa.Column("copy", sa.Boolean(), nullable=False),
        sa.Column("reply", sa.JSON()),
        sa.Column("reply_to", sa.BigInteger()),
        sa.Column("thread_id", sa.BigInteger()),
        sa.Column("record_kind", sa.String(16)),
        sa.Column("text", sa.Text()),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_by", sa.String(64)),
        sa.Column("claimed_at", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_relay_outbox_citizen", "relay_outbox", ["citizen_id", "id"])


def downgrade() -> None:
    op.drop_table("relay_outbox")
