"""Messages for citizens that a worker sends outside a turn (reminders, offers, notices)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from domain.model import OutboundMessage
from storage.tables import OutboxRow


class SqlOutbox:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, message: OutboundMessage) -> None:
        self.session.add(OutboxRow(citizen_id=message.citizen_id, text=message.text,
                                   buttons=message.buttons, created_at=datetime.now(UTC)))

    async def claim(self, worker: str, limit: int, citizen_id: int | None = None
                    ) -> Sequence[OutboundMessage]:
        now = datetime.now(UTC)
        stale = now - timedelta(minutes=5)  # a worker that died while sending
        query = select(OutboxRow.id).where(
            OutboxRow.sent_at.is_(None),
            (OutboxRow.claimed_at.is_(None)) | (OutboxRow.claimed_at < stale),
        )
        if citizen_id is not None:
            query = query.where(OutboxRow.citizen_id == citizen_id)
        pending = query.order_by(OutboxRow.id).limit(limit).scalar_subquery()
        result = await self.session.execute(
            update(OutboxRow).where(OutboxRow.id.in_(pending))
            .values(claimed_by=worker, claimed_at=now)
            .returning(OutboxRow.id, OutboxRow.citizen_id, OutboxRow.text, OutboxRow.buttons)
        )
        rows = sorted(result.all(), key=lambda r: r[0])
        return [OutboundMessage(c, t, list(b or []), i) for i, c, t, b in rows]

    async def delivered(self, message_id: int) -> None:
        await self.session.execute(
            update(OutboxRow).where(OutboxRow.id == message_id).values(sent_at=datetime.now(UTC))
        )
