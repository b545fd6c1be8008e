"""Hand-over to a mediator through a real PTB Application and a fake Bot API with forum
topics and copyMessage: two languages, media, several citizens, close, restart, strangers."""

from __future__ import annotations

import asyncio
import itertools
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from domain.model import StaffMember
from storage.database import create_engine
from storage.tables import HandoverRow, TranscriptRow
from tests.fakes import FakeBotAPI, KeywordUnderstanding
from tests.telegram.helpers import (
    button_update,
    feed,
    incoming_texts,
    make_app,
    make_engine,
    message_update,
    staffed,
)

STAFF_CHAT = -1001234567890
MEDIATOR = 777001
STRANGER = 777999
TABLE = {"fiscale": "faq_tax_code", "persona": "human_handover", "person": "human_handover",
         "picchia": "emergency"}
_ids = itertools.count(90_000)


def staff_update(user: int, thread: int | None, text: str | None = None,
                 reply_to: int | None = None, **extra: Any) -> dict[str, Any]:
    message: dict[str, Any] = {
        "message_id": next(_ids), "date": 1764147600,
        "from": {"id": user, "is_bot": False, "first_name": "Staff"},
        "chat": {"id": STAFF_CHAT, "type": "supergroup", "is_forum": True},
    }
    if thread is not None:
        message["message_thread_id"] = thread
        message["is_topic_message"] = True
    if text is not None:
        message["text"] = text
        if text.startswith("/"):
            message["entities"] = [{"type": "bot_command", "offset": 0,
                                    "length": len(text.split()[0])}]
    if reply_to is not None:
        message["reply_to_message"] = {"message_id": reply_to, "date": 1764147600,
                                       "chat": message["chat"], "text": "x"}
    message.update(extra)
    return {"update_id": next(_ids), "message": message}


@pytest.fixture
async def world(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'handover.db'}"
    engine, db = await staffed(url, KeywordUnderstanding(TABLE), [StaffMember(
        MEDIATOR, "Amina (mediatrice)", "mediator", ("it", "ur", "ar"))])
    api = FakeBotAPI()
    app = await make_app(engine, api, STAFF_CHAT)
    yield {"app": app, "api": api, "engine": engine, "url": url}
    await app.shutdown()
    await db.dispose()


def thread_of(api: FakeBotAPI) -> int:
    return api.sent("createForumTopic") and api.thread_id  # the last created thread


