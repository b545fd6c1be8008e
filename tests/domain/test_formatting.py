"""Dates, times, numbers and language names in every language, after the locale data of the
assistant's languages has been trimmed (domain.formatting.compact_locale_data)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from babel import localedata

from domain.formatting import UNUSED_LOCALE_DATA, compact_locale_data
from domain.languages import LANGUAGES

ROOT = Path(__file__).resolve().parents[2]

#: Every way the assistant formats with Babel, in every language: prints JSON.
FORMATS = """
import json
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date
from babel.numbers import format_decimal, format_percent

from domain import formatting
from domain.languages import LANGUAGES

zone = ZoneInfo("Europe/Rome")
moment = datetime(2026, 12, 3, 8, 30, tzinfo=ZoneInfo("UTC"))
hours = {"mon": ["09:00-13:00"], "thu": ["09:00-13:00", "14:30-17:30"]}
out = {}
for code in LANGUAGES:
    out[code] = [
        formatting.long_date(date(2026, 12, 3), code),
        formatting.week_hours(hours, code),
        formatting.day_label(moment, code, zone),
        formatting.long_day(moment, code, zone),
        formatting.clock_time(moment, code, zone),
        format_date(date(2026, 12, 1), "LLLL yyyy", locale=code),
        format_decimal(1234.5, locale=code),
        format_percent(0.25, locale=code),
        Locale.parse(code).languages.get("ar"),
    ]
print(json.dumps(out, ensure_ascii=False))
"""


def formatted(compact_first: bool) -> dict[str, list[str]]:
    prefix = ("from domain.formatting import compact_locale_data\n"
              "from domain.languages import LANGUAGES\n"
              "compact_locale_data(LANGUAGES)\n") if compact_first else ""
    done = subprocess.run([sys.executable, "-c", prefix + FORMATS], cwd=ROOT, check=True,
                          capture_output=True, text=True)
    return dict(json.loads(done.stdout))


def test_every_language_formats_the_same_after_the_locale_data_is_trimmed() -> None:
    whole, trimmed = formatted(False), formatted(True)
    assert set(whole) == set(LANGUAGES)
    assert trimmed == whole
    assert all(all(value for value in values) for values in whole.values())


def test_the_unused_locale_data_is_dropped_and_a_second_call_changes_nothing() -> None:
    compact_locale_data(LANGUAGES)
    compact_locale_data(LANGUAGES)
    for name in ("root", "ar", "zh", "fil"):
        data = localedata.load(name)
        assert not set(UNUSED_LOCALE_DATA) & set(data)
        assert data["days"]["format"]["wide"]
