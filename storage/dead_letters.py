"""Updates put aside after failing again and again (metadata only, never the text)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.model import DeadLetter
from storage.tables import DeadLetterRow


class SqlDeadLetters:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, letter: DeadLetter) -> None:
        self.session.add(DeadLetterRow(
            update_id=letter.update_id, citizen_id=letter.citizen_id, created_at=letter.at,
            stage=letter.stage[:8], error=letter.error[:64], attempts=letter.attempts,
            kind=letter.kind[:32] if letter.kind else None))
        await self.session.flush()

    async def count(self, since: datetime | None = None) -> int:
        query = select(func.count()).select_from(DeadLetterRow)
        if since is not None:
            query = query.where(DeadLetterRow.created_at >= since)
        return int((await self.session.execute(query)).scalar() or 0)

    async def latest(self, limit: int) -> Sequence[DeadLetter]:
        result = await self.session.execute(
            select(DeadLetterRow).order_by(DeadLetterRow.created_at.desc(),
                                           DeadLetterRow.id.desc()).limit(limit))
        return [DeadLetter(r.update_id, r.citizen_id, r.created_at, r.stage, r.error,
                           r.attempts, r.kind, r.id) for r in result.scalars()]

    async def clear(self, before: datetime | None = None) -> int:
        statement = delete(DeadLetterRow)
        if before is not None:
            statement = statement.where(DeadLetterRow.created_at < before)
        result = await self.session.execute(statement)
        return int(result.rowcount or 0)  # type: ignore[attr-defined]
