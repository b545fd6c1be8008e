"""Booking rules and flows with in-memory fakes: triage, slots, DST, notice, closures."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from domain.booking import free_slots, generate_slots, reminder_times, triage
from domain.directory import Directory
from domain.engine import Engine
from domain.events import Emergency
from domain.messages import ContentType, Inbound, Reply
from tests.fakes import EchoTranslations, FakeUowFactory, FixedClock, KeywordUnderstanding

ROME = ZoneInfo("Europe/Rome")
NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)  # a Thursday


def directory_with(base: Directory, **changes) -> Directory:
    return base.model_copy(update=changes)


def test_triage_follows_the_directory_rules(directory):
    assert triage(directory, ["work", "training"], "it").role == "labour_expert"
    assert triage(directory, ["housing", "money", "work"], "it").role == "social_worker"
    assert triage(directory, ["documents"], "ar").role == "mediator"
    result = triage(directory, ["work"], "fr")
    assert result.reasons == ("work",) and not result.with_mediator  # le1 speaks French


def test_a_meeting_language_the_role_does_not_speak_adds_the_mediator(directory):
    result = triage(directory, ["work"], "zh")
    assert result.role == "labour_expert" and result.with_mediator


def test_the_citizen_may_choose_another_role(directory):
    assert triage(directory, ["work"], "it", preferred_role="social_worker").role == (
        "social_worker")


def test_slots_respect_minimum_notice_windows_and_horizon(directory):
    slots = generate_slots(directory, [p for p in directory.professionals if p.id == "le1"],
                           NOW, ROME)
    assert slots, "the example labour expert has windows on Monday and Wednesday"
    assert min(s.start for s in slots) >= NOW + timedelta(hours=24)
    assert max(s.start for s in slots) <= NOW + timedelta(days=22)
    for slot in slots:
        local = slot.start.astimezone(ROME)
        assert local.weekday() in (0, 2)  # Monday, Wednesday
        assert (local.hour, local.minute) >= (9, 0) and local.hour < 13
        assert slot.end - slot.start == timedelta(minutes=30)
    first = slots[0].start.astimezone(ROME)
    assert (first.date(), first.hour) == (date(2026, 11, 30), 9)


def test_no_slot_on_a_closure_day(directory):
    tuesday_slots = generate_slots(directory, [p for p in directory.professionals
                                               if p.id == "sw1"],
                                   datetime(2026, 12, 15, 9, tzinfo=UTC), ROME)
    days = {s.start.astimezone(ROME).date() for s in tuesday_slots}
    assert date(2026, 12, 22) in days  # an ordinary Tuesday
    assert not days & {date(2026, 12, 24), date(2026, 12, 25), date(2026, 12, 26)}


@pytest.mark.parametrize(("now", "change"), [
    (datetime(2026, 10, 22, 9, tzinfo=UTC), date(2026, 10, 25)),  # summer -> winter time
    (datetime(2027, 3, 25, 9, tzinfo=UTC), date(2027, 3, 28)),    # winter -> summer time
])
def test_daylight_saving_changes_neither_move_nor_duplicate_slots(directory, now, change):
    night = directory.professionals[0].model_copy(update={
        "id": "night", "windows": {"sun": ["01:00-04:00"], "mon": ["09:00-10:00"]}})
    slots = generate_slots(directory, [night], now, ROME)
    starts = [s.start for s in slots]
    assert len(starts) == len(set(starts))  # nothing twice
    local_times = [s.start.astimezone(ROME) for s in slots]
    monday = [t for t in local_times if t.date() == change + timedelta(days=1)]
    assert [(t.hour, t.minute) for t in monday] == [(9, 0), (9, 30)]  # wall time kept
    sunday = [t for t in local_times if t.date() == change]
    assert all(t.hour in (1, 2, 3) for t in sunday)
    assert len({(t.hour, t.minute) for t in sunday}) == len(sunday)


def test_reminders_the_day_before_and_the_same_morning(directory):
    start = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)  # Monday 09:00 in Rome
    times = reminder_times(start, directory, ROME, NOW)
    assert times["day_before"].astimezone(ROME).replace(tzinfo=None) == datetime(
        2026, 11, 29, 18, 0)
    assert times["same_day"].astimezone(ROME).replace(tzinfo=None) == datetime(
        2026, 11, 30, 8, 0)


def test_taken_slots_are_not_offered(directory):
    slots = free_slots(directory, "labour_expert", set(), NOW, ROME, "it")
    taken = {(slots[0].professional_id, slots[0].start)}
    assert slots[0] not in free_slots(directory, "labour_expert", taken, NOW, ROME, "it")


# -- the flow ---------------------------------------------------------------------------


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def uow() -> FakeUowFactory:
    return FakeUowFactory()


@pytest.fixture
def engine(uow, clock, directory, content) -> Engine:
    understanding = KeywordUnderstanding({"emergenza": "emergency", "lavoro": "faq_job_search",
                                          "work": "faq_job_search",
                                          "appuntamento": "book_appointment"})
    return Engine(uow, EchoTranslations(mark=False), understanding, clock, directory, content)


def payloads_of(replies: list[Reply]) -> list[str]:
    return [b.payload for r in replies for row in r.buttons for b in row]


async def press(engine: Engine, payload: str, user: int = 9) -> list[Reply]:
    return await engine.handle(Inbound(user, payload=payload, language_hint="en",
                                       content_type=ContentType.BUTTON))


async def write(engine: Engine, text: str, user: int = 9) -> list[Reply]:
    return await engine.handle(Inbound(user, text=text, language_hint="en"))


async def book_work_appointment(engine: Engine, user: int = 9) -> list[Reply]:
    await write(engine, "/start centro_impiego", user)
    replies = await write(engine, "appuntamento", user)
    if "consent:yes" in payloads_of(replies):  # the privacy notice comes first, once
        assert "automated assistant" in replies[0].text
        replies = await press(engine, "consent:yes", user)
    assert "need:work" in payloads_of(replies)
    await write(engine, "I need help finding work", user)  # free text during intake
    await press(engine, "needs_done", user)
    await press(engine, "urg:week", user)
    await press(engine, "mlang:en", user)
    replies = await press(engine, "skip", user)
    assert "expert in work and job policies" in replies[0].text
    replies = await press(engine, "days", user)
    day = next(p for p in payloads_of(replies) if p.startswith("day:"))
    replies = await press(engine, day, user)
    slot = next(p for p in payloads_of(replies) if p.startswith("slot:"))
    return await press(engine, slot, user)


async def test_from_i_need_work_to_a_confirmed_appointment_with_a_calendar_file(engine, uow):
    replies = await book_work_appointment(engine)
    confirmation = replies[0]
    assert confirmation.text.startswith("✅ Your appointment is booked.")
    assert confirmation.file is not None and confirmation.file.filename.endswith(".ics")
    assert b"BEGIN:VEVENT" in confirmation.file.content
    (booking,) = uow.store.bookings.values()
    assert (booking.role, booking.professional_id) == ("labour_expert", "le1")
    assert booking.needs == ["work"] and booking.urgency == "week"
    assert uow.store.citizens[9].referral == "centro_impiego"
    assert uow.store.citizens[9].consent_at == NOW
    assert {r["kind"] for r in uow.store.reminders} == {"day_before", "same_day"}


@pytest.mark.parametrize("description, danger", [
    ("I lost my work last month, I have two children", False),
    ("my husband says emergenza, he hits me when I look for work", True),
])
async def test_the_description_is_kept_as_written_and_still_read_for_danger(
        engine, uow, description, danger):
    await write(engine, "appuntamento")
    for payload in ("consent:yes", "need:work", "needs_done", "urg:week", "mlang:en"):
        await press(engine, payload)
    replies = await write(engine, description)
    assert [isinstance(r.event, Emergency) for r in replies][:1] == [danger]
    assert "expert in work and job policies" in replies[-1].text  # the booking goes on
    assert uow.store.conversations[9].data.intake.description == description


async def test_declining_the_notice_keeps_nothing_but_the_menu(engine, uow):
    await write(engine, "appuntamento")
    replies = await press(engine, "consent:no")
    assert "group:documents" in payloads_of(replies)
    assert uow.store.citizens[9].consent_at is None
    assert uow.store.conversations[9].data.intake is None


async def test_see_move_and_cancel_an_appointment(engine, uow):
    await book_work_appointment(engine)
    (booking,) = uow.store.bookings.values()
    listing = await press(engine, "appts")
    assert f"move:{booking.id}" in payloads_of(listing)
    replies = await press(engine, f"move:{booking.id}")
    later = [p for p in payloads_of(replies) if p.startswith("day:")][-1]
    replies = await press(engine, later)
    slot = next(p for p in payloads_of(replies) if p.startswith("slot:"))
    await press(engine, slot)
    statuses = sorted(b.status for b in uow.store.bookings.values())
    assert statuses == ["active", "cancelled"]
    active = next(b for b in uow.store.bookings.values() if b.status == "active")
    await press(engine, f"cancel:{active.id}")
    replies = await press(engine, f"cancelok:{active.id}")
    assert "cancelled" in replies[0].text
    assert all(b.status == "cancelled" for b in uow.store.bookings.values())


async def test_a_second_citizen_cannot_take_a_held_slot(engine, uow):
    await book_work_appointment(engine, user=9)
    (booking,) = uow.store.bookings.values()
    slot_key = f"slot:{booking.professional_id}.{int(booking.start.timestamp()) // 60}"
    await write(engine, "/start", user=10)
    await write(engine, "appuntamento", user=10)
    for payload in ("consent:yes", "need:work", "needs_done", "urg:week", "mlang:en",
                    "skip"):
        await press(engine, payload, user=10)
    replies = await press(engine, slot_key, user=10)
    assert "just taken" in replies[0].text
    assert len(uow.store.bookings) == 1


async def test_a_citizen_holds_at_most_the_configured_number_of_appointments(engine, uow):
    await book_work_appointment(engine)
    await book_work_appointment(engine)
    replies = await write(engine, "appuntamento")
    assert "You already have 2 appointments" in replies[0].text


async def test_forged_slot_payload_is_refused(engine, uow):
    await write(engine, "appuntamento")
    for payload in ("consent:yes", "need:work", "needs_done", "urg:week", "mlang:en", "skip"):
        await press(engine, payload)
    replies = await press(engine, "slot:le1.1")  # 1970
    assert "just taken" in replies[0].text or "no longer valid" in replies[0].text
    assert not uow.store.bookings


async def test_waiting_list_offer_goes_to_the_first_person_then_the_next(
        engine, uow, clock, directory):
    one_slot = directory.model_copy(update={"booking": directory.booking.model_copy(
        update={"horizon_days": 5})})
    engine.directory = one_slot
    await book_work_appointment(engine, user=9)
    (booking,) = uow.store.bookings.values()
    # fill every other slot so that the role has nothing free
    from domain.booking import Booking, free_slots

    for i, slot in enumerate(free_slots(one_slot, "labour_expert", {(booking.professional_id,
                                         booking.start)}, NOW, ROME, "en")):
        uow.store.bookings[100 + i] = Booking(500 + i, slot.professional_id, "labour_expert",
                                              slot.start, slot.end, NOW, id=100 + i)
    for user in (21, 22):
        await write(engine, "appuntamento", user=user)
        for payload in ("consent:yes", "need:work", "needs_done", "urg:week", "mlang:en",
                        "skip"):
            await press(engine, payload, user=user)
        replies = await press(engine, "days", user=user)
        assert "wait:labour_expert" in payloads_of(replies)
        await press(engine, "wait:labour_expert", user=user)
    await press(engine, f"cancelok:{booking.id}", user=9)
    (offer,) = await engine.take_outbox("test")
    assert offer.citizen_id == 21 and "has become free" in offer.text
    clock.advance(hours=5)  # the offer expires and passes to the next person
    await engine.run_due_work("test")
    (second,) = await engine.take_outbox("test")
    assert second.citizen_id == 22
    replies = await press(engine, second.buttons[0][0]["payload"], user=22)
    assert replies[0].text.startswith("✅ Your appointment is booked.")


async def test_reminders_are_sent_once(engine, uow, clock):
    await book_work_appointment(engine)
    (booking,) = uow.store.bookings.values()
    clock.current = booking.start - timedelta(hours=14)
    await engine.run_due_work("a")
    await engine.run_due_work("b")
    messages = await engine.take_outbox("a")
    assert [m.text.startswith("⏰ Reminder: your TEAMS appointment is tomorrow.")
            for m in messages] == [True]


@pytest.mark.parametrize("topic, need", [
    ("faq_work_rights", "work"), ("faq_child_benefit", "money"),
    ("faq_driving_licence", "documents"), ("faq_temporary_protection", "documents"),
    ("faq_digital_identity", "documents"),
])
async def test_every_topic_with_a_professional_says_what_the_citizen_needs(
        uow, clock, directory, content, topic, need):
    """A need written in words during the intake ("my employer does not pay me") is recorded
    and the intake goes on, for the newer topics too; and the appointment button under their
    answer starts with that need chosen."""
    understanding = KeywordUnderstanding({"appuntamento": "book_appointment",
                                          "my problem": topic})
    engine = Engine(uow, EchoTranslations(mark=False), understanding, clock, directory, content)
    await write(engine, "appuntamento")
    await press(engine, "consent:yes")
    replies = await write(engine, "my problem is this")
    assert f"need:{need}" in payloads_of(replies) and "needs_done" in payloads_of(replies)
    (conversation,) = uow.store.conversations.values()
    assert conversation.data.intake.needs == [need]
    await press(engine, "menu", user=10)
    await press(engine, f"book:{topic}", user=10)
    replies = await press(engine, "consent:yes", user=10)
    assert uow.store.conversations[10].data.intake.needs == [need]
