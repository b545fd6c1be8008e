"""Hand-over and staff tools through the engine's public API, on the in-memory fakes (no
Telegram): what a citizen's /human opens, the relay, the end, an emergency on the way, the
mediators' commands, the agenda and closed days."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from domain.booking import Booking
from domain.content import Content
from domain.directory import Directory
from domain.engine import Engine
from domain.events import Alarm, RelayToStaff
from domain.messages import Inbound, Reply
from domain.model import Citizen, StaffMember
from domain.staff import StaffDesk
from domain.turn import EngineConfig
from tests.fakes import EchoTranslations, FakeUowFactory, FixedClock, KeywordUnderstanding

ROME = ZoneInfo("Europe/Rome")
CITIZEN, OTHER = 4101, 4102  # synthetic people
MEDIATOR, EXPERT, COORDINATOR, STRANGER = 6001, 6002, 6003, 6999
THREAD = 801
INTENTS = {"persona": "human_handover", "picchia": "emergency", "fiscale": "faq_tax_code"}
MONDAY = datetime(2026, 11, 30, 9, 0, tzinfo=ROME).astimezone(UTC)


def desk(engine: Engine) -> StaffDesk:
    """The staff's use cases, apart from the citizen's turn."""
    return engine.desk


@pytest.fixture
def uow() -> FakeUowFactory:
    return FakeUowFactory()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()  # Thursday 26 November 2026, 10:00 in Rome: the office is open


@pytest.fixture
async def engine(uow: FakeUowFactory, clock: FixedClock, directory: Directory,
                 content: Content) -> Engine:
    engine = Engine(uow, EchoTranslations(mark=False), KeywordUnderstanding(INTENTS), clock,
                    directory, content, EngineConfig(staff_chat=True))
    now = clock.now()
    async with uow() as tx:
        await tx.staff.add(StaffMember(MEDIATOR, "Amina", "mediator", ("it", "ar")), now)
        await tx.staff.add(StaffMember(EXPERT, "Bruno", "labour_expert", ("it",), "le1"), now)
        await tx.staff.add(StaffMember(COORDINATOR, "Carla", "coordinator", ("it",)), now)
        await tx.commit()
    return engine


async def say(engine: Engine, text: str | None = None, payload: str | None = None,
              user: int = CITIZEN) -> list[Reply]:
    return await engine.handle(Inbound(user, text=text, payload=payload, language_hint="en"))


def events(replies: list[Reply]) -> list[str | None]:
    return [r.event.name if r.event else None for r in replies]


async def handed_over(engine: Engine, user: int = CITIZEN) -> None:
    """The citizen asked for a person and the channel opened their thread."""
    replies = await say(engine, "/human", user=user)
    assert events(replies) == ["handover:asked"]
    await engine.handover.set_thread(user, THREAD + user - CITIZEN)


# -- the citizen's side ---------------------------------------------------------------------


async def test_human_opens_a_hand_over_with_a_case_and_a_way_back(engine, uow):
    replies = await say(engine, "/human")
    assert events(replies) == ["handover:asked"]
    assert "passing your conversation to a person" in replies[0].text
    assert [b.payload for row in replies[0].buttons for b in row] == ["endhuman"]
    (handover,) = uow.store.handovers.values()
    assert (handover.citizen_id, handover.status, handover.reason, handover.priority) == (
        CITIZEN, "waiting", "asked", 0)
    assert uow.store.topics[CITIZEN].case_code
    assert uow.store.conversations[CITIZEN].data.handover is True
    assert await engine.waiting_handovers() == 1


async def test_while_a_person_has_it_the_bot_relays_and_stays_silent(engine, uow):
    await handed_over(engine)
    replies = await say(engine, "codice fiscale?")  # a question the bot could answer
    assert [(r.event, r.text) for r in replies] == [(RelayToStaff(THREAD), "")]
    last = uow.store.transcript[-1]
    assert (last.direction, last.text) == ("in", "codice fiscale?")


async def test_commands_still_work_in_a_hand_over_and_are_relayed_too(engine):
    await handed_over(engine)
    replies = await say(engine, "/privacy")
    assert isinstance(replies[0].event, RelayToStaff)
    assert "data controller" in replies[1].text


async def test_the_citizen_ends_the_hand_over_and_the_bot_answers_again(engine, uow):
    await handed_over(engine)
    replies = await say(engine, payload="endhuman")
    assert events(replies)[-1] == "handover_closed"
    assert "automated assistant again" in replies[-1].text
    (handover,) = uow.store.handovers.values()
    assert handover.status == "closed" and handover.closed_at is not None
    assert not uow.store.conversations[CITIZEN].data.handover
    replies = await say(engine, "codice fiscale?")
    assert "relay" not in events(replies)
    assert await engine.waiting_handovers() == 0


async def test_danger_in_a_hand_over_raises_its_priority_and_alarms_the_thread(engine, uow):
    await handed_over(engine, OTHER)  # someone else waits first
    await handed_over(engine)
    replies = await say(engine, "mi picchia")
    assert events(replies) == ["emergency", "relay", "alarm"]
    assert "112" in replies[0].text
    assert replies[-1].event == Alarm(THREAD)
    handover = next(h for h in uow.store.handovers.values() if h.citizen_id == CITIZEN)
    assert (handover.priority, handover.reason) == (2, "emergency")
    outcome = await engine.mediation.staff_input(MEDIATOR, None, "/queue")
    first, second = outcome.to_thread[0].splitlines()[1:]
    assert first.startswith("🚨 " + uow.store.topics[CITIZEN].case_code)
    assert second.startswith(uow.store.topics[OTHER].case_code)


async def test_danger_before_any_hand_over_opens_one_first_in_the_queue(engine, uow):
    replies = await say(engine, "mi picchia")
    assert events(replies) == ["emergency", "handover:emergency"]
    (handover,) = uow.store.handovers.values()
    assert (handover.priority, handover.reason) == (2, "emergency")


# -- the mediators' side --------------------------------------------------------------------


async def test_a_mediator_claims_writes_and_closes(engine, uow):
    await handed_over(engine)
    staff = engine.mediation
    claimed = await staff.staff_input(MEDIATOR, THREAD, "/claim", message_id=1)
    assert claimed.citizen_id == CITIZEN
    assert claimed.to_thread == ["Claimed by Amina."]
    assert "Amina" in claimed.to_citizen[0].text
    (handover,) = uow.store.handovers.values()
    assert (handover.status, handover.claimed_by) == ("claimed", MEDIATOR)
    written = await staff.staff_input(MEDIATOR, THREAD, "Buongiorno", message_id=2)
    assert written.relay is True
    queued = await staff.take_relay("w1")
    assert [(m.citizen_id, m.copy, (m.reply or {}).get("text")) for m in queued] == [
        (CITIZEN, False, claimed.to_citizen[0].text)]
    await staff.relay_delivered(queued[0], 900)
    queued = await staff.take_relay("w1")
    assert [(m.copy, m.staff_message_id, m.text) for m in queued] == [(True, 2, "Buongiorno")]
    closed = await staff.staff_input(MEDIATOR, THREAD, "/close", message_id=3)
    assert closed.close_thread is True
    assert uow.store.handovers[handover.id].status == "closed"
    assert not uow.store.conversations[CITIZEN].data.handover
    replies = await say(engine, "codice fiscale?")
    assert "relay" not in events(replies)


async def test_a_note_stays_with_the_staff(engine, uow):
    await handed_over(engine)
    outcome = await engine.mediation.staff_input(MEDIATOR, THREAD, "/note called the school")
    assert outcome.to_citizen == [] and not outcome.relay
    assert uow.store.transcript[-1].direction == "note"
    assert await engine.mediation.take_relay("w1") == []


async def test_strangers_and_other_threads_get_nothing(engine, uow):
    await handed_over(engine)
    staff = engine.mediation
    assert await staff.staff_input(STRANGER, THREAD, "/claim") is None
    assert await staff.staff_input(MEDIATOR, 999, "hello") is None
    assert await staff.take_relay("w1") == []
    assert next(iter(uow.store.handovers.values())).status == "waiting"


async def test_a_staff_update_delivered_twice_is_written_once(engine):
    await handed_over(engine)
    staff = engine.mediation
    assert await staff.staff_input(MEDIATOR, THREAD, "Ciao", message_id=5, update_id=42)
    assert await staff.staff_input(MEDIATOR, THREAD, "Ciao", message_id=5,
                                   update_id=42) is None
    assert len(await staff.take_relay("w1")) == 1


# -- the agenda and closed days ------------------------------------------------------------


@pytest.fixture
async def booked(engine, uow, clock) -> Engine:
    now = clock.now()
    async with uow() as tx:
        for citizen, language in ((CITIZEN, "fr"), (OTHER, "ar")):
            await tx.citizens.add(Citizen(citizen, now, now, language=language))
        await tx.bookings.add(Booking(CITIZEN, "le1", "labour_expert", MONDAY,
                                      MONDAY + timedelta(minutes=30), now, needs=["work"],
                                      meeting_language="fr"))
        await tx.bookings.add(Booking(OTHER, "sw1", "social_worker", MONDAY,
                                      MONDAY + timedelta(minutes=30), now, needs=["housing"],
                                      meeting_language="ar"))
        await tx.commit()
    return engine


def codes(view: Any, uow: FakeUowFactory) -> list[str]:
    return [b.case_code for b in uow.store.bookings.values()
            if any(b.case_code in text for text, _ in view.messages)]


async def test_an_expert_sees_their_agenda_a_coordinator_everyones(booked, uow):
    staff = desk(booked)
    mine = await staff.agenda(EXPERT, "2026-11-30")
    assert [b.professional_id for b in uow.store.bookings.values()
            if b.case_code in codes(mine, uow)] == ["le1"]
    assert mine.personal is True
    everyone = await staff.agenda(COORDINATOR, "2026-11-30")
    assert len(codes(everyone, uow)) == 2
    assert await staff.agenda(STRANGER, "week") is None
    assert "Write /agenda" in (await staff.agenda(EXPERT, "someday")).messages[0][0]


async def test_closing_a_day_lists_its_citizens_and_cancelling_tells_them(booked, uow):
    staff = desk(booked)
    refused = await staff.close_day(EXPERT, "2026-11-30")
    assert refused.messages[0][0] == "Only a coordinator can do this."
    assert uow.store.closures == []
    view = await staff.close_day(COORDINATOR, "2026-11-30 strike")
    assert len(codes(view, uow)) == 2
    payloads = [b.payload for row in view.messages[0][1] for b in row]
    assert payloads == ["stf:keep.20261130", "stf:drop.20261130", "stf:open.20261130"]
    answer = await staff.staff_button(COORDINATOR, "stf:drop.20261130")
    assert "2 appointments cancelled" in answer.text
    assert {b.status for b in uow.store.bookings.values()} == {"cancelled"}
    told = {row["message"].citizen_id for row in uow.store.outbox}
    assert told == {CITIZEN, OTHER}


async def test_an_appointment_is_marked_once_it_has_begun(booked, uow, clock):
    staff = desk(booked)
    booking = next(b for b in uow.store.bookings.values() if b.professional_id == "le1")
    early = await staff.staff_button(EXPERT, f"stf:att.{booking.id}")
    assert "has not begun yet" in early.text
    clock.current = MONDAY + timedelta(minutes=40)
    done = await staff.staff_button(EXPERT, f"stf:att.{booking.id}")
    assert done.text == f"{booking.case_code}: marked attended."
    again = await staff.staff_button(EXPERT, f"stf:att.{booking.id}")
    assert "already attended" in again.text
    other = next(b for b in uow.store.bookings.values() if b.professional_id == "sw1")
    assert "not yours" in (await staff.staff_button(EXPERT, f"stf:nos.{other.id}")).text
