"""The small interfaces the domain needs from the outside world."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from types import TracebackType
from typing import Any, Protocol

from domain.booking import Booking
from domain.model import (
    Citizen,
    Conversation,
    DeadLetter,
    DueReminder,
    Handover,
    MeetingOutcome,
    OutboundMessage,
    RelayMessage,
    StaffMember,
    StaffRemoval,
    Topic,
    TopicDeletion,
    TranscriptEntry,
    TurnStart,
    WaitEntry,
)
from domain.parse import Parse
from domain.reporting import Office
from domain.review import Review
from domain.text import Translations

__all__ = ["Translations"]  # defined beside Say, which uses it; a port all the same


class ConcurrentUpdate(Exception):
    """Another handler changed the conversation since it was read; the caller retries."""


class HandledElsewhere(Exception):
    """The same update was handled by a concurrent run that committed first."""


class StorageError(Exception):
    """The database failed a statement; storage raises one of the two kinds below, with the
    driver's exception as ``__cause__`` (its type and SQL shape, never its parameters)."""


class StorageUnavailable(StorageError):
    """Transient: the database could not be reached or could not finish now (refused or
    dropped connection, pool timeout, serialisation conflict, lock timeout, too many
    connections, "database is locked"). Trying the same work again may succeed."""


class ConnectionDropped(StorageUnavailable):
    """A pooled connection the database server had dropped (a restart, an idle timeout):
    the same work, run again at once, gets a fresh one."""


class StorageRefused(StorageError):
    """Permanent: the database refused the data or the statement (a NUL character, a value
    too long, a constraint, a missing table). It will refuse it again on every try."""


class CitizenRepository(Protocol):
    async def get(self, citizen_id: int) -> Citizen | None: ...

    async def start_turn(self, citizen_id: int, update_id: int | None) -> TurnStart:
        """One read: the citizen and conversation, locked until commit, and whether the
        update was handled before (``update_id`` None: no update log)."""
        ...

    async def set_blocked(self, citizen_id: int, when: datetime | None) -> None: ...
    async def add(self, citizen: Citizen) -> None: ...
    async def save(self, citizen: Citizen) -> None: ...


class ConversationRepository(Protocol):
    async def get(self, citizen_id: int) -> Conversation | None: ...

    async def save(self, conversation: Conversation) -> None:
        """Insert or update; raise :class:`ConcurrentUpdate` when the version moved."""
        ...


class TranscriptRepository(Protocol):
    async def add(self, entry: TranscriptEntry) -> None: ...
    async def recent(self, citizen_id: int, limit: int) -> Sequence[TranscriptEntry]: ...


class BookingRepository(Protocol):
    async def add(self, booking: Booking) -> None:
        """Insert; raise :class:`domain.booking.SlotTaken` when the slot is already held."""
        ...

    async def get(self, booking_id: int) -> Booking | None: ...
    async def save(self, booking: Booking) -> None: ...

    async def change_status(self, booking_id: int, old: str, new: str) -> bool:
        """Set the status only if it still is ``old`` (one atomic update); False if not."""
        ...

    async def for_citizen(self, citizen_id: int, after: datetime) -> Sequence[Booking]:
        """Active bookings of a citizen starting after ``after``, by start."""
        ...

    async def taken(self, professional_ids: Sequence[str], start: datetime,
                    end: datetime) -> set[tuple[str, datetime]]:
        """``(professional, start)`` of active bookings in the period."""
        ...

    async def between(self, start: datetime, end: datetime) -> Sequence[Booking]: ...


class ReminderRepository(Protocol):
    async def add(self, booking_id: int, kind: str, due_at: datetime) -> None: ...
    async def cancel_for(self, booking_id: int) -> None: ...

    async def claim_due(self, now: datetime, worker: str, limit: int) -> Sequence[DueReminder]:
        """Atomically mark due, unsent reminders as sent by this worker and return them."""
        ...


class WaitlistRepository(Protocol):
    async def add(self, entry: WaitEntry) -> None: ...
    async def get(self, entry_id: int) -> WaitEntry | None: ...
    async def save(self, entry: WaitEntry) -> None: ...
    async def first_waiting(self, role: str) -> WaitEntry | None: ...
    async def active_for(self, citizen_id: int) -> WaitEntry | None: ...
    async def expired_offers(self, now: datetime) -> Sequence[WaitEntry]: ...

    async def held_offers(self, now: datetime) -> Sequence[str]:
        """Slot keys offered to someone waiting and not yet expired (held for them)."""
        ...


