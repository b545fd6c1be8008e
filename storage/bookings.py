"""Appointments, their reminders, the waiting list and the days the service is closed."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from domain.booking import Booking, SlotTaken
from domain.model import DueReminder, WaitEntry
from storage.tables import BookingRow, CitizenRow, ClosureRow, ReminderRow, WaitlistRow


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
