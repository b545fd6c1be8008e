"""Repositories and the unit of work against real SQLite and real PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from domain.model import Citizen, Conversation, ConversationState, TranscriptEntry
from domain.ports import ConcurrentUpdate
from domain.state import ConversationData

IDLE = ConversationState.IDLE
NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


async def test_a_citizen_and_conversation_round_trip(uow_factory):
    async with uow_factory() as uow:
        await uow.citizens.add(Citizen(42, NOW, NOW, language="ur", referral="centro_impiego"))
        await uow.conversations.save(Conversation(42, IDLE, ConversationData(misunderstood=1)))
        await uow.transcript.add(TranscriptEntry(42, "in", "text", "salaam", None, NOW))
        await uow.commit()
    async with uow_factory() as uow:
        citizen = await uow.citizens.get(42)
        conversation = await uow.conversations.get(42)
        transcript = await uow.transcript.recent(42, 10)
    assert citizen is not None and citizen.language == "ur"
    assert citizen.referral == "centro_impiego" and citizen.first_seen == NOW
    assert conversation == Conversation(42, IDLE, ConversationData(misunderstood=1), version=1)
    assert [e.text for e in transcript] == ["salaam"]


async def test_nothing_is_written_without_commit(uow_factory):
    async with uow_factory() as uow:
        await uow.citizens.add(Citizen(43, NOW, NOW))
    async with uow_factory() as uow:
        assert await uow.citizens.get(43) is None


async def test_a_stale_conversation_version_is_refused(uow_factory):
    async with uow_factory() as uow:
        await uow.citizens.add(Citizen(44, NOW, NOW))
        await uow.conversations.save(Conversation(44))
        await uow.commit()
    async with uow_factory() as uow:
        stale = await uow.conversations.get(44)  # read by one handler...
    async with uow_factory() as uow:
        fresh = await uow.conversations.get(44)  # ...while another one writes first
        fresh.state = "choosing_language"
        await uow.conversations.save(fresh)
        await uow.commit()
    async with uow_factory() as uow:
        stale.state = "idle"
        with pytest.raises(ConcurrentUpdate):
            await uow.conversations.save(stale)


async def test_concurrent_first_messages_of_one_citizen_do_not_both_insert(uow_factory):
    async def first_contact() -> str:
        try:
            async with uow_factory() as uow:
                if await uow.citizens.get(45) is None:
                    await uow.citizens.add(Citizen(45, NOW, NOW))
                await uow.conversations.save(Conversation(45))
                await uow.commit()
            return "ok"
        except ConcurrentUpdate:
            return "retry"

    results = await asyncio.gather(*(first_contact() for _ in range(5)))
    assert results.count("ok") >= 1
    async with uow_factory() as uow:
        assert (await uow.conversations.get(45)).version == 1


async def test_transcript_keeps_order_and_long_texts(uow_factory):
    long_text = "ب" * 4096
    async with uow_factory() as uow:
        await uow.citizens.add(Citizen(46, NOW, NOW))
        for i in range(30):
            await uow.transcript.add(TranscriptEntry(46, "in", "text", f"m{i}", None, NOW))
        await uow.transcript.add(TranscriptEntry(46, "in", "text", long_text, None, NOW))
        await uow.commit()
    async with uow_factory() as uow:
        recent = await uow.transcript.recent(46, 3)
    assert [e.text for e in recent] == ["m28", "m29", long_text]


async def test_due_reminders_are_claimed_once_by_competing_workers(uow_factory):
    from domain.booking import Booking

    async with uow_factory() as uow:
        await uow.citizens.add(Citizen(47, NOW, NOW))
        for i in range(10):
            booking = Booking(47, "le1", "labour_expert", NOW.replace(day=28, hour=8 + i),
                              NOW.replace(day=28, hour=8 + i, minute=30), NOW)
            await uow.bookings.add(booking)
            await uow.reminders.add(booking.id, "day_before", NOW)
        await uow.commit()

    async def worker(name: str) -> int:
        total = 0
        for _ in range(5):
            async with uow_factory() as uow:
                total += len(await uow.reminders.claim_due(NOW, name, 3))
                await uow.commit()
        return total

    counts = await asyncio.gather(worker("a"), worker("b"))
    assert sum(counts) == 10


async def test_the_database_refuses_a_second_active_booking_of_a_slot(uow_factory):
    from domain.booking import Booking, SlotTaken

    start = NOW.replace(day=30)
    async with uow_factory() as uow:
        await uow.citizens.add(Citizen(48, NOW, NOW))
        await uow.citizens.add(Citizen(49, NOW, NOW))
        first = Booking(48, "le1", "labour_expert", start, start.replace(minute=30), NOW)
        await uow.bookings.add(first)
        with pytest.raises(SlotTaken):
            await uow.bookings.add(Booking(49, "le1", "labour_expert", start,
                                           start.replace(minute=30), NOW))
        first.status = "cancelled"  # a cancelled booking frees the slot
        await uow.bookings.save(first)
        await uow.bookings.add(Booking(49, "le1", "labour_expert", start,
                                       start.replace(minute=30), NOW))
        await uow.commit()
