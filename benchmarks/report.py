"""The report's cost on a year of synthetic activity: a SQLite file with N citizens (default
6,000: a busy zone's year) spread over twelve months, each with up to two appointments,
outcomes and hand-overs; the time to read and count one month and the whole year, and the
process's peak memory. Prints JSON. Run:
    python benchmarks/report.py [--citizens 6000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import resource
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

REFERRALS = ("servizi_sociali", "centro_impiego", "sportello_immigrazione", "other", None)
LANGS = ("ur", "ar", "fr", "en", "uk", "bn", "pa", "zh")
ROLES = (("le1", "labour_expert"), ("sw1", "social_worker"), ("me1", "mediator"))
OUTCOMES = ("info", "referred", "pap", "follow_up", None)


def rows(n: int, seed: int = 7) -> dict[str, list[dict[str, Any]]]:
    """Synthetic rows: no real person, no text."""
    rng = random.Random(seed)
    start = datetime(2026, 1, 1, 8, tzinfo=UTC)
    out: dict[str, list[dict[str, Any]]] = {"citizens": [], "bookings": [], "outcomes": [],
                                             "handovers": []}
    booking_id = 0
    for cid in range(1, n + 1):
        first = start + timedelta(minutes=rng.randrange(365 * 24 * 60))
        out["citizens"].append({"id": cid, "language": rng.choice(LANGS),
                                "language_chosen": True, "referral": rng.choice(REFERRALS),
                                "first_seen": first, "last_seen": first})
        for _ in range(rng.choice((0, 1, 1, 2))):
            booking_id += 1
            professional, role = rng.choice(ROLES)
            begin = first + timedelta(days=rng.randrange(1, 25), seconds=booking_id)
            status = rng.choice(("attended", "attended", "no_show", "cancelled", "active"))
            out["bookings"].append({
                "id": booking_id, "citizen_id": cid, "professional_id": professional,
                "role": role, "start_at": begin, "end_at": begin + timedelta(minutes=30),
                "status": status, "needs": ["work"], "meeting_language": "it",
                "with_mediator": False, "case_code": f"T-{booking_id:05d}",
                "created_at": first})
            kind = rng.choice(OUTCOMES)
            if status == "attended" and kind:
                out["outcomes"].append({"booking_id": booking_id, "kind": kind,
                                        "service": "cpia" if kind == "referred" else None,
                                        "recorded_by": 1, "recorded_at": begin})
        if rng.random() < 0.2:
            opened = first + timedelta(hours=rng.randrange(72))
            out["handovers"].append({
                "citizen_id": cid, "status": "closed", "reason": "asked", "priority": 0,
                "opened_at": opened, "announced": False,
                "first_human_at": opened + timedelta(minutes=rng.randrange(1, 600))})
    return out


async def fill(url: str, data: dict[str, list[dict[str, Any]]]) -> None:
    from sqlalchemy import insert

    from storage.database import create_engine, upgrade_async
    from storage.tables import BookingRow, CitizenRow, HandoverRow, MeetingOutcomeRow

    await upgrade_async(url)
    db = create_engine(url)
    async with db.begin() as conn:
        for table, name in ((CitizenRow, "citizens"), (BookingRow, "bookings"),
                            (MeetingOutcomeRow, "outcomes"), (HandoverRow, "handovers")):
            if data[name]:
                await conn.execute(insert(table), data[name])
    await db.dispose()


async def timed(url: str, period: Any, words: tuple[Any, Any, Any]) -> float:
    """Reading, counting and writing the page and the CSV (not loading the catalogues)."""
    from bot.report import build, to_csv, to_html
    from storage.database import create_engine
    from storage.reports import SqlReports

    directory, catalogs, titles = words
    db = create_engine(url)
    began = time.perf_counter()
    report = await build(SqlReports(db), period, ZoneInfo("Europe/Rome"), directory,
                         catalogs, "it", titles)
    to_html(report), to_csv(report)
    elapsed = time.perf_counter() - began
    await db.dispose()
    return elapsed


async def main(citizens: int) -> dict[str, Any]:
    from bot.i18n import Catalogs
    from bot.report import Period, topic_titles
    from bot.settings import EXAMPLE_SERVICE_FILE
    from domain.directory import load_directory

    data = rows(citizens)
    began = time.perf_counter()
    words = (load_directory(EXAMPLE_SERVICE_FILE), Catalogs(), topic_titles("it"))
    loading = time.perf_counter() - began
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{folder}/bench.db"
        await fill(url, data)
        month = await timed(url, Period.month("2026-11"), words)
        year = await timed(url, Period(date(2026, 1, 1), date(2026, 12, 31)), words)
    return {"citizens": citizens, "bookings": len(data["bookings"]),
            "handovers": len(data["handovers"]), "catalogues_s": round(loading, 3),
            "month_report_s": round(month, 3),
            "year_report_s": round(year, 3),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--citizens", type=int, default=6000)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(main(args.citizens))))
