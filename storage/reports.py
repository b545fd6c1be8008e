"""The report's reads (the ``Reports`` port): one connection, a few SELECTs, no text anybody
wrote. :func:`citizen_records` is also what an erasure reads before it keeps the counts."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from domain.reporting import CitizenRecord, HandoverTimes, Meeting, ReportData, Tally
from storage.errors import translated
from storage.tables import (
    BookingRow,
    CitizenRow,
    ClosureRow,
    ConversationRow,
    HandoverRow,
    MeetingOutcomeRow,
    StaffRow,
    TallyRow,
    WaitlistRow,
)

#: Conversation states after the needs step: a citizen in one of them told their needs.
PAST_NEEDS = frozenset({"intake_urgency", "intake_referral", "intake_language",
                        "intake_description", "triage", "choosing_day", "choosing_time"})


class SqlReports:
    def __init__(self, db: AsyncEngine) -> None:
        self.db = db

    async def read(self, first_month: str, last_month: str, end: datetime) -> ReportData:
        with translated():
            async with self.db.connect() as conn:
                ids = select(CitizenRow.id).where(CitizenRow.first_seen < end)
                citizens = await citizen_records(conn, ids)
                tallies = (await conn.execute(
                    select(TallyRow.month, TallyRow.metric, TallyRow.key, TallyRow.n).where(
                        TallyRow.month >= first_month, TallyRow.month <= last_month))).all()
                staff = (await conn.execute(select(StaffRow.role, StaffRow.languages))).all()
                closures = (await conn.execute(select(ClosureRow.day))).scalars().all()
        return ReportData(
            citizens=citizens,
            tallies=[(month, Tally(metric, key, int(n))) for month, metric, key, n in tallies],
            staff_languages=[(role, tuple(languages or ())) for role, languages in staff],
            closures=[date.fromisoformat(day) for day in closures])


async def citizen_records(conn: AsyncConnection, ids: Select[Any],
                          cancel_after: datetime | None = None) -> list[CitizenRecord]:
    """The records of the citizens ``ids`` selects; with ``cancel_after``, an active
    appointment starting after it counts as cancelled (an erasure cancels it)."""
    outcomes = {booking: (kind, service) for booking, kind, service in (await conn.execute(
        select(MeetingOutcomeRow.booking_id, MeetingOutcomeRow.kind, MeetingOutcomeRow.service)
        .join(BookingRow, BookingRow.id == MeetingOutcomeRow.booking_id)
        .where(BookingRow.citizen_id.in_(ids)))).all()}
    meetings: dict[int, list[Meeting]] = defaultdict(list)
    for row in (await conn.execute(select(
            BookingRow.id, BookingRow.citizen_id, BookingRow.start_at, BookingRow.role,
            BookingRow.status, BookingRow.meeting_language, BookingRow.needs)
            .where(BookingRow.citizen_id.in_(ids))
            .order_by(BookingRow.start_at, BookingRow.id))).all():
        status = row.status
        if cancel_after is not None and status == "active" and row.start_at > cancel_after:
            status = "cancelled"
        kind, service = outcomes.get(row.id, (None, None))
        meetings[row.citizen_id].append(Meeting(row.start_at, row.role, status,
                                                row.meeting_language, tuple(row.needs or ()),
                                                kind, service))
    handovers: dict[int, list[HandoverTimes]] = defaultdict(list)
    for cid, reason, opened, first_human, closed in (await conn.execute(select(
            HandoverRow.citizen_id, HandoverRow.reason, HandoverRow.opened_at,
            HandoverRow.first_human_at, HandoverRow.closed_at)
            .where(HandoverRow.citizen_id.in_(ids)).order_by(HandoverRow.id))).all():
        handovers[cid].append(HandoverTimes(cid, reason, opened, first_human, closed))
    waiting = set((await conn.execute(select(WaitlistRow.citizen_id).where(
        WaitlistRow.citizen_id.in_(ids)))).scalars().all())
    told = {citizen for citizen, state, data in (await conn.execute(select(
        ConversationRow.citizen_id, ConversationRow.state, ConversationRow.data).where(
        ConversationRow.citizen_id.in_(ids)))).all() if _needs_told(state, data)}
    citizens = (await conn.execute(select(
        CitizenRow.id, CitizenRow.first_seen, CitizenRow.referral, CitizenRow.language)
        .where(CitizenRow.id.in_(ids)).order_by(CitizenRow.id))).all()
    return [CitizenRecord(first_seen, referral, language,
                          needs_collected=cid in waiting or cid in told,
                          meetings=tuple(meetings[cid]), handovers=tuple(handovers[cid]))
            for cid, first_seen, referral, language in citizens]


def _needs_told(state: str, data: Any) -> bool:
    """The conversation is past the needs step of an intake, with needs chosen."""
    intake = data.get("intake") if isinstance(data, dict) else None
    return (state in PAST_NEEDS and isinstance(intake, dict)
            and bool(intake.get("needs")))
