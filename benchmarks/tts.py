"""Answers read aloud ("🔊 Listen"): time to first audio, cold (made now) and cached, and the
size of the voice messages, per language, for a typical answer (JSON).

Time to first audio is what the channel waits before it can upload the first voice message:
espeak-ng synthesis, Opus encoding and writing the file (cold), or reading it back (cached).
CPU seconds are the process's, for the whole answer, with the speech's length beside them: on
a busy machine the wall clock grows, the CPU time does not.

Run: python benchmarks/tts.py [--topic faq_tax_code] [--languages it,en,...]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.i18n import LOCALES_DIR  # noqa: E402
from bot.tts import EspeakSpeaker  # noqa: E402
from domain.content import load_content  # noqa: E402
from domain.languages import LANGUAGES  # noqa: E402
from domain.speech import spoken_parts, spoken_text  # noqa: E402


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        return int(status.read().split("VmRSS:")[1].split()[0]) / 1024


def installed_mb(*packages: str) -> float:
    import importlib.util

    total = 0
    for name in packages:
        spec = importlib.util.find_spec(name)
        if spec is None or spec.origin is None:
            continue
        origin = Path(spec.origin)
        folder = origin.parent if origin.name == "__init__.py" else None
        files = folder.rglob("*") if folder else [origin]
        total += sum(f.stat().st_size for f in files if f.is_file())
    return round(total / 1e6, 1)


async def measure(speaker: EspeakSpeaker, cache: Path, text: str, language: str) -> dict:
    parts = spoken_parts(text)
    started, cpu = time.perf_counter(), time.process_time()
    first = await speaker.speak(parts[0], language)
    cold_first = time.perf_counter() - started
    rest = [await speaker.speak(part, language) for part in parts[1:]]
    cold_all, cpu_all = time.perf_counter() - started, time.process_time() - cpu
    again = EspeakSpeaker(cache, espeak=speaker.espeak)  # a restart: read from the disk
    started = time.perf_counter()
    kept = await again.speak(parts[0], language)
    cached_first = time.perf_counter() - started
    assert first.fresh and not kept.fresh
    sounds = [first, *rest]
    return {
        "characters": len(text), "parts": len(parts),
        "speech_s": round(sum(s.seconds for s in sounds), 1),
        "first_part_speech_s": round(first.seconds, 1),
        "first_audio_cold_s": round(cold_first, 2),
        "first_audio_cached_ms": round(cached_first * 1000, 1),
        "whole_answer_cold_s": round(cold_all, 2),
        "whole_answer_cpu_s": round(cpu_all, 2),
        "size_kb": round(sum(len(s.audio) for s in sounds) / 1024, 1),
        "first_part_kb": round(len(first.audio) / 1024, 1),
        "kbit_per_s": round(sum(len(s.audio) for s in sounds) * 8 / 1000
                            / sum(s.seconds for s in sounds), 1),
    }


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--topic", default="faq_tax_code")
    parser.add_argument("--languages", default=",".join(LANGUAGES))
    args = parser.parse_args()
    content = load_content(LOCALES_DIR / "faq")
    with tempfile.TemporaryDirectory() as tmp:
        before = rss_mb()
        started = time.perf_counter()
        speaker = EspeakSpeaker(Path(tmp))
        load_s = time.perf_counter() - started
        loaded = rss_mb() - before
        results = {}
        for language in args.languages.split(","):
            answer = content.get(language, args.topic)
            assert answer is not None
            text = spoken_text(answer.title, answer.text)
            results[language] = await measure(speaker, Path(tmp), text, answer.language)
        speaker.close()
    cold = [r["first_audio_cold_s"] for r in results.values()]
    print(json.dumps({
        "topic": args.topic,
        "load_average_1min": round(os.getloadavg()[0], 1), "cores": os.cpu_count(),
        "espeak_load_s": round(load_s, 3),
        "espeak_load_rss_mb": round(loaded, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "voices": sorted(speaker.languages),
        "first_audio_cold_s_median": round(statistics.median(cold), 2),
        "first_audio_cold_s_max": round(max(cold), 2),
        "first_audio_cached_ms_max": max(r["first_audio_cached_ms"] for r in results.values()),
        "cpu_s_per_speech_minute": round(
            60 * sum(r["whole_answer_cpu_s"] for r in results.values())
            / sum(r["speech_s"] for r in results.values()), 2),
        "installed_mb": {"espeakng_loader": installed_mb("espeakng_loader"),
                         "soundfile_with_libsndfile": installed_mb("soundfile",
                                                                   "_soundfile_data"),
                         "cffi_pycparser": installed_mb("cffi", "_cffi_backend",
                                                        "pycparser")},
        "languages": results,
    }, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    asyncio.run(main())
