"""Memory of the assistant as `teams-bot shell` builds it (JSON): resident set at start, at the
first reply, once the background warm-up of the answers' passages has ended, and after many
citizens' free texts (the NLU dev set, each a new phrasing, every language).

``rss`` is what the bound (250 MB) is about; ``rss_file`` is the part that is pages of files
mapped read-only (the encoder's model file), shared by every process that maps it and given
back by the kernel under pressure; ``rss_anon`` is the process's own memory.

Run: python benchmarks/memory.py [--texts 600]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def status() -> dict[str, float]:
    """VmRSS, RssAnon and RssFile of this process, in MB (Linux)."""
    fields = {"VmRSS": "rss", "RssAnon": "rss_anon", "RssFile": "rss_file", "VmHWM": "peak"}
    out = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in fields:
            out[fields[name]] = round(int(value.split()[0]) / 1024, 1)
    return out


async def measure(texts: int) -> dict[str, Any]:
    from bot.services import build_services, settle_heap
    from bot.settings import load_settings
    from domain.messages import Inbound
    from nlu.training import DEV_DIR, read_all
    result: dict[str, Any] = {"imported": status()}
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings().model_copy(update={
            "database_url": f"sqlite+aiosqlite:///{tmp}/memory.db",
            "tts": "off"})  # the example service file unless the settings name one
        start = time.perf_counter()
        services = await build_services(settings, background=True)
        engine = services.engine
        await engine.handle(Inbound(9000, text="dove si fa il codice fiscale?",
                                    language_hint="it"))
        result["first_reply"] = {"seconds": round(time.perf_counter() - start, 2), **status()}
        warmup = services.warmup
        if warmup is not None:
            await asyncio.to_thread(warmup.wait)
            result["passages_warmed"] = {"encoded": warmup.encoded,
                                         "seconds": round(time.perf_counter() - start, 1),
                                         **status()}
        settle_heap()
        examples = [(e.text, e.language) for e in read_all([DEV_DIR])]
        random.Random(5).shuffle(examples)
        for n, (text, language) in enumerate(examples[:texts]):
            await engine.handle(Inbound(10_000 + n, payload=f"lang:{language}"))
            await engine.handle(Inbound(10_000 + n, text=text, language_hint=language))
        result[f"after_{texts}_free_texts"] = status()
        await services.close()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--texts", type=int, default=600)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(measure(args.texts)), indent=2))


if __name__ == "__main__":
    main()
