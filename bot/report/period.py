"""The period a report covers: whole days in the service's time zone, a month or any span."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

TREND_MONTHS = 6  # the coverage index's trend: the period's last month and the five before


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def month_key(day: date) -> str:
    return day.strftime("%Y-%m")


@dataclass(frozen=True)
class Period:
    first: date  # included
    last: date  # included

    @classmethod
    def month(cls, month: str) -> Period:
        year, number = (int(x) for x in month.split("-"))
        start = date(year, number, 1)
        return cls(start, _next_month(start) - timedelta(days=1))

    @property
    def label(self) -> str:
        """``2026-11`` for a whole month, ``2026-10-01_2026-11-30`` otherwise."""
        if self.first.day == 1 and self.last == _next_month(self.first) - timedelta(days=1):
            return month_key(self.first)
        return f"{self.first.isoformat()}_{self.last.isoformat()}"

    def __contains__(self, day: date) -> bool:
        return self.first <= day <= self.last

    def end(self, zone: ZoneInfo) -> datetime:
        """The moment the period ends (the day after its last, at midnight)."""
        return datetime.combine(self.last + timedelta(days=1), time.min, tzinfo=zone)

    def whole_months(self) -> list[str]:
        """The months wholly inside the period: erased citizens' counts are kept by month."""
        months, day = [], _month_start(self.first)
        while day <= self.last:
            following = _next_month(day)
            if day >= self.first and following - timedelta(days=1) <= self.last:
                months.append(month_key(day))
            day = following
        return months

    def months(self) -> list[str]:
        """Every month the period touches."""
        months, day = [], _month_start(self.first)
        while day <= self.last:
            months.append(month_key(day))
            day = _next_month(day)
        return months

    def trend(self) -> list[Period]:
        """The months of the coverage index's trend, oldest first, ending with the period's
        last month."""
        months, day = [], _month_start(self.last)
        for _ in range(TREND_MONTHS):
            months.append(Period.month(month_key(day)))
            day = _month_start(day - timedelta(days=1))
        return months[::-1]


def period_of(month: str | None, first: str | None, last: str | None) -> Period | str:
    """The period the command line asks for (``--month``, or ``--from`` and ``--to``), or
    what is wrong with it."""
    if month is not None:
        if last is not None or not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", month):
            return "--month must look like 2026-11 (and goes without --to)"
        return Period.month(month)
    try:
        period = Period(date.fromisoformat(first or ""), date.fromisoformat(last or ""))
    except ValueError:
        return "--from and --to must both be days like 2026-11-01"
    if period.last < period.first:
        return "--to must not be before --from"
    return period
