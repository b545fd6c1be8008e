"""``teams-bot bookings list|export``: the booked slots, for staff at the command line."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.settings import Settings
from domain.booking import Booking, to_ics
from domain.directory import load_directory
from storage.database import create_engine, is_sqlite, session_factory, upgrade_async
from storage.repositories import SqlUnitOfWorkFactory

FIELDS = ("id", "case_code", "start", "end", "professional", "role", "status", "needs",
          "urgency", "meeting_language", "with_mediator")


async def fetch(settings: Settings, start: date | None, end: date | None) -> list[Booking]:
    if is_sqlite(settings.database_url):
        await upgrade_async(settings.database_url)
    zone = ZoneInfo(settings.timezone)
    since = datetime.combine(start or datetime.now(zone).date(), datetime.min.time(), zone)
    until = (datetime.combine(end + timedelta(days=1), datetime.min.time(), zone) if end
             else since + timedelta(days=366))
    db = create_engine(settings.database_url)
    try:
        async with SqlUnitOfWorkFactory(session_factory(db))() as uow:
            return list(await uow.bookings.between(since.astimezone(UTC),
                                                   until.astimezone(UTC)))
    finally:
        await db.dispose()


def row(booking: Booking, zone: ZoneInfo) -> dict[str, Any]:
    """One booking as staff see it: a case code, never the citizen's identity."""
    return {
        "id": booking.id, "case_code": booking.case_code,
        "start": booking.start.astimezone(zone).isoformat(),
        "end": booking.end.astimezone(zone).isoformat(),
        "professional": booking.professional_id, "role": booking.role,
        "status": booking.status, "needs": booking.needs, "urgency": booking.urgency,
        "meeting_language": booking.meeting_language, "with_mediator": booking.with_mediator,
    }


def render(bookings: list[Booking], settings: Settings, fmt: str) -> str:
    zone = ZoneInfo(settings.timezone)
    rows = [row(b, zone) for b in bookings]
    if fmt == "json":
        return json.dumps(rows, ensure_ascii=False, indent=2)
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=FIELDS)
        writer.writeheader()
        for r in rows:
            writer.writerow({**r, "needs": " ".join(r["needs"])})
        return out.getvalue()
    if fmt == "ics":
        from icalendar import Calendar

        directory = load_directory(settings.service_file)
        calendar = Calendar()
        calendar.add("prodid", "-//TEAMS assistant//EN")
        calendar.add("version", "2.0")
        for booking in bookings:
            if booking.status != "active":
                continue
            single = Calendar.from_ical(to_ics(
                booking, directory, f"TEAMS {booking.case_code} ({booking.role})",
                "needs: " + ", ".join(booking.needs)))
            for event in single.walk("VEVENT"):
                calendar.add_component(event)
        return calendar.to_ical().decode()
    lines = [f"{'start':<26} {'case':<8} {'professional':<12} {'role':<14} {'status':<10} needs"]
    for r in rows:
        lines.append(f"{r['start']:<26} {r['case_code']:<8} {r['professional']:<12} "
                     f"{r['role']:<14} {r['status']:<10} {', '.join(r['needs'])}")
    return "\n".join(lines)
