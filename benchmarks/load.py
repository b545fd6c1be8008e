"""Load benchmark: updates per second and reply latency through the real application.

Many simulated citizens (each in order, many at once) send a mix of free-text FAQ questions,
menu buttons, a booking and hand-over traffic; the Bot API is a fake transport, so Telegram's
network is excluded. Prints JSON. Run:
    python benchmarks/load.py [--citizens 200] [--concurrency 50] [--postgres URL] [--workers 2]
                              [--rate 200] [--repeated-texts] [--asyncio] [--only paced]
Each figure carries the loop calibration measured just before and after it (and the load
average), so figures of a busy machine and of a quiet one compare.
With --workers 2 (PostgreSQL only) two processes share the citizens and the database. Free
texts are different phrasings (the NLU dev set), each one encoded as a new message would be;
--repeated-texts cycles eight texts, which the encoder's memory soon answers. Every answer's
passages come encoded with the package (nlu/passages.npz); any not there are encoded before
measuring, as the assistant does in the background after it starts (nlu/warmup.py): the figures
are the steady state ("passages_warm_up" says how many were encoded).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import itertools
import json
import multiprocessing
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

FAQ = ["dove si fa il codice fiscale?", "How do I renew my permit?", "je cherche du travail",
       "كيف أسجل ابني في المدرسة", "ami kaj khujchi", "我想学意大利语", "grazie mille", "ciao"]
TEXTS: dict[str, Any] = {"pool": []}


def free_texts(repeated: bool) -> None:
    """What citizens write in their own words. By default every message is a different
    phrasing (the NLU dev set: 12 languages, never trained on), as real people write, so
    each costs the sentence encoder; ``repeated`` cycles eight texts that the encoder
    memory soon holds (the figure of earlier sessions)."""
    if repeated:
        TEXTS["pool"] = FAQ
        return
    from nlu.training import DEV_DIR, read_all

    pool = [example.text for example in read_all([DEV_DIR])]
    random.Random(8).shuffle(pool)
    TEXTS["pool"] = pool


def said(citizen: int, k: int) -> str:
    pool = TEXTS["pool"] or FAQ
    return pool[(citizen * 3 + k) % len(pool)]


def script(citizen: int) -> list[tuple[str, str]]:
    """One citizen's updates: ("text", ...) or ("button", payload)."""
    steps = [("text", "/start centro_impiego"), ("button", "lang:it"),
             ("text", said(citizen, 0)), ("button", "group:documents"),
             ("button", "faq:faq_tax_code"), ("text", said(citizen, 1))]
    if citizen % 4 == 0:  # a booking
        steps += [("text", "/book"), ("button", "consent:yes"), ("button", "need:work"),
                  ("button", "needs_done"), ("button", "urg:week"), ("button", "mlang:it"),
                  ("button", "skip"), ("button", "days")]
    if citizen % 5 == 0:  # a hand-over
        steps += [("text", "/human"), ("text", said(citizen, 2)), ("text", "grazie")]
    return steps