async def test_a_full_hand_over_in_urdu_with_a_photo_a_booking_and_close(world):
    app, api = world["app"], world["api"]
    await feed(app, button_update(41, "lang:ur", language="ur"))
    api.clear()
    await feed(app, message_update(41, "/human", language="ur"))
    (created,) = api.sent("createForumTopic")
    assert created["chat_id"] == STAFF_CHAT and created["name"].endswith("· ur")
    assert created["name"].startswith("T-")  # a case code, never a name
    thread = api.thread_id
    summary = [m for m in api.sent() if m.get("message_thread_id") == thread]
    assert summary and "(ur)" in summary[0]["text"]
    assert created["name"].split(" ")[0] in summary[0]["text"]  # the case code
    to_citizen = [m for m in api.sent() if m["chat_id"] == 41]
    assert to_citizen and to_citizen[0]["text"]  # told in Urdu what happens now

    api.clear()
    await feed(app, staff_update(MEDIATOR, thread, "/claim"))
    told = [m for m in api.sent() if m["chat_id"] == 41]
    assert told and "Amina" in told[0]["text"]

    api.clear()
    await feed(app, message_update(41, "mujhe codice fiscale chahiye", language="ur"))
    (copied,) = api.sent("copyMessage")
    assert copied["chat_id"] == STAFF_CHAT and copied["message_thread_id"] == thread
    assert api.sent() == []  # the bot stays silent
    photo = {"photo": [{"file_id": "p1", "file_unique_id": "p1", "width": 9, "height": 9}],
             "caption": "mera permesso"}
    await feed(app, message_update(41, None, language="ur", **photo))
    assert len(api.sent("copyMessage")) == 2

    api.clear()
    await feed(app, staff_update(MEDIATOR, thread, "Salaam, bhej dijiye"))
    (back,) = api.sent("copyMessage")
    assert back["chat_id"] == 41 and back["from_chat_id"] == STAFF_CHAT

    api.clear()
    await feed(app, staff_update(MEDIATOR, thread, "/book mediator"))
    offer = [m for m in api.sent() if m["chat_id"] == 41]
    assert offer, "the citizen is offered appointment times"
    await feed(app, button_update(41, "consent:yes", language="ur"))
    days = [b["callback_data"] for m in api.sent() if m["chat_id"] == 41
            for row in (m.get("reply_markup") or {}).get("inline_keyboard", []) for b in row]
    day = next(d for d in days if d.startswith("day:"))
    await feed(app, button_update(41, day, language="ur"))
    times = [b["callback_data"] for m in api.sent() if m["chat_id"] == 41
             for row in (m.get("reply_markup") or {}).get("inline_keyboard", []) for b in row]
    await feed(app, button_update(41, next(t for t in times if t.startswith("slot:")),
                                  language="ur"))
    assert api.sent("sendDocument"), "the confirmation carries a calendar file"

    api.clear()
    await feed(app, staff_update(MEDIATOR, thread, "/close"))
    assert api.sent("closeForumTopic")
    assert any(m["chat_id"] == 41 for m in api.sent())
    api.clear()
    await feed(app, message_update(41, "codice fiscale", language="ur"))
    assert not api.sent("copyMessage")
    assert "agenziaentrate" in api.sent()[-1]["text"]  # the assistant answers again

    db = create_engine(world["url"])
    async with db.connect() as conn:
        rows = (await conn.execute(select(TranscriptRow.direction, TranscriptRow.kind,
                                          TranscriptRow.text).where(
            TranscriptRow.citizen_id == 41).order_by(TranscriptRow.id))).all()
        handover = (await conn.execute(select(HandoverRow))).one()
    await db.dispose()
    texts = [t for _, _, t in rows]
    order = ["/human", "mujhe codice fiscale chahiye", "mera permesso",
             "Salaam, bhej dijiye", "codice fiscale"]
    positions = [texts.index(t) for t in order]
    assert positions == sorted(positions)
    assert ("in", "photo") in [(d, k) for d, k, _ in rows]
    assert handover.first_human_at is not None and handover.closed_at is not None


async def test_texts_for_a_person_are_read_for_danger_and_relayed_in_silence(world):
    # Safety first: every text is understood, also when a person has the conversation (a
    # hint that skipped the model for those texts was removed: danger went unanswered).
    app, api, engine = world["app"], world["api"], world["engine"]
    understood = engine.understanding.calls
    await feed(app, button_update(43, "lang:it", language="it"))
    await feed(app, message_update(43, "/human", language="it"))
    thread = api.thread_id
    understood.clear()
    api.clear()
    for text in ("ho un problema con la casa", "codice fiscale", "grazie"):
        await feed(app, message_update(43, text, language="it"))
    assert len(api.sent("copyMessage")) == 3  # every one reached the person
    assert [m for m in api.sent() if m["chat_id"] == 43] == []  # the bot is silent
    assert [t for t, _ in understood] == ["ho un problema con la casa", "codice fiscale",
                                          "grazie"]
    await feed(app, staff_update(MEDIATOR, thread, "/close"))
    api.clear()
    await feed(app, message_update(43, "codice fiscale", language="it"))
    assert "agenziaentrate" in api.sent()[-1]["text"]


async def test_a_french_citizen_is_told_in_french(world):
    app, api = world["app"], world["api"]
    await feed(app, button_update(42, "lang:fr", language="fr"))
    api.clear()
    await feed(app, message_update(42, "je veux une person", language="fr"))
    thread = api.thread_id
    api.clear()
    await feed(app, staff_update(MEDIATOR, thread, "/claim"))
    told = next(m for m in api.sent() if m["chat_id"] == 42)
    assert told["text"].startswith("Une personne") or "TEAMS" in told["text"]


