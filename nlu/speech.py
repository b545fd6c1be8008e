"""The speech port over faster-whisper (CTranslate2), an optional extra (``speech``): a Whisper
model from a local folder (``TEAMS_SPEECH_MODEL``; nothing is downloaded at run time), run in
one thread of its own at lower CPU priority, a few notes waiting at most, a length limit."""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from prometheus_client import Counter, Histogram

from domain.hearing import Transcript

log = logging.getLogger(__name__)

SPEECH_LATENCY = Histogram("teams_speech_seconds", "Time to transcribe one voice note",
                           buckets=(0.5, 1, 2, 5, 10, 20, 60))
SPEECH_REFUSED = Counter("teams_speech_refused_total",
                         "Voice notes not transcribed (queue full, too long): a person "
                         "listens", ["why"])


class SpeechUnavailable(Exception):
    """The speech model cannot be loaded; the message says what to do."""


def _speech_thread(niceness: int) -> None:
    if niceness and hasattr(os, "setpriority"):
        try:
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), niceness)
        except OSError:
            pass


def load_whisper(folder: Path, threads: int = 1) -> Any:
    """The Whisper model in ``folder`` (CTranslate2 format: model.bin, config.json, the
    tokenizer), int8 on the CPU, never downloaded."""
    try:
        from faster_whisper import WhisperModel
    except ImportError:
        raise SpeechUnavailable(
            "TEAMS_SPEECH_MODEL is set but faster-whisper is not installed: install the "
            "speech extra (pip install 'teams-bot[speech]') or unset TEAMS_SPEECH_MODEL."
        ) from None
    return WhisperModel(str(folder), device="cpu", compute_type="int8", cpu_threads=threads,
                        num_workers=1, local_files_only=True)


class WhisperTranscriber:
    """:class:`domain.hearing.Transcriber` over a faster-whisper model: one note at a time in
    its own thread, at most ``queue`` waiting (more: None, a person listens), notes longer
    than ``max_seconds`` not transcribed."""

    def __init__(self, model: Any, max_seconds: float = 120.0, queue: int = 4,
                 niceness: int = 10, beam_size: int = 5) -> None:
        self.model = model
        self.max_seconds = max_seconds
        self.queue = queue
        self.beam_size = beam_size
        self._waiting = 0
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="speech",
                                        initializer=_speech_thread, initargs=(niceness,))

    @classmethod
    def from_folder(cls, folder: Path, max_seconds: float = 120.0, threads: int = 1
                    ) -> WhisperTranscriber:
        return cls(load_whisper(folder, threads), max_seconds)

    async def transcribe(self, audio: Path) -> Transcript | None:
        if self._waiting >= self.queue:
            SPEECH_REFUSED.labels("queue").inc()
            log.warning("%d voice notes are waiting for the speech model: a person listens "
                        "to this one", self._waiting)
            return None
        self._waiting += 1
        try:
            with SPEECH_LATENCY.time():
                return await asyncio.get_running_loop().run_in_executor(
                    self._pool, self.transcribe_now, audio)
        finally:
            self._waiting -= 1

    def transcribe_now(self, audio: Path) -> Transcript | None:
        """In the calling thread (the benchmark's; the port's own thread otherwise)."""
        segments, info = self.model.transcribe(str(audio), beam_size=self.beam_size,
                                               condition_on_previous_text=False)
        if info.duration > self.max_seconds:  # decoded, not yet transcribed
            SPEECH_REFUSED.labels("long").inc()
            return None
        text = " ".join(segment.text.strip() for segment in segments).strip()
        return Transcript(text, info.language, float(info.duration))

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
