"""Issue 15: a mediator reviews and corrects the Arabic content inside Telegram; the next
citizen sees the correction and the honest review line; coordinators see the progress."""

from __future__ import annotations

import json
from typing import Any

import pytest

from domain.model import StaffMember
from domain.turn import EngineConfig
from storage.database import upgrade_async
from tests.fakes import FakeBotAPI, KeywordUnderstanding
from tests.telegram.helpers import button_update, feed, make_app, make_engine, message_update

MEDIATOR, COORD, SOCIAL, CITIZEN, NEXT_CITIZEN = 770001, 770002, 770003, 770100, 770101
TOPIC = "faq_health_care"
BOT = {k: FakeBotAPI.BOT[k] for k in ("id", "is_bot", "first_name", "username")}


@pytest.fixture
async def world(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'review.db'}"
    await upgrade_async(url)
    engine, db = make_engine(url, KeywordUnderstanding({}))
    # the staff's texts in English: the service's language, which each of them speaks
    engine.config = EngineConfig(default_language="en")
    now = engine.clock.now()
    async with engine.uow_factory() as uow:
        await uow.staff.add(StaffMember(MEDIATOR, "Amal", "mediator", ("ar", "it", "en")), now)
        await uow.staff.add(StaffMember(COORD, "Carla", "coordinator", ("it", "en")), now)
        await uow.staff.add(StaffMember(SOCIAL, "Sara", "social_worker", ("it", "fr", "en")),
                            now)
        await uow.commit()
    api = FakeBotAPI()
    app = await make_app(engine, api)
    yield {"app": app, "api": api, "engine": engine, "url": url}
    await app.shutdown()
    await db.dispose()


def datas(message: dict[str, Any]) -> list[str]:
    markup = message.get("reply_markup") or {}
    if isinstance(markup, str):
        markup = json.loads(markup)
    rows = markup.get("inline_keyboard", [])
    return [b.get("callback_data") for row in rows for b in row]


def forced(message: dict[str, Any]) -> bool:
    markup = message.get("reply_markup") or {}
    if isinstance(markup, str):
        markup = json.loads(markup)
    return bool(markup.get("force_reply"))


def reply_to(uid: int, text: str, prompt: dict[str, Any]) -> dict[str, Any]:
    """The staff member's answer to a forced-reply prompt the bot sent."""
    return message_update(uid, text, reply_to_message={
        "message_id": 1, "date": 1764147600, "chat": {"id": uid, "type": "private"},
        "from": BOT, "text": prompt["text"]})


async def ask_health(app: Any, api: FakeBotAPI, uid: int) -> str:
    api.clear()
    await feed(app, button_update(uid, f"faq:{TOPIC}", language="ar"))
    return str(api.sent()[0]["text"])


async def test_a_mediator_corrects_arabic_in_telegram_and_the_next_citizen_sees_it(world):
    app, api, engine = world["app"], world["api"], world["engine"]
    before = await ask_health(app, api, CITIZEN)
    assert "TEAMS" in before and "Last checked" not in before
    draft_line = before.rsplit("\n", 1)[-1]  # the honest line, in Arabic
    api.clear()
    await feed(app, message_update(MEDIATOR, "/review ar"))
    source, draft = api.sent()[:2]
    assert "Italian source" in source["text"]
    first = datas(draft)[0].split(".")[-1]
    assert datas(draft) == [f"stf:rvok.ar.{first}", f"stf:rved.ar.{first}",
                            f"stf:rvnx.ar.{first}"]
    # ✏️ correct: the prompt forces a reply; a reply with a phone number is refused
    api.clear()
    await feed(app, button_update(MEDIATOR, f"stf:rved.ar.{TOPIC}"))
    (prompt,) = api.sent()
    assert prompt["text"].startswith(f"✏️ [ar/{TOPIC}]") and forced(prompt)
    current = engine.content.get("ar", TOPIC)
    corrected = "تصحيح من الوسيطة. " + current.text
    api.clear()
    await feed(app, reply_to(MEDIATOR, corrected + " +39 055 1234567", prompt))
    refused = api.sent()
    assert refused[0]["text"].startswith("❌") and "+39 055 1234567" in refused[0]["text"]
    assert forced(refused[-1])  # asked again
    api.clear()
    await feed(app, reply_to(MEDIATOR, corrected, prompt))
    assert api.sent()[0]["text"].startswith("✅ Saved")
    # the next citizen sees the correction, and that a mediator checked it
    after = await ask_health(app, api, NEXT_CITIZEN)
    assert "تصحيح من الوسيطة" in after
    assert draft_line not in after


