"""The terminal channel: the same engine and database as Telegram, typed in a terminal.

Buttons are shown as numbered options and typing the number presses the button. With
``--json`` every reply is one JSON line and plain lines are read from standard input, so a script
can drive a whole conversation; a line ``{"payload": "..."}`` presses a button by its payload.
An answer read aloud ("🔊 Listen") is written as an OGG/Opus file: its path is shown (in JSON,
``voice.path``); when it cannot be made, the reply's text is shown instead.
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import TYPE_CHECKING, TextIO

from domain.engine import Engine
from domain.messages import Button, ContentType, Inbound, Reply
from domain.speech import Speaker, SpeechFailed

if TYPE_CHECKING:
    from bot.services import Services


class Shell:
    def __init__(self, engine: Engine, user_id: int, language: str | None, as_json: bool,
                 out: TextIO = sys.stdout, speaker: Speaker | None = None) -> None:
        self.engine = engine
        self.speaker = speaker
        self.user_id = user_id
        self.language = language
        self.as_json = as_json
        self.out = out
        self.buttons: list[Button] = []

    @classmethod
    def of(cls, services: Services, user_id: int, language: str | None,
           as_json: bool) -> Shell:
        """A shell on the wired services: the engine, and the speaker of answers read aloud."""
        return cls(services.engine, user_id, language, as_json, speaker=services.speaker)

    def inbound_for(self, line: str) -> Inbound:
        text = line.strip()
        if self.as_json and text.startswith("{"):
            try:
                payload = json.loads(text).get("payload")
            except (ValueError, AttributeError):
                payload = None
            if isinstance(payload, str):  # {"payload": "..."} presses that button
                return Inbound(self.user_id, payload=payload, language_hint=self.language,
                               content_type=ContentType.BUTTON)
        if text.isdigit() and self.buttons and 1 <= int(text) <= len(self.buttons):
            button = self.buttons[int(text) - 1]
            return Inbound(self.user_id, payload=button.payload, language_hint=self.language,
                           content_type=ContentType.BUTTON)
        return Inbound(self.user_id, text=text, language_hint=self.language)

    async def voices(self, replies: list[Reply]) -> dict[int, str | None]:
        """The sound file of each reply read aloud that could be made (by its index)."""
        made: dict[int, str | None] = {}
        for index, reply in enumerate(replies):
            voice = reply.voice
            if voice is None or self.speaker is None:
                continue
            try:
                made[index] = (await self.speaker.speak(voice.text, voice.language)).path
            except SpeechFailed:
                continue
        return made

    def show(self, replies: list[Reply], voices: dict[int, str | None] | None = None) -> None:
        """Each reply: its text (a reply read aloud: its caption and the sound's path, or its
        text when the sound could not be made), its file, its buttons numbered."""
        voices = voices or {}
        self.buttons = [b for reply in replies for row in reply.buttons for b in row]
        number = 0
        for index, reply in enumerate(replies):
            shape, text = reply.as_dict(), reply.text
            shape.pop("voice", None)
            if reply.voice is not None and index in voices:
                text = f"{reply.voice.caption}\n[voice: {voices[index]}]"
                shape.update(text=reply.voice.caption, voice={
                    "language": reply.voice.language, "text": reply.voice.text,
                    "path": voices[index]})
            elif not reply.text and reply.file is None:
                continue  # a part read aloud that could not be made: the first said so
            if self.as_json:
                self.out.write(json.dumps(shape, ensure_ascii=False) + "\n")
                continue
            self.out.write(f"\n{text}\n")
            if reply.file:
                self.out.write(f"[file: {reply.file.filename}]\n")
            for row in reply.buttons:
                cells = []
                for button in row:
                    number += 1
                    cells.append(f"[{number}] {button.label}")
                self.out.write("  " + "   ".join(cells) + "\n")
        self.out.flush()

    async def run(self, lines: TextIO = sys.stdin) -> int:
        loop = asyncio.get_running_loop()
        interactive = lines.isatty() and not self.as_json
        if interactive:
            self.out.write("TEAMS assistant — terminal. Type /start, a question, or a number to "
                           "press a button. Ctrl-D to quit.\n")
            self.show(await self.engine.handle(Inbound(self.user_id, text="/start",
                                                       language_hint=self.language)))
        while True:
            if interactive:
                self.out.write("\n> ")
                self.out.flush()
            line = await loop.run_in_executor(None, lines.readline)
            if not line:
                break
            if not line.strip():
                continue
            replies = await self.engine.handle(self.inbound_for(line))
            self.show(replies, await self.voices(replies))
            await self.deliver_scheduled()
        return 0

    async def deliver_scheduled(self) -> None:
        """Reminders and offers addressed to this terminal's citizen appear after a reply."""
        await self.engine.run_due_work(f"shell:{self.user_id}")
        messages = await self.engine.take_outbox(f"shell:{self.user_id}", self.user_id)
        for message in messages:
            buttons = [[Button(b["label"], b["payload"]) for b in row] for row in message.buttons]
            self.show([Reply(message.text, buttons)])
            assert message.id is not None
            await self.engine.delivered(message.id)
