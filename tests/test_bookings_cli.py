"""``teams-bot bookings list|export``: what staff get at the command line."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from icalendar import Calendar

from domain.booking import Booking
from domain.model import Citizen
from storage.database import create_engine, session_factory, upgrade_async
from storage.repositories import SqlUnitOfWorkFactory

ROOT = Path(__file__).resolve().parents[1]


def seed(url: str) -> None:
    async def run() -> None:
        await upgrade_async(url)
        db = create_engine(url)
        now = datetime.now(UTC)
        start = (now + timedelta(days=3)).replace(minute=0, second=0, microsecond=0)
        async with SqlUnitOfWorkFactory(session_factory(db))() as uow:
            await uow.citizens.add(Citizen(5150, now, now, language="bn"))
            await uow.bookings.add(Booking(5150, "le1", "labour_expert", start,
                                           start + timedelta(minutes=30), now, needs=["work"],
                                           meeting_language="bn"))
            await uow.commit()
        await db.dispose()

    asyncio.run(run())


def cli(url: str, *args: str) -> str:
    env = {**os.environ, "TEAMS_DATABASE_URL": url}
    result = subprocess.run([sys.executable, "-m", "bot.cli", "bookings", *args], env=env,
                            capture_output=True, text=True, cwd=ROOT, check=True)
    return result.stdout


def test_list_and_export_show_case_codes_never_the_citizen(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    seed(url)
    (row,) = json.loads(cli(url, "list", "--json"))
    assert row["role"] == "labour_expert" and row["needs"] == ["work"]
    assert row["case_code"].startswith("T-") and "5150" not in json.dumps(row)
    assert row["start"].endswith(("+01:00", "+02:00"))  # shown in Europe/Rome time
    (line,) = list(csv.DictReader(io.StringIO(cli(url, "export", "--format", "csv"))))
    assert line["case_code"] == row["case_code"]
    calendar = Calendar.from_ical(cli(url, "export", "--format", "ics"))
    assert [str(e["summary"]) for e in calendar.walk("VEVENT")] == [
        f"TEAMS {row['case_code']} (labour_expert)"]
