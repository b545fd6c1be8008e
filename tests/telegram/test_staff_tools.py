"""Staff tools: role checks, the agenda and its buttons, closures, calendar feeds (the
report: tests/storage/test_report.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from icalendar import Calendar

from bot.web import build_web_app
from domain.booking import Booking
from domain.calendar import live_directory
from domain.model import Citizen, StaffMember
from storage.database import upgrade_async
from tests.fakes import FakeBotAPI, KeywordUnderstanding
from tests.telegram.helpers import button_update, feed, make_app, make_engine, message_update

STAFF_CHAT = -1001234567890
LE1, COORD, CITIZEN, STRANGER = 880001, 880002, 880100, 880999
ROME = ZoneInfo("Europe/Rome")


@pytest.fixture
async def world(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'staff.db'}"
    await upgrade_async(url)
    engine, db = make_engine(url, KeywordUnderstanding({}))
    now = engine.clock.now()
    start = datetime(2026, 11, 30, 9, 0, tzinfo=ROME).astimezone(UTC)  # Monday
    async with engine.uow_factory() as uow:
        await uow.staff.add(StaffMember(LE1, "Bruno", "labour_expert", ("it",), "le1"), now)
        await uow.staff.add(StaffMember(COORD, "Carla", "coordinator", ("it",)), now)
        await uow.citizens.add(Citizen(CITIZEN, now, now, language="fr"))
        await uow.citizens.add(Citizen(CITIZEN + 1, now, now, language="ar"))
        await uow.bookings.add(Booking(CITIZEN, "le1", "labour_expert", start,
                                       start + timedelta(minutes=30), now, needs=["work"],
                                       meeting_language="fr", urgency="week"))
        await uow.bookings.add(Booking(CITIZEN + 1, "sw1", "social_worker", start,
                                       start + timedelta(minutes=30), now, needs=["housing"],
                                       meeting_language="ar"))
        await uow.commit()
    api = FakeBotAPI()
    app = await make_app(engine, api, STAFF_CHAT, public_url="https://teams.example.invalid")
    yield {"app": app, "api": api, "engine": engine, "db": db, "start": start}
    await app.shutdown()
    await db.dispose()


def buttons(message: dict) -> list[str]:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return [b.get("callback_data") or b.get("url") for row in rows for b in row]


async def test_a_citizen_and_a_stranger_get_nothing_about_anyone(world):
    app, api = world["app"], world["api"]
    await feed(app, message_update(CITIZEN, "/agenda week"))
    texts = " ".join(m["text"] for m in api.sent())
    assert "T-" not in texts and "/agenda" in texts  # the citizen's unknown-command answer
    api.clear()
    group = message_update(STRANGER, "/agenda week", chat_type="supergroup")
    group["message"]["chat"]["id"] = STAFF_CHAT
    await feed(app, group)
    await feed(app, button_update(STRANGER, "stf:cxl.1"))
    assert api.sent() == []


async def test_the_agenda_shows_a_professionals_appointments_with_their_intake(world):
    app, api = world["app"], world["api"]
    await feed(app, message_update(LE1, "/agenda 2026-11-30"))
    (item,) = api.sent()
    # in Italian, with human labels: the role, the directory's name, the language's name
    assert "esperto di lavoro" in item["text"] and "Labour-policies expert B" in item["text"]
    assert "francese (fr)" in item["text"] and "T-" in item["text"]
    assert [b for b in buttons(item) if b.startswith("stf:")] == [
        "stf:att.1", "stf:nos.1", "stf:cxl.1"]
    api.clear()
    await feed(app, message_update(COORD, "/agenda 2026-11-30"))
    assert len(api.sent()) == 2  # the coordinator sees everyone's


async def test_marking_and_cancelling_from_the_agenda(world):
    app, api, engine = world["app"], world["api"], world["engine"]
    await feed(app, button_update(LE1, "stf:cxl.2"))  # not Bruno's appointment
    async with engine.uow_factory() as uow:
        assert (await uow.bookings.get(2)).status == "active"
    api.clear()
    await feed(app, button_update(COORD, "stf:cxl.2"))
    told = [m for m in api.sent() if m["chat_id"] == CITIZEN + 1]
    assert told and told[0]["text"].startswith("❗")  # in Arabic, with a way to rebook
    assert "book" in buttons(told[0])
    engine.clock.current = world["start"] + timedelta(minutes=20)  # marked once begun
    await feed(app, button_update(LE1, "stf:nos.1"))
    async with engine.uow_factory() as uow:
        assert (await uow.bookings.get(1)).status == "no_show"


async def test_a_closure_lists_stranded_citizens_and_can_cancel_them(world):
    app, api, engine = world["app"], world["api"], world["engine"]
    await feed(app, message_update(COORD, "/closed 2026-11-30 EXAMPLE strike"))
    (notice,) = api.sent()
    assert notice["text"].count("T-") == 2
    assert buttons(notice) == ["stf:keep.20261130", "stf:drop.20261130", "stf:open.20261130"]
    api.clear()
    await feed(app, button_update(COORD, "stf:drop.20261130"))
    assert {m["chat_id"] for m in api.sent()} >= {CITIZEN, CITIZEN + 1}
    async with engine.uow_factory() as uow:
        directory = await live_directory(engine.directory, uow)
    assert any(c.date.isoformat() == "2026-11-30" for c in directory.closures)


async def test_the_calendar_feed_is_private_revocable_and_parses(world):
    engine, app = world["engine"], world["app"]
    token = await engine.desk.feed_token(LE1)
    web = build_web_app(app, "secret", "/telegram", world["db"])
    transport = httpx.ASGITransport(app=web)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        response = await http.get(f"/calendar/{token}.ics")
        assert response.status_code == 200
        calendar = Calendar.from_ical(response.content)
        events = list(calendar.walk("VEVENT"))
        assert len(events) == 1 and str(events[0]["summary"]).startswith("TEAMS T-")
        assert str(CITIZEN) not in response.text
        new = await engine.desk.feed_token(LE1, renew=True)
        assert (await http.get(f"/calendar/{token}.ics")).status_code == 404
        assert (await http.get(f"/calendar/{new}.ics")).status_code == 200
    assert await engine.desk.feed_token(STRANGER) is None
