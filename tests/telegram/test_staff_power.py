"""Staff power checked (issue 13, items 9, 10, 11, 14): role, ownership and the booking's
state for every staff action; forged buttons and bad arguments answered, never a traceback;
a removed staff member offered for removal from the group; personal details only in private.

Everything goes through a real PTB Application over the fake Bot API, on SQLite and
PostgreSQL (the ``database_url`` fixture).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from bot.settings import EXAMPLE_SERVICE_FILE, Settings
from bot.staff_cli import run as staff_cli
from domain.booking import Booking
from domain.calendar import live_directory
from domain.model import Citizen, StaffMember
from handlers.telegram import deliver_due
from storage.tables import ClosureRow, TallyRow
from tests.fakes import FakeBotAPI, KeywordUnderstanding
from tests.telegram.helpers import button_update, feed, make_app, make_engine, message_update

STAFF_CHAT = -1001234567890
LE1, SW1, COORD, CITIZEN = 881001, 881002, 881003, 881100
ROME = ZoneInfo("Europe/Rome")
FUTURE = datetime(2026, 11, 30, 9, 0, tzinfo=ROME).astimezone(UTC)  # the clock: 26 Nov
PAST = datetime(2026, 11, 25, 9, 0, tzinfo=ROME).astimezone(UTC)
SECRET = "EXAMPLE secret words about a synthetic family"


@pytest.fixture
async def world(database_url: str) -> Any:
    engine, db = make_engine(database_url, KeywordUnderstanding({}))
    now = engine.clock.now()
    async with engine.uow_factory() as uow:
        await uow.staff.add(StaffMember(LE1, "Bruno", "labour_expert", ("it",), "le1"), now)
        await uow.staff.add(StaffMember(SW1, "Sara", "social_worker", ("it",), "sw1"), now)
        await uow.staff.add(StaffMember(COORD, "Carla", "coordinator", ("it",)), now)
        for offset, language in enumerate(("fr", "ar", "uk")):
            await uow.citizens.add(Citizen(CITIZEN + offset, now, now, language=language))
        # 1: Bruno's, future; 2: Sara's, future; 3: Bruno's, begun yesterday
        await uow.bookings.add(Booking(CITIZEN, "le1", "labour_expert", FUTURE,
                                       FUTURE + timedelta(minutes=30), now, needs=["work"],
                                       meeting_language="fr", description=SECRET))
        await uow.bookings.add(Booking(CITIZEN + 1, "sw1", "social_worker", FUTURE,
                                       FUTURE + timedelta(minutes=30), now,
                                       needs=["housing"], meeting_language="ar"))
        await uow.bookings.add(Booking(CITIZEN + 2, "le1", "labour_expert", PAST,
                                       PAST + timedelta(minutes=30), now, needs=["work"],
                                       meeting_language="uk"))
        await uow.reminders.add(1, "day_before", FUTURE - timedelta(days=1))
        await uow.commit()
    api = FakeBotAPI()
    app = await make_app(engine, api, STAFF_CHAT, public_url="https://teams.example.invalid")
    yield {"app": app, "api": api, "engine": engine, "db": db, "url": database_url}
    await app.shutdown()
    await db.dispose()


def group_update(uid: int, text: str, thread: int | None = None) -> dict[str, Any]:
    update = message_update(uid, text, chat_type="supergroup")
    update["message"]["chat"]["id"] = STAFF_CHAT
    if thread is not None:
        update["message"]["message_thread_id"] = thread
        update["message"]["is_topic_message"] = True
    return update


def buttons(message: dict[str, Any]) -> list[str]:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return [b.get("callback_data") or b.get("url") for row in rows for b in row]


async def statuses(engine: Any) -> list[str]:
    async with engine.uow_factory() as uow:
        return [(await uow.bookings.get(i)).status for i in (1, 2, 3)]


async def closed_days(db: Any) -> list[str]:
    async with db.connect() as conn:
        return [d for (d,) in (await conn.execute(select(ClosureRow.day))).all()]


def answered(api: FakeBotAPI, chat: int) -> list[str]:
    return [m["text"] for m in api.sent() if int(m["chat_id"]) == chat]


# -- item 9: role, ownership, state -----------------------------------------------------------

async def test_only_a_coordinator_closes_a_day_and_drops_bookings_of_a_closed_day(world):
    app, api, engine, db = world["app"], world["api"], world["engine"], world["db"]
    await feed(app, message_update(SW1, "/closed 2026-11-30 EXAMPLE strike"))
    assert await closed_days(db) == []
    assert len(answered(api, SW1)) == 1  # refused, and told so
    api.clear()
    # A forged button: the day is not closed, the bookings are not theirs.
    await feed(app, button_update(LE1, "stf:drop.20261130"))
    await feed(app, button_update(COORD, "stf:drop.20261130"))  # not closed yet
    assert await statuses(engine) == ["active", "active", "active"]
    assert not [m for m in api.sent() if int(m["chat_id"]) in (CITIZEN, CITIZEN + 1)]
    assert len(answered(api, LE1)) == 1 and len(answered(api, COORD)) == 1
    await feed(app, message_update(COORD, "/closed 2026-11-30 EXAMPLE strike"))
    assert await closed_days(db) == ["2026-11-30"]
    api.clear()
    await feed(app, button_update(LE1, "stf:drop.20261130"))
    assert await statuses(engine) == ["active", "active", "active"]
    await feed(app, button_update(COORD, "stf:drop.20261130"))
    assert await statuses(engine) == ["cancelled", "cancelled", "active"]
    assert {int(m["chat_id"]) for m in api.sent()} >= {CITIZEN, CITIZEN + 1}


async def test_a_closure_is_for_today_or_later_and_a_coordinator_can_undo_it(world):
    app, api, engine, db = world["app"], world["api"], world["engine"], world["db"]
    await feed(app, message_update(COORD, "/closed 2026-11-20"))
    assert await closed_days(db) == []
    assert len(answered(api, COORD)) == 1
    await feed(app, message_update(COORD, "/closed 2026-11-30"))
    assert await closed_days(db) == ["2026-11-30"]
    notice = [m for m in api.sent() if int(m["chat_id"]) == COORD][-1]
    assert "stf:open.20261130" in buttons(notice)
    api.clear()
    await feed(app, message_update(LE1, "/reopen 2026-11-30"))
    await feed(app, button_update(SW1, "stf:open.20261130"))
    assert await closed_days(db) == ["2026-11-30"]
    assert len(answered(api, LE1)) == 1 and len(answered(api, SW1)) == 1
    await feed(app, message_update(COORD, "/reopen 2026-11-30"))
    assert await closed_days(db) == []
    async with engine.uow_factory() as uow:
        directory = await live_directory(engine.directory, uow)
    assert not any(c.date.isoformat() == "2026-11-30" for c in directory.closures)
    await feed(app, message_update(COORD, "/closed 2026-11-30"))
    await feed(app, button_update(COORD, "stf:open.20261130"))  # the button does it too
    assert await closed_days(db) == []
    assert await statuses(engine) == ["active", "active", "active"]


async def test_attended_and_no_show_only_for_a_begun_active_booking_of_ones_own_once(world):
    app, api, engine, db = world["app"], world["api"], world["engine"], world["db"]
    await feed(app, button_update(LE1, "stf:att.1"))  # not begun: the slot stays booked
    await feed(app, button_update(SW1, "stf:att.3"))  # not Sara's
    await feed(app, button_update(LE1, "stf:cxl.3"))  # begun: it can only be marked
    assert await statuses(engine) == ["active", "active", "active"]
    assert len(answered(api, LE1)) == 2 and len(answered(api, SW1)) == 1
    assert not [m for m in api.sent() if int(m["chat_id"]) >= CITIZEN]
    async with engine.uow_factory() as uow:  # the reminder still goes
        assert (await uow.reminders.claim_due(FUTURE, "w", 10))
    await feed(app, button_update(LE1, "stf:att.3"))
    await feed(app, button_update(LE1, "stf:nos.3"))  # once
    await feed(app, button_update(COORD, "stf:att.3"))
    assert await statuses(engine) == ["active", "active", "attended"]
    await feed(app, button_update(COORD, "stf:cxl.1"))
    engine.clock.advance(days=5)  # after its start, a cancelled booking stays cancelled
    await feed(app, button_update(LE1, "stf:nos.1"))
    await feed(app, button_update(COORD, "stf:att.1"))
    assert await statuses(engine) == ["cancelled", "active", "attended"]
    async with db.connect() as conn:
        marked = (await conn.execute(select(func.sum(TallyRow.n))
                                     .where(TallyRow.metric.like("marked.%")))).scalar()
    assert marked == 1


async def test_presses_at_once_mark_a_booking_once(world):
    app, engine, db = world["app"], world["engine"], world["db"]
    await asyncio.gather(*(feed(app, button_update(who, data)) for who, data in (
        (LE1, "stf:att.3"), (COORD, "stf:nos.3"), (LE1, "stf:nos.3"), (COORD, "stf:att.3"))))
    assert (await statuses(engine))[2] in ("attended", "no_show")
    async with db.connect() as conn:
        marked = (await conn.execute(select(func.sum(TallyRow.n))
                                     .where(TallyRow.metric.like("marked.%")))).scalar()
    assert marked == 1


# -- item 10: forged buttons and bad arguments ------------------------------------------------

FORGED = [
    "stf:", "stf:att", "stf:att.", "stf:att.0", "stf:att.-1", "stf:att.+1", "stf:att. 1",
    "stf:att.99999999999999999999999999", "stf:att.9223372036854775808", "stf:att.2147483648",
    "stf:nos.1.2", "stf:cxl.1.2.3", "stf:att.²", "stf:att.١", "stf:att.1\n", "stf:att.0x1",
    "stf:drop.20261399", "stf:drop.20261301", "stf:drop.00000000", "stf:drop.99991231",
    "stf:drop.2026113", "stf:drop.202611300", "stf:keep.20260230", "stf:keep.abcdefgh",
    "stf:open.20261332", "stf:open.", "stf:kick.abc", "stf:kick.99999999999999999999",
    "stf:kick.-5", "stf:unknown.1", "stf:ATT.1", "stf:.1", "stf:..", "stf:att..1",
    "stf:" + "9" * 60, "stf:drop.2026-11-30", "stf:\x00.1", "stf:att.1\x00",
]
BAD_COMMANDS = [
    "/agenda 9999-12-31", "/agenda 0001-01-01", "/agenda 2026-02-30", "/agenda " + "x" * 3000,
    "/closed 9999-12-31", "/closed 0001-01-01", "/closed", "/closed 2026-13-01 x",
    "/reopen", "/reopen 9999-12-31", "/reopen yesterday", "/feed whatever",
]


async def test_forged_staff_buttons_and_bad_arguments_are_answered_never_a_traceback(
        world, caplog):
    app, api, engine, db = world["app"], world["api"], world["engine"], world["db"]
    caplog.set_level(logging.INFO)
    for who in (LE1, COORD):
        for data in FORGED:
            api.clear()
            await feed(app, button_update(who, data))
            assert len(answered(api, who)) == 1, data
    for text in BAD_COMMANDS:
        api.clear()
        await feed(app, message_update(COORD, text))
        assert len(answered(api, COORD)) >= 1, text
    failures = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert failures == []
    assert "Bruno" not in caplog.text and str(LE1) not in caplog.text
    assert await statuses(engine) == ["active", "active", "active"]
    assert await closed_days(db) == []
    assert not [m for m in api.calls if m[0] in ("banChatMember", "unbanChatMember")]


async def test_a_closure_reason_postgresql_would_refuse_is_kept_without_it(world, caplog):
    app, api, db = world["app"], world["api"], world["db"]
    await feed(app, message_update(COORD, "/closed 2026-12-01 EXAMPLE\x00strike " + "x" * 300))
    assert await closed_days(db) == ["2026-12-01"]
    assert len(answered(api, COORD)) == 1
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


# -- item 14: personal details only in private ------------------------------------------------

async def test_agenda_closed_and_feed_in_the_group_are_sent_in_private(world):
    app, api = world["app"], world["api"]
    await feed(app, group_update(LE1, "/agenda week"))
    await feed(app, group_update(COORD, "/closed 2026-11-30 EXAMPLE strike"))
    await feed(app, group_update(LE1, "/feed"))
    in_group = " ".join(answered(api, STAFF_CHAT))
    assert SECRET not in in_group and "T-" not in in_group and "/calendar/" not in in_group
    assert len(answered(api, STAFF_CHAT)) == 3  # a short note each
    assert all(m.get("message_thread_id") is None for m in api.sent()
               if int(m["chat_id"]) == STAFF_CHAT)
    assert SECRET in " ".join(answered(api, LE1))  # Bruno's own agenda, in private
    assert "/calendar/" in " ".join(answered(api, LE1))
    assert SECRET in " ".join(answered(api, COORD))  # the stranded citizens, in private
    assert any("stf:drop.20261130" in buttons(m) for m in api.sent()
               if int(m["chat_id"]) == COORD)


async def test_in_the_group_a_staff_member_who_never_started_the_bot_is_told_to(world):
    app, api = world["app"], world["api"]
    api.blocked.add(SW1)  # Telegram refuses: the bot may not write first
    await feed(app, group_update(SW1, "/agenda week"))
    await feed(app, group_update(SW1, "/feed"))
    in_group = answered(api, STAFF_CHAT)
    assert len(in_group) == 2 and all("/start" in text for text in in_group)
    assert "/calendar/" not in " ".join(in_group)


async def test_a_staff_members_private_agenda_stays_in_their_private_chat(world):
    app, api = world["app"], world["api"]
    await feed(app, message_update(LE1, "/agenda 2026-11-30"))
    assert SECRET in " ".join(answered(api, LE1))
    assert answered(api, STAFF_CHAT) == []


# -- item 11: a removed staff member --------------------------------------------------------

async def test_a_removed_staff_member_is_offered_for_removal_from_the_group(world):
    app, api, url = world["app"], world["api"], world["url"]
    settings = Settings(database_url=url, service_file=EXAMPLE_SERVICE_FILE,
                        staff_chat_id=STAFF_CHAT)
    assert "removed" in await staff_cli(settings, "remove", LE1)

    class Ctx:
        bot = app.bot
        bot_data = app.bot_data

    await deliver_due(Ctx())  # type: ignore[arg-type]
    await deliver_due(Ctx())  # type: ignore[arg-type]  # told once
    told = [m for m in api.sent() if int(m["chat_id"]) == COORD]
    assert len(told) == 1 and "Bruno" in told[0]["text"]
    assert buttons(told[0]) == [f"stf:kick.{LE1}"]
    assert answered(api, SW1) == [] and answered(api, LE1) == []
    api.clear()
    await feed(app, button_update(SW1, f"stf:kick.{LE1}"))  # a coordinator's decision
    await feed(app, button_update(COORD, f"stf:kick.{SW1}"))  # Sara is still staff
    assert not [c for c in api.calls if c[0] in ("banChatMember", "unbanChatMember")]
    assert len(answered(api, SW1)) == 1 and len(answered(api, COORD)) == 1  # refused
    api.clear()
    await feed(app, button_update(COORD, f"stf:kick.{LE1}"))
    calls = [(name, params) for name, params in api.calls
             if name in ("banChatMember", "unbanChatMember")]
    assert [name for name, _ in calls] == ["banChatMember", "unbanChatMember"]
    assert all(int(p["chat_id"]) == STAFF_CHAT and int(p["user_id"]) == LE1
               for _, p in calls)
    assert str(calls[1][1]["only_if_banned"]).lower() == "true"
    assert len(answered(api, COORD)) == 1


async def test_with_no_coordinator_reachable_the_removal_is_told_in_the_group(world):
    app, api, url = world["app"], world["api"], world["url"]
    api.blocked.add(COORD)
    settings = Settings(database_url=url, service_file=EXAMPLE_SERVICE_FILE,
                        staff_chat_id=STAFF_CHAT)
    await staff_cli(settings, "remove", SW1)

    class Ctx:
        bot = app.bot
        bot_data = app.bot_data

    await deliver_due(Ctx())  # type: ignore[arg-type]
    in_group = [m for m in api.sent() if int(m["chat_id"]) == STAFF_CHAT]
    assert len(in_group) == 1 and "Sara" in in_group[0]["text"]
    assert buttons(in_group[0]) == [f"stf:kick.{SW1}"]
