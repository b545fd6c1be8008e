"""Danger is recognised in every state, for every kind of input, and answered by the assistant
at once (112, 1522, the directory's lines), whoever is or is not there; in a hand-over the
words still reach the mediator and the conversation goes first in the queue.

Through a real PTB Application over the fake Bot API, on SQLite."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from domain.handover import EMERGENCY_PRIORITY
from storage.tables import HandoverRow, TranscriptRow
from tests.fakes import FakeBotAPI, KeywordUnderstanding
from tests.telegram.helpers import button_update, feed, make_app, make_engine, message_update
from tests.telegram.test_handover import MEDIATOR, STAFF_CHAT, staff_update
from tests.telegram.test_handover import world as world

DANGER = "mio marito mi picchia"  # the fake NLU's emergency keyword: "picchia"
_ids = itertools.count(500_000)
_citizens = itertools.count(6_000)

Step = Callable[[Any, FakeBotAPI, int], Any]


def press(prefix: str) -> Step:
    """Press the first button whose payload starts with ``prefix`` in the last keyboard."""
    async def step(app: Any, api: FakeBotAPI, uid: int) -> None:
        for sent in reversed(api.sent()):
            rows = (sent.get("reply_markup") or {}).get("inline_keyboard") or []
            for row in rows:
                for button in row:
                    if button["callback_data"].startswith(prefix):
                        await feed(app, button_update(uid, button["callback_data"]))
                        return
        raise AssertionError(f"no button {prefix!r} on screen")
    return step


def say(text: str, language: str | None = "en") -> Step:
    async def step(app: Any, api: FakeBotAPI, uid: int) -> None:
        await feed(app, message_update(uid, text, language=language))
    return step


def tap(payload: str) -> Step:
    async def step(app: Any, api: FakeBotAPI, uid: int) -> None:
        await feed(app, button_update(uid, payload))
    return step


def claim() -> Step:
    async def step(app: Any, api: FakeBotAPI, uid: int) -> None:
        await feed(app, staff_update(MEDIATOR, api.thread_id, "/claim"))
    return step


def night() -> Step:
    async def step(app: Any, api: FakeBotAPI, uid: int) -> None:
        engine = app.bot_data.engine
        engine.clock.current = datetime(2026, 11, 26, 21, 0, tzinfo=UTC)  # Thursday night
    return step


BOOKING = [tap("book"), tap("consent:yes")]
STATES: dict[str, list[Step]] = {
    "first message": [],
    "choosing a language": [say("/start", language=None)],
    "main menu": [tap("lang:en")],
    "reading an answer": [tap("lang:en"), tap("faq:faq_tax_code")],
    "privacy consent": [tap("lang:en"), tap("book")],
    "intake needs": [tap("lang:en"), *BOOKING],
    "intake urgency": [tap("lang:en"), *BOOKING, tap("need:work"), tap("needs_done")],
    "intake referral": [tap("lang:en"), *BOOKING, tap("need:work"), tap("needs_done"),
                        tap("urg:week")],
    "meeting language": [tap("lang:en"), *BOOKING, tap("need:work"), tap("needs_done"),
                         tap("urg:week"), tap("ref:other")],
    "booking description": [tap("lang:en"), *BOOKING, tap("need:work"), tap("needs_done"),
                            tap("urg:week"), tap("ref:other"), tap("mlang:en")],
    "triage": [tap("lang:en"), *BOOKING, tap("need:work"), tap("needs_done"),
               tap("urg:week"), tap("ref:other"), tap("mlang:en"), tap("skip")],
    "choosing a day": [tap("lang:en"), *BOOKING, tap("need:work"), tap("needs_done"),
                       tap("urg:week"), tap("ref:other"), tap("mlang:en"), tap("skip"),
                       tap("days")],
    "choosing a time": [tap("lang:en"), *BOOKING, tap("need:work"), tap("needs_done"),
                        tap("urg:week"), tap("ref:other"), tap("mlang:en"), tap("skip"),
                        tap("days"), press("day:")],
    "after asking to delete": [tap("lang:en"), say("/delete")],
    "after deleting": [tap("lang:en"), say("/human"), say("/delete"), tap("eraseok")],
    "waiting for a person": [tap("lang:en"), say("/human")],
    "with a mediator": [tap("lang:en"), say("/human"), claim()],
    "waiting out of hours": [night(), tap("lang:en"), say("/human")],
    "after two misunderstandings": [tap("lang:en"), say("qwerty"), say("asdfgh")],
}
HANDED_OVER = {"waiting for a person", "with a mediator", "waiting out of hours"}


async def _danger(app: Any, uid: int, kind: str) -> None:
    if kind == "text":
        await feed(app, message_update(uid, DANGER))
    elif kind == "caption":
        photo = [{"file_id": "p9", "file_unique_id": "p9", "width": 9, "height": 9}]
        await feed(app, message_update(uid, None, photo=photo, caption=DANGER))
    elif kind == "command words":
        await feed(app, message_update(uid, "/help " + DANGER))
    elif kind == "edit":
        update = message_update(uid, "ok")
        await feed(app, update)
        edited = dict(update["message"], text=DANGER, edit_date=1764147700)
        await feed(app, {"update_id": next(_ids), "edited_message": edited})
    else:  # pragma: no cover
        raise AssertionError(kind)


async def _priority(url: str, uid: int) -> int | None:
    from storage.database import create_engine

    db = create_engine(url)
    async with db.connect() as conn:
        rows = (await conn.execute(
            select(HandoverRow.priority).where(HandoverRow.citizen_id == uid,
                                               HandoverRow.status != "closed"))).all()
    await db.dispose()
    return max((r[0] for r in rows), default=None)


@pytest.mark.parametrize("kind", ["text", "caption", "edit", "command words"])
@pytest.mark.parametrize("state", list(STATES))
async def test_danger_is_answered_at_once_in_every_state(world, state, kind):
    app, api = world["app"], world["api"]
    uid = next(_citizens)
    for step in STATES[state]:
        await step(app, api, uid)
    api.clear()
    await _danger(app, uid, kind)
    told = [m["text"] for m in api.sent("sendMessage") if m["chat_id"] == uid]
    emergency = [t for t in told if "112" in t and "1522" in t]
    assert emergency, f"{state}/{kind}: no emergency numbers in {told}"
    assert "EXAMPLE" in emergency[0] or "•" in emergency[0]  # the directory's lines too
    api_calls_before_queue = api.sent("copyMessage")
    # A person is on the way, first in line.
    assert await _priority(world["url"], uid) == EMERGENCY_PRIORITY
    api.clear()
    await feed(app, staff_update(MEDIATOR, None, "/queue"))
    if state != "with a mediator":  # a claimed conversation has its person already
        queue = api.sent("sendMessage")[-1]["text"].splitlines()
        assert queue[1].startswith("🚨")
    if state in HANDED_OVER and kind != "edit":
        assert len(api_calls_before_queue) == 1  # the words still reached the thread


@pytest.mark.parametrize("state", sorted(HANDED_OVER))
async def test_in_a_hand_over_the_words_reach_the_thread_and_the_thread_is_alarmed(world,
                                                                                    state):
    app, api = world["app"], world["api"]
    uid = next(_citizens)
    for step in STATES[state]:
        await step(app, api, uid)
    thread = api.thread_id
    api.clear()
    await feed(app, message_update(uid, DANGER))
    (copied,) = api.sent("copyMessage")
    assert copied["message_thread_id"] == thread
    in_thread = [m["text"] for m in api.sent("sendMessage")
                 if m.get("message_thread_id") == thread]
    assert any(t.startswith("🚨") for t in in_thread)
    order = [name for name, _ in api.calls]
    # The citizen's own words come before the alarm in the thread.
    assert order.index("copyMessage") < max(i for i, (name, p) in enumerate(api.calls)
                                            if name == "sendMessage"
                                            and str(p.get("message_thread_id")) == str(thread))


@pytest.mark.parametrize("first, then, danger", [("hello", DANGER, True),
                                                  ("helo", "hello", False)])
async def test_an_edit_outside_a_hand_over_is_read_for_danger_only(world, first, then, danger):
    app, api = world["app"], world["api"]
    uid = next(_citizens)
    await feed(app, button_update(uid, "lang:en"))
    update = message_update(uid, first)
    await feed(app, update)
    api.clear()
    edited = dict(update["message"], text=then, edit_date=1764147700)
    await feed(app, {"update_id": next(_ids), "edited_message": edited})
    told = [m["text"] for m in api.sent("sendMessage") if m["chat_id"] == uid]
    if danger:
        assert "112" in told[0] and "1522" in told[0]
    else:
        assert api.sent() == []  # a harmless edit says nothing


async def test_danger_without_a_staff_group_still_gets_the_numbers(tmp_path):
    from storage.database import upgrade_async

    url = f"sqlite+aiosqlite:///{tmp_path / 'alone.db'}"
    await upgrade_async(url)
    engine, db = make_engine(url, KeywordUnderstanding({"picchia": "emergency"}))
    api = FakeBotAPI()
    app = await make_app(engine, api, STAFF_CHAT)
    app.bot_data.staff_chat_id = None
    for kind in ("text", "caption", "edit"):
        uid = next(_citizens)
        api.clear()
        await _danger(app, uid, kind)
        told = [m["text"] for m in api.sent("sendMessage") if m["chat_id"] == uid]
        assert any("112" in t and "1522" in t for t in told), kind
    await app.shutdown()
    await db.dispose()


async def test_danger_with_the_database_away_still_gets_the_numbers():
    engine, db = make_engine("postgresql+asyncpg://nobody@127.0.0.1:1/none",
                             KeywordUnderstanding({"picchia": "emergency"}))
    api = FakeBotAPI()
    app = await make_app(engine, api, STAFF_CHAT)
    await feed(app, message_update(6950, DANGER))
    await app.shutdown()
    await db.dispose()
    texts = [m["text"] for m in api.sent("sendMessage")]
    assert "112" in texts[0] and "1522" in texts[0]  # the numbers first, then the apology


COMMANDS = ["/privacy", "/mydata", "/delete", "/menu", "/start", "/appointments", "/help",
            "/language", "/book"]


@pytest.mark.parametrize("command", COMMANDS)
async def test_commands_keep_working_in_a_hand_over(world, command):
    app, api = world["app"], world["api"]
    uid = next(_citizens)
    await feed(app, button_update(uid, "lang:en"))
    await feed(app, message_update(uid, "/human"))
    thread = api.thread_id
    api.clear()
    await feed(app, message_update(uid, command))
    answered = [p for _, p in api.calls if p.get("chat_id") == uid]
    assert answered, f"{command} was not answered"
    (copied,) = api.sent("copyMessage")  # the mediator sees it too
    assert copied["message_thread_id"] == thread


async def test_danger_in_a_hand_over_is_in_the_transcript_once(world):
    app = world["app"]
    uid = next(_citizens)
    await feed(app, button_update(uid, "lang:en"))
    await feed(app, message_update(uid, "/human"))
    await feed(app, message_update(uid, DANGER))
    from storage.database import create_engine

    db = create_engine(world["url"])
    async with db.connect() as conn:
        texts = (await conn.execute(select(TranscriptRow.text).where(
            TranscriptRow.citizen_id == uid, TranscriptRow.direction == "in"))).scalars().all()
    await db.dispose()
    assert texts.count(DANGER) == 1


@pytest.mark.parametrize("state", ["main menu", "waiting for a person"])
async def test_danger_at_the_end_of_a_long_message_is_not_missed(world, state):
    app, api = world["app"], world["api"]
    uid = next(_citizens)
    for step in STATES[state]:
        await step(app, api, uid)
    api.clear()
    story = ("I arrived last year and I looked for work for a long time. " * 60)[:3900]
    await feed(app, message_update(uid, story + " " + DANGER))
    told = [m["text"] for m in api.sent("sendMessage") if m["chat_id"] == uid]
    assert any("112" in t and "1522" in t for t in told)


@pytest.mark.parametrize("media", [
    {"voice": {"file_id": "v1", "file_unique_id": "v1", "duration": 4}},
    {"video_note": {"file_id": "n1", "file_unique_id": "n1", "length": 9, "duration": 4}},
])
@pytest.mark.parametrize("state", ["main menu", "intake needs", "booking description"])
async def test_a_voice_note_that_cannot_be_heard_still_carries_the_emergency_number(
        world, state, media):
    """What is said in a voice note cannot be read for danger yet: the answer gives 112."""
    app, api = world["app"], world["api"]
    uid = next(_citizens)
    for step in STATES[state]:
        await step(app, api, uid)
    api.clear()
    await feed(app, message_update(uid, None, **media))
    told = [m["text"] for m in api.sent("sendMessage") if m["chat_id"] == uid]
    assert told and "112" in told[-1]