async def run(url: str, citizens: list[int], concurrency: int, migrate: bool,
              rate: float | None = None) -> dict[str, Any]:
    """Saturation (``concurrency`` citizens at once, no pause) or, with ``rate``, every
    citizen pausing between messages so that about ``rate`` updates a second arrive."""
    from benchmarks.memory import status as memory_status
    from bot.services import settle_heap
    from handlers.flood import FloodGuard
    from nlu.embedded import EmbeddedNLU
    from nlu.pool import AsyncUnderstanding
    from storage.database import upgrade_async
    from tests.fakes import FakeBotAPI
    from tests.telegram import helpers
    from tests.telegram.helpers import button_update, feed, make_app, make_engine, message_update

    # Update ids unique to this run and worker: the database remembers the ids of earlier
    # runs and of the other worker, and a remembered id is (rightly) not handled again.
    helpers._ids = itertools.count(random.SystemRandom().randrange(2**20) * 2**30)
    if migrate:
        await upgrade_async(url)
    from bot.settings import load_settings

    nlu, warm_up = warm_nlu(EmbeddedNLU, load_settings().nlu_cache_dir)
    nlu.quick_focus = TEXTS.get("quick_focus") or nlu.quick_focus
    engine, db = make_engine(url, AsyncUnderstanding(nlu))
    engine.config = type(engine.config)(staff_chat=True)
    api = FakeBotAPI()
    app = await make_app(engine, api)
    app.bot_data.staff_chat_id = -100999
    app.bot_data.flood = FloodGuard(burst=10_000)
    gate = asyncio.Semaphore(concurrency)

    def as_update(citizen: int, kind: str, value: str) -> dict[str, Any]:
        return (message_update(citizen, value, language="it") if kind == "text"
                else button_update(citizen, value, language="it"))

    timings: list[tuple[float, float, str]] = []  # (ms, seconds into the run, step)

    async def send(update: dict[str, Any]) -> None:
        start = time.perf_counter()
        await feed(app, update)
        latency = (time.perf_counter() - start) * 1000
        if "message" in update:
            text = update["message"].get("text") or "?"
            step = text.split(" ")[0] if text.startswith("/") else "free text"
        else:
            step = update["callback_query"]["data"].split(":")[0]
        timings.append((latency, start - begin_all, step))

    async def citizen_run(citizen: int) -> None:
        async with gate:
            for kind, value in script(citizen):
                await send(as_update(citizen, kind, value))

    async def paced(per_second: float) -> None:
        """Open loop: one update every 1/rate seconds, citizens in turn, each citizen's
        next message only after its previous one was answered. Citizens arrive spread over
        the first 60% of the run, as people do, so at any moment some are starting, some
        booking and some asking (all starting at once sent every first question in the
        same second, a burst of free text no service sees). Time in which no citizen was
        free to write is not made up for afterwards (that sent bursts at the offered rate's
        catch-up speed, late in a run when few citizens are left: an artefact of the
        generator, not a load Telegram would send)."""
        pending = {c: list(script(c)) for c in citizens}
        busy: dict[int, asyncio.Task[None]] = {}
        tasks = []
        interval, order = 1 / per_second, list(citizens)
        next_at, idle = time.perf_counter(), False
        spread = 0.6 * sum(map(len, pending.values())) * interval
        arrives = {c: next_at + i * spread / len(order) for i, c in enumerate(order)}
        while any(pending.values()):
            sent = len(tasks)
            for citizen in order:
                if not pending[citizen] or (citizen in busy and not busy[citizen].done()):
                    continue
                if arrives[citizen] > time.perf_counter():
                    break  # the later ones have not arrived either
                if idle:
                    next_at, idle = max(next_at, time.perf_counter()), False
                delay = next_at - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                next_at += interval
                kind, value = pending[citizen].pop(0)
                busy[citizen] = asyncio.create_task(send(as_update(citizen, kind, value)))
                tasks.append(busy[citizen])
            if len(tasks) == sent:
                idle = True
                await asyncio.sleep(0.002)  # everyone waits for an answer
        await asyncio.gather(*tasks)

    await feed(app, message_update(citizens[0], "warm up"))
    settle_heap()  # as bot/run.py does once the assistant is up
    start, cpu = time.perf_counter(), time.process_time()
    begin_all = start
    if rate:
        await paced(rate)
    else:
        await asyncio.gather(*(citizen_run(c) for c in citizens))
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    await app.shutdown()
    await db.dispose()
    latencies = sorted(ms for ms, _, _ in timings)
    return {"mode": f"paced at {rate:g}/s" if rate else f"saturated, {concurrency} at once",
            "updates": len(latencies), "seconds": round(elapsed, 2),
            "updates_per_second": round(len(latencies) / elapsed, 1),
            "p50_ms": round(statistics.median(latencies), 1),
            "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1], 1),
            "cpu_ms_per_update": round(cpu * 1000 / len(latencies), 2),
            "slowest": [[round(ms), round(at, 2), step]
                        for ms, at, step in sorted(timings, reverse=True)[:8]],
            "p50_ms_by_step": {step: round(statistics.median(
                [ms for ms, _, s in timings if s == step]), 1)
                for step in sorted({s for _, _, s in timings})},
            "bot_api_calls": dict(collections.Counter(name for name, _ in api.calls)),
            "passages_warm_up": warm_up,
            "memory_mb_at_the_end": memory_status()}


NLU: dict[str, Any] = {}


def warm_nlu(build: Any, cache_dir: Path) -> tuple[Any, dict[str, Any]]:
    """The embedded NLU with every answer's passages already encoded, as in the assistant
    after its background warm-up (nlu/warmup.py), which is waited for here: the figures are
    the steady state, not the first minutes' passage encoding. Built once per process; the
    memory of recent texts is emptied before each run, so each run's texts are new to it."""
    from domain.content import load_content
    from nlu.warmup import PassageWarmup, answer_passages

    first = "nlu" not in NLU
    if first:
        NLU["nlu"] = build(cache_dir)
        passages = answer_passages(load_content(ROOT / "locales" / "faq"))
        start = time.perf_counter()
        warmup = PassageWarmup(NLU["nlu"], passages, niceness=0)  # nothing else runs yet
        warmup.wait()
        NLU["warm_up"] = {"waited_for_before_measuring": True, "passages": len(passages),
                          "encoded": warmup.encoded,
                          "seconds": round(time.perf_counter() - start, 1)}
    NLU["nlu"]._recent.clear()
    return NLU["nlu"], {**NLU["warm_up"], "in_this_run": first}


