"""SQLite transactions of one process take turns in the order they asked (they used to
retry in SQLite's busy handler, which sleeps up to 100 ms between tries, in any order)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from domain.model import Citizen
from storage.database import create_engine, session_factory, upgrade_async
from storage.repositories import SqlUnitOfWorkFactory

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


async def test_sqlite_transactions_take_turns_in_order_and_a_nested_one_passes(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'turns.db'}"
    await upgrade_async(url)
    db = create_engine(url)
    factory = SqlUnitOfWorkFactory(session_factory(db))
    order: list[int] = []

    async def write(citizen_id: int) -> None:
        async with factory() as uow:
            order.append(citizen_id)
            await uow.citizens.add(Citizen(id=citizen_id, first_seen=NOW, last_seen=NOW))
            await uow.commit()

    async with factory() as first:
        # One opened inside by the same task, before the first wrote, passes (as before).
        async with factory() as nested:
            assert await nested.citizens.get(99) is None
        await first.citizens.add(Citizen(id=1, first_seen=NOW, last_seen=NOW))
        waiting = []
        for citizen_id in (2, 3, 4, 5):
            waiting.append(asyncio.create_task(write(citizen_id)))
            await asyncio.sleep(0.01)  # each asks after the one before
        assert order == []  # none got in while the first was open (tasks it started too)
        await first.commit()
    await asyncio.gather(*waiting)
    assert order == [2, 3, 4, 5]
    async with factory() as uow:
        assert all([await uow.citizens.get(i) for i in range(1, 6)])
    await factory.mark_sent([12345], NOW)  # the short confirmation takes its turn too
    await db.dispose()
