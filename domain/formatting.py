"""Locale-aware dates, times and opening hours (Babel), in the service's time zone."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime

from babel.dates import format_date, get_day_names

from domain.directory import WEEKDAYS, Office, Weekday
from domain.languages import isolate


def long_date(value: date, language: str) -> str:
    return format_date(value, format="long", locale=language)


def opening_hours(office: Office, language: str) -> str:
    """One line per open weekday, e.g. ``mar 09:00–13:00, 14:30–17:30``."""
    return week_hours(office.opening_hours, language)


def week_hours(hours: Mapping[Weekday, list[str]], language: str) -> str:
    """A week's opening hours (weekday key -> windows), one line per open day, the days
    named in ``language``."""
    names = get_day_names("wide", locale=language)
    lines = []
    for index, day in enumerate(WEEKDAYS):
        windows = hours.get(day)  # type: ignore[call-overload]
        if windows:
            spans = ", ".join(w.replace("-", "–") for w in windows)
            lines.append(f"{names[index]}: {isolate(spans, language)}")
    return "\n".join(lines)


def local_now(now: datetime, tz: object) -> datetime:
    return now.astimezone(tz)  # type: ignore[arg-type]


def day_label(value: datetime, language: str, zone: object) -> str:
    """A short local day, e.g. ``mar 1 dic`` / ``Tue, Dec 1``."""
    from babel.dates import format_date

    local = value.astimezone(zone)  # type: ignore[arg-type]
    return format_date(local.date(), format="EEE d MMM", locale=language)


def long_day(value: datetime, language: str, zone: object) -> str:
    from babel.dates import format_date

    local = value.astimezone(zone)  # type: ignore[arg-type]
    return format_date(local.date(), format="full", locale=language)


def clock_time(value: datetime, language: str, zone: object) -> str:
    from babel.dates import format_time

    local = value.astimezone(zone)  # type: ignore[arg-type]
    return format_time(local.time(), format="short", locale=language)
