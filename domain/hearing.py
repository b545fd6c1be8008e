"""The speech port: what a voice note says, heard by a speech model (optional: without one,
a voice note goes to a person). The channel downloads the audio and asks; the domain reads
only the words (:attr:`domain.messages.Inbound.heard`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol


@dataclass(frozen=True)
class Transcript:
    """What was heard: the words, the language the model heard, the audio's length."""

    text: str
    language: str | None = None
    seconds: float = 0.0


class Transcriber(Protocol):
    """Speech to text, off the event loop, a few notes at a time."""

    #: Longer voice notes are not transcribed (they go to a person).
    max_seconds: float

    async def transcribe(self, audio: Path) -> Transcript | None:
        """The words of an audio file; None when nothing could be heard, the note is too
        long, or too many notes are already waiting (then a person listens)."""
        ...
