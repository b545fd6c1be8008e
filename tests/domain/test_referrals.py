"""A citizen sent on to another service (issue 16, item 2) and the staff side in the staff
member's language with human labels (item 5), through the engine's staff desk on the in-memory
fakes. The translations are echoed with their language, so a test sees which one was used."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from domain.booking import Booking
from domain.content import Content
from domain.directory import Directory
from domain.engine import Engine
from domain.model import Citizen, StaffMember
from domain.turn import EngineConfig
from tests.fakes import EchoTranslations, FakeUowFactory, FixedClock, KeywordUnderstanding

ROME = ZoneInfo("Europe/Rome")
CITIZEN, OTHER = 4301, 4302  # synthetic people
EXPERT, ENGLISH_EXPERT, COORDINATOR, STRANGER = 6101, 6102, 6103, 6999
MONDAY = datetime(2026, 11, 23, 9, 0, tzinfo=ROME).astimezone(UTC)  # before the clock
CODE = re.compile(r"R-[2-9A-HJKMNP-Z]{5}")


@pytest.fixture
def uow() -> FakeUowFactory:
    return FakeUowFactory()


@pytest.fixture
async def engine(uow: FakeUowFactory, directory: Directory, content: Content) -> Engine:
    clock = FixedClock()  # Thursday 26 November 2026: both meetings are past
    engine = Engine(uow, EchoTranslations(), KeywordUnderstanding({}), clock, directory,
                    content, EngineConfig(staff_chat=True))
    now = clock.now()
    async with uow() as tx:
        await tx.staff.add(StaffMember(EXPERT, "Bruno", "labour_expert", ("it", "fr"), "le1"),
                           now)
        await tx.staff.add(StaffMember(ENGLISH_EXPERT, "Erin", "social_worker", ("en",),
                                       "sw1"), now)
        await tx.staff.add(StaffMember(COORDINATOR, "Carla", "coordinator", ()), now)
        await tx.citizens.add(Citizen(CITIZEN, now, now, language="fr",
                                      referral="centro_impiego"))
        await tx.citizens.add(Citizen(OTHER, now, now, language="ar"))
        await tx.bookings.add(Booking(CITIZEN, "le1", "labour_expert", MONDAY,
                                      MONDAY + timedelta(minutes=30), now, needs=["work"],
                                      meeting_language="fr", case_code="T-AAAA2"))
        await tx.bookings.add(Booking(OTHER, "sw1", "social_worker", MONDAY,
                                      MONDAY + timedelta(minutes=30), now, needs=["housing"],
                                      meeting_language="ar", case_code="T-BBBB3"))
        await tx.commit()
    return engine


async def sent_on(engine: Engine, user: int, booking: int, service: str) -> str:
    assert "stf:oref" in str((await engine.desk.staff_button(
        user, f"stf:att.{booking}")).view)
    return (await engine.desk.staff_button(user, f"stf:osv.{booking}.{service}")).text


async def test_a_citizen_sent_on_is_told_where_when_and_what_to_bring(engine, uow):
    answer = await sent_on(engine, EXPERT, 1, "centro_impiego")
    (outcome,) = uow.store.outcomes.values()
    assert outcome.kind == "referred" and outcome.service == "centro_impiego"
    assert outcome.code is not None and CODE.fullmatch(outcome.code)
    assert answer.startswith("[it] T-AAAA2") and outcome.code in answer
    (told,) = [m["message"] for m in uow.store.outbox]
    assert told.citizen_id == CITIZEN and told.text.count("[fr]") >= 4  # in French
    service = engine.directory.referral_service("centro_impiego")
    assert service is not None and service.address in told.text and service.phone in told.text
    assert outcome.code in told.text and "lundi: 09:00–12:00" in told.text  # days in French
    assert "[fr] Tax code (codice fiscale)" in told.text and "[fr] Your CV" in told.text
    assert "Ask the TEAMS desk" not in told.text  # the directory said where and when
    tallies = uow.store.tallies
    assert tallies[("2026-11", "outcome.referred_to", "centro_impiego")] == 1
    assert tallies[("2026-11", "outcome.referred", "labour_expert")] == 1


async def test_what_the_directory_does_not_say_is_not_made_up(engine, uow):
    await sent_on(engine, COORDINATOR, 2, "cpia")  # CPIA: no address, no hours
    (told,) = [m["message"] for m in uow.store.outbox]
    assert told.citizen_id == OTHER and "[ar] Ask the TEAMS desk" in told.text
    assert engine.directory.contacts_text("ar") in told.text  # isolated in Arabic
    assert "Via dell'Esempio 10" not in told.text  # no other service's address either
    await sent_on(engine, EXPERT, 1, "questura_prefettura")  # nothing to bring listed
    told = uow.store.outbox[-1]["message"]
    assert "What to bring" not in told.text and "Ask the TEAMS desk" in told.text


async def test_a_referral_code_leads_staff_to_the_case_and_names_nobody(engine, uow):
    await sent_on(engine, EXPERT, 1, "sportello_immigrazione")
    (outcome,) = uow.store.outcomes.values()
    code = outcome.code
    assert code is not None and "4301" not in code and "Bruno" not in code
    view = await engine.desk.command(COORDINATOR, "/referral", code.lower())
    text = view.messages[0][0]
    assert view.personal and f"Referral {code}" in text and "Sportello Immigrazione" in text
    assert "T-AAAA2" in text and "[it] Case" in text
    by_case = await engine.desk.command(EXPERT, "/case", code)
    assert "T-AAAA2" in by_case.messages[0][0] and code in by_case.messages[0][0]
    assert await engine.desk.command(STRANGER, "/referral", code) is None
    missing = await engine.desk.command(EXPERT, "/referral", "R-ZZZZ9")
    assert "No referral with the code R-ZZZZ9" in missing.messages[0][0]
    assert "Write /referral" in (await engine.desk.command(EXPERT, "/referral", "")
                                 ).messages[0][0]


async def test_a_referral_is_recorded_once_and_told_once(engine, uow):
    await sent_on(engine, EXPERT, 1, "asl")
    again = await engine.desk.staff_button(EXPERT, "stf:osv.1.centro_impiego")
    assert "already recorded" in again.text
    assert len(uow.store.outbox) == 1 and len(uow.store.outcomes) == 1


async def test_staff_texts_are_in_their_language_with_human_labels(engine, uow):
    await engine.desk.staff_button(EXPERT, "stf:nos.1")
    again = await engine.desk.staff_button(EXPERT, "stf:att.1")
    assert again.text.startswith("[it] ") and "did not come" in again.text
    assert "no_show" not in again.text
    agenda = await engine.desk.agenda(COORDINATOR, "2026-11-23")
    text = "\n".join(t for t, _ in agenda.messages)
    assert "did not come" in text and "no_show" not in text
    assert "Labour-policies expert B (EXAMPLE)" in text and "(le1)" not in text
    assert "francese (fr)" in text  # the citizen's language named in Italian
    english = await engine.desk.staff_button(ENGLISH_EXPERT, "stf:att.2")
    assert english.text == "T-BBBB3: marked attended."  # English: her only language
    mine = await engine.desk.agenda(ENGLISH_EXPERT, "2026-11-23")
    assert "[it]" not in mine.messages[0][0] and "Arabic (ar)" in mine.messages[0][0]


async def test_the_thread_summary_names_the_referral_source_and_offers_the_case(engine,
                                                                               uow):
    topic, summary, _ = await engine.handover.summary(CITIZEN)
    assert "centro_impiego" not in summary and "[it] Job centre" in summary
    ((button,),) = engine.handover.summary_buttons(topic.case_code)
    assert button.payload == f"stf:case.{topic.case_code}"
    answer = await engine.desk.staff_button(EXPERT, button.payload)
    assert answer.view is not None and answer.view.personal
    assert "T-AAAA2" in answer.view.messages[0][0]
    assert await engine.desk.staff_button(STRANGER, button.payload) is None
    forged = await engine.desk.staff_button(EXPERT, "stf:case.T-<b>1")
    assert forged is not None and "no longer valid" in forged.text


async def test_a_removed_staff_member_is_named_with_a_human_role(engine, uow):
    async with uow() as tx:
        assert await tx.staff.remove(ENGLISH_EXPERT, engine.clock.now())
        await tx.commit()
    ((_, notice, _, _),) = await engine.desk.removals_to_tell()
    assert "social worker" in notice and "social_worker" not in notice
    async with uow() as tx:  # an English-speaking coordinator removes her from the group
        await tx.staff.add(StaffMember(6104, "Eve", "coordinator", ("en",)), engine.clock.now())
        await tx.commit()
    done = await engine.desk.removed_from_group(ENGLISH_EXPERT, 6104)
    assert done.startswith("Erin was removed")  # in English, not the service's Italian
    assert (await engine.desk.removed_from_group(ENGLISH_EXPERT)).startswith("[it] Erin")
