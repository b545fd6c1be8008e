"""Registered staff members and the record of removed ones (told, then done)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from domain.model import StaffMember, StaffRemoval
from storage.tables import StaffRemovalRow, StaffRow


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