async def test_a_mediator_reply_reaches_the_right_citizen_among_several(world):
    app, api = world["app"], world["api"]
    threads = {}
    for citizen in (51, 52, 53):
        await feed(app, message_update(citizen, "/human"))
        threads[citizen] = api.thread_id
    api.clear()
    await feed(app, message_update(52, "hello, second citizen here"))
    (relayed,) = api.sent("copyMessage")
    assert relayed["message_thread_id"] == threads[52]
    api.clear()
    await feed(app, staff_update(MEDIATOR, threads[52], "answer for 52",
                                 reply_to=api.message_id))
    (back,) = api.sent("copyMessage")
    assert back["chat_id"] == 52
    assert back["reply_parameters"]["message_id"]  # threaded to the citizen's message


async def test_a_stranger_in_the_staff_group_can_do_nothing(world):
    app, api = world["app"], world["api"]
    await feed(app, message_update(61, "/human"))
    thread = api.thread_id
    api.clear()
    for text in ("/claim", "/close", "/queue", "/say wait", "hello citizen"):
        await feed(app, staff_update(STRANGER, thread, text))
    assert api.calls == []


async def test_a_restart_in_the_middle_of_a_hand_over_loses_no_message(world, tmp_path):
    app, api = world["app"], world["api"]
    await feed(app, message_update(71, "/human"))
    thread = api.thread_id
    await app.shutdown()
    engine, db = make_engine(world["url"], KeywordUnderstanding(TABLE))
    engine.config = type(engine.config)(staff_chat=True)
    api2 = FakeBotAPI()
    app2 = await make_app(engine, api2, STAFF_CHAT)
    await feed(app2, message_update(71, "still there?"))
    (copied,) = api2.sent("copyMessage")
    assert copied["message_thread_id"] == thread
    await app2.shutdown()
    await db.dispose()
    world["app"] = await make_app(world["engine"], api, STAFF_CHAT)


async def test_a_deleted_topic_is_recreated(world):
    app, api = world["app"], world["api"]
    await feed(app, message_update(81, "/human"))
    old = api.thread_id
    api.deleted_threads.add(old)
    api.clear()
    await feed(app, message_update(81, "are you there"))
    assert api.sent("createForumTopic")
    failed, copied = api.sent("copyMessage")  # the first try met the deleted topic
    assert failed["message_thread_id"] == old
    assert copied["message_thread_id"] == api.thread_id != old


async def test_a_citizen_who_blocked_the_bot_is_reported_in_the_thread(world):
    app, api = world["app"], world["api"]
    await feed(app, message_update(91, "/human"))
    thread = api.thread_id
    api.blocked.add(91)
    api.clear()
    await feed(app, staff_update(MEDIATOR, thread, "hello?"))
    notes = [m["text"] for m in api.sent() if m.get("message_thread_id") == thread]
    assert any(n.startswith("⚠️") for n in notes)


async def test_an_emergency_alerts_first_in_the_queue(world):
    app, api = world["app"], world["api"]
    await feed(app, message_update(95, "/human"))
    await feed(app, message_update(96, "mio marito mi picchia"))
    first = next(m for m in api.sent() if m["chat_id"] == 96)["text"]
    assert "112" in first and "1522" in first  # the numbers come first
    api.clear()
    await feed(app, staff_update(MEDIATOR, None, "/queue"))
    (queue,) = api.sent()
    lines = queue["text"].splitlines()
    assert lines[1].startswith("🚨")
    assert len(lines) == 3


async def test_citizen_edits_follow_into_the_thread(world):
    app, api = world["app"], world["api"]
    await feed(app, message_update(97, "/human"))
    update = message_update(97, "helo")
    await feed(app, update)
    copy_id = api.message_id
    edited = dict(update["message"], text="hello", edit_date=1764147700)
    api.clear()
    await feed(app, {"update_id": next(_ids), "edited_message": edited})
    (edit,) = api.sent("editMessageText")
    assert edit["chat_id"] == STAFF_CHAT and int(edit["message_id"]) == copy_id


async def test_outside_opening_hours_the_citizen_is_told_when_a_person_answers(world):
    app, api, engine = world["app"], world["api"], world["engine"]
    engine.clock.current = datetime(2026, 11, 26, 21, 0, tzinfo=UTC)  # Thursday night
    await feed(app, button_update(98, "lang:en"))
    api.clear()
    await feed(app, message_update(98, "/human"))
    told = next(m for m in api.sent() if m["chat_id"] == 98)["text"]
    assert "The office is closed now" in told and "Friday" in told  # opens Friday 9:00
    api.clear()
    await feed(app, message_update(98, "are you there?"))
    assert api.sent("copyMessage") and not [m for m in api.sent() if m["chat_id"] == 98]