LOOP: dict[str, Any] = {"factory": None}


def arun(coroutine: Any) -> Any:
    """asyncio.run on the event loop the assistant runs on (uvloop where installed)."""
    with asyncio.Runner(loop_factory=LOOP["factory"]) as runner:
        return runner.run(coroutine)


def pick_loop(plain: bool) -> str:
    if not plain:
        try:
            import uvloop
        except ImportError:
            pass
        else:
            LOOP["factory"] = uvloop.new_event_loop
            return "uvloop"
    return "asyncio"


def calibration() -> float:
    """Seconds a plain Python loop of 10 million additions takes: machines of one kind
    differ (and vary over a session), so figures from two runs compare through this."""
    start, total = time.perf_counter(), 0
    for i in range(10_000_000):
        total += i
    return round(time.perf_counter() - start, 2)


def _child(url: str, citizens: list[int], concurrency: int, queue: Any, loop: str,
           repeated: bool) -> None:
    pick_loop(loop != "uvloop")
    free_texts(repeated)
    queue.put(arun(run(url, citizens, concurrency, migrate=False)))


def run_workers(url: str, citizens: list[int], concurrency: int, workers: int
                ) -> dict[str, Any]:
    from storage.database import upgrade

    upgrade(url)
    queue: Any = multiprocessing.get_context("spawn").Queue()
    shares = [citizens[i::workers] for i in range(workers)]
    loop = "uvloop" if LOOP["factory"] else "asyncio"
    processes = [multiprocessing.get_context("spawn").Process(
        target=_child, args=(url, share, concurrency, queue, loop, TEXTS["pool"] is FAQ))
        for share in shares]
    for process in processes:
        process.start()
    results = [queue.get() for _ in processes]
    for process in processes:
        process.join()
    seconds = max(r["seconds"] for r in results)
    updates = sum(r["updates"] for r in results)
    return {"workers": workers, "updates": updates, "seconds": seconds,
            "updates_per_second": round(updates / seconds, 1),
            "p50_ms_per_worker": [r["p50_ms"] for r in results],
            "p99_ms_per_worker": [r["p99_ms"] for r in results]}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--citizens", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--postgres", help="a scratch PostgreSQL database URL (it is used)")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--rate", type=float, default=200.0,
                        help="offered updates per second in the paced runs")
    parser.add_argument("--asyncio", action="store_true",
                        help="the standard event loop instead of uvloop")
    parser.add_argument("--only", help="run only the figures whose name contains this "
                        "(e.g. paced, postgresql)")
    parser.add_argument("--repeated-texts", action="store_true",
                        help="eight free texts over and over (the encoder memory answers)")
    parser.add_argument("--quick-focus", help="how texts the quick heads understood rank "
                        "their answer's passages (benchmarks/answers.py --quick-focus)")
    args = parser.parse_args()
    free_texts(args.repeated_texts)
    TEXTS["quick_focus"] = args.quick_focus
    report: dict[str, Any] = {"event_loop": pick_loop(args.asyncio),
                              "python_loop_10M_seconds": calibration(),
                              "free_texts": "repeated" if args.repeated_texts else "unique",
                              "quick_focus": args.quick_focus or "the setting's"}
    runs: list[tuple[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        citizens = list(range(100_000, 100_000 + args.citizens))
        runs.append(("sqlite_one_worker", lambda: arun(run(
            f"sqlite+aiosqlite:///{tmp}/load.db", citizens, args.concurrency, True))))
        runs.append(("sqlite_one_worker_paced", lambda: arun(run(
            f"sqlite+aiosqlite:///{tmp}/load.db", [c + 10_000 for c in citizens],
            len(citizens), True, rate=args.rate))))
        if args.postgres:
            runs.append(("postgresql_one_worker", lambda: arun(run(
                args.postgres, list(range(200_000, 200_000 + args.citizens)),
                args.concurrency, True))))
            runs.append(("postgresql_one_worker_paced", lambda: arun(run(
                args.postgres, list(range(400_000, 400_000 + args.citizens)),
                args.citizens, True, rate=args.rate))))
            if args.workers > 1:
                runs.append((f"postgresql_{args.workers}_workers", lambda: run_workers(
                    args.postgres, list(range(300_000, 300_000 + args.citizens)),
                    args.concurrency, args.workers)))
        for name, measure in runs:
            if args.only and args.only not in name:
                continue
            # The loop calibration beside each figure: the machine's speed at that moment.
            before = calibration()
            report[name] = {**measure(), "python_loop_10M_seconds_before": before,
                            "python_loop_10M_seconds_after": calibration(),
                            "load_average_1min": round(os.getloadavg()[0], 2)}
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
