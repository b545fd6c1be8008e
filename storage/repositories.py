"""Repositories that add and get, and the unit of work that alone commits."""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from types import TracebackType
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.booking import Booking, SlotTaken
from domain.model import (
    Citizen,
    Conversation,
    DeadLetter,
    DueReminder,
    Handover,
    OutboundMessage,
    RelayMessage,
    StaffMember,
    StaffRemoval,
    Topic,
    TranscriptEntry,
    TurnStart,
    WaitEntry,
)
from domain.ports import ConcurrentUpdate
from storage import statements as hot
from storage.privacy import SqlPrivacy
from storage.tables import (
    BookingRow,
    CitizenRow,
    CitizenTopicRow,
    ClosureRow,
    DeadLetterRow,
    HandoverRow,
    MessageLinkRow,
    OutboxRow,
    RelayOutboxRow,
    ReminderRow,
    StaffRemovalRow,
    StaffRow,
    TranscriptRow,
    WaitlistRow,
)


def _citizen(row: Any) -> Citizen:
    """A citizen from a row holding ``statements.CITIZEN_COLUMNS``."""
    return Citizen(
        id=row.id, first_seen=row.first_seen, last_seen=row.last_seen,
        language=row.language, language_chosen=row.language_chosen, referral=row.referral,
        consent_at=row.consent_at,
    )


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
        conversation = (Conversation(citizen_id, row.state, dict(row.data or {}), row.version)
                        if row.version is not None else None)
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


class SqlConversations:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, citizen_id: int) -> Conversation | None:
        conn = await self.session.connection()
        row = (await conn.execute(hot.SELECT_CONVERSATION,
                                  {"citizen_id": citizen_id})).first()
        if row is None:
            return None
        return Conversation(citizen_id, row.state, dict(row.data or {}), row.version)

    async def save(self, conversation: Conversation) -> None:
        """Write with a version check: a concurrent writer makes this raise."""
        conn = await self.session.connection()
        if conversation.version == 0:
            try:
                await conn.execute(hot.INSERT_CONVERSATION, {
                    "citizen_id": conversation.citizen_id, "state": conversation.state,
                    "data": conversation.data, "version": 1})
            except IntegrityError:
                raise ConcurrentUpdate(str(conversation.citizen_id)) from None
            conversation.version = 1
            return
        result = await conn.execute(hot.UPDATE_CONVERSATION, {
            "key": conversation.citizen_id, "old_version": conversation.version,
            "version": conversation.version + 1, "state": conversation.state,
            "data": conversation.data})
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


def _booking(row: BookingRow) -> Booking:
    return Booking(
        citizen_id=row.citizen_id, professional_id=row.professional_id, role=row.role,
        start=row.start_at, end=row.end_at, created_at=row.created_at, needs=list(row.needs),
        urgency=row.urgency, meeting_language=row.meeting_language,
        with_mediator=row.with_mediator, description=row.description, status=row.status,
        case_code=row.case_code, id=row.id,
    )


class SqlBookings:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, booking: Booking) -> None:
        row = BookingRow(
            citizen_id=booking.citizen_id, professional_id=booking.professional_id,
            role=booking.role, start_at=booking.start, end_at=booking.end,
            status=booking.status, needs=booking.needs, urgency=booking.urgency,
            meeting_language=booking.meeting_language, with_mediator=booking.with_mediator,
            description=booking.description, case_code=booking.case_code,
            created_at=booking.created_at,
        )
        try:
            async with self.session.begin_nested():
                self.session.add(row)
        except IntegrityError:
            raise SlotTaken(booking.professional_id) from None
        booking.id = row.id

    async def get(self, booking_id: int) -> Booking | None:
        row = await self.session.get(BookingRow, booking_id)
        return _booking(row) if row else None

    async def save(self, booking: Booking) -> None:
        try:
            async with self.session.begin_nested():
                await self.session.execute(
                    update(BookingRow).where(BookingRow.id == booking.id).values(
                        status=booking.status, start_at=booking.start, end_at=booking.end,
                        professional_id=booking.professional_id,
                    )
                )
        except IntegrityError:
            raise SlotTaken(booking.professional_id) from None

    async def change_status(self, booking_id: int, old: str, new: str) -> bool:
        result = await self.session.execute(
            update(BookingRow).where(BookingRow.id == booking_id, BookingRow.status == old)
            .values(status=new))
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def for_citizen(self, citizen_id: int, after: datetime) -> Sequence[Booking]:
        result = await self.session.execute(
            select(BookingRow).where(BookingRow.citizen_id == citizen_id,
                                     BookingRow.status == "active",
                                     BookingRow.start_at > after)
            .order_by(BookingRow.start_at)
        )
        return [_booking(r) for r in result.scalars()]

    async def taken(self, professional_ids: Sequence[str], start: datetime,
                    end: datetime) -> set[tuple[str, datetime]]:
        result = await self.session.execute(
            select(BookingRow.professional_id, BookingRow.start_at).where(
                BookingRow.professional_id.in_(list(professional_ids)),
                BookingRow.status == "active",
                BookingRow.start_at >= start, BookingRow.start_at <= end,
            )
        )
        return {(p, s) for p, s in result.all()}

    async def between(self, start: datetime, end: datetime) -> Sequence[Booking]:
        result = await self.session.execute(
            select(BookingRow).where(BookingRow.start_at >= start, BookingRow.start_at < end)
            .order_by(BookingRow.start_at, BookingRow.professional_id)
        )
        return [_booking(r) for r in result.scalars()]


