"""What one citizen turn is handled with (:class:`Turn`), what every flow is built with
(:class:`Services`), and the engine's settings: shared by the engine and every flow, so that
none of them imports the engine."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from domain.content import Content
from domain.directory import Directory
from domain.messages import Button, Inbound, Reply
from domain.model import Citizen, Conversation
from domain.parse import Parse
from domain.passages import Focus
from domain.ports import Clock, UnitOfWork, UnitOfWorkFactory
from domain.text import Say, Translations


@dataclass(frozen=True)
class EngineConfig:
    default_language: str = "it"
    timezone: str = "Europe/Rome"
    staff_chat: bool = False  # a staff group is configured: hand-overs go to people
    # The languages an answer can be read aloud in (the channel's speaker has a voice for
    # them): the "🔊 Listen" button is shown there only.
    spoken_languages: frozenset[str] = frozenset()


@dataclass
class Services:
    """What every flow is built with: the ports, and the service's own facts. One object,
    shared: settings changed on the engine are seen by every flow."""

    uow_factory: UnitOfWorkFactory
    translations: Translations
    clock: Clock
    directory: Directory
    content: Content
    config: EngineConfig

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.config.timezone)

    def say(self, language: str | None = None) -> Say:
        """Say things in ``language``; the staff's (the default) language when None."""
        return Say(self.translations, language or self.config.default_language)


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
    focus: tuple[Focus, ...] = ()  # what the free text asks of an answer, beforehand too
    tallies: list[tuple[str, str]] = field(default_factory=list)  # anonymous counts

    @classmethod
    def by_staff(cls, citizen: Citizen, conversation: Conversation, say: Say, now: datetime,
                 uow: UnitOfWork) -> Turn:
        """A turn of the citizen's conversation that a mediator started (``/book``): as if
        the citizen had asked for the days."""
        return cls(Inbound(citizen.id, payload="days"), citizen, conversation, say, now, uow)

    def count(self, metric: str, key: str) -> None:
        self.tallies.append((metric, key))

    @property
    def language(self) -> str:
        return self.say.language

    def reply(self, text: str, buttons: list[list[Button]] | None = None, **kw: Any) -> None:
        self.replies.append(Reply(text=text, buttons=buttons or [], **kw))
