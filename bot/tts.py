"""Answers read aloud: espeak-ng's voice, encoded as Telegram wants a voice message (OGG/Opus),
made once in a worker thread and kept on disk.

A sound is kept under the SHA-256 of what makes it (this module's format, the voice, the text):
the same answer in the same language is made once, and a corrected answer is a new text, so a
new sound (the old one is pruned when the folder holds too many). Telegram's id of an uploaded
sound is kept beside it, so it is sent again without uploading.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import logging
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import soundfile as sf

from bot.espeak import Espeak, EspeakError, shared
from domain.speech import SpeechFailed, Spoken

log = logging.getLogger(__name__)

#: The project's languages -> espeak-ng's voices. Tagalog (tl) has none in espeak-ng 1.52:
#: no voice, no "Listen" button. Each voice is checked against the library at start-up.
VOICES: dict[str, str] = {
    "it": "it", "en": "en", "fr": "fr", "es": "es", "ar": "ar", "sq": "sq", "ro": "ro",
    "zh": "cmn", "uk": "uk", "ur": "ur", "bn": "bn", "pa": "pa",
    "ru": "ru", "hi": "hi", "fa": "fa", "tl": "tl",
}
WORDS_PER_MINUTE = 150  # espeak-ng says 175: a little slower for people new to the language
OPUS_RATE = 24000  # Opus takes 8, 12, 16, 24 or 48 kHz; espeak-ng speaks at 22.05 kHz
COMPRESSION = 0.96  # libsndfile's Opus: 6 kbps + (1 - level) * 250 kbps, so about 16 kbps
FORMAT = f"espeak-ng/{WORDS_PER_MINUTE}wpm/opus{OPUS_RATE}/{COMPRESSION}"  # in every key
MAX_FILES = 5000  # sounds kept; the oldest go first (answers x languages x parts shown)
MIN_SECONDS = 0.1


def encode_opus(samples: np.ndarray, rate: int) -> tuple[bytes, float]:
    """16-bit mono samples as an OGG/Opus file at :data:`OPUS_RATE`, and its length in
    seconds: resampled linearly (going up in rate, nothing folds back) and encoded a second
    at a time, so that a long answer costs no more memory than a short one."""
    if len(samples) < rate * MIN_SECONDS:
        raise SpeechFailed("nothing to say")
    count = round(len(samples) * OPUS_RATE / rate)
    step, last = rate / OPUS_RATE, len(samples) - 1
    out = io.BytesIO()
    with sf.SoundFile(out, "w", OPUS_RATE, 1, format="OGG", subtype="OPUS",
                      compression_level=COMPRESSION) as sound:
        for start in range(0, count, OPUS_RATE):
            where = np.arange(start, min(start + OPUS_RATE, count)) * step
            left = np.minimum(where.astype(np.int64), last)
            part = (where - left).astype(np.float32)
            before = samples[left].astype(np.float32)
            after = samples[np.minimum(left + 1, last)].astype(np.float32)
            sound.write((before + (after - before) * part) / 32768.0)
    return out.getvalue(), count / OPUS_RATE


class EspeakSpeaker:
    """The :class:`domain.speech.Speaker` of the Telegram channel and the terminal."""

    def __init__(self, cache_dir: Path, espeak: Espeak | None = None,
                 max_files: int = MAX_FILES) -> None:
        self.espeak = espeak or shared()
        self.voices = {language: voice for language, voice in VOICES.items()
                       if self.espeak.has_voice(voice)}
        self.cache_dir = cache_dir
        self.max_files = max_files
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="tts")
        self._file_ids: dict[str, str] = {}
        self._written = 0

    @property
    def languages(self) -> frozenset[str]:
        return frozenset(self.voices)

    def key(self, text: str, language: str) -> str:
        voice = self.voices.get(language, "")
        return hashlib.sha256(f"{FORMAT}\0{voice}\0{text}".encode()).hexdigest()

    async def speak(self, text: str, language: str) -> Spoken:
        voice = self.voices.get(language)
        if voice is None or not text.strip():
            raise SpeechFailed(f"no voice for {language!r}" if voice is None else "no text")
        key = self.key(text, language)
        path = self.cache_dir / f"{key}.ogg"
        try:
            kept = await asyncio.to_thread(self._read, path)  # not behind a sound being made
            if kept is not None:
                return Spoken(key, kept[0], kept[1], str(path), fresh=False)
            # One worker thread makes sounds: a second citizen asking for the same one while
            # it is made finds it kept when their turn comes.
            return await asyncio.get_running_loop().run_in_executor(
                self._executor, self._obtain, text, voice, key)
        except (EspeakError, OSError, RuntimeError, ValueError) as exc:
            raise SpeechFailed(f"{type(exc).__name__}: {exc}") from exc

    def _obtain(self, text: str, voice: str, key: str) -> Spoken:
        path = self.cache_dir / f"{key}.ogg"
        kept = self._read(path)
        if kept is not None:
            return Spoken(key, kept[0], kept[1], str(path), fresh=False)
        audio, seconds, saved = self._render(text, voice, path)
        return Spoken(key, audio, seconds, str(path) if saved else None, fresh=True)

    def _read(self, path: Path) -> tuple[bytes, float] | None:
        """A kept sound and its length; None when there is none (or it is damaged)."""
        try:
            audio = path.read_bytes()
            return audio, float(sf.info(io.BytesIO(audio)).duration)
        except FileNotFoundError:
            return None
        except (OSError, RuntimeError) as exc:  # a damaged file is made again
            log.warning("a kept sound could not be read (%s): made again", type(exc).__name__)
            return None

    def _render(self, text: str, voice: str, path: Path) -> tuple[bytes, float, bool]:
        """In the worker thread: speak, encode, keep (a folder that cannot be written only
        costs the next citizen the same work)."""
        audio, seconds = encode_opus(self.espeak.synthesize(text, voice, WORDS_PER_MINUTE),
                                     self.espeak.sample_rate)
        try:
            self.cache_dir.mkdir(parents=True, exist_ok=True)
            temporary = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
            temporary.write_bytes(audio)
            os.replace(temporary, path)  # whole or not at all, also for another process
        except OSError as exc:
            log.warning("a sound could not be kept (%s)", type(exc).__name__)
            return audio, seconds, False
        self._written += 1
        if self._written % 100 == 1:
            self._prune()
        return audio, seconds, True

    def _prune(self) -> None:
        """The oldest sounds beyond :attr:`max_files` go (another process may prune too)."""
        try:
            sounds = sorted((p.stat().st_mtime, p) for p in self.cache_dir.glob("*.ogg"))
            for _, old in sounds[: max(0, len(sounds) - self.max_files)]:
                old.unlink(missing_ok=True)
                old.with_suffix(".id").unlink(missing_ok=True)
        except OSError as exc:
            log.warning("old sounds could not be pruned (%s)", type(exc).__name__)

    def file_id(self, key: str) -> str | None:
        if key not in self._file_ids:
            try:
                self._file_ids[key] = (self.cache_dir / f"{key}.id").read_text().strip()
            except OSError:
                return None
        return self._file_ids[key] or None

    def remember(self, key: str, file_id: str | None) -> None:
        self._file_ids[key] = file_id or ""
        try:
            (self.cache_dir / f"{key}.id").write_text(file_id or "")
        except OSError:
            pass  # only a courtesy: the next time it is uploaded again

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)


def load_speaker(cache_dir: Path, enabled: bool = True) -> EspeakSpeaker | None:
    """The speaker, or None (no "Listen" button anywhere) when it is turned off or espeak-ng
    cannot be loaded: said once in the log."""
    if not enabled:
        return None
    try:
        speaker = EspeakSpeaker(cache_dir)
    except EspeakError as exc:
        log.warning("answers will not be read aloud: %s", exc)
        return None
    log.info("answers can be read aloud in %s", ", ".join(sorted(speaker.languages)))
    return speaker