class SqlReminders:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, booking_id: int, kind: str, due_at: datetime) -> None:
        self.session.add(ReminderRow(booking_id=booking_id, kind=kind, due_at=due_at))

    async def cancel_for(self, booking_id: int) -> None:
        await self.session.execute(
            delete(ReminderRow).where(ReminderRow.booking_id == booking_id,
                                      ReminderRow.sent_at.is_(None))
        )

    async def claim_due(self, now: datetime, worker: str, limit: int) -> Sequence[DueReminder]:
        due = (select(ReminderRow.id).where(ReminderRow.sent_at.is_(None),
                                            ReminderRow.due_at <= now)
               .order_by(ReminderRow.due_at).limit(limit).scalar_subquery())
        claimed = await self.session.execute(
            update(ReminderRow)
            .where(ReminderRow.id.in_(due), ReminderRow.sent_at.is_(None))
            .values(sent_at=now, claimed_by=worker)
            .returning(ReminderRow.id, ReminderRow.booking_id, ReminderRow.kind)
        )
        rows = claimed.all()
        out = []
        for reminder_id, booking_id, kind in rows:
            booking = await self.session.get(BookingRow, booking_id)
            if booking is None or booking.status != "active":
                continue
            citizen = await self.session.get(CitizenRow, booking.citizen_id)
            if citizen is None or citizen.blocked_at is not None:
                continue  # blocked the bot: not retried forever
            out.append(DueReminder(reminder_id, booking_id, kind, booking.citizen_id,
                                   booking.start_at, booking.professional_id, booking.role,
                                   booking.case_code))
        return out


def _wait(row: WaitlistRow) -> WaitEntry:
    return WaitEntry(row.citizen_id, row.role, row.created_at, row.status, row.offer,
                     row.offer_expires_at, row.id)


class SqlWaitlist:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, entry: WaitEntry) -> None:
        row = WaitlistRow(citizen_id=entry.citizen_id, role=entry.role,
                          created_at=entry.created_at, status=entry.status)
        self.session.add(row)
        await self.session.flush()
        entry.id = row.id

    async def get(self, entry_id: int) -> WaitEntry | None:
        row = await self.session.get(WaitlistRow, entry_id)
        return _wait(row) if row else None

    async def save(self, entry: WaitEntry) -> None:
        await self.session.execute(
            update(WaitlistRow).where(WaitlistRow.id == entry.id).values(
                status=entry.status, offer=entry.offer, offer_expires_at=entry.offer_expires_at)
        )

    async def first_waiting(self, role: str) -> WaitEntry | None:
        result = await self.session.execute(
            select(WaitlistRow).where(WaitlistRow.role == role,
                                      WaitlistRow.status == "waiting")
            .order_by(WaitlistRow.created_at, WaitlistRow.id).limit(1)
        )
        row = result.scalar_one_or_none()
        return _wait(row) if row else None

    async def active_for(self, citizen_id: int) -> WaitEntry | None:
        result = await self.session.execute(
            select(WaitlistRow).where(WaitlistRow.citizen_id == citizen_id,
                                      WaitlistRow.status.in_(("waiting", "offered")))
            .limit(1)
        )
        row = result.scalar_one_or_none()
        return _wait(row) if row else None

    async def held_offers(self, now: datetime) -> Sequence[str]:
        result = await self.session.execute(
            select(WaitlistRow.offer).where(WaitlistRow.status == "offered",
                                            WaitlistRow.offer_expires_at > now)
        )
        return [o for o in result.scalars() if o]

    async def expired_offers(self, now: datetime) -> Sequence[WaitEntry]:
        result = await self.session.execute(
            select(WaitlistRow).where(WaitlistRow.status == "offered",
                                      WaitlistRow.offer_expires_at <= now)
        )
        return [_wait(r) for r in result.scalars()]


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


