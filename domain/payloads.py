"""Button payloads: short, validated strings that fit Telegram's 64-byte callback data."""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_BYTES = 64
_PAYLOAD = re.compile(r"^(?P<verb>[a-z_]{1,16})(?::(?P<arg>[A-Za-z0-9_.\-]{1,44}))?$")

#: Verbs the engine understands; anything else is stale or forged.
VERBS: frozenset[str] = frozenset({
    "lang", "langmenu", "menu", "help", "group", "faq", "human", "keep", "yes", "no",
    "book", "consent", "need", "needs_done", "urg", "ref", "mlang", "skip", "days", "roles",
    "role", "day", "slot", "appts", "cancel", "cancelok", "move", "wait", "offer", "offerno",
    "endhuman", "mydata", "erase", "eraseok", "heard", "listen",
})


@dataclass(frozen=True)
class Payload:
    verb: str
    arg: str | None = None

    def encode(self) -> str:
        text = self.verb if self.arg is None else f"{self.verb}:{self.arg}"
        if len(text.encode()) > MAX_BYTES:
            raise ValueError("payload longer than Telegram's 64 bytes")
        return text


def make(verb: str, arg: str | None = None) -> str:
    return Payload(verb, arg).encode()


def parse(raw: str | None) -> Payload | None:
    """Return the payload, or None when it is malformed, too long or of an unknown verb."""
    if not raw or len(raw.encode()) > MAX_BYTES:
        return None
    match = _PAYLOAD.match(raw)
    if match is None or match.group("verb") not in VERBS:
        return None
    return Payload(match.group("verb"), match.group("arg"))
