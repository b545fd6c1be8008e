"""Hand-overs to a person, the citizen's staff topic, the links between a citizen's
messages and their copies in the staff group, and the relay outbox between the two."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from domain.model import Handover, RelayMessage, Topic
from storage.tables import CitizenTopicRow, HandoverRow, MessageLinkRow, RelayOutboxRow


def _handover(row: HandoverRow) -> Handover:
    return Handover(row.citizen_id, row.reason, row.opened_at, row.status, row.priority,
                    row.claimed_by, row.claimed_at, row.first_human_at, row.closed_at,
                    row.announced, row.id)


class SqlHandovers:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def open_for(self, citizen_id: int) -> Handover | None:
        result = await self.session.execute(
            select(HandoverRow).where(HandoverRow.citizen_id == citizen_id,
                                      HandoverRow.status.in_(("waiting", "claimed")))
            .order_by(HandoverRow.id.desc()).limit(1))
        row = result.scalar_one_or_none()
        return _handover(row) if row else None

    async def add(self, handover: Handover) -> None:
        row = HandoverRow(
            citizen_id=handover.citizen_id, status=handover.status, reason=handover.reason,
            priority=handover.priority, opened_at=handover.opened_at,
            claimed_by=handover.claimed_by, claimed_at=handover.claimed_at,
            first_human_at=handover.first_human_at, closed_at=handover.closed_at,
            announced=handover.announced)
        self.session.add(row)
        await self.session.flush()
        handover.id = row.id

    async def save(self, handover: Handover) -> None:
        await self.session.execute(update(HandoverRow).where(HandoverRow.id == handover.id)
                                   .values(status=handover.status, reason=handover.reason,
                                           priority=handover.priority,
                                           claimed_by=handover.claimed_by,
                                           claimed_at=handover.claimed_at,
                                           first_human_at=handover.first_human_at,
                                           closed_at=handover.closed_at,
                                           announced=handover.announced))

    async def waiting(self) -> Sequence[Handover]:
        result = await self.session.execute(
            select(HandoverRow).where(HandoverRow.status == "waiting")
            .order_by(HandoverRow.priority.desc(), HandoverRow.opened_at))
        return [_handover(r) for r in result.scalars()]

    async def topic(self, citizen_id: int) -> Topic | None:
        row = await self.session.get(CitizenTopicRow, citizen_id)
        return Topic(row.citizen_id, row.case_code, row.thread_id) if row else None

    async def save_topic(self, topic: Topic) -> None:
        row = await self.session.get(CitizenTopicRow, topic.citizen_id)
        if row is None:
            self.session.add(CitizenTopicRow(citizen_id=topic.citizen_id,
                                             case_code=topic.case_code,
                                             thread_id=topic.thread_id))
            await self.session.flush()
        else:
            row.thread_id = topic.thread_id

    async def citizen_of_thread(self, thread_id: int) -> int | None:
        result = await self.session.execute(
            select(CitizenTopicRow.citizen_id).where(CitizenTopicRow.thread_id == thread_id))
        return result.scalar_one_or_none()

    async def link(self, citizen_id: int, citizen_message: int, staff_message: int,
                   now: datetime) -> None:
        self.session.add(MessageLinkRow(citizen_id=citizen_id,
                                        citizen_message_id=citizen_message,
                                        staff_message_id=staff_message, created_at=now))

    async def staff_message_of(self, citizen_id: int, citizen_message: int) -> int | None:
        result = await self.session.execute(
            select(MessageLinkRow.staff_message_id).where(
                MessageLinkRow.citizen_id == citizen_id,
                MessageLinkRow.citizen_message_id == citizen_message).limit(1))
        return result.scalar_one_or_none()

    async def citizen_message_of(self, staff_message: int) -> tuple[int, int] | None:
        result = await self.session.execute(
            select(MessageLinkRow.citizen_id, MessageLinkRow.citizen_message_id).where(
                MessageLinkRow.staff_message_id == staff_message,
                MessageLinkRow.citizen_message_id != 0).limit(1))  # 0: the bot's own
        row = result.first()
        return (row[0], row[1]) if row else None


class SqlRelayOutbox:
    STALE = timedelta(minutes=5)  # longer than any send: a claim this old is a dead worker's

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, message: RelayMessage, now: datetime) -> None:
        self.session.add(RelayOutboxRow(
            citizen_id=message.citizen_id, staff_message_id=message.staff_message_id,
            copy=message.copy, reply=message.reply, reply_to=message.reply_to,
            thread_id=message.thread_id, record_kind=message.record_kind, text=message.text,
            attempts=0, created_at=now))

    async def claim(self, worker: str, now: datetime, limit: int,
                    citizen_id: int | None = None) -> Sequence[RelayMessage]:
        row = RelayOutboxRow
        heads = select(func.min(row.id)).group_by(row.citizen_id)
        if citizen_id is not None:
            heads = heads.where(row.citizen_id == citizen_id)
        heads = heads.order_by(func.min(row.id)).limit(limit)
        # Only the first message of a citizen is taken, and only when due and free: the
        # re-checked WHERE of the UPDATE makes a second worker skip what the first took.
        result = await self.session.execute(
            update(row).where(
                row.id.in_(select(heads.subquery().c[0])),
                row.next_attempt_at.is_(None) | (row.next_attempt_at <= now),
                row.claimed_at.is_(None) | (row.claimed_at < now - self.STALE))
            .values(claimed_by=worker, claimed_at=now)
            .returning(row.id, row.citizen_id, row.staff_message_id, row.copy, row.reply,
                       row.reply_to, row.thread_id, row.record_kind, row.text, row.attempts,
                       row.created_at))
        found = sorted(result.all(), key=lambda r: r[0])
        return [RelayMessage(citizen_id=c, staff_message_id=s, copy=bool(cp), reply=rp,
                             reply_to=rt, thread_id=th, record_kind=rk, text=tx,
                             attempts=at, created_at=_aware(ca), id=i)
                for i, c, s, cp, rp, rt, th, rk, tx, at, ca in found]

    async def done(self, message_id: int) -> None:
        await self.session.execute(delete(RelayOutboxRow).where(RelayOutboxRow.id == message_id))

    async def retry_at(self, message_id: int, when: datetime) -> None:
        await self.session.execute(
            update(RelayOutboxRow).where(RelayOutboxRow.id == message_id)
            .values(attempts=RelayOutboxRow.attempts + 1, next_attempt_at=when,
                    claimed_by=None, claimed_at=None))


def _aware(value: datetime | None) -> datetime | None:
    """``RETURNING`` bypasses the column type on some drivers: UTC either way."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
