"""The same scenarios against the in-memory fakes (``tests/fakes.py``) and real storage
(SQLite, and PostgreSQL when configured): a fake that drifts from storage fails here, so
the domain tests that run on the fakes say what the service does."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from domain.booking import Booking, SlotTaken
from domain.model import (
    Citizen,
    Conversation,
    ConversationState,
    DeadLetter,
    Handover,
    RelayMessage,
    StaffMember,
    Topic,
)
from domain.ports import ConcurrentUpdate, UnitOfWorkFactory
from domain.state import ConversationData, Intake
from tests.conftest import database_urls, migrated_database
from tests.fakes import FakeUowFactory

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
ANNA, BOB, CARL = 5001, 5002, 5003  # synthetic citizens
MEDIATOR, COORDINATOR = 7001, 7002


@pytest.fixture(params=["fake", *database_urls()])
async def uows(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Any]:
    """A unit-of-work factory: the fakes', or storage's over a fresh database."""
    if request.param == "fake":
        yield FakeUowFactory()
        return
    from storage.database import create_engine, session_factory
    from storage.uow import SqlUnitOfWorkFactory

    async with migrated_database(request.param, tmp_path) as url:
        engine = create_engine(url)
        yield SqlUnitOfWorkFactory(session_factory(engine))
        await engine.dispose()


async def citizens(uows: UnitOfWorkFactory, *ids: int) -> None:
    async with uows() as uow:
        for citizen_id in ids:
            await uow.citizens.add(Citizen(citizen_id, NOW, NOW, language="en"))
        await uow.commit()


# -- hand-overs, topics, links ------------------------------------------------------------


async def test_hand_overs_open_save_and_wait_in_order(uows):
    await citizens(uows, ANNA, BOB, CARL)
    async with uows() as uow:
        assert await uow.handovers.open_for(ANNA) is None
        first = Handover(ANNA, "asked", NOW)
        await uow.handovers.add(first)
        await uow.handovers.add(Handover(BOB, "asked", NOW - timedelta(minutes=5)))
        await uow.handovers.add(Handover(CARL, "emergency", NOW, priority=2))
        await uow.commit()
    assert first.id is not None
    async with uows() as uow:
        found = await uow.handovers.open_for(ANNA)
        assert found == first
        assert [h.citizen_id for h in await uow.handovers.waiting()] == [CARL, BOB, ANNA]
        found.status, found.claimed_by, found.claimed_at = "claimed", MEDIATOR, NOW
        found.first_human_at, found.announced = NOW, True
        await uow.handovers.save(found)
        await uow.commit()
    async with uows() as uow:
        claimed = await uow.handovers.open_for(ANNA)
        assert claimed == replace(first, status="claimed", claimed_by=MEDIATOR,
                                  claimed_at=NOW, first_human_at=NOW, announced=True)
        assert [h.citizen_id for h in await uow.handovers.waiting()] == [CARL, BOB]
        claimed.status, claimed.closed_at = "closed", NOW
        await uow.handovers.save(claimed)
        again = Handover(ANNA, "misunderstood", NOW + timedelta(hours=1))
        await uow.handovers.add(again)
        await uow.commit()
    async with uows() as uow:
        latest = await uow.handovers.open_for(ANNA)
        assert latest is not None and latest.id == again.id and latest.id != first.id
        assert latest.reason == "misunderstood"


async def test_a_topic_keeps_its_case_code_and_finds_its_citizen(uows):
    await citizens(uows, ANNA, BOB)
    async with uows() as uow:
        assert await uow.handovers.topic(ANNA) is None
        await uow.handovers.save_topic(Topic(ANNA, "TMS-AAAA", None))
        await uow.handovers.save_topic(Topic(BOB, "TMS-BBBB", 502))
        await uow.commit()
    async with uows() as uow:
        await uow.handovers.save_topic(Topic(ANNA, "TMS-ZZZZ", 501))  # the thread, opened
        await uow.commit()
    async with uows() as uow:
        assert await uow.handovers.topic(ANNA) == Topic(ANNA, "TMS-AAAA", 501)
        assert await uow.handovers.citizen_of_thread(501) == ANNA
        assert await uow.handovers.citizen_of_thread(502) == BOB
        assert await uow.handovers.citizen_of_thread(999) is None


async def test_message_links_go_both_ways_but_the_bots_own_only_one(uows):
    await citizens(uows, ANNA)
    async with uows() as uow:
        await uow.handovers.link(ANNA, 11, 9011, NOW)
        await uow.handovers.link(ANNA, 0, 9000, NOW)  # the bot's summary in the thread
        await uow.commit()
    async with uows() as uow:
        assert await uow.handovers.staff_message_of(ANNA, 11) == 9011
        assert await uow.handovers.staff_message_of(ANNA, 12) is None
        assert await uow.handovers.citizen_message_of(9011) == (ANNA, 11)
        assert await uow.handovers.citizen_message_of(9000) is None


# -- the relay outbox ---------------------------------------------------------------------


async def test_the_relay_outbox_gives_each_citizen_one_message_at_a_time(uows):
    await citizens(uows, ANNA, BOB)
    async with uows() as uow:
        for citizen, text in ((ANNA, "one"), (BOB, "uno"), (ANNA, "two")):
            await uow.relay.add(RelayMessage(citizen, staff_message_id=len(text), copy=True,
                                             record_kind="staff_text", text=text), NOW)
        await uow.commit()
    async with uows() as uow:
        taken = list(await uow.relay.claim("w1", NOW, 50))
        assert [(m.citizen_id, m.text, m.attempts, m.created_at) for m in taken] == [
            (ANNA, "one", 0, NOW), (BOB, "uno", 0, NOW)]
        assert list(await uow.relay.claim("w2", NOW, 50)) == []  # held by w1
        first = taken[0]
        assert first.id is not None
        await uow.relay.retry_at(first.id, NOW + timedelta(seconds=30))
        await uow.commit()
    async with uows() as uow:
        assert list(await uow.relay.claim("w2", NOW, 50, ANNA)) == []  # not due yet
        later = list(await uow.relay.claim("w2", NOW + timedelta(minutes=1), 50, ANNA))
        assert [(m.text, m.attempts) for m in later] == [("one", 1)]
        await uow.relay.done(first.id)
        await uow.commit()
    async with uows() as uow:
        # w2 died holding nothing of Anna's now; Bob's claim by w1 is stale after minutes
        after = NOW + timedelta(minutes=10)
        assert [m.text for m in await uow.relay.claim("w3", after, 50)] == ["uno", "two"]
        assert [m.text for m in await uow.relay.claim("w4", after, 50)] == []


async def test_the_relay_limit_counts_citizens_in_the_order_they_were_queued(uows):
    await citizens(uows, ANNA, BOB, CARL)
    async with uows() as uow:
        for citizen in (CARL, ANNA, BOB):
            await uow.relay.add(RelayMessage(citizen, text=str(citizen)), NOW)
        await uow.commit()
    async with uows() as uow:
        assert [m.citizen_id for m in await uow.relay.claim("w", NOW, 2)] == [CARL, ANNA]


# -- staff --------------------------------------------------------------------------------


async def test_the_staff_registry_and_calendar_feeds(uows):
    amina = StaffMember(MEDIATOR, "Amina", "mediator", ("it", "ar"))
    carla = StaffMember(COORDINATOR, "Carla", "coordinator", ("it",))
    async with uows() as uow:
        assert await uow.staff.get(MEDIATOR) is None
        await uow.staff.add(amina, NOW)
        await uow.staff.add(carla, NOW)
        await uow.commit()
    async with uows() as uow:
        assert await uow.staff.get(MEDIATOR) == amina
        assert [m.name for m in await uow.staff.all()] == ["Carla", "Amina"]  # by role
        await uow.staff.set_feed_token(MEDIATOR, "tok-1")
        await uow.staff.set_feed_token(424242, "tok-x")  # nobody: nothing
        await uow.commit()
    async with uows() as uow:
        assert await uow.staff.by_feed_token("tok-1") == replace(amina, feed_token="tok-1")
        assert await uow.staff.by_feed_token("tok-x") is None
        await uow.staff.add(replace(amina, name="Amina B.", languages=("ur",)), NOW)
        await uow.commit()
    async with uows() as uow:  # registered again: new details, the same feed
        assert await uow.staff.get(MEDIATOR) == StaffMember(
            MEDIATOR, "Amina B.", "mediator", ("ur",), None, "tok-1")


async def test_a_removal_is_told_once_then_done(uows):
    async with uows() as uow:
        await uow.staff.add(StaffMember(MEDIATOR, "Amina", "mediator"), NOW)
        await uow.commit()
    async with uows() as uow:
        assert await uow.staff.remove(MEDIATOR, NOW) is True
        assert await uow.staff.remove(MEDIATOR, NOW) is False
        await uow.commit()
    async with uows() as uow:
        assert await uow.staff.get(MEDIATOR) is None
        (removal,) = await uow.staff.removals_to_tell()
        assert (removal.user_id, removal.name, removal.role, removal.removed_at) == (
            MEDIATOR, "Amina", "mediator", NOW)
        assert removal.id is not None
        assert await uow.staff.removal_told(removal.id, NOW) is True
        assert await uow.staff.removal_told(removal.id, NOW) is False  # told once
        await uow.commit()
    async with uows() as uow:
        assert list(await uow.staff.removals_to_tell()) == []
        assert await uow.staff.removal_told(removal.id, None) is True  # not delivered
        await uow.commit()
    async with uows() as uow:
        assert [r.id for r in await uow.staff.removals_to_tell()] == [removal.id]
        await uow.staff.removal_done(removal.id, NOW)
        await uow.commit()
    async with uows() as uow:
        last = await uow.staff.last_removal(MEDIATOR)
        assert last is not None and last.done_at == NOW and last.told_at is None
        assert await uow.staff.last_removal(COORDINATOR) is None


# -- dead letters, closures, conversations, bookings -----------------------------------


async def test_dead_letters_keep_metadata_cut_to_size(uows):
    async with uows() as uow:
        await uow.dead_letters.add(DeadLetter(1, ANNA, NOW - timedelta(days=2), "handle",
                                              "E" * 100, 3, "message"))
        await uow.dead_letters.add(DeadLetter(2, None, NOW, "sending-too-long", "Boom", 1,
                                              "k" * 40))
        await uow.commit()
    async with uows() as uow:
        assert await uow.dead_letters.count() == 2
        assert await uow.dead_letters.count(since=NOW - timedelta(days=1)) == 1
        newest, oldest = await uow.dead_letters.latest(10)
        assert (newest.update_id, newest.stage, newest.kind) == (2, "sending-", "k" * 32)
        assert (oldest.error, oldest.attempts) == ("E" * 64, 3)
        assert await uow.dead_letters.clear(before=NOW - timedelta(days=1)) == 1
        await uow.commit()
    async with uows() as uow:
        assert [d.update_id for d in await uow.dead_letters.latest(10)] == [2]
        assert await uow.dead_letters.clear() == 1


async def test_a_day_is_closed_once(uows):
    day = date(2026, 12, 8)
    async with uows() as uow:
        await uow.closures.add(day, "holiday", COORDINATOR, NOW)
        await uow.closures.add(day, "again", COORDINATOR, NOW)
        await uow.commit()
    async with uows() as uow:
        assert list(await uow.closures.all()) == [(day, "holiday")]
        assert await uow.closures.remove(day) is True
        assert await uow.closures.remove(day) is False


async def test_content_reviews_are_kept_one_per_language_and_topic(uows):
    from domain.review import REVIEWED, Review

    first = Review("ar", "faq_health_care", REVIEWED, by="Amal", by_id=MEDIATOR, at=NOW,
                   source_version="abc123", source_text="Testo", text="نص مصحح " * 20)
    source = Review("it", "faq_health_care", REVIEWED, by="Carla", by_id=COORDINATOR, at=NOW,
                    checked=date(2026, 11, 26), checked_by="Carla")
    async with uows() as uow:
        await uow.reviews.save(first)
        await uow.reviews.save(source)
        await uow.reviews.save(replace(first, source_version="def456"))
        await uow.commit()
    async with uows() as uow:
        assert await uow.reviews.get_many([]) == []
        (got,) = await uow.reviews.get_many([("ar", "faq_health_care"), ("fr", "faq_tax_code")])
        assert got == replace(first, source_version="def456")
        assert sorted(r.language for r in await uow.reviews.all()) == ["ar", "it"]
        (it,) = await uow.reviews.get_many([("it", "faq_health_care")])
        assert it == source


async def test_a_meeting_outcome_is_recorded_once_and_a_case_is_found_by_either_code(uows):
    from domain.model import MeetingOutcome

    await citizens(uows, ANNA, BOB)
    async with uows() as uow:
        first = Booking(ANNA, "le1", "labour_expert", NOW, NOW + timedelta(minutes=30), NOW,
                        case_code="T-AAAA2")
        later = Booking(ANNA, "le1", "labour_expert", NOW + timedelta(days=1),
                        NOW + timedelta(days=1, minutes=30), NOW, case_code="T-BBBB3")
        await uow.bookings.add(later)
        await uow.bookings.add(first)
        await uow.handovers.save_topic(Topic(ANNA, "T-CCCC4", None))
        await uow.handovers.add(Handover(ANNA, "asked", NOW, status="closed", closed_at=NOW))
        assert first.id is not None and later.id is not None
        referred = MeetingOutcome(first.id, "referred", MEDIATOR, NOW, "cpia", "R-7KQ2M")
        assert await uow.cases.add_outcome(referred) is True
        assert await uow.cases.add_outcome(
            MeetingOutcome(first.id, "pap", COORDINATOR, NOW)) is False
        # a referral code is given once: another booking cannot take it
        assert await uow.cases.add_outcome(MeetingOutcome(
            later.id, "referred", MEDIATOR, NOW, "asl", "R-7KQ2M")) is False
        await uow.commit()
    async with uows() as uow:
        assert list(await uow.cases.outcomes([first.id, later.id])) == [referred]
        assert await uow.cases.outcomes([]) == []
        for code in ("T-AAAA2", "T-BBBB3", "T-CCCC4", "R-7KQ2M"):
            assert await uow.cases.citizen_of_code(code) == ANNA
        assert await uow.cases.citizen_of_code("T-ZZZZ9") is None
        assert await uow.cases.referral("R-7KQ2M") == referred
        assert await uow.cases.referral("R-ZZZZ9") is None
        assert [b.case_code for b in await uow.cases.bookings(ANNA)] == ["T-AAAA2", "T-BBBB3"]
        assert await uow.cases.bookings(BOB) == []
        (handover,) = await uow.cases.handovers(ANNA)
        assert handover.status == "closed" and handover.closed_at == NOW
    async with uows() as uow:  # the citizen's copy of their data says what came of it
        exported = await uow.privacy.export(ANNA)
        assert exported is not None
        assert [a["outcome"] for a in exported["appointments"]] == [
            {"kind": "referred", "service": "cpia", "recorded_at": NOW.isoformat(),
             "referral_code": "R-7KQ2M"}, None]
    async with uows() as uow:  # an erasure takes the outcomes with the bookings
        await uow.privacy.erase(ANNA, NOW)
        await uow.commit()
    async with uows() as uow:
        assert await uow.cases.outcomes([first.id]) == []


async def test_a_conversation_saved_over_a_newer_version_is_refused(uows):
    await citizens(uows, ANNA)
    async with uows() as uow:
        conversation = Conversation(ANNA, ConversationState.INTAKE_NEEDS,
                                    ConversationData(Intake(needs=["work"])))
        await uow.conversations.save(conversation)
        assert conversation.version == 1
        await uow.commit()
    async with uows() as uow:
        stale = await uow.conversations.get(ANNA)
        assert stale == conversation
        fresh = await uow.conversations.get(ANNA)
        fresh.state = ConversationState.IDLE
        await uow.conversations.save(fresh)
        with pytest.raises(ConcurrentUpdate):
            await uow.conversations.save(stale)


async def test_a_slot_is_held_once_and_bookings_come_by_start(uows):
    await citizens(uows, ANNA, BOB)
    start = NOW + timedelta(days=3)
    async with uows() as uow:
        await uow.bookings.add(Booking(ANNA, "sw1", "social_worker", start + timedelta(hours=1),
                                       start + timedelta(hours=2), NOW))
        await uow.bookings.add(Booking(ANNA, "le1", "labour_expert", start,
                                       start + timedelta(hours=1), NOW))
        await uow.commit()
    async with uows() as uow:
        with pytest.raises(SlotTaken):
            await uow.bookings.add(Booking(BOB, "le1", "labour_expert", start,
                                           start + timedelta(hours=1), NOW))
    async with uows() as uow:
        found = await uow.bookings.between(NOW, NOW + timedelta(days=7))
        assert [b.professional_id for b in found] == ["le1", "sw1"]


# -- a transaction undone undoes every repository ------------------------------------------


async def _write_everywhere(uow: Any) -> None:
    await uow.citizens.add(Citizen(BOB, NOW, NOW))
    await uow.handovers.add(Handover(ANNA, "asked", NOW))
    await uow.handovers.save_topic(Topic(ANNA, "TMS-AAAA", 501))
    await uow.handovers.link(ANNA, 1, 2, NOW)
    await uow.relay.add(RelayMessage(ANNA, text="hello"), NOW)
    await uow.staff.add(StaffMember(MEDIATOR, "Amina", "mediator"), NOW)
    await uow.dead_letters.add(DeadLetter(1, ANNA, NOW, "handle", "Boom"))
    await uow.closures.add(date(2026, 12, 8), "holiday", COORDINATOR, NOW)
    await uow.bookings.add(Booking(ANNA, "le1", "labour_expert", NOW, NOW, NOW))
    await uow.updates.remember(77, NOW, [])


async def _nothing_was_written(uows: Any) -> None:
    async with uows() as uow:
        assert await uow.citizens.get(BOB) is None
        assert await uow.handovers.open_for(ANNA) is None
        assert await uow.handovers.topic(ANNA) is None
        assert await uow.handovers.staff_message_of(ANNA, 1) is None
        assert list(await uow.relay.claim("w", NOW, 10)) == []
        assert await uow.staff.get(MEDIATOR) is None
        assert await uow.dead_letters.count() == 0
        assert list(await uow.closures.all()) == []
        assert list(await uow.bookings.between(NOW - timedelta(days=1), NOW + timedelta(1))) == []
        assert await uow.updates.unsent_replies(77) is None


async def test_leaving_without_a_commit_writes_nothing_anywhere(uows):
    await citizens(uows, ANNA)
    async with uows() as uow:
        await _write_everywhere(uow)
    await _nothing_was_written(uows)


async def test_an_exception_writes_nothing_anywhere(uows):
    await citizens(uows, ANNA)
    with pytest.raises(RuntimeError):
        async with uows() as uow:
            await _write_everywhere(uow)
            raise RuntimeError("the turn failed")
    await _nothing_was_written(uows)


async def test_a_rollback_undoes_what_came_after_the_commit(uows):
    await citizens(uows, ANNA)
    async with uows() as uow:
        await uow.staff.add(StaffMember(MEDIATOR, "Amina", "mediator"), NOW)
        await uow.commit()
        await uow.staff.add(StaffMember(COORDINATOR, "Carla", "coordinator"), NOW)
        await uow.rollback()
    async with uows() as uow:
        assert [m.user_id for m in await uow.staff.all()] == [MEDIATOR]


# -- erasure ------------------------------------------------------------------------------


async def test_erasure_queues_the_staff_copies_and_leaves_no_hand_over(uows):
    await citizens(uows, ANNA, BOB)
    async with uows() as uow:
        await uow.handovers.add(Handover(ANNA, "asked", NOW))
        await uow.handovers.save_topic(Topic(ANNA, "TMS-AAAA", 501))
        await uow.handovers.link(ANNA, 11, 9011, NOW)
        await uow.handovers.link(ANNA, 0, 9000, NOW)
        await uow.handovers.add(Handover(BOB, "asked", NOW))
        await uow.relay.add(RelayMessage(ANNA, text="for Anna"), NOW)
        await uow.dead_letters.add(DeadLetter(1, ANNA, NOW, "handle", "Boom"))
        await uow.commit()
    async with uows() as uow:
        export = await uow.privacy.export(ANNA)
        assert export is not None and export["case_code"] == "TMS-AAAA"
        assert len(export["conversations_with_staff"]) == 1
        assert len(export["messages_put_aside"]) == 1
        assert await uow.privacy.erase(ANNA, NOW) == []
        await uow.privacy.queue_staff_notice("A conversation was deleted.", NOW)
        await uow.commit()
    async with uows() as uow:
        assert await uow.privacy.export(ANNA) is None
        assert await uow.handovers.open_for(ANNA) is None
        assert await uow.handovers.topic(ANNA) is None
        assert await uow.handovers.citizen_of_thread(501) is None
        assert await uow.handovers.citizen_message_of(9011) is None
        assert await uow.dead_letters.count() == 0
        assert [m.citizen_id for m in await uow.relay.claim("w", NOW, 10)] == []
        assert [h.citizen_id for h in await uow.handovers.waiting()] == [BOB]
        deletions = list(await uow.privacy.claim_topic_deletions("w", NOW, 10))
        assert [(d.thread_id, d.message_ids, d.notice) for d in deletions] == [
            (501, (9011, 9000), None), (None, (), "A conversation was deleted.")]
        assert list(await uow.privacy.claim_topic_deletions("w2", NOW, 10)) == []
        await uow.privacy.topic_deleted(deletions[0].id)
        await uow.commit()
    async with uows() as uow:
        later = NOW + timedelta(minutes=11)  # a dead worker's claim expires
        assert [d.notice for d in await uow.privacy.claim_topic_deletions("w3", later, 10)
                ] == ["A conversation was deleted."]


async def test_an_erasure_keeps_the_reports_facts_as_tallies(uows):
    """The same anonymous counts on the fake and in storage: the report's facts of the
    citizen (domain.reporting.citizen_facts), by local month, hand-overs in or out of hours,
    the future appointment counted as cancelled."""
    from zoneinfo import ZoneInfo

    from domain.model import MeetingOutcome, WaitEntry
    from domain.reporting import Office

    rome = ZoneInfo("Europe/Rome")
    first = datetime(2026, 10, 31, 23, 30, tzinfo=UTC)  # already November in Rome
    async with uows() as uow:
        await uow.citizens.add(Citizen(ANNA, first, NOW, language="ur", referral="centro_impiego"))
        met = Booking(ANNA, "le1", "labour_expert", NOW - timedelta(days=3),
                      NOW - timedelta(days=3) + timedelta(minutes=30), first, needs=["work"],
                      meeting_language="it", status="attended")
        later = Booking(ANNA, "le1", "labour_expert", NOW + timedelta(days=3),
                        NOW + timedelta(days=3, minutes=30), first, needs=["work"])
        await uow.bookings.add(met)
        await uow.bookings.add(later)
        await uow.cases.add_outcome(MeetingOutcome(met.id, "referred", MEDIATOR, NOW, "cpia"))
        await uow.handovers.add(Handover(ANNA, "asked", NOW - timedelta(hours=2),
                                         first_human_at=NOW - timedelta(hours=2, minutes=-7),
                                         status="closed"))
        await uow.waitlist.add(WaitEntry(ANNA, "mediator", NOW))
        await uow.commit()
    async with uows() as uow:
        await uow.privacy.erase(ANNA, NOW, Office(rome, lambda when: when.hour < 12))
        await uow.commit()
    async with uows() as uow:
        november = await uow.privacy.tallies("2026-11")
        assert await uow.privacy.tallies("2026-10") == {}
    assert november == {
        ("citizens.referral", "centro_impiego"): 1, ("citizens.language", "ur"): 1,
        **{("funnel." + stage, "centro_impiego"): 1 for stage in (
            "contact", "needs", "booked", "attended", "referred", "covered")},
        ("wait.first_appointment_days", "22"): 1,
        ("bookings.attended", "labour_expert"): 1, ("bookings.cancelled", "labour_expert"): 1,
        ("bookings.need", "work"): 2, ("meetings.language", "it"): 1,
        ("meetings.outcome", "referred"): 1, ("meetings.sent_to", "cpia"): 1,
        ("handovers", "asked"): 1, ("handovers.first_answer_s_sum", "all"): 420,
        ("handovers.answered", "all"): 1, ("handovers.answer_min.in", "7"): 1}
