"""The outcome of each meeting (two taps after attended), the no-show's new offer, and the
staff's case view (/case), end to end through the fake Bot API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from domain.booking import Booking
from domain.model import Citizen, Handover, StaffMember, Topic
from storage.database import upgrade_async
from tests.fakes import FakeBotAPI, KeywordUnderstanding
from tests.telegram.helpers import button_update, feed, make_app, make_engine, message_update

STAFF_CHAT = -1001234567890
LE1, COORD, LE2, CITIZEN, STRANGER = 880001, 880002, 880003, 880100, 880999
ROME = ZoneInfo("Europe/Rome")


@pytest.fixture
async def world(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'outcomes.db'}"
    await upgrade_async(url)
    engine, db = make_engine(url, KeywordUnderstanding({}))
    now = engine.clock.now()
    start = datetime(2026, 11, 30, 9, 0, tzinfo=ROME).astimezone(UTC)  # Monday
    async with engine.uow_factory() as uow:
        await uow.staff.add(StaffMember(LE1, "Bruno", "labour_expert", ("it",), "le1"), now)
        await uow.staff.add(StaffMember(COORD, "Carla", "coordinator", ("it",)), now)
        await uow.staff.add(StaffMember(LE2, "Dario", "labour_expert", ("it",), "le2"), now)
        await uow.citizens.add(Citizen(CITIZEN, now, now, language="fr",
                                       referral="centro_impiego"))
        await uow.citizens.add(Citizen(CITIZEN + 1, now, now, language="ar"))
        await uow.bookings.add(Booking(CITIZEN, "le1", "labour_expert", start,
                                       start + timedelta(minutes=30), now, needs=["work"],
                                       meeting_language="fr", case_code="T-AAAA2"))
        await uow.bookings.add(Booking(CITIZEN + 1, "le1", "labour_expert",
                                       start + timedelta(hours=1),
                                       start + timedelta(hours=1, minutes=30), now,
                                       needs=["housing"], meeting_language="ar",
                                       case_code="T-BBBB3"))
        handover = Handover(CITIZEN, "asked", start - timedelta(days=2), status="closed",
                            claimed_by=COORD, claimed_at=start - timedelta(days=2, hours=-1),
                            closed_at=start - timedelta(days=1))
        await uow.handovers.add(handover)
        await uow.handovers.save_topic(Topic(CITIZEN, "T-CCCC4", None))
        await uow.commit()
    engine.clock.current = start + timedelta(hours=2)  # both appointments have begun
    api = FakeBotAPI()
    app = await make_app(engine, api, STAFF_CHAT)
    yield {"app": app, "api": api, "engine": engine}
    await app.shutdown()
    await db.dispose()


def buttons(message: dict) -> list[str]:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return [b.get("callback_data") or b.get("url") for row in rows for b in row]


async def test_attended_offers_outcomes_and_a_referral_is_stored_and_counted(world):
    app, api, engine = world["app"], world["api"], world["engine"]
    await feed(app, button_update(LE1, "stf:att.1"))
    (answer,) = api.sent()
    assert "Com'è andato il colloquio?" in answer["text"]
    assert buttons(answer) == ["stf:oinf.1", "stf:oref.1", "stf:opap.1", "stf:ofup.1"]
    api.clear()
    await feed(app, button_update(LE1, "stf:oref.1"))
    (which,) = api.sent()
    assert "centro_impiego" in " ".join(buttons(which))
    assert "stf:osv.1.cpia" in buttons(which)
    api.clear()
    await feed(app, button_update(LE1, "stf:osv.1.cpia"))
    (done,) = [m for m in api.sent() if m["chat_id"] == LE1]
    assert "T-AAAA2" in done["text"] and "CPIA" in done["text"]
    (told,) = [m for m in api.sent() if m["chat_id"] == CITIZEN]  # where to go, in French
    assert "CPIA" in told["text"] and "Montrez ce code" in told["text"]
    api.clear()
    await feed(app, button_update(COORD, "stf:opap.1"))  # recorded once
    assert "già registrato" in api.sent()[0]["text"]
    async with engine.uow_factory() as uow:
        (outcome,) = await uow.cases.outcomes([1])
        assert (outcome.kind, outcome.service, outcome.by) == ("referred", "cpia", LE1)
    tallies = await _tallies(engine)
    assert tallies[("2026-11", "outcome.referred", "labour_expert")] == 1
    assert tallies[("2026-11", "outcome.referred_to", "cpia")] == 1
    assert ("2026-11", "outcome.pap", "labour_expert") not in tallies


async def test_only_that_professional_or_a_coordinator_records_an_outcome(world):
    app, api, engine = world["app"], world["api"], world["engine"]
    await feed(app, button_update(LE1, "stf:oinf.1"))  # not attended yet
    assert "solo per un appuntamento a cui" in api.sent()[0]["text"]
    await feed(app, button_update(LE1, "stf:att.1"))
    api.clear()
    await feed(app, button_update(LE2, "stf:oinf.1"))  # not Dario's appointment
    await feed(app, button_update(STRANGER, "stf:oinf.1"))  # not staff: nothing
    await feed(app, button_update(LE1, "stf:osv.1.nowhere"))  # not a service of ours
    await feed(app, button_update(LE1, "stf:oinf.99999999999"))  # bounded
    texts = [m["text"] for m in api.sent()]
    assert len(texts) == 3 and "non è tuo" in texts[0]
    async with engine.uow_factory() as uow:
        assert await uow.cases.outcomes([1]) == []
    await feed(app, button_update(COORD, "stf:opap.1"))
    async with engine.uow_factory() as uow:
        (outcome,) = await uow.cases.outcomes([1])
        assert (outcome.kind, outcome.by) == ("pap", COORD)
    assert (await _tallies(engine))[("2026-11", "outcome.pap", "labour_expert")] == 1


async def test_a_no_show_offers_the_citizen_a_new_slot_in_their_language(world):
    app, api = world["app"], world["api"]
    await feed(app, button_update(LE1, "stf:nos.2"))
    told = [m for m in api.sent() if m["chat_id"] == CITIZEN + 1]
    assert told and "book" in buttons(told[0])
    assert any("\u0600" <= ch <= "\u06ff" for ch in told[0]["text"])  # in Arabic
    answer = [m for m in api.sent() if m["chat_id"] == LE1]
    assert answer and not [b for b in buttons(answer[0]) if b.startswith("stf:o")]


async def test_the_case_view_is_in_italian_for_staff_only(world):
    app, api = world["app"], world["api"]
    await feed(app, button_update(LE1, "stf:att.1"))
    await feed(app, button_update(LE1, "stf:ofup.1"))
    (offer,) = [m for m in api.sent() if m["chat_id"] == CITIZEN]  # in French, to book it
    assert "TEAMS" in offer["text"] and "rendez-vous" in offer["text"]
    assert "book" in buttons(offer)
    api.clear()
    await feed(app, message_update(LE1, "/case t-aaaa2"))
    (view,) = api.sent()
    text = view["text"]
    assert view["chat_id"] == LE1 and "Caso T-CCCC4" in text
    assert "Lingua: fr" in text and "Centro per l'impiego" in text and "Lavoro" in text
    assert "T-AAAA2" in text and "Serve un altro colloquio" in text
    assert "T-" in text and "assegnato" in text and "chiuso" in text
    api.clear()
    await feed(app, message_update(COORD, "/case T-CCCC4"))  # the topic's code, same case
    assert "T-AAAA2" in api.sent()[0]["text"]
    api.clear()
    await feed(app, message_update(LE1, "/case T-ZZZZ9"))
    assert "Nessun caso" in api.sent()[0]["text"]
    api.clear()
    await feed(app, message_update(CITIZEN, "/case T-AAAA2"))
    assert "T-AAAA2" not in " ".join(m["text"] for m in api.sent())
    api.clear()
    group = message_update(STRANGER, "/case T-AAAA2", chat_type="supergroup")
    group["message"]["chat"]["id"] = STAFF_CHAT
    await feed(app, group)
    assert api.sent() == []


async def _tallies(engine) -> dict[tuple[str, str, str], int]:
    from sqlalchemy import select

    from storage.tables import TallyRow

    async with engine.uow_factory() as uow:
        rows = (await uow.session.execute(select(TallyRow))).scalars()
        return {(r.month, r.metric, r.key): r.n for r in rows}
