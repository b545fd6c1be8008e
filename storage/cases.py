"""Meeting outcomes, and the reads of the staff's case view (one citizen's bookings and
hand-overs, found by a case code)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.booking import Booking
from domain.model import Handover, MeetingOutcome
from storage import statements as hot
from storage.bookings import _booking
from storage.handovers import _handover
from storage.tables import BookingRow, CitizenTopicRow, HandoverRow, MeetingOutcomeRow


class SqlCases:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add_outcome(self, outcome: MeetingOutcome) -> bool:
        conn = await self.session.connection()
        insert = hot._dialect_insert(conn.dialect.name)(MeetingOutcomeRow.__table__)
        result = await conn.execute(insert.values(
            booking_id=outcome.booking_id, kind=outcome.kind, service=outcome.service,
            recorded_by=outcome.by, recorded_at=outcome.at,
            referral_code=outcome.code).on_conflict_do_nothing())
        return bool(result.rowcount)

    async def outcomes(self, booking_ids: Sequence[int]) -> list[MeetingOutcome]:
        if not booking_ids:
            return []
        result = await self.session.execute(select(MeetingOutcomeRow).where(
            MeetingOutcomeRow.booking_id.in_(list(booking_ids))))
        return [_outcome(r) for r in result.scalars()]

    async def referral(self, code: str) -> MeetingOutcome | None:
        found = (await self.session.execute(select(MeetingOutcomeRow).where(
            MeetingOutcomeRow.referral_code == code))).scalar_one_or_none()
        return _outcome(found) if found is not None else None

    async def citizen_of_code(self, case_code: str) -> int | None:
        found = (await self.session.execute(select(CitizenTopicRow.citizen_id).where(
            CitizenTopicRow.case_code == case_code))).scalar_one_or_none()
        if found is None:
            found = (await self.session.execute(select(BookingRow.citizen_id).where(
                BookingRow.case_code == case_code).limit(1))).scalar_one_or_none()
        if found is None:
            found = (await self.session.execute(select(BookingRow.citizen_id).join(
                MeetingOutcomeRow, MeetingOutcomeRow.booking_id == BookingRow.id).where(
                MeetingOutcomeRow.referral_code == case_code))).scalar_one_or_none()
        return found

    async def bookings(self, citizen_id: int) -> list[Booking]:
        result = await self.session.execute(select(BookingRow).where(
            BookingRow.citizen_id == citizen_id).order_by(BookingRow.start_at, BookingRow.id))
        return [_booking(r) for r in result.scalars()]

    async def handovers(self, citizen_id: int) -> list[Handover]:
        result = await self.session.execute(select(HandoverRow).where(
            HandoverRow.citizen_id == citizen_id).order_by(HandoverRow.opened_at,
                                                           HandoverRow.id))
        return [_handover(r) for r in result.scalars()]


def _outcome(row: MeetingOutcomeRow) -> MeetingOutcome:
    return MeetingOutcome(row.booking_id, row.kind, row.recorded_by, row.recorded_at,
                          row.service, row.referral_code)