# -- staff -> citizen: an outbox, as durable as the other way (issue 13, item 6) -----------

class _JobContext:
    """What the periodic delivery job reads of PTB's context."""

    def __init__(self, app: Any) -> None:
        self.bot, self.bot_data = app.bot, app.bot_data


async def _delivery_job(app: Any) -> None:
    from handlers.telegram import deliver_due

    await deliver_due(_JobContext(app))  # type: ignore[arg-type]


async def _claimed(app: Any, api: FakeBotAPI, citizen: int) -> int:
    await feed(app, button_update(citizen, "lang:en"))
    await feed(app, message_update(citizen, "/human"))
    thread = api.thread_id
    await feed(app, staff_update(MEDIATOR, thread, "/claim"))
    api.clear()
    return thread


async def _transcript(url: str, citizen: int) -> list[tuple[str, str, str | None]]:
    db = create_engine(url)
    async with db.connect() as conn:
        rows = (await conn.execute(select(TranscriptRow.direction, TranscriptRow.kind,
                                          TranscriptRow.text).where(
            TranscriptRow.citizen_id == citizen).order_by(TranscriptRow.id))).all()
    await db.dispose()
    return [(d, k, t) for d, k, t in rows]


def _to(api: FakeBotAPI, citizen: int, method: str = "copyMessage") -> list[dict[str, Any]]:
    return [c for c in api.sent(method) if int(c["chat_id"]) == citizen]


async def test_a_502_on_a_mediator_message_is_retried_later_in_order(world):
    app, api, engine = world["app"], world["api"], world["engine"]
    thread = await _claimed(app, api, 120)
    api.fail("copyMessage", 502, "Bad Gateway", chat_id=120)
    first = staff_update(MEDIATOR, thread, "first answer")
    second = staff_update(MEDIATOR, thread, "second answer")
    await feed(app, first)
    await feed(app, second)
    assert _to(api, 120) == []  # the second waits behind the first: never out of order
    said = [t for d, _, t in await _transcript(world["url"], 120) if d == "out"]
    assert "first answer" not in said  # not recorded as sent while it was not
    engine.clock.advance(minutes=1)
    await _delivery_job(app)
    await _delivery_job(app)  # nothing is sent twice
    copies = _to(api, 120)
    assert [int(c["message_id"]) for c in copies] == [first["message"]["message_id"],
                                                      second["message"]["message_id"]]
    assert all(int(c["from_chat_id"]) == STAFF_CHAT for c in copies)
    rows = await _transcript(world["url"], 120)
    assert [r for r in rows if r[2] in ("first answer", "second answer")] == [
        ("out", "staff_text", "first answer"), ("out", "staff_text", "second answer")]
    # The copy is linked to the staff message: the citizen's reply to it is threaded there.
    api.clear()
    await feed(app, message_update(120, "thanks", reply_to_message={
        "message_id": api.message_id, "date": 1764147600,
        "chat": {"id": 120, "type": "private"}, "text": "second answer"}))
    (relayed,) = api.sent("copyMessage")
    assert relayed["reply_parameters"]["message_id"] == second["message"]["message_id"]


async def test_a_refused_mediator_message_is_reported_and_the_next_goes_on(world):
    app, api = world["app"], world["api"]
    thread = await _claimed(app, api, 121)
    api.fail("copyMessage", 400, "Bad Request: message to copy not found", chat_id=121)
    lost = staff_update(MEDIATOR, thread, "lost answer")
    after = staff_update(MEDIATOR, thread, "next answer")
    await feed(app, lost)
    await feed(app, after)
    assert [int(c["message_id"]) for c in _to(api, 121)] == [after["message"]["message_id"]]
    told = [m for m in api.sent() if m.get("message_thread_id") == thread]
    assert len(told) == 1 and told[0]["text"].startswith("⚠️")
    assert told[0]["reply_parameters"]["message_id"] == lost["message"]["message_id"]
    rows = await _transcript(world["url"], 121)
    assert ("out", "undelivered", "lost answer") in rows
    assert ("out", "staff_text", "next answer") in rows
    assert ("out", "staff_text", "lost answer") not in rows


