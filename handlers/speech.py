"""A citizen's voice note heard by the speech model, when one is configured
(``TEAMS_SPEECH_MODEL``): downloaded through the Bot API (getFile, then the file's URL) into a
private temporary folder, transcribed (:class:`domain.hearing.Transcriber`: its own thread, a
bounded queue, a length limit), and the audio deleted at once, whatever happened. What was
heard goes into the inbound message; nothing heard (too long, the queue full, a download or
model failure) leaves it unheard, and a person listens to it instead."""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

from telegram import Message
from telegram.error import TelegramError

from domain.hearing import Transcriber, Transcript
from domain.messages import Inbound

log = logging.getLogger(__name__)


class Listener:
    """The channel's side of hearing voice notes; ``folder``: where audio waits for the
    model, a few seconds at most (private to this process, removed on :meth:`close`)."""

    def __init__(self, transcriber: Transcriber, folder: Path | None = None) -> None:
        self.transcriber = transcriber
        self._own = None if folder is not None else tempfile.TemporaryDirectory(
            prefix="teams-voice-")
        self.folder = folder if folder is not None else Path(self._own.name)  # type: ignore[union-attr]

    def close(self) -> None:
        if self._own is not None:
            self._own.cleanup()

    async def hear(self, bot: Any, message: Message, inbound: Inbound) -> Inbound:
        """The inbound message with what the voice note says, if it could be heard."""
        voice = message.voice
        if voice is None:
            return inbound
        duration = voice.to_dict().get("duration") or 0  # seconds (as Telegram sends it)
        seconds = (duration.total_seconds() if isinstance(duration, timedelta)
                   else float(duration))
        if seconds > self.transcriber.max_seconds:
            log.info("a voice note of %.0f s is longer than the limit: a person listens",
                     seconds)
            return inbound
        try:
            heard = await self._transcribe(bot, voice.file_id, message.message_id)
        except Exception as exc:  # whatever failed, a person listens: nothing is lost
            log.error("a voice note could not be heard (%s): a person listens",
                      type(exc).__name__)
            return inbound
        if heard is None or not heard.text.strip():
            return inbound
        return replace(inbound, heard=heard.text.strip(), heard_language=heard.language)

    async def _transcribe(self, bot: Any, file_id: str, message_id: int
                          ) -> Transcript | None:
        descriptor, name = tempfile.mkstemp(prefix=f"{message_id}-", suffix=".oga",
                                            dir=self.folder)
        os.close(descriptor)
        path = Path(name)
        try:
            file = await bot.get_file(file_id)
            await file.download_to_drive(path)
            return await self.transcriber.transcribe(path)
        except TelegramError as exc:
            log.warning("a voice note could not be downloaded (%s): a person listens",
                        type(exc).__name__)
        except Exception as exc:  # the model failed: a person listens, nothing is lost
            log.error("a voice note could not be transcribed (%s): a person listens",
                      type(exc).__name__)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.remove(path)  # the audio is never kept
        return None