async def test_approve_later_status_and_who_may_review(world):
    app, api = world["app"], world["api"]
    before = await ask_health(app, api, CITIZEN)
    api.clear()
    await feed(app, button_update(MEDIATOR, f"stf:rvnx.ar.{TOPIC}"))  # later: the next one
    shown = [d for m in api.sent() for d in datas(m)]
    assert shown and TOPIC not in shown[0]
    api.clear()
    await feed(app, button_update(MEDIATOR, f"stf:rvok.ar.{TOPIC}"))
    assert api.sent()[0]["text"].startswith("✅ Approved")
    after = await ask_health(app, api, CITIZEN)
    assert after.rsplit("\n", 1)[-1] != before.rsplit("\n", 1)[-1]
    # a social worker without Arabic; the Italian source by a mediator: refused
    for uid, data in ((SOCIAL, f"stf:rvok.ar.{TOPIC}"), (MEDIATOR, f"stf:rvok.it.{TOPIC}")):
        api.clear()
        await feed(app, button_update(uid, data))
        assert "cannot review" in api.sent()[0]["text"]
    api.clear()  # forged data: strictly refused
    await feed(app, button_update(MEDIATOR, "stf:rvok.ar.faq_nonexistent"))
    assert "no longer valid" in api.sent()[0]["text"]
    api.clear()  # progress: coordinators only
    await feed(app, message_update(MEDIATOR, "/review status"))
    assert "coordinator" in api.sent()[0]["text"]
    api.clear()
    await feed(app, message_update(COORD, "/review status"))
    status = api.sent()[0]["text"]
    assert "ar: 1/" in status and "fr: 0/" in status
    assert "interface 0/" in status  # the interface strings: none marked reviewed yet


async def test_a_changed_italian_source_sends_the_translation_back_to_review(world):
    app, api, engine = world["app"], world["api"], world["engine"]
    draft = await ask_health(app, api, CITIZEN)
    await feed(app, button_update(MEDIATOR, f"stf:rvok.ar.{TOPIC}"))
    approved = await ask_health(app, api, CITIZEN)
    assert approved != draft
    api.clear()  # the coordinator corrects the Italian source
    await feed(app, button_update(COORD, f"stf:rved.it.{TOPIC}"))
    (prompt,) = api.sent()
    source = engine.content.get("it", TOPIC)
    api.clear()
    await feed(app, reply_to(COORD, source.text + "\nUna frase aggiunta dal coordinamento.",
                             prompt))
    assert api.sent()[0]["text"].startswith("✅")
    assert await ask_health(app, api, CITIZEN) == draft  # back to the machine-draft line
    api.clear()
    await feed(app, message_update(MEDIATOR, "/review ar"))
    texts = [m["text"] for m in api.sent()]
    assert any("What changed" in t and "Una frase aggiunta" in t for t in texts)


async def test_a_citizen_gets_nothing_from_review_buttons_or_prompts(world):
    app, api = world["app"], world["api"]
    api.clear()
    await feed(app, button_update(CITIZEN, f"stf:rvok.ar.{TOPIC}"))
    assert api.sent() == []
    await feed(app, reply_to(CITIZEN, "x" * 100, {"text": f"✏️ [ar/{TOPIC}] send"}))
    assert all("Saved" not in m["text"] for m in api.sent())


async def test_a_correction_that_changes_a_fact_of_the_italian_is_refused(world):
    """Issue 15: a correction is held to the content check's facts comparison too: a number
    the Italian source does not state (30 days) is refused, saying which, in signs."""
    app, api, engine = world["app"], world["api"], world["engine"]
    api.clear()
    await feed(app, button_update(MEDIATOR, f"stf:rved.ar.{TOPIC}"))
    (prompt,) = api.sent()
    current = engine.content.get("ar", TOPIC)
    api.clear()
    await feed(app, reply_to(MEDIATOR, current.text + "\nالمدة 30 يوماً.", prompt))
    refused = api.sent()
    assert refused[0]["text"].startswith("❌")
    assert "differ from the Italian source" in refused[0]["text"] and "+30" in refused[0]["text"]
    assert forced(refused[-1])
    api.clear()
    await feed(app, reply_to(MEDIATOR, current.text + "\nتصحيح من الوسيطة.", prompt))
    assert api.sent()[0]["text"].startswith("✅ Saved")