class SqlStaff:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    @staticmethod
    def _member(row: StaffRow) -> StaffMember:
        return StaffMember(row.user_id, row.name, row.role, tuple(row.languages),
                           row.professional_id, row.feed_token)

    async def get(self, user_id: int) -> StaffMember | None:
        row = await self.session.get(StaffRow, user_id)
        return self._member(row) if row else None

    async def by_feed_token(self, token: str) -> StaffMember | None:
        result = await self.session.execute(select(StaffRow).where(StaffRow.feed_token == token))
        row = result.scalar_one_or_none()
        return self._member(row) if row else None

    async def set_feed_token(self, user_id: int, token: str | None) -> None:
        await self.session.execute(update(StaffRow).where(StaffRow.user_id == user_id)
                                   .values(feed_token=token))

    async def add(self, member: StaffMember, now: datetime) -> None:
        row = await self.session.get(StaffRow, member.user_id)
        if row is None:
            self.session.add(StaffRow(user_id=member.user_id, name=member.name,
                                      role=member.role, languages=list(member.languages),
                                      professional_id=member.professional_id,
                                      created_at=now))
        else:
            row.name, row.role, row.languages = member.name, member.role, list(member.languages)
            row.professional_id = member.professional_id

    async def remove(self, user_id: int, now: datetime) -> bool:
        row = await self.session.get(StaffRow, user_id)
        if row is None:
            return False
        self.session.add(StaffRemovalRow(user_id=user_id, name=row.name, role=row.role,
                                         removed_at=now))
        await self.session.delete(row)
        await self.session.flush()
        return True

    @staticmethod
    def _removal(row: StaffRemovalRow) -> StaffRemoval:
        return StaffRemoval(row.user_id, row.name, row.role, row.removed_at, row.told_at,
                            row.done_at, row.id)

    async def removals_to_tell(self) -> Sequence[StaffRemoval]:
        result = await self.session.execute(
            select(StaffRemovalRow).where(StaffRemovalRow.told_at.is_(None))
            .order_by(StaffRemovalRow.id))
        return [self._removal(r) for r in result.scalars()]

    async def removal_told(self, removal_id: int, at: datetime | None) -> bool:
        query = update(StaffRemovalRow).where(StaffRemovalRow.id == removal_id)
        if at is not None:  # claimed: only one worker tells
            query = query.where(StaffRemovalRow.told_at.is_(None))
        result = await self.session.execute(query.values(told_at=at))
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def last_removal(self, user_id: int) -> StaffRemoval | None:
        result = await self.session.execute(
            select(StaffRemovalRow).where(StaffRemovalRow.user_id == user_id)
            .order_by(StaffRemovalRow.id.desc()).limit(1))
        row = result.scalar_one_or_none()
        return self._removal(row) if row else None

    async def removal_done(self, removal_id: int, at: datetime) -> None:
        await self.session.execute(update(StaffRemovalRow)
                                   .where(StaffRemovalRow.id == removal_id)
                                   .values(done_at=at))

    async def all(self) -> Sequence[StaffMember]:
        result = await self.session.execute(select(StaffRow).order_by(StaffRow.role,
                                                                      StaffRow.name))
        return [self._member(r) for r in result.scalars()]


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


def _unsent(row: Any) -> list[dict[str, Any]] | None:
    return None if row.sent_at is not None else list(row.replies or [])


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


class SqlClosures:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, day: date, reason: str, by: int, now: datetime) -> None:
        found = await self.session.execute(
            select(ClosureRow).where(ClosureRow.day == day.isoformat()))
        if found.scalar_one_or_none() is None:
            self.session.add(ClosureRow(day=day.isoformat(), reason=reason, created_by=by,
                                        created_at=now))

    async def remove(self, day: date) -> bool:
        result = await self.session.execute(
            delete(ClosureRow).where(ClosureRow.day == day.isoformat()))
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def all(self) -> Sequence[tuple[date, str]]:
        result = await self.session.execute(select(ClosureRow.day, ClosureRow.reason))
        return [(date.fromisoformat(d), r) for d, r in result.all()]


