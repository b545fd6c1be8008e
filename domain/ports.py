"""The small interfaces the domain needs from the outside world."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from types import TracebackType
from typing import Any, Protocol

from domain.model import Citizen, Conversation, TranscriptEntry


class ConcurrentUpdate(Exception):
    """Another handler changed the conversation since it was read; the caller retries."""


class CitizenRepository(Protocol):
    async def get(self, citizen_id: int) -> Citizen | None: ...
    async def add(self, citizen: Citizen) -> None: ...
    async def save(self, citizen: Citizen) -> None: ...


class ConversationRepository(Protocol):
    async def get(self, citizen_id: int) -> Conversation | None: ...

    async def save(self, conversation: Conversation) -> None:
        """Insert or update; raise :class:`ConcurrentUpdate` when the version moved."""
        ...


class TranscriptRepository(Protocol):
    async def add(self, entry: TranscriptEntry) -> None: ...
    async def recent(self, citizen_id: int, limit: int) -> Sequence[TranscriptEntry]: ...


class UnitOfWork(Protocol):
    citizens: CitizenRepository
    conversations: ConversationRepository
    transcript: TranscriptRepository

    async def __aenter__(self) -> UnitOfWork: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    async def commit(self) -> None: ...
    async def rollback(self) -> None: ...


class UnitOfWorkFactory(Protocol):
    def __call__(self) -> UnitOfWork: ...


class Translations(Protocol):
    def gettext(self, language: str, message: str) -> str: ...
    def ngettext(self, language: str, singular: str, plural: str, n: int) -> str: ...


class Understanding(Protocol):
    """Natural-language understanding: a Rasa-shaped parse result plus ``language``."""

    async def parse(self, text: str, language_hint: str | None = None) -> dict[str, Any]: ...


class Clock(Protocol):
    def now(self) -> datetime:
        """Current time, timezone-aware, in UTC."""
        ...
