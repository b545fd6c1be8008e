"""Booking throughput through the real engine and database (JSON).

Many citizens, each at the time choice of the booking flow, book distinct free slots with a
given concurrency (the horizon is widened to 180 days so that there are enough slots).
Run: python benchmarks/booking.py [--citizens 200] [--concurrency 10] [--postgres URL]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from domain.booking import free_slots  # noqa: E402
from domain.messages import ContentType, Inbound  # noqa: E402
from storage.database import upgrade_async  # noqa: E402
from tests.fakes import KeywordUnderstanding  # noqa: E402
from tests.telegram.helpers import make_engine  # noqa: E402

STEPS = ("consent:yes", "need:work", "needs_done", "urg:week", "mlang:it", "skip")


async def run(url: str, citizens: int, concurrency: int) -> dict[str, object]:
    await upgrade_async(url)
    engine, db = make_engine(url, KeywordUnderstanding({}))
    wide = engine.directory.booking.model_copy(
        update={"horizon_days": 180, "max_future_per_citizen": 10})
    directory = engine.directory.model_copy(update={"booking": wide})
    engine.directory = directory
    ids = list(range(10_000, 10_000 + citizens))
    for citizen in ids:
        await engine.handle(Inbound(citizen, text="/book", language_hint="it"))
        for step in STEPS:
            await engine.handle(Inbound(citizen, payload=step, language_hint="it",
                                        content_type=ContentType.BUTTON))
    slots = free_slots(directory, "labour_expert", set(), engine.clock.now(), engine.zone,
                       "it")[:citizens]
    gate = asyncio.Semaphore(concurrency)

    async def book(citizen: int, key: str) -> bool:
        async with gate:
            replies = await engine.handle(Inbound(citizen, payload=f"slot:{key}",
                                                  language_hint="it",
                                                  content_type=ContentType.BUTTON))
            return replies[0].text.startswith("✅")

    start = time.perf_counter()
    done = await asyncio.gather(*(book(c, s.key) for c, s in zip(ids, slots, strict=False)))
    distinct = time.perf_counter() - start
    await db.dispose()
    return {"bookings": sum(done), "seconds": round(distinct, 2),
            "bookings_per_second": round(sum(done) / distinct, 1),
            "concurrency": concurrency}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--citizens", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument("--postgres", help="a PostgreSQL URL (a scratch database: it is used)")
    args = parser.parse_args()
    report: dict[str, object] = {}
    with tempfile.TemporaryDirectory() as tmp:
        report["sqlite"] = asyncio.run(run(f"sqlite+aiosqlite:///{tmp}/bench.db",
                                           args.citizens, args.concurrency))
    if args.postgres:
        report["postgresql"] = asyncio.run(run(args.postgres, args.citizens, args.concurrency))
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
