"""The database schema. Alembic migrations in ``storage/migrations`` create it."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.sql import text
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out, on SQLite (which keeps no zone) too."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    pass


class CitizenRow(Base):
    __tablename__ = "citizens"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    language: Mapped[str | None] = mapped_column(String(8))
    language_chosen: Mapped[bool] = mapped_column(Boolean, default=False)
    referral: Mapped[str | None] = mapped_column(String(32))
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime())
    consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    blocked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ConversationRow(Base):
    __tablename__ = "conversations"

    citizen_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("citizens.id", ondelete="CASCADE"), primary_key=True
    )
    state: Mapped[str] = mapped_column(String(32), default="idle")
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    version: Mapped[int] = mapped_column(Integer, default=1)


class TranscriptRow(Base):
    __tablename__ = "transcript"
    __table_args__ = (Index("ix_transcript_citizen_id", "citizen_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    citizen_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("citizens.id", ondelete="CASCADE")
    )
    direction: Mapped[str] = mapped_column(String(3))
    kind: Mapped[str] = mapped_column(String(16))
    text: Mapped[str | None] = mapped_column(Text)
    payload: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class BookingRow(Base):
    __tablename__ = "bookings"
    __table_args__ = (
        # The database itself refuses a second active booking of a professional at one start.
        Index("uq_bookings_active_slot", "professional_id", "start_at", unique=True,
              sqlite_where=text("status = 'active'"),
              postgresql_where=text("status = 'active'")),
        Index("ix_bookings_citizen", "citizen_id", "start_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    citizen_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("citizens.id", ondelete="CASCADE"))
    professional_id: Mapped[str] = mapped_column(String(32))
    role: Mapped[str] = mapped_column(String(32))
    start_at: Mapped[datetime] = mapped_column(UTCDateTime())
    end_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(16), default="active")
    needs: Mapped[list[str]] = mapped_column(JSON, default=list)
    urgency: Mapped[str | None] = mapped_column(String(16))
    meeting_language: Mapped[str | None] = mapped_column(String(8))
    with_mediator: Mapped[bool] = mapped_column(Boolean, default=False)
    description: Mapped[str | None] = mapped_column(Text)
    case_code: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ReminderRow(Base):
    __tablename__ = "reminders"
    __table_args__ = (Index("uq_reminders_booking_kind", "booking_id", "kind", unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    booking_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("bookings.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    claimed_by: Mapped[str | None] = mapped_column(String(64))


class WaitlistRow(Base):
    __tablename__ = "waitlist"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    citizen_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("citizens.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(16), default="waiting")
    offer: Mapped[str | None] = mapped_column(String(48))
    offer_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class OutboxRow(Base):
    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    citizen_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("citizens.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(Text)
    buttons: Mapped[list[Any]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class RelayOutboxRow(Base):
    """A staff message (or the bot's notice on a staff command) waiting to reach a citizen:
    delivered in order per citizen, then deleted (the transcript keeps what was sent)."""

    __tablename__ = "relay_outbox"
    __table_args__ = (Index("ix_relay_outbox_citizen", "citizen_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    citizen_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("citizens.id", ondelete="CASCADE"))
    staff_message_id: Mapped[int | None] = mapped_column(BigInteger)
    copy: Mapped[bool] = mapped_column(Boolean, default=False)  # copy the staff message
    reply: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # else send this reply
    reply_to: Mapped[int | None] = mapped_column(BigInteger)  # the citizen's message
    thread_id: Mapped[int | None] = mapped_column(BigInteger)
    record_kind: Mapped[str | None] = mapped_column(String(16))  # transcript kind, if kept
    text: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class StaffRow(Base):
    __tablename__ = "staff"

    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(80))
    role: Mapped[str] = mapped_column(String(32))
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    professional_id: Mapped[str | None] = mapped_column(String(32))
    feed_token: Mapped[str | None] = mapped_column(String(64), unique=True)


class CitizenTopicRow(Base):
    """The one staff-group thread of a citizen, reused when they come back."""

    __tablename__ = "citizen_topics"

    citizen_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("citizens.id", ondelete="CASCADE"), primary_key=True)
    case_code: Mapped[str] = mapped_column(String(16), unique=True)
    thread_id: Mapped[int | None] = mapped_column(BigInteger)


class HandoverRow(Base):
    __tablename__ = "handovers"
    __table_args__ = (Index("ix_handovers_status", "status", "priority", "opened_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    citizen_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("citizens.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(16))  # waiting, claimed, closed
    reason: Mapped[str] = mapped_column(String(16))  # asked, misunderstood, emergency
    priority: Mapped[int] = mapped_column(Integer, default=0)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime())
    claimed_by: Mapped[int | None] = mapped_column(BigInteger)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    first_human_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    announced: Mapped[bool] = mapped_column(Boolean, default=False)


class MessageLinkRow(Base):
    """A citizen's message and its copy in the staff thread (either way), for replies/edits."""

    __tablename__ = "message_links"
    __table_args__ = (
        Index("ix_links_citizen_msg", "citizen_id", "citizen_message_id"),
        Index("ix_links_staff_msg", "staff_message_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    citizen_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("citizens.id", ondelete="CASCADE"))
    citizen_message_id: Mapped[int] = mapped_column(BigInteger)
    staff_message_id: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class TopicDeletionRow(Base):
    """Staff copies of an erased (or retained-away) citizen still to be deleted in the staff
    group: their thread and the bot's messages there, and/or a note for General. No link to
    the citizen, whose row is gone; deleted once the Bot API did the work."""

    __tablename__ = "topic_deletions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    thread_id: Mapped[int | None] = mapped_column(BigInteger)
    message_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    notice: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class TallyRow(Base):
    """Anonymous counts that outlive erased citizens, for the monthly report."""

    __tablename__ = "tallies"
    __table_args__ = (Index("uq_tallies", "month", "metric", "key", unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    month: Mapped[str] = mapped_column(String(7))
    metric: Mapped[str] = mapped_column(String(48))
    key: Mapped[str] = mapped_column(String(48))
    n: Mapped[int] = mapped_column(BigInteger, default=0)


class ProcessedUpdateRow(Base):
    """Telegram update ids already handled: a redelivered update is not handled twice."""

    __tablename__ = "processed_updates"

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    processed_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    replies: Mapped[list[Any] | None] = mapped_column(JSON)  # kept until they are sent
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ClosureRow(Base):
    """A closure added by staff (``/closed``), on top of those in the service directory."""

    __tablename__ = "closures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    day: Mapped[str] = mapped_column(String(10), unique=True)  # YYYY-MM-DD, local
    reason: Mapped[str] = mapped_column(String(200), default="")
    created_by: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class StaffRemovalRow(Base):
    """A staff member removed from the registry: the coordinators are told once, and may
    remove them from the staff group (``done_at``)."""

    __tablename__ = "staff_removals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(BigInteger, index=True)
    name: Mapped[str] = mapped_column(String(80))
    role: Mapped[str] = mapped_column(String(32))
    removed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    told_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
class DeadLetterRow(Base):
    """An update put aside because it could not be handled: where and why, never its text.

    ``citizen_id`` has no foreign key: the citizen may never have been stored (their first
    update failed); erasure and retention delete these rows explicitly.
    """

    __tablename__ = "dead_letters"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    update_id: Mapped[int | None] = mapped_column(BigInteger)
    citizen_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    stage: Mapped[str] = mapped_column(String(8))  # parse, handle, send
    error: Mapped[str] = mapped_column(String(64))  # the exception's type name
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    kind: Mapped[str | None] = mapped_column(String(32))  # message, callback_query, ...


class ContentReviewRow(Base):
    """An approval or correction of an FAQ answer made in Telegram, laid over the shipped
    content files (domain/review.py); one row per language and topic, the latest."""

    __tablename__ = "content_reviews"

    language: Mapped[str] = mapped_column(String(8), primary_key=True)
    topic: Mapped[str] = mapped_column(String(64), primary_key=True)
    state: Mapped[str] = mapped_column(String(16))  # draft, reviewed, needs_review
    text: Mapped[str | None] = mapped_column(Text)  # the corrected answer, if corrected
    reviewed_by: Mapped[str | None] = mapped_column(String(80))
    reviewed_by_id: Mapped[int | None] = mapped_column(BigInteger)
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    source_version: Mapped[str | None] = mapped_column(String(32))
    source_text: Mapped[str | None] = mapped_column(Text)
    checked: Mapped[date | None] = mapped_column(Date)  # the Italian source's fact check
    checked_by: Mapped[str | None] = mapped_column(String(80))


class MeetingOutcomeRow(Base):
    """What came of an attended booking (domain/outcomes.py), recorded once."""

    __tablename__ = "meeting_outcomes"
    __table_args__ = (Index("uq_meeting_outcomes_referral_code", "referral_code", unique=True),)

    booking_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("bookings.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # info, referred, pap, follow_up
    service: Mapped[str | None] = mapped_column(String(32))  # the directory's referral id
    recorded_by: Mapped[int] = mapped_column(BigInteger)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: shown by a citizen sent on to another service (e.g. R-7KQ2M); no personal data
    referral_code: Mapped[str | None] = mapped_column(String(16))
