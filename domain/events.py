"""What a turn asks the channel to do besides sending its replies, typed, and carrying
everything the channel needs: read inside the turn's transaction, so that carrying an event
out costs no reading transaction of its own. Kept with the update's replies (a redelivery
after a crash carries it out again) as ``{"event": name, "meta": fields}``, the shape kept
replies have always had."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any, ClassVar


@dataclass(frozen=True)
class Event:
    kind: ClassVar[str] = ""

    @property
    def name(self) -> str:
        return self.kind

    def meta(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}


@dataclass(frozen=True)
class Emergency(Event):
    """The reply is the emergency numbers (sent at once, even when storage is away)."""

    kind: ClassVar[str] = "emergency"


@dataclass(frozen=True)
class RelayToStaff(Event):
    """Copy the citizen's message into their thread (``thread``; None: there is none yet),
    as a reply to ``reply_to`` (the copy of the message the citizen replied to); ``message``:
    an earlier message of theirs instead of this update's (a voice note, after a button)."""

    kind: ClassVar[str] = "relay"
    thread: int | None = None
    reply_to: int | None = None
    message: int | None = None


@dataclass(frozen=True)
class HandoverOpened(Event):
    """A person is asked for: the thread opened (or reopened) with the summary."""

    kind: ClassVar[str] = "handover"
    reason: str = "asked"
    case_code: str = ""
    language: str = "?"
    thread: int | None = None
    summary: str = ""  # empty in a record kept by an older version: read it then

    @property
    def name(self) -> str:
        return f"handover:{self.reason}"


@dataclass(frozen=True)
class Alarm(Event):
    """Possible danger while a hand-over is open: the thread is alerted."""

    kind: ClassVar[str] = "alarm"
    thread: int | None = None


@dataclass(frozen=True)
class HandoverClosed(Event):
    """The citizen went back to the assistant: the thread is told and closed."""

    kind: ClassVar[str] = "handover_closed"
    thread: int | None = None


@dataclass(frozen=True)
class Erased(Event):
    """The citizen erased their data: the staff group's copies are deleted now."""

    kind: ClassVar[str] = "erased"


_KINDS: dict[str, type[Event]] = {e.kind: e for e in (Emergency, RelayToStaff, HandoverOpened,
                                                       Alarm, HandoverClosed, Erased)}


def from_record(name: str | None, meta: dict[str, Any] | None) -> Event | None:
    """The event of a kept reply; None for none (or a kind this version does not know)."""
    if not name:
        return None
    kind, _, reason = name.partition(":")
    cls = _KINDS.get(kind)
    if cls is None:
        return None
    known = {f.name for f in fields(cls)}
    values = {k: v for k, v in (meta or {}).items() if k in known}
    if cls is HandoverOpened and reason:
        values["reason"] = reason
    return cls(**values)


@dataclass
class Copies:
    """What carrying out a turn's events made in the staff group, recorded with the update's
    confirmation in one transaction: each copy (the citizen's message id -> the copy's id;
    the summary is linked to ``OWN_MESSAGE``), and the thread when one was opened."""

    citizen_id: int
    links: list[tuple[int, int]] = field(default_factory=list)
    thread: int | None = None

    def __bool__(self) -> bool:
        return bool(self.links) or self.thread is not None
