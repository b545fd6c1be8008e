"""The monthly report's reads (the ``Reports`` port): one connection, a few SELECTs."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from domain.reporting import BookedSlot, HandoverTimes, MonthRecords, NewCitizen, Tally
from storage.errors import translated
from storage.tables import BookingRow, CitizenRow, HandoverRow, TallyRow


class SqlReports:
    def __init__(self, db: AsyncEngine) -> None:
        self.db = db

    async def month(self, month: str, start: datetime, end: datetime) -> MonthRecords:
        with translated():
            async with self.db.connect() as conn:
                return await _read(conn, month, start, end)


async def _read(conn: AsyncConnection, month: str, start: datetime,
                end: datetime) -> MonthRecords:
    citizens = (await conn.execute(select(CitizenRow.referral, CitizenRow.language).where(
        CitizenRow.first_seen >= start, CitizenRow.first_seen < end))).all()
    active = (await conn.execute(select(CitizenRow.id).where(
        CitizenRow.last_seen >= start, CitizenRow.first_seen < end))).scalars().all()
    bookings = (await conn.execute(select(
        BookingRow.role, BookingRow.status, BookingRow.needs).where(
        BookingRow.start_at >= start, BookingRow.start_at < end))).all()
    handovers = (await conn.execute(select(
        HandoverRow.citizen_id, HandoverRow.reason, HandoverRow.opened_at,
        HandoverRow.first_human_at, HandoverRow.closed_at).where(
        HandoverRow.opened_at >= start, HandoverRow.opened_at < end))).all()
    tallies = (await conn.execute(select(TallyRow.metric, TallyRow.key, TallyRow.n).where(
        TallyRow.month == month))).all()
    return MonthRecords(
        new_citizens=[NewCitizen(*row) for row in citizens],
        active=list(active),
        bookings=[BookedSlot(*row) for row in bookings],
        handovers=[HandoverTimes(*row) for row in handovers],
        tallies=[Tally(metric, key, int(n)) for metric, key, n in tallies],
    )
