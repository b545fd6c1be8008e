"""What the zone's report reads, and the one rule that turns a citizen into anonymous counts.

The report never reads text anybody wrote. Storage gives it one :class:`CitizenRecord` per
citizen (referral, language, first contact, whether their needs were collected, their
appointments with what came of them, their hand-overs) and the anonymous ``tallies``.
:func:`citizen_facts` turns a record into :class:`Fact` rows; the report counts facts. When a
citizen is erased, storage writes the same facts as tallies (``storage/privacy.py``), so every
figure stays the same after an erasure: there is one rule, used for both.

A fact is dated: first contact for the funnel (a cohort), the appointment's start for
appointments, the hand-over's opening for hand-overs, in the service's time zone.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import NamedTuple, Protocol
from zoneinfo import ZoneInfo


class HandoverTimes(NamedTuple):
    citizen_id: int
    reason: str
    opened_at: datetime
    first_human_at: datetime | None
    closed_at: datetime | None


class Tally(NamedTuple):
    metric: str
    key: str
    n: int


class Meeting(NamedTuple):
    """One appointment: its start, role, status, the meeting language asked for, its needs and
    what came of it (the outcome's kind and the service a citizen was sent on to)."""

    start: datetime
    role: str
    status: str
    language: str | None = None
    needs: Sequence[str] = ()
    outcome: str | None = None
    sent_to: str | None = None


@dataclass(frozen=True)
class CitizenRecord:
    first_seen: datetime
    referral: str | None = None
    language: str | None = None
    needs_collected: bool = False
    meetings: Sequence[Meeting] = ()
    handovers: Sequence[HandoverTimes] = ()


class Fact(NamedTuple):
    day: date  # local
    metric: str
    key: str
    n: int = 1

    @property
    def month(self) -> str:
        return f"{self.day.year:04d}-{self.day.month:02d}"


@dataclass(frozen=True)
class Office:
    """The service's time zone and whether the office was open at a moment (``None``: not
    known, as when storage erases without the directory)."""

    zone: ZoneInfo
    is_open: Callable[[datetime], bool] | None = None


@dataclass(frozen=True)
class ReportData:
    """Everything the report counts: the records of the citizens still held, the tallies of
    the months asked for (erased citizens, questions), the staff's languages by role."""

    citizens: Sequence[CitizenRecord] = field(default_factory=tuple)
    tallies: Sequence[tuple[str, Tally]] = field(default_factory=tuple)  # (month, tally)
    staff_languages: Sequence[tuple[str, Sequence[str]]] = field(default_factory=tuple)
    closures: Sequence[date] = field(default_factory=tuple)  # days staff closed


class Reports(Protocol):
    async def read(self, first_month: str, last_month: str, end: datetime) -> ReportData:
        """Citizens first seen before ``end``, and the tallies of the months from
        ``first_month`` to ``last_month`` (``YYYY-MM``, both included)."""
        ...


HELD = ("attended", "no_show")
#: Outcomes that count as covered: taken in charge (PAP) or oriented (sent on).
COVERED = ("pap", "referred")
# Metric names (48 characters at most): the first four were written by erasures before the
# funnel existed, and keep their meaning.
CONTACT_REFERRAL, CONTACT_LANGUAGE = "citizens.referral", "citizens.language"
BOOKINGS_NEED = "bookings.need"
HANDOVERS = "handovers"
FUNNEL = "funnel."  # + stage, by referral
FUNNEL_STAGES = ("contact", "needs", "booked", "attended", "pap", "referred", "covered")
WAIT_DAYS = "wait.first_appointment_days"  # by whole days
MEETING_LANGUAGE = "meetings.language"
OUTCOME = "meetings.outcome"  # by kind
SENT_TO = "meetings.sent_to"  # by service
ANSWER_MINUTES = "handovers.answer_min."  # + in, out or unknown; by whole minutes


def _day(when: datetime, zone: ZoneInfo) -> date:
    return when.astimezone(zone).date()


def citizen_facts(record: CitizenRecord, office: Office) -> list[Fact]:
    """The anonymous counts one citizen adds to the report (and leaves behind if erased)."""
    zone = office.zone
    first = _day(record.first_seen, zone)
    referral = record.referral or "-"
    facts = [Fact(first, CONTACT_REFERRAL, referral),
             Fact(first, CONTACT_LANGUAGE, record.language or "-")]
    facts += [Fact(first, FUNNEL + stage, referral)
              for stage in _stages(record)]
    booked = sorted(m.start for m in record.meetings if m.status != "cancelled")
    if booked:
        days = max(0, (booked[0] - record.first_seen).days)
        facts.append(Fact(first, WAIT_DAYS, str(days)))
    for meeting in record.meetings:
        day = _day(meeting.start, zone)
        facts.append(Fact(day, f"bookings.{meeting.status}", meeting.role))
        facts += [Fact(day, BOOKINGS_NEED, need) for need in meeting.needs]
        if meeting.status != "cancelled":
            facts.append(Fact(day, MEETING_LANGUAGE, meeting.language or record.language or "-"))
        if meeting.outcome:
            facts.append(Fact(day, OUTCOME, meeting.outcome))
        if meeting.sent_to:
            facts.append(Fact(day, SENT_TO, meeting.sent_to))
    for handover in record.handovers:
        facts += _handover_facts(handover, office)
    return facts


def _stages(record: CitizenRecord) -> list[str]:
    meetings = record.meetings
    outcomes = {m.outcome for m in meetings}
    stages = ["contact"]
    if record.needs_collected or meetings:
        stages.append("needs")
    if meetings:
        stages.append("booked")
    if any(m.status == "attended" for m in meetings):
        stages.append("attended")
    stages += [kind for kind in ("pap", "referred") if kind in outcomes]
    if outcomes & set(COVERED):
        stages.append("covered")
    return stages


def _handover_facts(handover: HandoverTimes, office: Office) -> list[Fact]:
    day = _day(handover.opened_at, office.zone)
    facts = [Fact(day, HANDOVERS, handover.reason)]
    if handover.first_human_at is not None:
        seconds = max(0, int((handover.first_human_at - handover.opened_at).total_seconds()))
        hours = ("unknown" if office.is_open is None else
                 "in" if office.is_open(handover.opened_at) else "out")
        facts += [Fact(day, "handovers.first_answer_s_sum", "all", seconds),
                  Fact(day, "handovers.answered", "all"),
                  Fact(day, ANSWER_MINUTES + hours, str(seconds // 60))]
    return facts