class OutboxRepository(Protocol):
    async def add(self, message: OutboundMessage) -> None: ...

    async def claim(self, worker: str, limit: int, citizen_id: int | None = None
                    ) -> Sequence[OutboundMessage]:
        """Atomically take unsent messages for delivery."""
        ...

    async def delivered(self, message_id: int) -> None: ...


class RelayOutboxRepository(Protocol):
    """Staff messages waiting to reach citizens, delivered in order per citizen."""

    async def add(self, message: RelayMessage, now: datetime) -> None: ...

    async def claim(self, worker: str, now: datetime, limit: int,
                    citizen_id: int | None = None) -> Sequence[RelayMessage]:
        """Atomically take the first waiting message of each citizen (or of one), when it is
        due and nobody holds it (a claim older than a few minutes is a dead worker's)."""
        ...

    async def done(self, message_id: int) -> None:
        """Delivered, or given up: the message leaves the outbox."""
        ...

    async def retry_at(self, message_id: int, when: datetime) -> None:
        """Release the claim; the message (and those after it) wait until ``when``."""
        ...


class StaffRepository(Protocol):
    async def get(self, user_id: int) -> StaffMember | None: ...
    async def add(self, member: StaffMember, now: datetime) -> None: ...
    async def remove(self, user_id: int, now: datetime) -> bool:
        """Take a member off the registry, recording the removal for the coordinators."""
        ...

    async def all(self) -> Sequence[StaffMember]: ...
    async def by_feed_token(self, token: str) -> StaffMember | None: ...
    async def set_feed_token(self, user_id: int, token: str | None) -> None: ...
    async def removals_to_tell(self) -> Sequence[StaffRemoval]: ...

    async def removal_told(self, removal_id: int, at: datetime | None) -> bool:
        """Claim a removal's notice (``at``), once; ``None`` gives it back (not delivered)."""
        ...

    async def last_removal(self, user_id: int) -> StaffRemoval | None: ...
    async def removal_done(self, removal_id: int, at: datetime) -> None: ...


class ClosureRepository(Protocol):
    async def add(self, day: date, reason: str, by: int, now: datetime) -> None: ...
    async def remove(self, day: date) -> bool: ...
    async def all(self) -> Sequence[tuple[date, str]]: ...


class TallyRepository(Protocol):
    async def add(self, month: str, metric: str, key: str, n: int = 1) -> None:
        """Add to an anonymous monthly count (one upsert)."""
        ...


class HandoverRepository(Protocol):
    async def open_for(self, citizen_id: int) -> Handover | None: ...
    async def add(self, handover: Handover) -> None: ...
    async def save(self, handover: Handover) -> None: ...
    async def waiting(self) -> Sequence[Handover]:
        """Open hand-overs nobody claimed: emergencies first, then the oldest."""
        ...

    async def topic(self, citizen_id: int) -> Topic | None: ...
    async def save_topic(self, topic: Topic) -> None: ...
    async def citizen_of_thread(self, thread_id: int) -> int | None: ...
    async def link(self, citizen_id: int, citizen_message: int, staff_message: int,
                   now: datetime) -> None: ...
    async def staff_message_of(self, citizen_id: int, citizen_message: int) -> int | None: ...
    async def citizen_message_of(self, staff_message: int) -> tuple[int, int] | None: ...


class PrivacyRepository(Protocol):
    async def export(self, citizen_id: int) -> dict[str, Any] | None: ...

    async def erase(self, citizen_id: int, now: datetime,
                    office: Office | None = None) -> list[dict[str, Any]]:
        """Delete all about a citizen but anonymous counts (the report's facts, in ``office``'s
        zone and hours); return the future appointments cancelled. Staff copies are queued."""

    async def purge(self, now: datetime, transcript_before: datetime,
                    anonymise_before: datetime, office: Office | None = None
                    ) -> dict[str, int]:
        """Retention: quiet since ``transcript_before``, transcript, descriptions, conversation
        data, open hand-overs and staff thread go; quiet since ``anonymise_before``, erased."""
        ...

    async def queue_staff_notice(self, notice: str, now: datetime) -> None:
        """An anonymous note for the staff group's General topic, posted after the topic
        deletions queued before it."""
        ...

    async def claim_topic_deletions(self, worker: str, now: datetime, limit: int
                                    ) -> Sequence[TopicDeletion]:
        """Atomically take queued deletions (a dead worker's claim expires), oldest first."""
        ...

    async def topic_deleted(self, deletion_id: int) -> None: ...


