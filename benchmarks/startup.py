"""Start-up time and memory of `teams-bot shell` answering one message (JSON).

Run: python benchmarks/startup.py [--runs 5]
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


def once(workdir: Path, line: str) -> tuple[float, float]:
    env = {**os.environ, "TEAMS_DATABASE_URL": f"sqlite+aiosqlite:///{workdir / 'b.db'}"}
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "bot.cli", "shell", "--json"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, cwd=ROOT)
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write((line + "\n").encode())
    proc.stdin.flush()
    proc.stdout.readline()  # the first reply
    first_reply = time.perf_counter() - start
    proc.stdin.close()
    proc.wait()
    rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return first_reply, rss


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        once(Path(tmp), "/start")  # migrations and caches warm
        results = [once(Path(tmp), "dove si fa il codice fiscale?") for _ in range(args.runs)]
    seconds = [r[0] for r in results]
    print(json.dumps({
        "runs": args.runs,
        "start_to_first_reply_s_median": round(statistics.median(seconds), 2),
        "start_to_first_reply_s_max": round(max(seconds), 2),
        "peak_rss_mb": round(max(r[1] for r in results), 1),
    }, indent=2))


if __name__ == "__main__":
    main()
