"""What one citizen turn is handled with (:class:`Turn`), and the engine's settings: shared by
the engine and every flow, so that none of them imports the engine."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from domain.messages import Button, Inbound, Reply
from domain.model import Citizen, Conversation
from domain.parse import Parse
from domain.ports import UnitOfWork
from domain.text import Say


@dataclass(frozen=True)
class EngineConfig:
    default_language: str = "it"
    timezone: str = "Europe/Rome"
    staff_chat: bool = False  # a staff group is configured: hand-overs go to people


@dataclass
class Turn:
    """Everything one inbound message is handled with."""

    inbound: Inbound
    citizen: Citizen
    conversation: Conversation
    say: Say
    now: datetime
    uow: UnitOfWork
    replies: list[Reply] = field(default_factory=list)
    slot_taken: bool = False
    erased: bool = False  # the citizen's data was erased: nothing is written back
    parsed: Parse | None = None  # what the free text means, understood beforehand
    tallies: list[tuple[str, str]] = field(default_factory=list)  # anonymous counts

    def count(self, metric: str, key: str) -> None:
        self.tallies.append((metric, key))

    @property
    def language(self) -> str:
        return self.say.language

    def reply(self, text: str, buttons: list[list[Button]] | None = None, **kw: Any) -> None:
        self.replies.append(Reply(text=text, buttons=buttons or [], **kw))
