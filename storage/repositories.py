"""Repositories that add and get, and the unit of work that alone commits."""

from __future__ import annotations

from collections.abc import Sequence
from types import TracebackType
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.model import Citizen, Conversation, TranscriptEntry
from domain.ports import ConcurrentUpdate
from storage.tables import CitizenRow, ConversationRow, TranscriptRow


class SqlCitizens:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, citizen_id: int) -> Citizen | None:
        row = await self.session.get(CitizenRow, citizen_id)
        if row is None:
            return None
        return Citizen(
            id=row.id, first_seen=row.first_seen, last_seen=row.last_seen,
            language=row.language, language_chosen=row.language_chosen, referral=row.referral,
        )

    async def add(self, citizen: Citizen) -> None:
        self.session.add(CitizenRow(
            id=citizen.id, language=citizen.language, language_chosen=citizen.language_chosen,
            referral=citizen.referral, first_seen=citizen.first_seen, last_seen=citizen.last_seen,
        ))
        try:
            await self.session.flush()
        except IntegrityError:  # the same citizen's first message, handled concurrently
            raise ConcurrentUpdate(str(citizen.id)) from None

    async def save(self, citizen: Citizen) -> None:
        await self.session.execute(
            update(CitizenRow).where(CitizenRow.id == citizen.id).values(
                language=citizen.language, language_chosen=citizen.language_chosen,
                referral=citizen.referral, last_seen=citizen.last_seen,
            )
        )


class SqlConversations:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, citizen_id: int) -> Conversation | None:
        result = await self.session.execute(
            select(ConversationRow.state, ConversationRow.data, ConversationRow.version)
            .where(ConversationRow.citizen_id == citizen_id)
        )
        row = result.first()
        if row is None:
            return None
        return Conversation(citizen_id, row.state, dict(row.data or {}), row.version)

    async def save(self, conversation: Conversation) -> None:
        """Write with a version check: a concurrent writer makes this raise."""
        values: dict[str, Any] = {"state": conversation.state, "data": conversation.data}
        if conversation.version == 0:
            exists = await self.session.get(ConversationRow, conversation.citizen_id)
            if exists is not None:
                raise ConcurrentUpdate(str(conversation.citizen_id))
            try:
                await self.session.execute(
                    insert(ConversationRow).values(citizen_id=conversation.citizen_id,
                                                   version=1, **values)
                )
            except IntegrityError:
                raise ConcurrentUpdate(str(conversation.citizen_id)) from None
            conversation.version = 1
            return
        result = await self.session.execute(
            update(ConversationRow)
            .where(ConversationRow.citizen_id == conversation.citizen_id,
                   ConversationRow.version == conversation.version)
            .values(version=conversation.version + 1, **values)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise ConcurrentUpdate(str(conversation.citizen_id))
        conversation.version += 1


class SqlTranscript:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, entry: TranscriptEntry) -> None:
        self.session.add(TranscriptRow(
            citizen_id=entry.citizen_id, direction=entry.direction, kind=entry.kind,
            text=entry.text, payload=entry.payload, created_at=entry.at,
        ))

    async def recent(self, citizen_id: int, limit: int) -> Sequence[TranscriptEntry]:
        result = await self.session.execute(
            select(TranscriptRow).where(TranscriptRow.citizen_id == citizen_id)
            .order_by(TranscriptRow.id.desc()).limit(limit)
        )
        rows = list(result.scalars())[::-1]
        return [TranscriptEntry(r.citizen_id, r.direction, r.kind, r.text, r.payload,
                                r.created_at) for r in rows]


class SqlUnitOfWork:
    """One session, one transaction; rolls back unless :meth:`commit` was called."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions

    async def __aenter__(self) -> SqlUnitOfWork:
        self.session = self.sessions()
        self.citizens = SqlCitizens(self.session)
        self.conversations = SqlConversations(self.session)
        self.transcript = SqlTranscript(self.session)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            await self.session.rollback()
        finally:
            await self.session.close()

    async def commit(self) -> None:
        await self.session.commit()

    async def rollback(self) -> None:
        await self.session.rollback()


class SqlUnitOfWorkFactory:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions

    def __call__(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.sessions)
