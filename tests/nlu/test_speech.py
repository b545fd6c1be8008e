"""The speech port's limits, with a stand-in for the Whisper model: one note at a time in its
own thread, a bounded queue (a note over it is not heard: a person listens), a length limit
read from the decoded audio before any transcribing."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from nlu.speech import WhisperTranscriber


class Model:
    def __init__(self, seconds: float = 3.0) -> None:
        self.seconds = seconds
        self.release = threading.Event()
        self.threads: list[str] = []
        self.transcribed = 0

    def transcribe(self, audio: str, **options: Any) -> tuple[Any, Any]:
        self.threads.append(threading.current_thread().name)
        self.release.wait(5)

        def segments() -> Any:
            self.transcribed += 1
            yield SimpleNamespace(text=" come si fa ")
            yield SimpleNamespace(text="il codice fiscale ")

        return segments(), SimpleNamespace(language="it", duration=self.seconds)


async def test_words_language_and_length_in_the_speech_thread():
    model = Model()
    model.release.set()
    heard = await WhisperTranscriber(model).transcribe(Path("x.oga"))
    assert heard is not None
    assert (heard.text, heard.language, heard.seconds) == (
        "come si fa il codice fiscale", "it", 3.0)
    assert model.threads[0].startswith("speech")


async def test_a_full_queue_leaves_the_note_to_a_person():
    model = Model()
    transcriber = WhisperTranscriber(model, queue=2)
    waiting = [asyncio.ensure_future(transcriber.transcribe(Path(f"{i}.oga"))) for i in range(2)]
    await asyncio.sleep(0.05)
    assert await transcriber.transcribe(Path("third.oga")) is None
    model.release.set()
    assert all(r is not None for r in await asyncio.gather(*waiting))
    assert await transcriber.transcribe(Path("later.oga")) is not None  # room again


async def test_a_note_longer_than_the_limit_is_not_transcribed():
    model = Model(seconds=300)
    model.release.set()
    assert await WhisperTranscriber(model, max_seconds=120).transcribe(Path("x.oga")) is None
    assert model.transcribed == 0