class SqlTallies:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, month: str, metric: str, key: str, n: int = 1) -> None:
        conn = await self.session.connection()
        await conn.execute(hot.add_tally(conn.dialect.name),
                           {"month": month, "metric": metric, "key": key, "n": n})


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


class Turnstile:
    """One SQLite transaction at a time in this process, in the order they asked.

    SQLite lets one writer in at a time (our transactions all begin IMMEDIATE). The others
    wait in its busy handler, which sleeps 1, 2, 5 ... up to 100 ms between tries, so a
    turn waited up to 100 ms for a lock freed after 2: at 200 updates/s that set the p99 at
    160 ms against PostgreSQL's 13. Waiting here wakes the next transaction the moment
    the last one ends. Other processes on the same file still meet the busy handler, and a
    transaction opened inside another by the same task passes, as it did before.
    """

    def __init__(self) -> None:
        # Per event loop (a command-line tool may run several, one after the other).
        self._turns: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Turn] = (
            weakref.WeakKeyDictionary())

    def _turn(self) -> _Turn:
        loop = asyncio.get_running_loop()
        turn = self._turns.get(loop)
        if turn is None:
            turn = self._turns[loop] = _Turn()
        return turn

    async def enter(self) -> bool:
        """Wait for the turn; False when this task holds it already (a nested one)."""
        turn, task = self._turn(), asyncio.current_task()
        if turn.owner is not None and turn.owner is task:
            return False
        await turn.lock.acquire()
        turn.owner = task
        return True

    def leave(self, entered: bool) -> None:
        if entered:
            turn = self._turn()
            turn.owner = None
            turn.lock.release()


class _Turn:
    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.owner: asyncio.Task[Any] | None = None


class SqlUnitOfWork:
    """One session, one transaction; rolls back unless :meth:`commit` was called."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession],
                 turnstile: Turnstile | None = None) -> None:
        self.sessions = sessions
        self.turnstile = turnstile
        self._entered = False

    async def __aenter__(self) -> SqlUnitOfWork:
        if self.turnstile is not None:
            self._entered = await self.turnstile.enter()
        self.session = self.sessions()
        self.citizens = SqlCitizens(self.session)
        self.conversations = SqlConversations(self.session)
        self.transcript = SqlTranscript(self.session)
        self.bookings = SqlBookings(self.session)
        self.reminders = SqlReminders(self.session)
        self.waitlist = SqlWaitlist(self.session)
        self.outbox = SqlOutbox(self.session)
        self.relay = SqlRelayOutbox(self.session)
        self.staff = SqlStaff(self.session)
        self.handovers = SqlHandovers(self.session)
        self.privacy = SqlPrivacy(self.session)
        self.updates = SqlUpdateLog(self.session)
        self.closures = SqlClosures(self.session)
        self.tallies = SqlTallies(self.session)
        self.dead_letters = SqlDeadLetters(self.session)
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
            try:
                await self.session.close()
            finally:
                if self.turnstile is not None:
                    self.turnstile.leave(self._entered)

    async def commit(self) -> None:
        await self.transcript.flush()
        await self.session.commit()

    async def rollback(self) -> None:
        await self.session.rollback()


class SqlUnitOfWorkFactory:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions
        engine = sessions.kw.get("bind")
        self.turnstile = (Turnstile() if engine is not None
                          and engine.dialect.name == "sqlite" else None)

    def __call__(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.sessions, self.turnstile)

    async def mark_sent(self, update_ids: Sequence[int], now: datetime) -> None:
        """One autocommitted UPDATE on PostgreSQL (no BEGIN/COMMIT round trips); a normal
        short transaction on SQLite, whose transactions begin IMMEDIATE."""
        params = {"keys": list(update_ids), "sent_at": now}
        engine = self.sessions.kw.get("bind")
        for attempt in (1, 2):  # once more on a connection the server had dropped
            try:
                if engine is not None and engine.dialect.name == "postgresql":
                    async with engine.connect() as conn:
                        conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
                        await conn.execute(hot.MARK_SENT, params)
                    return
                async with self() as uow:
                    conn = await uow.session.connection()
                    await conn.execute(hot.MARK_SENT, params)
                    await uow.session.commit()
                return
            except DBAPIError as exc:
                if attempt == 2 or not exc.connection_invalidated:
                    raise
