"""Locale-aware dates, times and opening hours (Babel), in the service's time zone."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime

from babel.dates import format_date, get_day_names

from domain.directory import WEEKDAYS, Office, Weekday
from domain.languages import isolate

#: Parts of a language's CLDR data that the assistant never formats: units, currencies, compact
#: numbers, the names of territories, scripts and time zones, relative date fields. Babel loads
#: a language's data whole the first time a date of it is formatted and keeps it: 16
#: languages took 44.6 MB of the process's memory, 6.7 MB without these parts.
UNUSED_LOCALE_DATA = (
    "unit_patterns", "unit_display_names", "compound_unit_patterns", "compact_decimal_formats",
    "compact_currency_formats", "currency_names", "currency_names_plural", "currency_symbols",
    "currency_formats", "currency_unit_patterns", "territories", "scripts", "variants",
    "time_zones", "meta_zones", "date_fields",
)


def compact_locale_data(languages: Iterable[str]) -> None:
    """Load the CLDR data of ``languages`` now, one language at a time, each without the
    parts the assistant never uses (:data:`UNUSED_LOCALE_DATA`), so that the memory the
    dates of every language take is small and the same from the start. Babel keeps the
    dictionary it loads (``localedata.load`` returns its cached copy), so what is dropped here
    is never loaded again; a language's data inherits from its parents', which are loaded
    and trimmed first (so each copies less). Idempotent: a second call trims nothing more."""
    from babel import Locale, UnknownLocaleError, localedata

    names = ["root"]
    for code in languages:
        try:
            identifier = str(Locale.parse(code))
        except (UnknownLocaleError, ValueError):
            continue
        parts = identifier.split("_")
        names += ["_".join(parts[:n]) for n in range(1, len(parts) + 1)]
    for name in dict.fromkeys(names):
        if localedata.exists(name):
            data = localedata.load(name)
            for key in UNUSED_LOCALE_DATA:
                data.pop(key, None)


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
