"""The service directory: offices, hours, professionals, booking rules, closures, triage.

Office-specific facts (address, hours, contacts, staff) live only here, never in the FAQ
answers, so a zone edits one file when something changes.
"""

from __future__ import annotations

import datetime as dt
import re
from datetime import time
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from domain import yamlfile
from domain.documents import DOCUMENTS
from domain.languages import LANGUAGES, isolate
from domain.needs import NEEDS

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Role = Literal["social_worker", "labour_expert", "mediator"]
ROLES: tuple[str, ...] = ("social_worker", "labour_expert", "mediator")
_WINDOW = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_windows(value: dict[str, list[str]]) -> dict[str, list[str]]:
    for day, windows in value.items():
        for window in windows:
            match = _WINDOW.match(window)
            if not match:
                raise ValueError(f"'{window}' on {day} is not a time window like 09:00-12:30")
            start, end = window.split("-")
            if start >= end:
                raise ValueError(f"'{window}' on {day} ends before it starts")
    return value


def _time_text(value: object) -> object:
    """A time must be written like "18:00": a bare number (18, or 1080 from a YAML 1.1 reader)
    would otherwise be taken as seconds after midnight."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise ValueError('write the time with hours and minutes in quotes, like "18:00"')
    return value


def parse_window(window: str) -> tuple[time, time]:
    start, end = window.split("-")
    return time.fromisoformat(start), time.fromisoformat(end)


class Contact(_Strict):
    name: str
    phone: str | None = None
    hours: str | None = None


class Office(_Strict):
    id: str
    name: str
    address: str
    how_to_reach: str | None = None
    phone: str | None = None
    email: str | None = None
    opening_hours: dict[Weekday, list[str]]

    _windows = field_validator("opening_hours")(_check_windows)


class Professional(_Strict):
    id: str = Field(pattern=r"^[a-z0-9_\-]{1,32}$")
    name: str
    role: Role
    office: str
    languages: list[str]
    windows: dict[Weekday, list[str]]

    _windows = field_validator("windows")(_check_windows)


class Booking(_Strict):
    slot_minutes: int = Field(30, ge=10, le=240)
    buffer_minutes: int = Field(0, ge=0, le=120)
    min_notice_hours: int = Field(24, ge=0, le=24 * 14)
    horizon_days: int = Field(21, ge=1, le=180)
    max_future_per_citizen: int = Field(2, ge=1, le=10)
    reminder_day_before: time = time(18, 0)
    reminder_same_day: time = time(8, 0)

    _times = field_validator("reminder_day_before", "reminder_same_day", mode="before")(
        _time_text)


class Closure(_Strict):
    date: dt.date
    until: dt.date | None = None
    reason: str = ""


class TriageRule(_Strict):
    need: str
    role: Role


class Service(_Strict):
    name: str
    controller: str
    dpo_contact: str
    privacy_notice_url: str
    retention_days: int = Field(30, ge=1, le=3650)


class ReferralService(_Strict):
    """A service a citizen may be sent on to after a meeting: its Italian label and, for the
    citizen who is sent there, where it is, when it is open, how to contact it and what to
    bring (``bring``: keys of :data:`domain.documents.DOCUMENTS`, translated for the
    citizen). Only what the file says is told: nothing is made up when a field is missing."""

    id: str = Field(pattern=r"^[a-z0-9_]{1,32}$")
    name: str = Field(min_length=1, max_length=60)
    address: str | None = Field(None, min_length=1, max_length=200)
    phone: str | None = Field(None, min_length=1, max_length=60)
    email: str | None = Field(None, min_length=1, max_length=100)
    opening_hours: dict[Weekday, list[str]] = {}
    bring: list[str] = Field([], max_length=len(DOCUMENTS))

    _windows = field_validator("opening_hours")(_check_windows)


#: The referral network when the directory file lists none: names only.
DEFAULT_REFERRAL_SERVICES: tuple[ReferralService, ...] = tuple(
    ReferralService(id=i, name=n) for i, n in (
        ("centro_impiego", "Centro per l'Impiego"),
        ("servizi_sociali", "Servizi Sociali / Segretariato Sociale"),
        ("sportello_immigrazione", "Sportello Immigrazione"),
        ("cpia", "CPIA"),
        ("asl", "ASL"),
        ("questura_prefettura", "Questura / Prefettura"),
        ("terzo_settore", "Sportello del terzo settore"),
    ))


class Directory(_Strict):
    """Everything office-specific. ``example: true`` marks the shipped, invented example."""

    example: bool = False
    service: Service
    offices: list[Office] = Field(min_length=1)
    emergency_contacts: list[Contact] = []
    professionals: list[Professional] = []
    booking: Booking = Booking()
    closures: list[Closure] = []
    triage: list[TriageRule] = []
    referral_services: list[ReferralService] = Field(
        default_factory=lambda: list(DEFAULT_REFERRAL_SERVICES), max_length=20)

    def referral_service(self, service_id: str) -> ReferralService | None:
        return next((r for r in self.referral_services if r.id == service_id), None)

    @property
    def main_office(self) -> Office:
        return self.offices[0]

    def contacts_text(self, language: str = "it") -> str:
        """Phone and e-mail lines of the main office, for messages that point to a person;
        each line isolated inside a right-to-left ``language`` (a phone number laid out right
        to left has its groups of digits reversed)."""
        office = self.main_office
        lines = [office.name, office.address]
        lines += [x for x in (office.phone, office.email) if x]
        return "\n".join(isolate(line, language) for line in lines)


class DirectoryError(yamlfile.FileError):
    pass


    def __init__(self, problems: list[str]) -> None:
        super().__init__(problems[0] if len(problems) == 1 else
                         f"the service directory has {len(problems)} problems:\n"
                         + "\n".join(problems))
        self.problems = problems


def load_directory(path: Path) -> Directory:
    """Load and validate the service directory. Every problem found is reported at once, each
    naming the file, line and field: first the repeated keys and the values of a wrong shape,
    then (once every value has the right shape) what the values say together."""
    try:
        data, lines, problems = yamlfile.load_with_repeats(path)
    except yamlfile.FileError as exc:
        raise DirectoryError([str(exc)]) from None
    if not isinstance(data, dict):
        raise DirectoryError([f"{path}, line 1: the service directory must be a mapping."])
    try:
        directory = Directory.model_validate(data)
    except ValidationError as exc:
        problems += yamlfile.validation_problems(path, lines, exc.errors())
    else:
        problems += [yamlfile.problem(path, lines, loc, message)
                     for loc, message in check_directory(directory)]
    if problems:
        raise DirectoryError(sorted(problems, key=lambda p: _line_in(p)))
    return directory


def _line_in(problem: str) -> int:
    found = re.search(r", line (\d+)", problem)
    return int(found.group(1)) if found else 0


def _known_language(code: str) -> bool:
    from babel import localedata

    return code in LANGUAGES or (re.fullmatch(r"[a-z]{2,3}", code) is not None
                                 and localedata.exists(code))


def _overlaps(windows: list[str], loc: yamlfile.Loc) -> list[tuple[yamlfile.Loc, str]]:
    found = []
    spans = [parse_window(w) for w in windows]
    for index, (start, end) in enumerate(spans):
        for other in range(index):
            if start < spans[other][1] and spans[other][0] < end:
                found.append(((*loc, index), f"'{windows[index]}' overlaps "
                              f"'{windows[other]}' on the same day"))
                break
    return found


Found = list[tuple[yamlfile.Loc, str]]


def check_directory(directory: Directory) -> list[tuple[yamlfile.Loc, str]]:
    """What a well-shaped directory can still get wrong, as (location, message) pairs: ids
    given twice, references to nothing, windows that overlap or fall outside the office's
    hours, closures that end before they start."""

    found: Found = []
    offices: dict[str, Office] = {}
    for index, office in enumerate(directory.offices):
        if office.id in offices:
            found.append((("offices", index, "id"), f"the office id '{office.id}' is used twice"))
        offices.setdefault(office.id, office)
        for day, windows in office.opening_hours.items():
            found += _overlaps(windows, ("offices", index, "opening_hours", day))
    found += _check_professionals(directory, offices)
    for index, closure in enumerate(directory.closures):
        if closure.until is not None and closure.until < closure.date:
            found.append((("closures", index, "until"), f"the closure ends on {closure.until}, "
                          f"before it starts on {closure.date}"))
    return found + _check_referral_services(directory) + _check_triage(directory)


def _check_professionals(directory: Directory, offices: dict[str, Office]) -> Found:
    """Ids given twice, languages that are no language code, offices that do not exist,
    windows that overlap or fall outside their office's hours."""
    found: Found = []
    ids: set[str] = set()
    for index, prof in enumerate(directory.professionals):
        loc: yamlfile.Loc = ("professionals", index)
        if prof.id in ids:
            found.append(((*loc, "id"), f"the professional id '{prof.id}' is used twice "
                          "(bookings and the staff registry tell professionals apart by it)"))
        ids.add(prof.id)
        for number, code in enumerate(prof.languages):
            if not _known_language(code):
                found.append(((*loc, "languages", number), f"'{code}' is not a language code: "
                              f"write two-letter codes like {', '.join(LANGUAGES)}"))
        works_in = offices.get(prof.office)
        if works_in is None:
            found.append(((*loc, "office"), f"no office with id '{prof.office}'"))
        for day, windows in prof.windows.items():
            found += _overlaps(windows, (*loc, "windows", day))
            if works_in is not None:
                found += _outside_hours(works_in, day, windows, (*loc, "windows", day))
    return found


