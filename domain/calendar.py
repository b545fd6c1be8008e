"""When the office is open, and the directory as it stands today: the file's closures plus
the days staff closed from Telegram."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from domain.directory import WEEKDAYS, Closure, Directory, parse_window
from domain.ports import UnitOfWork


def is_open_at(directory: Directory, when: datetime, zone: ZoneInfo) -> bool:
    local = when.astimezone(zone)
    if any(c.date <= local.date() <= (c.until or c.date) for c in directory.closures):
        return False
    windows = directory.main_office.opening_hours.get(  # type: ignore[call-overload]
        WEEKDAYS[local.weekday()], [])
    for window in windows:
        start, end = parse_window(window)
        if start <= local.time() < end:
            return True
    return False


def next_opening(directory: Directory, when: datetime, zone: ZoneInfo) -> datetime | None:
    """The start of the next opening window after ``when`` (within four weeks)."""
    local = when.astimezone(zone)
    for offset in range(29):
        day = local.date() + timedelta(days=offset)
        if any(c.date <= day <= (c.until or c.date) for c in directory.closures):
            continue
        windows = directory.main_office.opening_hours.get(  # type: ignore[call-overload]
            WEEKDAYS[day.weekday()], [])
        for window in sorted(windows):
            start = datetime.combine(day, parse_window(window)[0], tzinfo=zone)
            if start > local:
                return start
    return None


async def live_directory(directory: Directory, uow: UnitOfWork) -> Directory:
    """The directory with the closures staff added from Telegram."""
    extra = [Closure(date=d, reason=r) for d, r in await uow.closures.all()]
    if not extra:
        return directory
    return directory.model_copy(update={"closures": [*directory.closures, *extra]})
