"""Booking rules: needs, triage, slot generation in local time, appointments and reminders.

Slots are generated from the service directory in the service's time zone and stored in UTC;
the database refuses a second active booking of one professional at one start.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from domain.directory import WEEKDAYS, Directory, Professional, parse_window
from domain.text import N_

URGENCY: dict[str, str] = {
    "week": N_("This week"),
    "month": N_("Within a month"),
    "later": N_("No hurry"),
}
REFERRAL_LABELS: dict[str, str] = {
    "servizi_sociali": N_("Social services"),
    "centro_impiego": N_("Job centre"),
    "sportello_immigrazione": N_("Immigration desk"),
    "other": N_("Other / nobody"),
}
ROLE_NAMES: dict[str, str] = {
    "social_worker": N_("social worker"),
    "labour_expert": N_("expert in work and job policies"),
    "mediator": N_("linguistic-cultural mediator"),
}
#: What a first-information topic says about a citizen's need (for free text during intake).
INTENT_NEED: dict[str, str] = {
    "faq_residence_permit": "documents", "faq_permit_renewal": "documents",
    "faq_tax_code": "documents", "faq_residence_registration": "documents",
    "faq_citizenship": "documents", "faq_international_protection": "documents",
    "faq_family_reunification": "family_school", "faq_school_enrollment": "family_school",
    "faq_health_care": "health", "faq_job_search": "work",
    "faq_vocational_training": "training", "faq_italian_courses": "training",
    "faq_qualification_recognition": "work", "faq_housing": "housing",
    "faq_economic_support": "money", "faq_child_benefit": "money",
    "faq_work_rights": "work", "faq_driving_licence": "documents",
    "faq_temporary_protection": "documents", "faq_digital_identity": "documents",
}
ACTIVE = "active"


class SlotTaken(Exception):
    """Another citizen booked that professional at that start first."""


class TooManyAppointments(Exception):
    pass


@dataclass
class Booking:
    citizen_id: int
    professional_id: str
    role: str
    start: datetime  # UTC
    end: datetime  # UTC
    created_at: datetime
    needs: list[str] = field(default_factory=list)
    urgency: str | None = None
    meeting_language: str | None = None
    with_mediator: bool = False
    description: str | None = None
    status: str = ACTIVE
    case_code: str = field(default_factory=lambda: new_case_code())
    id: int | None = None


@dataclass(frozen=True)
class Slot:
    professional_id: str
    start: datetime  # UTC
    end: datetime  # UTC

    @property
    def key(self) -> str:
        """Short button argument: professional and start in minutes since the epoch."""
        return f"{self.professional_id}.{int(self.start.timestamp()) // 60}"


def parse_slot_key(key: str) -> tuple[str, datetime] | None:
    professional, _, minutes = key.rpartition(".")
    if not professional or not minutes.isdigit():
        return None
    return professional, datetime.fromtimestamp(int(minutes) * 60, UTC)


def new_case_code() -> str:
    """A short code that names a case without naming a person (e.g. ``T-7KQ2M``)."""
    alphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
    return "T-" + "".join(secrets.choice(alphabet) for _ in range(5))


@dataclass(frozen=True)
class Triage:
    role: str
    reasons: tuple[str, ...]  # the needs that chose the role
    with_mediator: bool


def triage(directory: Directory, needs: list[str], meeting_language: str | None,
           preferred_role: str | None = None) -> Triage:
    """Choose the professional role from the needs by the directory's rules.

    The role matching most needs wins (ties: the order of the rules). A meeting in a language
    no professional of that role speaks adds the mediator.
    """
    reasons: tuple[str, ...] = ()
    if preferred_role:
        role = preferred_role
        reasons = tuple(r.need for r in directory.triage if r.need in needs and r.role == role)
    else:
        votes: dict[str, list[str]] = {}
        for rule in directory.triage:
            if rule.need in needs:
                votes.setdefault(rule.role, []).append(rule.need)
        if votes:
            role = max(votes, key=lambda r: len(votes[r]))
            reasons = tuple(votes[role])
        else:
            role, reasons = "social_worker", ()
    speakers = [p for p in directory.professionals if p.role == role
                and (meeting_language is None or meeting_language in p.languages)]
    with_mediator = role != "mediator" and not speakers and meeting_language is not None
    return Triage(role, reasons, with_mediator)


def _is_closed(directory: Directory, day: date) -> bool:
    for closure in directory.closures:
        if closure.date <= day <= (closure.until or closure.date):
            return True
    return False


def _local(day: date, at: time, zone: ZoneInfo) -> datetime | None:
    """The aware local datetime, or None when that wall time does not exist (DST gap)."""
    local = datetime.combine(day, at, tzinfo=zone)  # fold=0: the first of a repeated hour
    round_trip = local.astimezone(UTC).astimezone(zone)
    if round_trip.replace(tzinfo=None) != local.replace(tzinfo=None):
        return None
    return local


def generate_slots(directory: Directory, professionals: list[Professional], now: datetime,
                   zone: ZoneInfo) -> list[Slot]:
    """Every bookable slot from the minimum notice to the booking horizon, sorted by start."""
    rules = directory.booking
    step = timedelta(minutes=rules.slot_minutes + rules.buffer_minutes)
    length = timedelta(minutes=rules.slot_minutes)
    earliest = now + timedelta(hours=rules.min_notice_hours)
    first_day = now.astimezone(zone).date()
    slots: list[Slot] = []
    for offset in range(rules.horizon_days + 1):
        day = first_day + timedelta(days=offset)
        if _is_closed(directory, day):
            continue
        weekday = WEEKDAYS[day.weekday()]
        for prof in professionals:
            for window in prof.windows.get(weekday, []):  # type: ignore[call-overload]
                start_t, end_t = parse_window(window)
                # Step in wall-clock time: a slot is "09:00" whatever the offset that day. A
                # wall time repeated when clocks go back is offered once; one skipped when
                # they go forward is not offered.
                wall = datetime.combine(day, start_t)
                end_wall = datetime.combine(day, end_t)
                while wall + length <= end_wall:
                    start = _local(day, wall.time(), zone)
                    wall += step
                    if start is None:
                        continue
                    start_utc = start.astimezone(UTC)
                    if start_utc >= earliest:
                        slots.append(Slot(prof.id, start_utc, start_utc + length))
    slots.sort(key=lambda s: (s.start, s.professional_id))
    return slots


def free_slots(directory: Directory, role: str, taken: set[tuple[str, datetime]],
               now: datetime, zone: ZoneInfo, language: str | None = None) -> list[Slot]:
    """Free slots of a role; professionals who speak the meeting language come first."""
    professionals = [p for p in directory.professionals if p.role == role]
    speakers = [p for p in professionals if language in p.languages]
    chosen = speakers or professionals
    return [s for s in generate_slots(directory, chosen, now, zone)
            if (s.professional_id, s.start) not in taken]


def reminder_times(start: datetime, directory: Directory, zone: ZoneInfo,
                   now: datetime) -> dict[str, datetime]:
    """The day-before and same-morning reminders (UTC) still in the future."""
    local_day = start.astimezone(zone).date()
    rules = directory.booking
    out: dict[str, datetime] = {}
    candidates = {
        "day_before": datetime.combine(local_day - timedelta(days=1), rules.reminder_day_before,
                                       tzinfo=zone),
        "same_day": datetime.combine(local_day, rules.reminder_same_day, tzinfo=zone),
    }
    for kind, when in candidates.items():
        when_utc = when.astimezone(UTC)
        if now < when_utc < start:
            out[kind] = when_utc
    return out


def to_ics(booking: Booking, directory: Directory, title: str, description: str) -> bytes:
    """An iCalendar file for one appointment (no personal data beyond the case code)."""
    from icalendar import Calendar, Event

    calendar = Calendar()
    calendar.add("prodid", "-//TEAMS assistant//EN")
    calendar.add("version", "2.0")
    event = Event()
    event.add("uid", f"{booking.case_code}-{int(booking.start.timestamp())}@teams-assistant")
    event.add("dtstamp", booking.created_at)
    event.add("dtstart", booking.start)
    event.add("dtend", booking.end)
    event.add("summary", title)
    event.add("description", description)
    office = directory.main_office
    event.add("location", f"{office.name}, {office.address}")
    calendar.add_component(event)
    return calendar.to_ical()
