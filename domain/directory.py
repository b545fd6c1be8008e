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

    @property
    def main_office(self) -> Office:
        return self.offices[0]

    def contacts_text(self) -> str:
        """Phone and e-mail lines of the main office, for messages that point to a person."""
        office = self.main_office
        lines = [office.name, office.address]
        lines += [x for x in (office.phone, office.email) if x]
        return "\n".join(lines)


class DirectoryError(yamlfile.FileError):
    pass


def load_directory(path: Path) -> Directory:
    """Load and validate the service directory; errors name the file, line and field."""
    try:
        data, lines = yamlfile.load(path)
    except yamlfile.FileError as exc:
        raise DirectoryError(str(exc)) from None
    if not isinstance(data, dict):
        raise DirectoryError(f"{path}, line 1: the service directory must be a mapping.")
    try:
        directory = Directory.model_validate(data)
    except ValidationError as exc:
        raise DirectoryError(
            yamlfile.describe_validation_error(path, lines, exc.errors())
        ) from None
    office_ids = {o.id for o in directory.offices}
    for index, prof in enumerate(directory.professionals):
        if prof.office not in office_ids:
            line = yamlfile.line_of(lines, ("professionals", index, "office"))
            raise DirectoryError(
                f"{path}, line {line}, field 'professionals.{index}.office': "
                f"no office with id '{prof.office}'."
            )
    return directory
