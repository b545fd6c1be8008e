"""A voice note always reaches a person or an answer (issue 17, items 1 and 2), through a real
PTB Application over the fake Bot API: without a speech model a person listens (the note
copied into the thread, out of hours too); with one, the note is downloaded through the Bot
API, heard, shown back for a yes, then answered as if typed; danger in it is answered at
once; the audio is never kept."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from domain.hearing import Transcript
from domain.model import StaffMember
from handlers.speech import Listener
from storage.database import create_engine
from storage.tables import ConversationRow, HandoverRow, TranscriptRow
from tests.fakes import FakeBotAPI, KeywordUnderstanding
from tests.telegram.helpers import button_update, feed, make_app, message_update, staffed

STAFF_CHAT = -1001234567890
MEDIATOR = 778001
TABLE = {"fiscale": "faq_tax_code", "tax code": "faq_tax_code", "picchia": "emergency"}
_citizens = itertools.count(7800)


class Words:
    """A speech model that hears the words the test put in the audio file; it checks the
    file is there while it listens."""

    max_seconds = 120.0

    def __init__(self) -> None:
        self.heard: list[Path] = []

    async def transcribe(self, audio: Path) -> Transcript | None:
        self.heard.append(audio)
        return Transcript(_read(audio), "it", 3.0)


def _read(audio: Path) -> str:
    assert audio.is_file()  # there while it is heard
    return audio.read_bytes().decode()


def voice(uid: int, file_id: str, duration: int = 4) -> dict[str, Any]:
    return message_update(uid, None, voice={"file_id": file_id, "file_unique_id": file_id,
                                            "duration": duration})


@pytest.fixture
async def world(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'voice.db'}"
    engine, db = await staffed(url, KeywordUnderstanding(TABLE), [StaffMember(
        MEDIATOR, "Amina (mediatrice)", "mediator", ("it", "ar"))])
    api = FakeBotAPI()
    app = await make_app(engine, api, STAFF_CHAT)
    yield {"app": app, "api": api, "engine": engine, "url": url, "tmp": tmp_path}
    await app.shutdown()
    await db.dispose()


@pytest.fixture
def hearing(world) -> Words:
    words = Words()
    folder = world["tmp"] / "audio"
    folder.mkdir()
    world["app"].bot_data.speech = Listener(words, folder)
    return words


async def _rows(url: str, table: Any, citizen: int) -> list[Any]:
    db = create_engine(url)
    async with db.connect() as conn:
        rows = (await conn.execute(select(table).where(table.citizen_id == citizen))).all()
    await db.dispose()
    return list(rows)


def _told(api: FakeBotAPI, uid: int) -> list[dict[str, Any]]:
    return [m for m in api.sent() if m["chat_id"] == uid]


def _buttons(message: dict[str, Any]) -> list[str]:
    markup = message.get("reply_markup") or {}
    return [b["callback_data"] for row in markup.get("inline_keyboard", []) for b in row]


async def test_without_a_model_a_person_listens_to_the_voice_note_itself(world):
    app, api = world["app"], world["api"]
    uid = next(_citizens)
    await feed(app, button_update(uid, "lang:en"))
    api.clear()
    update = voice(uid, "v-unheard")
    await feed(app, update)
    told = _told(api, uid)[-1]["text"]
    assert "a person of the TEAMS service, who will listen to it" in told
    assert "112" in told  # an unheard note may be someone in danger
    summary = next(m for m in api.sent() if m["chat_id"] == STAFF_CHAT)["text"]
    assert "messaggio vocale che nessuno ha ancora ascoltato" in summary  # staff: Italian
    copies = api.sent("copyMessage")
    assert [(int(c["from_chat_id"]), int(c["message_id"])) for c in copies] == [
        (uid, update["message"]["message_id"])]
    assert int(copies[0]["message_thread_id"]) == api.thread_id
    handover = (await _rows(world["url"], HandoverRow, uid))[0]
    assert (handover.reason, handover.priority, handover.status) == ("voice", 0, "waiting")
    assert not api.sent("getFile")


async def test_the_citizen_is_told_in_their_language(world):
    app, api, engine = world["app"], world["api"], world["engine"]
    uid = next(_citizens)
    await feed(app, button_update(uid, "lang:fr"))
    api.clear()
    await feed(app, voice(uid, "v-fr"))
    expected = engine.translations.gettext("fr", (
        "I can't listen to voice messages myself: I am passing yours to a person of the TEAMS "
        "service, who will listen to it. You can send more voice messages here."))
    assert not expected.startswith("I can't")
    assert _told(api, uid)[-1]["text"].startswith(expected)


async def test_out_of_hours_the_voice_note_still_reaches_the_thread(world):
    app, api, engine = world["app"], world["api"], world["engine"]
    engine.clock.current = datetime(2026, 11, 26, 21, 0, tzinfo=UTC)  # Thursday night
    uid = next(_citizens)
    await feed(app, button_update(uid, "lang:en"))
    api.clear()
    await feed(app, voice(uid, "v-night"))
    told = _told(api, uid)[-1]["text"]
    assert "The office is closed now" in told and "Friday" in told
    assert len(api.sent("copyMessage")) == 1


async def test_during_a_hand_over_a_voice_note_is_relayed_as_before(world):
    app, api = world["app"], world["api"]
    uid = next(_citizens)
    await feed(app, button_update(uid, "lang:en"))
    await feed(app, message_update(uid, "/human"))
    api.clear()
    await feed(app, voice(uid, "v-relay"))
    assert len(api.sent("copyMessage")) == 1
    assert _told(api, uid) == []  # a person reads it; the bot is silent
    assert len(await _rows(world["url"], HandoverRow, uid)) == 1


async def test_a_heard_note_is_shown_back_and_a_yes_answers_it_as_typed(world, hearing):
    app, api = world["app"], world["api"]
    uid = next(_citizens)
    api.files["v-tax"] = b"come faccio il codice fiscale"
    await feed(app, button_update(uid, "lang:en"))
    api.clear()
    await feed(app, voice(uid, "v-tax"))
    assert [c for c, _ in api.calls if c in ("getFile", "download")] == ["getFile", "download"]
    asked = _told(api, uid)[-1]
    assert asked["text"] == "I understood: «come faccio il codice fiscale» — is that right?"
    assert _buttons(asked) == ["heard:yes", "heard:no"]
    assert hearing.heard and not hearing.heard[0].exists()  # the audio is deleted
    assert list(hearing.heard[0].parent.iterdir()) == []
    conversation = (await _rows(world["url"], ConversationRow, uid))[0]
    assert "codice fiscale" in str(conversation.data)  # waits in the conversation
    api.clear()
    await feed(app, button_update(uid, "heard:yes"))
    told = [m["text"] for m in _told(api, uid)]
    assert "agenziaentrate.gov.it" in told[0]
    assert "Italiano" in told[-1]  # heard in Italian: offered, as for a typed text
    transcript = [(r.direction, r.kind, r.text)
                  for r in await _rows(world["url"], TranscriptRow, uid) if r.direction == "in"]
    assert ("in", "voice", "come faccio il codice fiscale") in transcript
    assert not api.sent("copyMessage")  # nobody else heard it
    api.clear()
    await feed(app, button_update(uid, "heard:yes"))  # pressed again: nothing waits
    assert "no longer valid" in _told(api, uid)[-1]["text"]


async def test_danger_in_a_heard_note_is_answered_at_once(world, hearing):
    app, api = world["app"], world["api"]
    uid = next(_citizens)
    api.files["v-danger"] = b"mio marito mi picchia"
    await feed(app, button_update(uid, "lang:en"))
    api.clear()
    await feed(app, voice(uid, "v-danger"))
    told = [m["text"] for m in _told(api, uid)]
    assert "112" in told[0] and "1522" in told[0]
    assert not any("I understood" in t for t in told)  # no waiting for a yes
    assert len(api.sent("copyMessage")) == 1  # the person hears the note itself
    handover = (await _rows(world["url"], HandoverRow, uid))[0]
    assert (handover.reason, handover.priority) == ("emergency", 2)


async def test_no_offers_to_write_or_a_person_who_listens_to_that_note(world, hearing):
    app, api = world["app"], world["api"]
    uid = next(_citizens)
    api.files["v-wrong"] = b"tacks code"
    await feed(app, button_update(uid, "lang:en"))
    update = voice(uid, "v-wrong")
    await feed(app, update)
    api.clear()
    await feed(app, button_update(uid, "heard:no"))
    offer = _told(api, uid)[-1]
    assert "write your question" in offer["text"] and "heard:person" in _buttons(offer)
    api.clear()
    await feed(app, button_update(uid, "heard:person"))
    copies = api.sent("copyMessage")
    assert [int(c["message_id"]) for c in copies] == [update["message"]["message_id"]]
    handover = (await _rows(world["url"], HandoverRow, uid))[0]
    assert handover.reason == "voice"


@pytest.mark.parametrize("case", ["too long", "download fails"])
async def test_a_note_that_cannot_be_heard_goes_to_a_person(world, hearing, case):
    app, api = world["app"], world["api"]
    uid = next(_citizens)
    await feed(app, button_update(uid, "lang:en"))
    api.clear()
    if case == "too long":
        api.files["v-long"] = b"codice fiscale"
        await feed(app, voice(uid, "v-long", duration=300))
        assert not api.sent("getFile")
    else:
        await feed(app, voice(uid, "v-missing"))  # the file URL answers 404
        assert api.sent("getFile")
        assert list((world["tmp"] / "audio").iterdir()) == []
    assert hearing.heard == []
    assert "who will listen to it" in _told(api, uid)[-1]["text"]
    assert len(api.sent("copyMessage")) == 1
