"""Approvals and corrections of FAQ answers made in Telegram (the content overlay)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.review import Review
from storage.tables import ContentReviewRow

_FIELDS = ("state", "text", "source_version", "source_text", "checked", "checked_by")


_COLUMNS = ContentReviewRow.__table__.c
#: The hot path (each FAQ answer a citizen reads): one topic, a few languages, as Core.
_OF_TOPIC = select(ContentReviewRow.__table__).where(
    _COLUMNS.topic == bindparam("topic"),
    _COLUMNS.language.in_(bindparam("languages", expanding=True)))


def _review(row: Any) -> Review:
    return Review(row.language, row.topic, by=row.reviewed_by,
                  by_id=row.reviewed_by_id, at=row.reviewed_at,
                  **{name: getattr(row, name) for name in _FIELDS})


class SqlContentReviews:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get_many(self, keys: Sequence[tuple[str, str]]) -> list[Review]:
        found: list[Review] = []
        for topic in sorted({t for _, t in keys}):
            languages = sorted({lang for lang, t in keys if t == topic})
            conn = await self.session.connection()
            result = await conn.execute(_OF_TOPIC, {"topic": topic, "languages": languages})
            found.extend(_review(row) for row in result)
        return found

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
