"""Export, erasure and retention against real SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from domain.booking import Booking
from domain.model import Citizen, Conversation, ConversationState, Handover, TranscriptEntry
from domain.state import ConversationData, Intake
from storage.database import create_engine
from storage.tables import BookingRow, HandoverRow, TallyRow, TranscriptRow

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


async def seed(uow_factory, citizen_id: int, last_seen: datetime) -> None:
    async with uow_factory() as uow:
        await uow.citizens.add(Citizen(citizen_id, last_seen, last_seen, language="ar",
                                       referral="centro_impiego"))
        await uow.conversations.save(Conversation(
            citizen_id, ConversationState.IDLE, ConversationData(misunderstood=1)))
        await uow.transcript.add(TranscriptEntry(citizen_id, "in", "text", "synthetic words",
                                                 None, last_seen))
        await uow.bookings.add(Booking(citizen_id, f"p{citizen_id}", "labour_expert",
                                       NOW + timedelta(days=3),
                                       NOW + timedelta(days=3, minutes=30),
                                       last_seen, needs=["work"], description="my own words"))
        await uow.bookings.add(Booking(citizen_id, f"p{citizen_id}", "labour_expert",
                                       NOW - timedelta(days=40),
                                       NOW - timedelta(days=40, minutes=-30), last_seen,
                                       needs=["work"], status="attended"))
        await uow.handovers.add(Handover(citizen_id, "asked", last_seen,
                                         first_human_at=last_seen + timedelta(minutes=7),
                                         status="closed", closed_at=last_seen))
        await uow.commit()


async def test_export_holds_everything_about_the_citizen(uow_factory):
    await seed(uow_factory, 301, NOW)
    async with uow_factory() as uow:
        data = await uow.privacy.export(301)
    assert data["citizen"]["referral"] == "centro_impiego"
    assert [m["text"] for m in data["messages"]] == ["synthetic words"]
    assert len(data["appointments"]) == 2
    assert data["appointments"][1]["description"] == "my own words"


async def test_erasure_leaves_only_anonymous_counts(uow_factory, database_url):
    await seed(uow_factory, 302, NOW)
    async with uow_factory() as uow:
        cancelled = await uow.privacy.erase(302, NOW)
        await uow.commit()
    assert [c["role"] for c in cancelled] == ["labour_expert"]
    async with uow_factory() as uow:
        assert await uow.privacy.export(302) is None
    engine = create_engine(database_url)
    async with engine.connect() as conn:
        for table in (TranscriptRow, BookingRow, HandoverRow):
            assert (await conn.execute(select(func.count()).select_from(table))).scalar() == 0
        tallies = {(m, k): n for m, k, n in (await conn.execute(
            select(TallyRow.metric, TallyRow.key, TallyRow.n))).all()}
    await engine.dispose()
    assert tallies[("citizens.referral", "centro_impiego")] == 1
    assert tallies[("bookings.cancelled", "labour_expert")] == 1
    assert tallies[("handovers.first_answer_s_sum", "all")] == 420


async def test_retention_removes_old_transcripts_and_anonymises_old_cases(uow_factory):
    await seed(uow_factory, 303, NOW - timedelta(days=40))   # quiet for 40 days
    await seed(uow_factory, 304, NOW - timedelta(days=400))  # quiet for 400 days
    await seed(uow_factory, 305, NOW - timedelta(days=2))    # recent
    async with uow_factory() as uow:
        # the 400-day case still has a future appointment in seed(); cancel it first
        for booking in await uow.bookings.for_citizen(304, NOW):
            booking.status = "cancelled"
            await uow.bookings.save(booking)
        counts = await uow.privacy.purge(NOW, NOW - timedelta(days=30),
                                         NOW - timedelta(days=365))
        await uow.commit()
    assert counts["citizens_anonymised"] == 1
    async with uow_factory() as uow:
        assert await uow.privacy.export(304) is None
        old = await uow.privacy.export(303)
        recent = await uow.privacy.export(305)
    assert old["messages"] == [] and all(a["description"] is None
                                         for a in old["appointments"])
    assert [m["text"] for m in recent["messages"]] == ["synthetic words"]


# -- item 13: nothing left behind: conversation data, forgotten hand-overs, staff copies ----

async def seed_thread(uow_factory, citizen_id: int, thread: int, copies: list[int]) -> None:
    """The citizen's staff thread, with the bot's copies of their messages linked."""
    from domain.model import Topic

    async with uow_factory() as uow:
        await uow.handovers.save_topic(Topic(citizen_id, f"T-{citizen_id}", thread))
        for index, copy in enumerate(copies):
            await uow.handovers.link(citizen_id, 10 + index, copy, NOW)
        await uow.commit()


async def test_retention_clears_old_conversation_data_and_closes_forgotten_handovers(
        uow_factory):
    old, recent = NOW - timedelta(days=40), NOW - timedelta(days=2)
    for citizen_id, seen in ((311, old), (312, recent)):
        await seed(uow_factory, citizen_id, seen)
        async with uow_factory() as uow:
            conversation = await uow.conversations.get(citizen_id)
            conversation.state = ConversationState.CHOOSING_TIME
            conversation.data = ConversationData(Intake(description="my unfinished words"),
                                                 handover=True)
            await uow.conversations.save(conversation)
            await uow.handovers.add(Handover(citizen_id, "asked", seen))  # never closed
            await uow.commit()
        await seed_thread(uow_factory, citizen_id, 5000 + citizen_id, [7001, 7002])
    async with uow_factory() as uow:
        counts = await uow.privacy.purge(NOW, NOW - timedelta(days=30),
                                         NOW - timedelta(days=365))
        await uow.commit()
    assert counts["conversations_cleared"] == 1 and counts["handovers_closed"] == 1
    async with uow_factory() as uow:
        quiet = await uow.conversations.get(311)
        busy = await uow.conversations.get(312)
        assert (quiet.state, quiet.data) == ("idle", ConversationData())
        assert busy.data.intake.description == "my unfinished words"
        assert await uow.handovers.open_for(311) is None
        assert await uow.handovers.open_for(312) is not None
        assert (await uow.handovers.topic(311)).thread_id is None  # a new one if they return
        assert (await uow.handovers.topic(312)).thread_id == 5312
        assert await uow.handovers.staff_message_of(311, 10) is None
        jobs = await uow.privacy.claim_topic_deletions("w1", NOW, 10)
        await uow.commit()
    assert [(j.thread_id, sorted(j.message_ids), j.notice) for j in jobs] == [
        (5311, [7001, 7002], None)]


async def test_an_erased_citizens_staff_topic_waits_in_a_row_until_the_channel_deleted_it(
        uow_factory):
    await seed(uow_factory, 313, NOW)
    await seed_thread(uow_factory, 313, 5313, [7101, 7102, 7103])
    async with uow_factory() as uow:
        await uow.privacy.erase(313, NOW)
        await uow.privacy.queue_staff_notice("Case T-313: erased", NOW)
        await uow.commit()
    async with uow_factory() as uow:  # a worker claims them, then dies before deleting
        first = await uow.privacy.claim_topic_deletions("w1", NOW, 10)
        await uow.commit()
    assert [(j.thread_id, sorted(j.message_ids)) for j in first] == [
        (5313, [7101, 7102, 7103]), (None, [])]
    assert first[1].notice == "Case T-313: erased"
    async with uow_factory() as uow:  # claimed: another worker does not take them at once
        assert await uow.privacy.claim_topic_deletions("w2", NOW, 10) == []
    async with uow_factory() as uow:  # the dead worker's claim expires
        again = await uow.privacy.claim_topic_deletions("w2", NOW + timedelta(minutes=30), 10)
        for job in again:
            await uow.privacy.topic_deleted(job.id)
        await uow.commit()
    assert [j.id for j in again] == [j.id for j in first]
    async with uow_factory() as uow:
        assert await uow.privacy.claim_topic_deletions("w3", NOW + timedelta(hours=2), 10) == []
