"""The relay outbox (staff -> citizen) on SQLite and PostgreSQL: one message per citizen at a
time, in order, never taken by two workers, held back after a transient failure."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from domain.model import Citizen, RelayMessage

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


async def _queue(uow_factory, *items: tuple[int, str]) -> None:
    async with uow_factory() as uow:
        for citizen in sorted({c for c, _ in items}):
            await uow.citizens.add(Citizen(citizen, NOW, NOW))
        await uow.commit()
    for citizen, text in items:  # one transaction each, as staff messages come
        async with uow_factory() as uow:
            await uow.relay.add(RelayMessage(citizen, staff_message_id=len(text), copy=True,
                                             record_kind="staff_text", text=text), NOW)
            await uow.commit()


async def _claim(uow_factory, worker: str, now: datetime = NOW,
                 citizen: int | None = None) -> list[RelayMessage]:
    async with uow_factory() as uow:
        taken = list(await uow.relay.claim(worker, now, 50, citizen))
        await uow.commit()
    return taken


async def _done(uow_factory, message: RelayMessage) -> None:
    async with uow_factory() as uow:
        assert message.id is not None
        await uow.relay.done(message.id)
        await uow.commit()


async def test_only_the_first_message_of_each_citizen_is_taken_in_order(uow_factory):
    await _queue(uow_factory, (1, "a1"), (2, "b1"), (1, "a2"), (1, "a3"))
    first = await _claim(uow_factory, "w1")
    assert [(m.citizen_id, m.text) for m in first] == [(1, "a1"), (2, "b1")]
    assert first[0].copy and first[0].record_kind == "staff_text"
    assert first[0].created_at == NOW
    assert await _claim(uow_factory, "w2") == []  # held by w1; a2 waits behind a1
    await _done(uow_factory, first[0])
    assert [m.text for m in await _claim(uow_factory, "w2")] == ["a2"]
    assert [m.text for m in await _claim(uow_factory, "w2", citizen=2)] == []


async def test_two_workers_claiming_at_once_never_take_the_same_message(uow_factory):
    await _queue(uow_factory, *[(c, f"m{c}") for c in range(10, 30)])
    taken = await asyncio.gather(*(_claim(uow_factory, f"w{i}") for i in range(4)))
    ids = [m.id for batch in taken for m in batch]
    assert len(ids) == len(set(ids)) == 20


async def test_a_message_to_retry_holds_back_the_next_until_it_is_due(uow_factory):
    await _queue(uow_factory, (3, "c1"), (3, "c2"))
    (head,) = await _claim(uow_factory, "w1")
    async with uow_factory() as uow:
        assert head.id is not None
        await uow.relay.retry_at(head.id, NOW + timedelta(seconds=30))
        await uow.commit()
    assert await _claim(uow_factory, "w1", NOW + timedelta(seconds=10)) == []
    (again,) = await _claim(uow_factory, "w2", NOW + timedelta(seconds=30))
    assert again.text == "c1" and again.attempts == 1


async def test_a_dead_workers_claim_is_taken_again_after_a_while(uow_factory):
    await _queue(uow_factory, (4, "d1"))
    await _claim(uow_factory, "dead")
    assert await _claim(uow_factory, "w1", NOW + timedelta(minutes=1)) == []
    assert [m.text for m in await _claim(uow_factory, "w1", NOW + timedelta(minutes=6))] == [
        "d1"]