async def test_a_canned_reply_is_retried_after_a_server_error(world):
    app, api, engine = world["app"], world["api"], world["engine"]
    thread = await _claimed(app, api, 122)
    api.fail("sendMessage", 503, "Service Unavailable", chat_id=122)
    await feed(app, staff_update(MEDIATOR, thread, "/say wait"))
    assert _to(api, 122, "sendMessage") == []
    assert [m for m in api.sent() if m.get("message_thread_id") == thread]  # "→ ..." shown
    engine.clock.advance(minutes=1)
    await _delivery_job(app)
    (canned,) = _to(api, 122, "sendMessage")
    assert canned["text"].startswith("Thank you for waiting")
    rows = await _transcript(world["url"], 122)
    assert [r for r in rows if r[1] == "staff_text"] == [("out", "staff_text", canned["text"])]


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")  # RetryAfter(int)
async def test_a_retry_after_on_a_mediator_message_delays_it(world):
    app, api, engine = world["app"], world["api"], world["engine"]
    thread = await _claimed(app, api, 123)
    api.fail("copyMessage", 429, "Too Many Requests: retry after 20", chat_id=123,
             retry_after=20)
    await feed(app, staff_update(MEDIATOR, thread, "slow answer"))
    assert _to(api, 123) == []
    engine.clock.advance(seconds=30)
    await _delivery_job(app)
    assert len(_to(api, 123)) == 1


# -- citizen -> staff under a flood (issue 13, item 7) --------------------------------------

async def test_thirty_texts_in_three_seconds_all_reach_the_thread_in_order(world):
    app, api = world["app"], world["api"]
    thread = await _claimed(app, api, 130)
    now = [0.0]

    def clock() -> float:  # every message comes 0.1 s after the previous: 30 in 3 s
        now[0] += 0.1
        return now[0]

    async def sleep(seconds: float) -> None:
        now[0] += seconds
        await asyncio.sleep(0)

    guard = app.bot_data.flood
    guard.clock, guard.sleep = clock, sleep
    updates = [message_update(130, f"message {i}") for i in range(30)]
    await asyncio.gather(*(feed(app, u) for u in updates))
    copies = api.sent("copyMessage")
    assert [int(c["message_id"]) for c in copies] == [u["message"]["message_id"]
                                                      for u in updates]
    assert {int(c["message_thread_id"]) for c in copies} == {thread}
    texts = (await incoming_texts(world["url"]))[130]
    assert texts[-30:] == [f"message {i}" for i in range(30)]
    assert len(_to(api, 130, "sendMessage")) <= 1  # one kind "please wait" at most


async def test_an_album_reaches_the_mediator_whole_and_in_order(world):
    app, api = world["app"], world["api"]
    thread = await _claimed(app, api, 131)
    photos = [message_update(131, None, media_group_id="album-1", photo=[
        {"file_id": f"p{i}", "file_unique_id": f"p{i}", "width": 9, "height": 9}])
        for i in range(5)]
    await asyncio.gather(*(feed(app, u) for u in photos))
    (album,) = api.sent("copyMessages")
    assert album["message_ids"] == [u["message"]["message_id"] for u in photos]
    assert int(album["chat_id"]) == STAFF_CHAT and int(album["from_chat_id"]) == 131
    assert int(album["message_thread_id"]) == thread
    assert not api.sent("copyMessage")
    # a text after the album comes after it
    await feed(app, message_update(131, "these are my documents"))
    assert [name for name, _ in api.calls if name.startswith("copy")] == [
        "copyMessages", "copyMessage"]


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")  # RetryAfter(int)
async def test_the_staff_group_limit_delays_a_copy_and_never_drops_it(world):
    app, api = world["app"], world["api"]
    thread = await _claimed(app, api, 132)
    api.fail("copyMessage", 429, "Too Many Requests: retry after 1", chat_id=STAFF_CHAT,
             times=2, retry_after=1)
    await feed(app, message_update(132, "are you there?"))
    (copied,) = api.sent("copyMessage")
    assert int(copied["message_thread_id"]) == thread
    texts = (await incoming_texts(world["url"]))[132]
    assert texts[-1] == "are you there?"
