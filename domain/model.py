"""The conversation's state, as the domain sees it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from domain.state import ConversationData

REFERRALS: frozenset[str] = frozenset(
    {"servizi_sociali", "centro_impiego", "sportello_immigrazione"}
)


def referral_from_payload(payload: str | None) -> str | None:
    """Map a ``/start`` deep-link payload to a referral source (anything unknown is ``other``)."""
    if not payload:
        return None
    key = payload.strip().lower()
    return key if key in REFERRALS else "other"


@dataclass
class Citizen:
    id: int
    first_seen: datetime
    last_seen: datetime
    language: str | None = None
    language_chosen: bool = False
    referral: str | None = None
    consent_at: datetime | None = None


class ConversationState(StrEnum):
    """Where a citizen is in a flow (stored as its value: a plain string)."""

    IDLE = "idle"
    CONSENT = "consent"  # the privacy notice is shown, waiting for yes or no
    INTAKE_NEEDS = "intake_needs"
    INTAKE_URGENCY = "intake_urgency"
    INTAKE_REFERRAL = "intake_referral"
    INTAKE_LANGUAGE = "intake_language"  # the meeting's language
    INTAKE_DESCRIPTION = "intake_description"  # free words, optional
    TRIAGE = "triage"  # the professional proposed, waiting for a choice
    CHOOSING_DAY = "choosing_day"
    CHOOSING_TIME = "choosing_time"


@dataclass
class Conversation:
    """Where a citizen is in a flow and what has been collected; ``version`` guards updates."""

    citizen_id: int
    state: ConversationState = ConversationState.IDLE
    data: ConversationData = field(default_factory=ConversationData)
    version: int = 0


@dataclass
class WaitEntry:
    """A citizen waiting for a slot of a role; ``offer`` is a slot key held until it expires."""

    citizen_id: int
    role: str
    created_at: datetime
    status: str = "waiting"  # waiting, offered, booked, expired, left
    offer: str | None = None
    offer_expires_at: datetime | None = None
    id: int | None = None


@dataclass(frozen=True)
class OutboundMessage:
    """A message to a citizen other than the one who wrote (reminders, offers, notices)."""

    citizen_id: int
    text: str
    buttons: list[list[dict[str, str]]]
    id: int | None = None


@dataclass(frozen=True)
class RelayMessage:
    """Something staff sent a citizen, waiting in the relay outbox: the staff message to copy
    (``copy``), or a reply to send (``reply``, a :meth:`Reply.to_record`). ``record_kind``:
    the transcript entry written once it is delivered (None: not kept)."""

    citizen_id: int
    staff_message_id: int | None = None
    copy: bool = False
    reply: dict[str, Any] | None = None
    reply_to: int | None = None  # the citizen's message it answers
    thread_id: int | None = None
    record_kind: str | None = None
    text: str | None = None
    attempts: int = 0
    created_at: datetime | None = None
    id: int | None = None


@dataclass(frozen=True)
class DueReminder:
    id: int
    booking_id: int
    kind: str
    citizen_id: int
    start: datetime
    professional_id: str
    role: str
    case_code: str


STAFF_ROLES: tuple[str, ...] = (
    "social_worker", "labour_expert", "mediator", "coordinator", "admin",
)


@dataclass(frozen=True)
class StaffMember:
    user_id: int
    name: str
    role: str
    languages: tuple[str, ...] = ()
    professional_id: str | None = None  # the directory's professional this person is
    feed_token: str | None = None

    @property
    def sees_everyone(self) -> bool:
        return self.role in ("coordinator", "admin")


@dataclass(frozen=True)
class StaffRemoval:
    """A staff member taken off the registry; they may still be in the staff group."""

    user_id: int
    name: str
    role: str
    removed_at: datetime
    told_at: datetime | None = None  # the coordinators were told
    done_at: datetime | None = None  # removed from the staff group
    id: int | None = None


@dataclass
class Handover:
    """A citizen's conversation handed to the staff; ``priority`` 2 is an emergency."""

    citizen_id: int
    reason: str  # asked, misunderstood, emergency
    opened_at: datetime
    status: str = "waiting"  # waiting, claimed, closed
    priority: int = 0
    claimed_by: int | None = None
    claimed_at: datetime | None = None
    first_human_at: datetime | None = None
    closed_at: datetime | None = None
    announced: bool = False  # the out-of-hours notice was given
    id: int | None = None

    @property
    def open(self) -> bool:
        return self.status in ("waiting", "claimed")


@dataclass(frozen=True)
class Topic:
    citizen_id: int
    case_code: str
    thread_id: int | None


@dataclass(frozen=True)
class TopicDeletion:
    """Staff copies to remove after an erasure or retention, kept in a row until the channel
    did it: the bot's messages in the staff group, the citizen's thread (deleting it takes
    every message in it), then an anonymous note in the group's General topic."""

    id: int
    thread_id: int | None
    message_ids: tuple[int, ...] = ()
    notice: str | None = None


@dataclass(frozen=True)
class TranscriptEntry:
    citizen_id: int
    direction: str  # "in" or "out"
    kind: str  # content type for "in"; "text", "file" or "voice" (read aloud) for "out"
    text: str | None
    payload: str | None
    at: datetime


@dataclass(frozen=True)
class TurnStart:
    """What one read gives at the start of an inbound message's transaction: the citizen
    and their conversation (held against other workers until commit), and whether this
    update was handled before, with its replies if they were never confirmed sent."""

    citizen: Citizen | None
    conversation: Conversation | None
    handled_before: bool = False
    unsent: list[dict[str, Any]] | None = None


@dataclass(frozen=True)
class DeadLetter:
    """An update that could not be handled and was put aside: where it failed and why, never
    what it said (no text, no name, no raw update)."""

    update_id: int | None
    citizen_id: int | None
    at: datetime
    stage: str  # parse, handle, send
    error: str  # the exception's type name
    attempts: int = 1
    kind: str | None = None  # the update's type: message, callback_query, ...
    id: int | None = None


#: What came of a meeting the citizen attended (the professional's two taps).
OUTCOME_KINDS: tuple[str, ...] = ("info", "referred", "pap", "follow_up")


@dataclass(frozen=True)
class MeetingOutcome:
    """The outcome of one attended booking, recorded once: ``service`` is the referral
    service's id (the directory's) when the citizen was sent on; ``by`` the staff member's
    Telegram id (for a PAP: the professional who takes the citizen in charge); ``code`` the
    referral code the citizen shows at that service (no personal data in it)."""

    booking_id: int
    kind: str
    by: int
    at: datetime
    service: str | None = None
    code: str | None = None
