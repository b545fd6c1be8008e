"""What goes into the engine and what comes out of it: plain data, no framework types."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from domain.events import Event, from_record


class ContentType(StrEnum):
    TEXT = "text"
    BUTTON = "button"
    STICKER = "sticker"
    VOICE = "voice"
    AUDIO = "audio"
    PHOTO = "photo"
    VIDEO = "video"
    DOCUMENT = "document"
    LOCATION = "location"
    CONTACT = "contact"
    OTHER = "other"


def split_command(text: str | None) -> tuple[str, str]:
    """A command's name (lower case, without ``@botname``) and its argument; ``("", text)``
    when the text is not a command."""
    text = (text or "").strip()
    if not text.startswith("/"):
        return "", text
    command, _, argument = text.partition(" ")
    return command.split("@", 1)[0].lower(), argument.strip()


@dataclass(frozen=True)
class Inbound:
    """One thing a citizen did: typed a text or command, pressed a button, or sent media."""

    user_id: int
    text: str | None = None
    payload: str | None = None
    language_hint: str | None = None
    content_type: ContentType = ContentType.TEXT
    caption: str | None = None  # of a photo or document, kept in the transcript
    update_id: int | None = None  # the channel's id: a redelivered update is handled once
    edited: bool = False  # the new text of a message sent before: read for danger only
    reply_to: int | None = None  # the chat message this one replies to (its copy is answered)
    message_id: int | None = None  # the chat message itself (a voice note copied later)
    heard: str | None = None  # what a speech model heard in a voice note (None: not heard)
    heard_language: str | None = None  # the language the speech model heard

    @property
    def is_command(self) -> bool:
        return bool(self.text) and self.text.startswith("/")  # type: ignore[union-attr]


@dataclass(frozen=True)
class Button:
    label: str
    payload: str


@dataclass(frozen=True)
class OutFile:
    filename: str
    content: bytes
    mime_type: str


@dataclass(frozen=True)
class Speech:
    """An answer to be read aloud (a voice message): what is spoken, in which language, and
    the caption shown with it. The reply's own text is what the citizen reads instead when
    it cannot be made sound (see :mod:`domain.speech`)."""

    text: str
    language: str
    caption: str = ""


@dataclass(frozen=True)
class Reply:
    """One message the assistant sends back; ``event``: what the channel does after it."""

    text: str
    buttons: list[list[Button]] = field(default_factory=list)
    file: OutFile | None = None
    event: Event | None = None
    edit: bool = False  # replace the message whose button was pressed (a toggled keyboard)
    meta: dict[str, Any] = field(default_factory=dict)  # e.g. how the transcript records it
    voice: Speech | None = None  # sent as a voice message; ``text`` if it cannot be

    def to_record(self) -> dict[str, Any]:
        """Everything needed to send this reply again (kept until it is confirmed sent)."""
        import base64

        record: dict[str, Any] = {
            "text": self.text, "edit": self.edit,
            "event": self.event.name if self.event else None,
            "meta": self.event.meta() if self.event else self.meta,
            "buttons": [[[b.label, b.payload] for b in row] for row in self.buttons],
            "file": None if self.file is None else [
                self.file.filename, self.file.mime_type,
                base64.b64encode(self.file.content).decode()],
        }
        if self.voice is not None:
            record["voice"] = [self.voice.text, self.voice.language, self.voice.caption]
        return record

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Reply:
        import base64

        file, voice = record.get("file"), record.get("voice")
        event = from_record(record.get("event"), record.get("meta"))
        return cls(
            text=record["text"], edit=bool(record.get("edit")), event=event,
            meta={} if event else dict(record.get("meta") or {}),
            buttons=[[Button(label, payload) for label, payload in row]
                     for row in record.get("buttons") or []],
            file=None if not file else OutFile(file[0], base64.b64decode(file[2]), file[1]),
            voice=Speech(*voice) if voice else None,
        )

    def as_dict(self) -> dict[str, object]:
        """The JSON shape of the terminal channel: text, buttons, file (and ``voice``, the
        language and the text spoken, for a reply read aloud)."""
        shape: dict[str, object] = {
            "text": self.text,
            "buttons": [
                [{"label": b.label, "payload": b.payload} for b in row] for row in self.buttons
            ],
            "file": None if self.file is None else {
                "filename": self.file.filename, "mime_type": self.file.mime_type,
            },
        }
        if self.voice is not None:
            shape["voice"] = {"language": self.voice.language, "text": self.voice.text}
        return shape
