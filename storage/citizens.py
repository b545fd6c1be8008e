"""Citizens, their conversation, transcript and the log of handled updates: what one
message's turn reads and writes (through the prebuilt statements of ``statements``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from domain.model import Citizen, Conversation, ConversationState, TranscriptEntry, TurnStart
from domain.ports import ConcurrentUpdate
from domain.state import ConversationData
from storage import statements as hot
from storage.tables import CitizenRow, TranscriptRow


def _citizen(row: Any) -> Citizen:
    """A citizen from a row holding ``statements.CITIZEN_COLUMNS``."""
    return Citizen(
        id=row.id, first_seen=row.first_seen, last_seen=row.last_seen,
        language=row.language, language_chosen=row.language_chosen, referral=row.referral,
        consent_at=row.consent_at,
    )


def _unsent(row: Any) -> list[dict[str, Any]] | None:
    return None if row.sent_at is not None else list(row.replies or [])


class SqlCitizens:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, citizen_id: int) -> Citizen | None:
        conn = await self.session.connection()
        row = (await conn.execute(hot.SELECT_CITIZEN, {"citizen_id": citizen_id})).first()
        if row is None:
            return None
        return _citizen(row)

    async def start_turn(self, citizen_id: int, update_id: int | None) -> TurnStart:
        conn = await self.session.connection()
        row = (await conn.execute(hot.START_TURN, {"citizen_id": citizen_id,
                                                   "update_id": update_id})).first()
        if row is None:  # a new citizen (or one who erased everything)
            if update_id is None:
                return TurnStart(None, None)
            handled = (await conn.execute(hot.SELECT_UPDATE, {"key": update_id})).first()
            return TurnStart(None, None, handled is not None,
                             _unsent(handled) if handled is not None else None)
        citizen = _citizen(row)
        conversation = (_conversation(citizen_id, row) if row.version is not None
                        else None)
        if row.update_id is not None:
            return TurnStart(citizen, conversation, True, _unsent(row))
        return TurnStart(citizen, conversation)

    async def add(self, citizen: Citizen) -> None:
        conn = await self.session.connection()
        try:
            await conn.execute(hot.INSERT_CITIZEN, {
                "id": citizen.id, "language": citizen.language,
                "language_chosen": citizen.language_chosen, "referral": citizen.referral,
                "first_seen": citizen.first_seen, "last_seen": citizen.last_seen})
        except IntegrityError:  # the same citizen's first message, handled concurrently
            raise ConcurrentUpdate(str(citizen.id)) from None

    async def set_blocked(self, citizen_id: int, when: datetime | None) -> None:
        await self.session.execute(update(CitizenRow).where(CitizenRow.id == citizen_id)
                                   .values(blocked_at=when))

    async def save(self, citizen: Citizen) -> None:
        conn = await self.session.connection()
        await conn.execute(hot.UPDATE_CITIZEN, {
            "key": citizen.id, "language": citizen.language,
            "language_chosen": citizen.language_chosen, "referral": citizen.referral,
            "last_seen": citizen.last_seen, "consent_at": citizen.consent_at})


def _conversation(citizen_id: int, row: Any) -> Conversation:
    """The one place a stored conversation is read: a state no longer known is idle."""
    try:
        state = ConversationState(row.state)
    except ValueError:
        state = ConversationState.IDLE
    return Conversation(citizen_id, state, ConversationData.load(row.data), row.version)


class SqlConversations:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, citizen_id: int) -> Conversation | None:
        conn = await self.session.connection()
        row = (await conn.execute(hot.SELECT_CONVERSATION,
                                  {"citizen_id": citizen_id})).first()
        if row is None:
            return None
        return _conversation(citizen_id, row)

    async def save(self, conversation: Conversation) -> None:
        """Write with a version check: a concurrent writer makes this raise."""
        conn = await self.session.connection()
        if conversation.version == 0:
            try:
                await conn.execute(hot.INSERT_CONVERSATION, {
                    "citizen_id": conversation.citizen_id, "state": conversation.state,
                    "data": conversation.data.dump(), "version": 1})
            except IntegrityError:
                raise ConcurrentUpdate(str(conversation.citizen_id)) from None
            conversation.version = 1
            return
        result = await conn.execute(hot.UPDATE_CONVERSATION, {
            "key": conversation.citizen_id, "old_version": conversation.version,
            "version": conversation.version + 1, "state": conversation.state,
            "data": conversation.data.dump()})
        if result.rowcount != 1:
            raise ConcurrentUpdate(str(conversation.citizen_id))
        conversation.version += 1


class SqlTranscript:
    """Entries are written in one multi-row INSERT when the unit of work commits."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.pending: list[dict[str, Any]] = []

    async def add(self, entry: TranscriptEntry) -> None:
        self.pending.append({"citizen_id": entry.citizen_id, "direction": entry.direction,
                             "kind": entry.kind, "text": entry.text, "payload": entry.payload,
                             "created_at": entry.at})

    async def flush(self) -> None:
        if self.pending:
            rows, self.pending = self.pending, []
            conn = await self.session.connection()
            await conn.execute(hot.INSERT_TRANSCRIPT, rows)

    async def recent(self, citizen_id: int, limit: int) -> Sequence[TranscriptEntry]:
        await self.flush()
        result = await self.session.execute(
            select(TranscriptRow).where(TranscriptRow.citizen_id == citizen_id)
            .order_by(TranscriptRow.id.desc()).limit(limit)
        )
        rows = list(result.scalars())[::-1]
        return [TranscriptEntry(r.citizen_id, r.direction, r.kind, r.text, r.payload,
                                r.created_at) for r in rows]


class SqlUpdateLog:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def remember(self, update_id: int, now: datetime,
                       replies: list[dict[str, Any]]) -> bool:
        """One statement (INSERT ... ON CONFLICT DO NOTHING): False when a concurrent run
        of the same update committed it first."""
        conn = await self.session.connection()
        result = await conn.execute(hot.remember(conn.dialect.name), {
            "update_id": update_id, "processed_at": now, "replies": replies})
        return bool(result.rowcount)

    async def unsent_replies(self, update_id: int) -> list[dict[str, Any]] | None:
        conn = await self.session.connection()
        row = (await conn.execute(hot.SELECT_UPDATE, {"key": update_id})).first()
        return None if row is None else _unsent(row)

    async def keep_unsent(self, update_id: int, replies: list[dict[str, Any]]) -> None:
        conn = await self.session.connection()
        await conn.execute(hot.KEEP_UNSENT, {"key": update_id, "replies": replies})

    async def mark_sent(self, update_id: int, now: datetime) -> None:
        conn = await self.session.connection()
        await conn.execute(hot.MARK_SENT, {"keys": [update_id], "sent_at": now})
