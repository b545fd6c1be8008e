"""NLU benchmark: parse latency on one core, cold starts, memory, training time (JSON).

Run: python benchmarks/nlu.py [--texts nlu/dev] [--skip-training]
     python benchmarks/nlu.py --compare [--no-cold-start]  # CPU per unseen text: parse against a
                                          # raw encoder call, dev accuracy, RSS, first reply
     python benchmarks/nlu.py --tune      # the cascade's thresholds, chosen on the dev set
     python benchmarks/nlu.py --truncate none,128,64  # texts cut to N encoder tokens
CPU times are time.process_time() of this process pinned to one core (OpenMP at one thread),
so other programs on the machine change them little (wall-clock times would).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = """
import json, resource, sys, time
t0 = time.perf_counter()
from pathlib import Path
from nlu.embedded import EmbeddedNLU
nlu = EmbeddedNLU(Path(sys.argv[1]))
loaded = time.perf_counter() - t0
nlu.parse("warm up")
print(json.dumps({"seconds": loaded,
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def cold_start(cache_dir: Path) -> dict[str, float]:
    env = {**os.environ, "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "2")}
    out = subprocess.run([sys.executable, "-c", CHILD, str(cache_dir)], capture_output=True,
                         text=True, check=True, cwd=ROOT, env=env)
    return json.loads(out.stdout.strip().splitlines()[-1])


def latency(texts: list[str], cache_dir: Path) -> dict[str, float]:
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core
    from nlu.embedded import EmbeddedNLU

    nlu = EmbeddedNLU(cache_dir)
    for text in texts[:20]:
        nlu.parse(text)
    times = []
    for text in texts:
        start = time.perf_counter()
        nlu.parse(text)
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return {
        "n": len(times),
        "p50_ms": round(statistics.median(times), 2),
        "p99_ms": round(times[int(len(times) * 0.99) - 1], 2),
        "mean_ms": round(statistics.fmean(times), 2),
        "rss_mb_after": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--texts", type=Path, default=ROOT / "nlu" / "dev")
    parser.add_argument("--skip-training", action="store_true",
                        help="skip the cold start without cache (it trains from scratch)")
    parser.add_argument("--compare", action="store_true",
                        help="the assistant's parse against a raw encoder call (JSON)")
    parser.add_argument("--tune", action="store_true",
                        help="choose the cascade's thresholds on the dev set (JSON)")
    parser.add_argument("--truncate", metavar="N,N,...",
                        help="dev accuracy and CPU with texts cut to N encoder tokens (JSON)")
    parser.add_argument("--no-cold-start", action="store_true",
                        help="with --compare: skip the first-reply measurement")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    if args.truncate:
        from benchmarks.nlu_compare import truncation

        bounds = tuple(None if n in ("0", "none") else int(n) for n in args.truncate.split(","))
        print(json.dumps(truncation(args.texts, bounds), indent=2))
        return
    if args.compare or args.tune:
        from benchmarks.nlu_compare import compare, tune

        result = tune(args.texts) if args.tune else compare(args.texts, not args.no_cold_start)
        print(json.dumps(result, indent=2))
        return
    from bot.settings import load_settings
    from nlu.training import read_all

    cache = load_settings().nlu_cache_dir
    texts = [e.text for e in read_all([args.texts])]
    report: dict[str, object] = {"texts": len(texts), "cpu_count": os.cpu_count()}
    report["cold_start_cached"] = cold_start(cache)
    with tempfile.TemporaryDirectory() as empty:  # as after a fresh install: shipped model
        report["cold_start_empty_cache"] = cold_start(Path(empty))
    if not args.skip_training:
        with tempfile.TemporaryDirectory() as empty:  # training from scratch, no caches
            start = time.perf_counter()
            subprocess.run([sys.executable, "-m", "bot.cli", "nlu", "train"], check=True,
                           cwd=ROOT, capture_output=True,
                           env={**os.environ, "TEAMS_NLU_CACHE_DIR": empty})
            report["training_seconds"] = round(time.perf_counter() - start, 1)
    report["parse_one_core"] = latency(texts, cache)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
