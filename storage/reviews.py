"""Approvals and corrections of FAQ answers made in Telegram (the content overlay)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from domain.review import Review
from storage.tables import ContentReviewRow

_FIELDS = ("state", "text", "source_version", "source_text", "checked", "checked_by")


def _review(row: ContentReviewRow) -> Review:
    return Review(row.language, row.topic, by=row.reviewed_by,
                  by_id=row.reviewed_by_id, at=row.reviewed_at,
                  **{name: getattr(row, name) for name in _FIELDS})


class SqlContentReviews:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get_many(self, keys: Sequence[tuple[str, str]]) -> list[Review]:
        if not keys:
            return []
        result = await self.session.execute(select(ContentReviewRow).where(
            tuple_(ContentReviewRow.language, ContentReviewRow.topic).in_(list(keys))))
        return [_review(row) for row in result.scalars()]

    async def all(self) -> list[Review]:
        result = await self.session.execute(select(ContentReviewRow))
        return [_review(row) for row in result.scalars()]

    async def save(self, review: Review) -> None:
        row = await self.session.get(ContentReviewRow, (review.language, review.topic))
        if row is None:
            row = ContentReviewRow(language=review.language, topic=review.topic)
            self.session.add(row)
        row.reviewed_by, row.reviewed_by_id, row.reviewed_at = review.by, review.by_id, review.at
        for name in _FIELDS:
            setattr(row, name, getattr(review, name))
        await self.session.flush()
