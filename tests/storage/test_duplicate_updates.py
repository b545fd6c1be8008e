"""One Telegram update delivered twice at the same moment (a webhook retry racing the first
delivery, to two workers) is handled once, on real SQLite and real PostgreSQL."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from domain.messages import ContentType, Inbound
from storage.database import create_engine
from storage.tables import BookingRow, TranscriptRow
from tests.fakes import KeywordUnderstanding
from tests.telegram.helpers import make_engine


async def count(url: str, row: type, **where: object) -> int:
    db = create_engine(url)
    query = select(func.count()).select_from(row)
    for name, value in where.items():
        query = query.where(getattr(row, name) == value)
    async with db.connect() as conn:
        n = (await conn.execute(query)).scalar_one()
    await db.dispose()
    return int(n)


async def test_the_same_update_at_once_in_two_workers_acts_once(database_url):
    first, db1 = make_engine(database_url, KeywordUnderstanding({}))
    second, db2 = make_engine(database_url, KeywordUnderstanding({}))
    citizen, update_id = 4242, 900_001
    await first.handle(Inbound(citizen, text="/book", language_hint="it", update_id=1))
    steps = ("consent:yes", "need:work", "needs_done", "urg:week", "mlang:it", "skip")
    for n, step in enumerate(steps, start=2):
        await first.handle(Inbound(citizen, payload=step, language_hint="it",
                                   content_type=ContentType.BUTTON, update_id=n))
    choice = (await first.handle(Inbound(citizen, payload="days", language_hint="it",
                                         content_type=ContentType.BUTTON, update_id=20)))
    slot = next(b.payload for row in choice[-1].buttons for b in row
                if b.payload.startswith(("day:", "slot:")))
    if slot.startswith("day:"):
        times = await first.handle(Inbound(citizen, payload=slot, language_hint="it",
                                           content_type=ContentType.BUTTON, update_id=21))
        slot = next(b.payload for row in times[-1].buttons for b in row
                    if b.payload.startswith("slot:"))
    before = await count(database_url, TranscriptRow, citizen_id=citizen)

    press = Inbound(citizen, payload=slot, language_hint="it",
                    content_type=ContentType.BUTTON, update_id=update_id)
    answers = await asyncio.gather(first.handle(press), second.handle(press))
    await db1.dispose()
    await db2.dispose()

    assert await count(database_url, BookingRow, citizen_id=citizen, status="active") == 1
    # one press and its replies in the transcript, not two
    assert await count(database_url, TranscriptRow, citizen_id=citizen) - before == 1 + len(
        [r for r in answers[0] or answers[1] if r.text or r.file])
    confirmations = [a for a in answers if a and a[0].text.startswith("✅")]
    assert confirmations  # the confirmation is not lost; the other run sends it again
    # only if it was not yet confirmed sent (nothing was sent here)