class UpdateLog(Protocol):
    async def remember(self, update_id: int, now: datetime,
                       replies: list[dict[str, Any]]) -> bool:
        """Record the update as handled, keeping its replies until they are confirmed sent;
        False when another run recorded it first (this one must not commit)."""
        ...

    async def unsent_replies(self, update_id: int) -> list[dict[str, Any]] | None:
        """The replies of a handled update that were never confirmed sent, else None."""
        ...

    async def keep_unsent(self, update_id: int, replies: list[dict[str, Any]]) -> None:
        """Only these replies of a handled update are still to be sent (the others reached
        their chat before a failure): a redelivery sends these, not the ones before."""
        ...

    async def mark_sent(self, update_id: int, now: datetime) -> None:
        """Every reply of a handled update reached its chat: none is kept."""
        ...



class DeadLetterRepository(Protocol):
    """Updates put aside (they failed for good): metadata only, never their text."""

    async def add(self, letter: DeadLetter) -> None: ...
    async def count(self, since: datetime | None = None) -> int: ...
    async def latest(self, limit: int) -> Sequence[DeadLetter]: ...

    async def clear(self, before: datetime | None = None) -> int:
        """Delete those recorded before ``before`` (all without it); how many went."""
        ...


class ContentReviewRepository(Protocol):
    """Approvals and corrections of FAQ answers made by staff, laid over the shipped files."""

    async def get_many(self, keys: Sequence[tuple[str, str]]) -> Sequence[Review]:
        """The reviews of these ``(language, topic)`` keys that staff made (others: none)."""
        ...

    async def all(self) -> Sequence[Review]: ...
    async def save(self, review: Review) -> None: ...


class CaseRepository(Protocol):
    """Meeting outcomes, and what the staff's case view reads of one citizen."""

    async def add_outcome(self, outcome: MeetingOutcome) -> bool:
        """Record a booking's outcome once; False when it already has one."""
        ...

    async def outcomes(self, booking_ids: Sequence[int]) -> Sequence[MeetingOutcome]: ...
    async def citizen_of_code(self, case_code: str) -> int | None:
        """The citizen of a booking's or a staff topic's case code, or of a referral code."""
        ...

    async def referral(self, code: str) -> MeetingOutcome | None:
        """The outcome that gave a referral code."""
        ...

    async def bookings(self, citizen_id: int) -> Sequence[Booking]: ...
    async def handovers(self, citizen_id: int) -> Sequence[Handover]: ...


class UnitOfWork(Protocol):
    """One transaction and every repository in it. The repositories are read-only
    members, so an implementation may hold its own (more capable) classes."""

    @property
    def citizens(self) -> CitizenRepository: ...

    @property
    def conversations(self) -> ConversationRepository: ...

    @property
    def transcript(self) -> TranscriptRepository: ...

    @property
    def bookings(self) -> BookingRepository: ...

    @property
    def reminders(self) -> ReminderRepository: ...

    @property
    def waitlist(self) -> WaitlistRepository: ...

    @property
    def outbox(self) -> OutboxRepository: ...

    @property
    def relay(self) -> RelayOutboxRepository: ...

    @property
    def staff(self) -> StaffRepository: ...

    @property
    def handovers(self) -> HandoverRepository: ...

    @property
    def privacy(self) -> PrivacyRepository: ...

    @property
    def updates(self) -> UpdateLog: ...

    @property
    def closures(self) -> ClosureRepository: ...

    @property
    def tallies(self) -> TallyRepository: ...

    @property
    def dead_letters(self) -> DeadLetterRepository: ...

    @property
    def reviews(self) -> ContentReviewRepository: ...

    @property
    def cases(self) -> CaseRepository: ...

    async def __aenter__(self) -> UnitOfWork: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    async def commit(self) -> None: ...
    async def rollback(self) -> None: ...


class UnitOfWorkFactory(Protocol):
    def __call__(self) -> UnitOfWork: ...

    async def mark_sent(self, update_ids: Sequence[int], now: datetime) -> None:
        """Confirm the replies of updates sent, in one statement outside any unit of work."""
        ...


class Understanding(Protocol):
    """Natural-language understanding: which intent, which language, how sure."""

    async def parse(self, text: str, language_hint: str | None = None) -> Parse: ...

    async def similarity(self, text: str, passages: Sequence[str]) -> list[float]:
        """How close each passage is to the text, one score each (higher is closer; the
        scale is the backend's own: compare the scores of one call only)."""
        ...


class Clock(Protocol):
    def now(self) -> datetime:
        """Current time, timezone-aware, in UTC."""
        ...
