"""A citizen sent on to another service is told where, when and what to bring, in their
language, and the message survives a failed send; the referral code leads TEAMS staff back to
the case; the case button under a thread's summary shows the case to registered staff only,
in private. Through a real PTB Application over the fake Bot API (issue 16, items 2 and 3)."""

from __future__ import annotations

import itertools
import re
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import update

from domain.booking import Booking
from domain.model import Citizen, StaffMember
from storage.tables import OutboxRow
from tests.fakes import FakeBotAPI, KeywordUnderstanding
from tests.telegram.helpers import (
    button_update,
    feed,
    make_app,
    message_update,
    staffed,
)

STAFF_CHAT = -1001234567890
LE1, COORD, CITIZEN, SECOND, STRANGER = 890001, 890002, 890100, 890101, 890999
ROME = ZoneInfo("Europe/Rome")
CODE = re.compile(r"R-[2-9A-HJKMNP-Z]{5}")
_ids = itertools.count(70_000)


@pytest.fixture
async def world(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'referral.db'}"
    engine, db = await staffed(url, KeywordUnderstanding({"persona": "human_handover"}), [
        StaffMember(LE1, "Bruno", "labour_expert", ("it",), "le1"),
        StaffMember(COORD, "Carla", "coordinator", ("it",))])
    now = engine.clock.now()
    start = datetime(2026, 11, 30, 9, 0, tzinfo=ROME).astimezone(UTC)  # Monday
    async with engine.uow_factory() as uow:
        await uow.citizens.add(Citizen(CITIZEN, now, now, language="fr",
                                       referral="servizi_sociali"))
        await uow.bookings.add(Booking(CITIZEN, "le1", "labour_expert", start,
                                       start + timedelta(minutes=30), now, needs=["work"],
                                       meeting_language="fr", case_code="T-AAAA2"))
        await uow.commit()
    engine.clock.current = start + timedelta(hours=1)  # the appointment has begun
    api = FakeBotAPI()
    app = await make_app(engine, api, STAFF_CHAT)
    yield {"app": app, "api": api, "engine": engine}
    await app.shutdown()
    await db.dispose()


def group_button(uid: int, data: str, thread: int) -> dict[str, Any]:
    """A button pressed under a message of the bot's in a thread of the staff group."""
    return {"update_id": next(_ids), "callback_query": {
        "id": str(next(_ids)), "from": {"id": uid, "is_bot": False, "first_name": "S"},
        "chat_instance": "ci", "data": data,
        "message": {"message_id": next(_ids), "date": 1764147600,
                    "chat": {"id": STAFF_CHAT, "type": "supergroup", "is_forum": True},
                    "message_thread_id": thread, "is_topic_message": True,
                    "text": "summary"}}}


def callbacks(message: dict) -> list[str]:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return [b.get("callback_data") or b.get("url") for row in rows for b in row]


async def test_a_citizen_sent_on_is_told_in_french_and_staff_can_follow_the_code(world):
    app, api = world["app"], world["api"]
    await feed(app, button_update(LE1, "stf:att.1"))
    await feed(app, button_update(LE1, "stf:oref.1"))
    api.clear()
    await feed(app, button_update(LE1, "stf:osv.1.centro_impiego"))
    staff = [m for m in api.sent() if m["chat_id"] == LE1]
    (told,) = [m for m in api.sent() if m["chat_id"] == CITIZEN]
    code = CODE.search(staff[0]["text"])
    assert code is not None and "Codice di invio" in staff[0]["text"]
    text = told["text"]
    assert code.group(0) in text and "Centro per l'Impiego" in text
    assert "Via dell'Esempio 10" in text and "lundi" in text  # the directory's, in French
    assert "Montrez ce code" in text and "Passeport" in text
    api.clear()
    await feed(app, message_update(COORD, f"/referral {code.group(0)}"))
    (view,) = api.sent()
    assert view["chat_id"] == COORD and f"Invio {code.group(0)}" in view["text"]
    assert "T-AAAA2" in view["text"] and "Servizi sociali" in view["text"]
    api.clear()
    await feed(app, message_update(STRANGER, f"/referral {code.group(0)}"))
    assert code.group(0) not in " ".join(m["text"] for m in api.sent())


async def test_the_referral_message_survives_a_failed_send(world):
    from handlers.telegram import deliver_due

    app, api, engine = world["app"], world["api"], world["engine"]
    await feed(app, button_update(LE1, "stf:att.1"))
    api.fail("sendMessage", 502, "Bad Gateway", chat_id=CITIZEN)
    api.clear()
    await feed(app, button_update(LE1, "stf:osv.1.asl"))
    assert [m for m in api.sent() if m["chat_id"] == CITIZEN] == []  # refused
    async with engine.uow_factory() as uow:  # the sender is taken for dead after a while
        await uow.session.execute(update(OutboxRow).values(
            claimed_at=datetime.now(UTC) - timedelta(minutes=10)))
        await uow.commit()

    class Job:
        bot, bot_data = app.bot, app.bot_data

    await deliver_due(Job())  # type: ignore[arg-type]
    await deliver_due(Job())  # type: ignore[arg-type]
    (told,) = [m for m in api.sent() if m["chat_id"] == CITIZEN]
    assert "ASL" in told["text"] and CODE.search(told["text"])


async def test_the_case_button_under_the_summary_is_for_registered_staff_in_private(world):
    app, api = world["app"], world["api"]
    await feed(app, button_update(CITIZEN, "lang:fr", language="fr"))
    await feed(app, message_update(CITIZEN, "persona", language="fr"))
    thread = api.thread_id
    (summary,) = [m for m in api.sent() if m.get("message_thread_id") == thread
                  and callbacks(m)]
    assert "Servizi sociali" in summary["text"] and "servizi_sociali" not in summary["text"]
    (payload,) = callbacks(summary)
    assert re.fullmatch(r"stf:case\.T-[2-9A-HJKMNP-Z]{5}", payload)
    api.clear()
    await feed(app, group_button(LE1, payload, thread))
    (view,) = api.sent()
    assert view["chat_id"] == LE1  # in private, not in the group
    assert "Caso " in view["text"] and "T-AAAA2" in view["text"]
    assert "Lavoro" in view["text"] and "Servizi sociali" in view["text"]
    api.clear()
    await feed(app, group_button(STRANGER, payload, thread))  # not staff: nothing at all
    assert api.sent() == []
    api.fail("sendMessage", 403, "Forbidden: bot can't initiate conversation with a user",
             chat_id=COORD)
    await feed(app, group_button(COORD, payload, thread))
    (note,) = api.sent()
    assert note["chat_id"] == STAFF_CHAT and note["message_thread_id"] == thread
    assert "T-AAAA2" not in note["text"] and "/start" in note["text"]
