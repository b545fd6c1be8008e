"""A referral code on a meeting's outcome: what a citizen sent on to another service shows
there (no personal data in it), for TEAMS staff to look up (/referral, /case).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03
"""
import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("meeting_outcomes", sa.Column("referral_code", sa.String(16)))
    op.create_index("uq_meeting_outcomes_referral_code", "meeting_outcomes",
                    ["referral_code"], unique=True)


def downgrade() -> None:
    op.drop_index("uq_meeting_outcomes_referral_code", table_name="meeting_outcomes")
    with op.batch_alter_table("meeting_outcomes") as batch:
        batch.drop_column("referral_code")