def _opening(office: Office, day: Weekday) -> list[list[time]]:
    """The office's opening on a day as [open, close] spans; windows that touch make one."""
    opening: list[list[time]] = []
    for open_, close in sorted(parse_window(w) for w in office.opening_hours.get(day, [])):
        if opening and open_ <= opening[-1][1]:
            opening[-1][1] = max(opening[-1][1], close)
        else:
            opening.append([open_, close])
    return opening


def _outside_hours(office: Office, day: Weekday, windows: list[str],
                   loc: yamlfile.Loc) -> Found:
    """A professional's windows on a day that fall outside the office's opening hours."""
    found: Found = []
    opening = _opening(office, day)
    for number, window in enumerate(windows):
        start, end = parse_window(window)
        if not opening:
            found.append(((*loc, number), f"'{window}' is on {day}, "
                          f"when the office '{office.id}' is closed"))
        elif not any(open_ <= start and end <= close for open_, close in opening):
            found.append(((*loc, number), f"'{window}' on {day} is "
                          f"outside the office '{office.id}' opening hours "
                          f"({', '.join(office.opening_hours[day])})"))
    return found


def _check_referral_services(directory: Directory) -> Found:
    """Ids given twice, documents to bring that are not known (the citizen could not read
    them in their language), opening hours that overlap."""
    found: Found = []
    seen: set[str] = set()
    for index, service in enumerate(directory.referral_services):
        loc: yamlfile.Loc = ("referral_services", index)
        if service.id in seen:
            found.append(((*loc, "id"), f"the referral service id '{service.id}' is used twice"))
        seen.add(service.id)
        for number, key in enumerate(service.bring):
            if key not in DOCUMENTS:
                found.append(((*loc, "bring", number), f"'{key}' is not a document: use one "
                              f"of {', '.join(DOCUMENTS)}"))
            elif key in service.bring[:number]:
                found.append(((*loc, "bring", number), f"'{key}' is listed twice"))
        for day, windows in service.opening_hours.items():
            found += _overlaps(windows, (*loc, "opening_hours", day))
    return found


def _check_triage(directory: Directory) -> Found:
    """Triage rules for needs that do not exist, or for a need that has a rule already."""
    found: Found = []
    needs: set[str] = set()
    for index, rule in enumerate(directory.triage):
        if rule.need not in NEEDS:
            found.append((("triage", index, "need"), f"'{rule.need}' is not a need: use one "
                          f"of {', '.join(NEEDS)}"))
        elif rule.need in needs:
            found.append((("triage", index, "need"), f"the need '{rule.need}' already has a "
                          "rule above (only the first one would count)"))
        needs.add(rule.need)
    return found
