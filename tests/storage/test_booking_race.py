"""No two citizens ever hold the same slot: concurrent attempts, in one process and across
processes, against real SQLite and real PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from domain.booking import free_slots
from domain.messages import ContentType, Inbound
from storage.database import create_engine
from storage.tables import BookingRow
from tests.fakes import KeywordUnderstanding
from tests.telegram.helpers import make_engine

STEPS = ("consent:yes", "need:work", "needs_done", "urg:week", "mlang:it", "skip")
ROOT = Path(__file__).resolve().parents[2]


async def count_active(url: str) -> int:
    db = create_engine(url)
    async with db.connect() as conn:
        n = (await conn.execute(select(func.count()).select_from(BookingRow)
                                .where(BookingRow.status == "active"))).scalar_one()
    await db.dispose()
    return int(n)


async def test_fifty_concurrent_attempts_at_one_slot_make_exactly_one_booking(database_url):
    engine, db = make_engine(database_url, KeywordUnderstanding({}))
    citizens = range(1000, 1050)
    for citizen in citizens:  # everyone walks the intake up to the choice of a time
        await engine.handle(Inbound(citizen, text="/book", language_hint="it"))
        for step in STEPS:
            await engine.handle(Inbound(citizen, payload=step, language_hint="it",
                                        content_type=ContentType.BUTTON))
    slot = free_slots(engine.directory, "labour_expert", set(), engine.clock.now(),
                      engine.zone, "it")[0]

    async def attempt(citizen: int) -> str:
        replies = await engine.handle(Inbound(citizen, payload=f"slot:{slot.key}",
                                              language_hint="it",
                                              content_type=ContentType.BUTTON))
        return replies[0].text

    answers = await asyncio.gather(*(attempt(c) for c in citizens))
    await db.dispose()
    booked = [a for a in answers if a.startswith("✅")]
    assert len(booked) == 1
    assert all("appena" in a or "just taken" in a for a in answers if not a.startswith("✅"))
    assert await count_active(database_url) == 1


def test_the_race_holds_across_shell_processes(database_url, real_nlu):
    zone = ZoneInfo("Europe/Rome")
    from bot.settings import EXAMPLE_SERVICE_FILE
    from domain.directory import load_directory

    directory = load_directory(EXAMPLE_SERVICE_FILE)
    slot = free_slots(directory, "labour_expert", set(), datetime.now(UTC), zone, "it")[3]
    script = "\n".join(["/book", *(json.dumps({"payload": s}) for s in STEPS),
                        json.dumps({"payload": f"slot:{slot.key}"})]) + "\n"
    env = {**os.environ, "TEAMS_DATABASE_URL": database_url}
    processes = [
        subprocess.Popen([sys.executable, "-m", "bot.cli", "shell", "--json", "--user",
                          str(2000 + i), "--lang", "it"], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=ROOT,
                         text=True)
        for i in range(6)
    ]
    outputs = [p.communicate(script, timeout=180) for p in processes]
    assert all(p.returncode == 0 for p in processes), [o[1][-500:] for o in outputs]
    last = [json.loads(out.strip().splitlines()[-1])["text"] for out, _ in outputs]
    booked = [text for text in last if text.startswith("✅")]
    assert len(booked) == 1, last
    assert asyncio.run(count_active(database_url)) == 1
