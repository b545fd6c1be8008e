"""An answer read aloud ("🔊 Listen"): what is spoken, and the port a channel reads it with.

The domain decides what is said: the answer's title and text (or the part of it shown), in
the answer's own language, without its links, addresses of web pages and e-mail, markup,
symbols or the list of sources and the review line (those stay in the written answer). A
channel turns a :class:`~domain.messages.Speech` into sound with a :class:`Speaker`
(``bot/tts.py``: espeak-ng, encoded to OGG/Opus), outside the turn's transaction.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Protocol

MAX_SPOKEN = 6000  # characters: about six minutes of speech, more than any answer
FIRST_PART = 250  # a short first voice message: heard soon (see :func:`spoken_parts`)
PART = 700  # then about a minute each

_MD_LINK = re.compile(r"\[([^\]\n]{1,200})\]\([^)\s]{1,500}\)")  # [text](url): the text
_TAG = re.compile(r"</?[A-Za-z][^<>\n]{0,200}>")  # <b>, <a href=...>, </i>
_LINK = re.compile(
    r"(?:https?://|www\.)[^\s<>()\[\]]*[^\s<>()\[\].,;:!?]"  # a web address
    r"|[\w.+-]+@[\w-]+(?:\.[\w-]+)+"  # an e-mail address
    r"|\b[\w-]+(?:\.[\w-]+)*\.(?:it|eu|org|com|net|gov|int|info)\b(?:/\S*)?",  # 1522.eu
    re.IGNORECASE)
_MARKUP = re.compile(r"(?<!\w)[*_`~]+|[*_`~]+(?!\w)|^\s*(?:#{1,6}|>)\s*", re.MULTILINE)
_ITEM = re.compile(r"^\s*[•\-–*]\s+", re.MULTILINE)  # a bullet: the item is read
_END = re.compile(r"[.?!:;。？！：؟۔।]$")
_SPACE = re.compile(r"[ \t]+")
_BEFORE_STOP = re.compile(r" +(?=[,.;:!?،؛。，])")
_EMPTY_BRACKETS = re.compile(r"\(\s*[,;:]?\s*\)")
_WIDE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")  # a syllable a character


def _audible(char: str) -> bool:
    """Letters, digits, punctuation and spaces are read; symbols (emoji, arrows, bullets),
    format marks (bidirectional isolates) and other controls are not."""
    if "\ufe00" <= char <= "\ufe0f":  # an emoji's presentation
        return False
    category = unicodedata.category(char)
    return char == "\n" or not (category.startswith("S") or category.startswith("C"))


def spoken_text(title: str, body: str) -> str:
    """What is read aloud for an answer titled ``title``: plain sentences, one a line (a
    list item, a step, a heading ends with a pause), no links, markup or symbols."""
    text = _MD_LINK.sub(r"\1", f"{title}\n{body}")
    text = _TAG.sub("", text)
    text = _LINK.sub("", text)
    text = _ITEM.sub("", text)
    text = _MARKUP.sub("", text)
    text = "".join(c if _audible(c) else " " for c in text)
    text = _EMPTY_BRACKETS.sub("", text)
    lines = []
    for raw in text.splitlines():
        line = _BEFORE_STOP.sub("", _SPACE.sub(" ", raw)).strip(" ,;")
        if not any(c.isalnum() for c in line):
            continue
        lines.append(line if _END.search(line) else line + ".")
    spoken = "\n".join(lines)
    if len(spoken) > MAX_SPOKEN:
        cut = spoken.rfind("\n", 0, MAX_SPOKEN)
        spoken = spoken[: cut if cut > 0 else MAX_SPOKEN]
    return spoken


def _weight(line: str) -> int:
    """About how long a line takes to say, in Latin letters (a Chinese character is a
    syllable: about three letters' time)."""
    return len(line) + 2 * len(_WIDE.findall(line))


def spoken_parts(text: str) -> list[str]:
    """The spoken text in parts, each its own voice message, cut between lines (Telegram
    plays a chat's voice messages one after the other): a short first part, so that the
    citizen hears the beginning soon (making the sound takes a time that grows with its
    length), then parts of about a minute."""
    parts: list[str] = []
    lines: list[str] = []
    size = 0
    for line in text.splitlines():
        weight = _weight(line)
        limit = PART if parts else FIRST_PART
        if lines and size + weight > limit and size >= limit // 3:
            parts.append("\n".join(lines))
            lines, size = [], 0
        lines.append(line)
        size += weight
    if lines:
        parts.append("\n".join(lines))
    return parts


@dataclass(frozen=True)
class Spoken:
    """A text made sound: OGG/Opus bytes, how long it lasts, and the key it is kept under
    (the same text in the same voice has the same key)."""

    key: str
    audio: bytes
    seconds: float
    path: str | None = None  # where it is kept on disk, if it is
    fresh: bool = True  # made now (not read from the cache)


class SpeechFailed(Exception):
    """The text could not be made sound (no voice, the library failed): the citizen gets
    the kind written answer instead."""


class Speaker(Protocol):
    """Reads a text aloud in a language (the channels' port; the domain only needs
    :attr:`languages`, through the engine's settings, to show the button)."""

    @property
    def languages(self) -> frozenset[str]:
        """The languages it has a voice for."""
        ...

    def key(self, text: str, language: str) -> str:
        """What the sound of this text in this language is kept under."""
        ...

    async def speak(self, text: str, language: str) -> Spoken:
        """The text as OGG/Opus, made once (off the event loop) and then kept; raises
        :class:`SpeechFailed`."""
        ...

    def file_id(self, key: str) -> str | None:
        """Telegram's id of this sound uploaded before (sent again without uploading)."""
        ...

    def remember(self, key: str, file_id: str | None) -> None:
        """Keep (or, with None, forget) Telegram's id of this sound."""
        ...
