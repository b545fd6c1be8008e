"""Updates put aside (dead letters) against real SQLite and PostgreSQL: recorded without text,
counted, listed, cleared, and gone with the citizen's data on erasure and by retention."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from domain.model import Citizen, DeadLetter

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


async def put(uow_factory, *letters: DeadLetter) -> None:
    async with uow_factory() as uow:
        for letter in letters:
            await uow.dead_letters.add(letter)
        await uow.commit()


async def test_dead_letters_are_counted_listed_newest_first_and_cleared(uow_factory):
    await put(uow_factory,
              DeadLetter(10, 401, NOW - timedelta(days=10), "handle", "DBAPIError", 1,
                         "message"),
              DeadLetter(11, None, NOW - timedelta(days=1), "parse", "TypeError", 1),
              DeadLetter(12, 402, NOW, "send", "BadRequest", 3, "callback_query"))
    async with uow_factory() as uow:
        assert await uow.dead_letters.count() == 3
        assert await uow.dead_letters.count(NOW - timedelta(days=7)) == 2
        latest = await uow.dead_letters.latest(2)
    assert [(d.update_id, d.stage, d.error, d.attempts) for d in latest] == [
        (12, "send", "BadRequest", 3), (11, "parse", "TypeError", 1)]
    assert latest[0].at == NOW and latest[0].kind == "callback_query"
    async with uow_factory() as uow:
        assert await uow.dead_letters.clear(NOW - timedelta(days=2)) == 1
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.dead_letters.count() == 2
        assert await uow.dead_letters.clear() == 2
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.dead_letters.count() == 0


async def test_erasure_takes_the_citizens_dead_letters_even_if_they_were_never_stored(
        uow_factory):
    async with uow_factory() as uow:
        await uow.citizens.add(Citizen(403, NOW, NOW, language="ar"))
        await uow.commit()
    await put(uow_factory, DeadLetter(20, 403, NOW, "handle", "DBAPIError"),
              DeadLetter(21, 404, NOW, "handle", "DBAPIError"))  # 404 was never stored
    async with uow_factory() as uow:
        exported = await uow.privacy.export(403)
        assert exported is not None and exported["messages_put_aside"][0]["stage"] == "handle"
        await uow.privacy.erase(403, NOW)
        await uow.commit()
    async with uow_factory() as uow:
        assert [d.citizen_id for d in await uow.dead_letters.latest(10)] == [404]


async def test_retention_purges_old_dead_letters(uow_factory):
    await put(uow_factory, DeadLetter(30, 405, NOW - timedelta(days=200), "send", "BadRequest"),
              DeadLetter(31, 406, NOW - timedelta(days=2), "send", "BadRequest"))
    async with uow_factory() as uow:
        await uow.privacy.purge(NOW, NOW - timedelta(days=180), NOW - timedelta(days=365))
        await uow.commit()
    async with uow_factory() as uow:
        assert [d.update_id for d in await uow.dead_letters.latest(10)] == [31]
