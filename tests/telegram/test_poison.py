"""One update must never hurt the others (issue 13, items 4, 5, 8 and the webhook half of 17):
permanent failures are put aside with one kind answer, a stuck update does not hold the ones
behind it, an update PTB cannot parse is put aside alone and never logged, and an outage is
apologised for once. The real PTB application over the fake Bot API."""

from __future__ import annotations

import asyncio
import logging
import os

import httpx
import pytest

from bot.polling import DurablePolling
from bot.web import build_web_app
from domain.model import StaffMember
from handlers.failures import Attempts
from handlers.handover import NO_TOPIC
from storage.database import create_engine, upgrade_async
from tests.fakes import FakeBotAPI, KeywordUnderstanding
from tests.telegram.helpers import make_app, make_engine, message_update

STAFF_CHAT = -1001234567890
SECRET = "s3cret-token_1"
HEADERS = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
NO_RIGHTS = (400, "Bad Request: not enough rights to create a topic")
SORRY_FOR_GOOD = "could not handle this message"


async def staff_app(url: str, api: FakeBotAPI):
    engine, db = make_engine(url, KeywordUnderstanding({"person": "human_handover"}))
    engine.config = type(engine.config)(staff_chat=True)
    app = await make_app(engine, api, STAFF_CHAT)
    return engine, db, app


def quick(polling: DurablePolling, tries: int = 3) -> DurablePolling:
    """No pauses, and a stuck update is given up on after ``tries`` tries at once."""
    polling._pause = lambda seconds: asyncio.sleep(0)  # type: ignore[method-assign]
    polling.attempts = Attempts(tries=tries, seconds=0)
    return polling


async def drain(polling: DurablePolling, api: FakeBotAPI, rounds: int = 600) -> None:
    task = asyncio.create_task(polling.run())
    for _ in range(rounds):
        await asyncio.sleep(0.01)
        if not api.updates and len(api.offsets) > 1:
            break
    polling.stop()
    await task


def to(api: FakeBotAPI, chat: int) -> list[str]:
    return [str(m.get("text", "")) for m in api.sent() if int(m["chat_id"]) == chat]


async def dead_letters(engine):
    async with engine.uow_factory() as uow:
        return list(await uow.dead_letters.latest(100))


OFFICE = "Contact the office"


async def test_a_refused_forum_topic_gives_the_office_and_tells_the_staff_once(tmp_path):
    """createForumTopic answers 400 "not enough rights": the hand-over notice went out 6
    times in 30 s, as the update was retried for ever. Now: once; the citizen is given the
    office's contacts (and is answered by the assistant again), General is told what to fix,
    and the offset moves on. Nothing is put aside: nothing was lost."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'topic.db'}"
    await upgrade_async(url)
    api = FakeBotAPI()
    api.refusing["createForumTopic"] = NO_RIGHTS
    engine, db, app = await staff_app(url, api)
    update = message_update(6101, "/human", language="en")
    api.updates.append(update)
    await drain(quick(DurablePolling(app)), api)
    texts = to(api, 6101)
    assert len(texts) == 2, texts  # the hand-over notice, then how to reach the office
    assert OFFICE in texts[1] and OFFICE not in texts[0]
    assert api.offsets[-1] == update["update_id"] + 1
    assert len(api.sent("createForumTopic:refused")) == 1
    (alert,) = [m for m in api.sent() if int(m["chat_id"]) == STAFF_CHAT]
    said = engine.translations.gettext("it", NO_TOPIC)  # the staff's language
    assert alert["text"].startswith("⚠️ " + said.split("{code}")[0])
    assert "message_thread_id" not in alert  # in General: the case has no topic
    assert await dead_letters(engine) == []
    api.clear()
    later = message_update(6101, "hello, are you there?", language="en")
    api.updates.append(later)
    await drain(quick(DurablePolling(app)), api)
    assert to(api, 6101) and SORRY_FOR_GOOD not in to(api, 6101)[0]  # the assistant answers
    assert not api.sent("createForumTopic:refused") and not api.sent("copyMessage")
    await app.shutdown()
    await db.dispose()


async def test_the_same_refusal_in_webhook_mode_is_answered_200_once(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'topic_web.db'}"
    await upgrade_async(url)
    api = FakeBotAPI()
    api.refusing["createForumTopic"] = NO_RIGHTS
    engine, db, app = await staff_app(url, api)
    web = build_web_app(app, SECRET, "/telegram", db)
    update = message_update(6102, "/human", language="en")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=web),
                                 base_url="http://test") as http:
        codes = [(await http.post("/telegram", json=update, headers=HEADERS)).status_code
                 for _ in range(3)]  # Telegram would have delivered a 503 again and again
    assert codes == [200, 200, 200]
    texts = to(api, 6102)
    assert len(texts) == 2 and OFFICE in texts[1]
    assert await dead_letters(engine) == []
    await app.shutdown()
    await db.dispose()


async def test_a_message_telegram_refuses_to_copy_is_put_aside_with_one_kind_answer(tmp_path):
    """A permanent refusal while relaying (400 "message can't be copied") would come back on
    every redelivery: one kind answer, a dead letter at the send stage, and the next goes on."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'copy.db'}"
    await upgrade_async(url)
    api = FakeBotAPI()
    engine, db, app = await staff_app(url, api)
    api.updates.append(message_update(6103, "/human", language="en"))
    await drain(quick(DurablePolling(app)), api)
    api.refusing["copyMessage"] = (400, "Bad Request: message can't be copied")
    api.clear()
    update = message_update(6103, "this one cannot be copied", language="en")
    api.updates.append(update)
    await drain(quick(DurablePolling(app)), api)
    texts = to(api, 6103)
    assert len(texts) == 1 and SORRY_FOR_GOOD in texts[0]
    assert api.offsets[-1] == update["update_id"] + 1
    (letter,) = await dead_letters(engine)
    assert (letter.update_id, letter.citizen_id, letter.stage, letter.error) == (
        update["update_id"], 6103, "send", "BadRequest")
    await app.shutdown()
    await db.dispose()


@pytest.mark.skipif(not os.environ.get("TEAMS_TEST_POSTGRES_URL"),
                    reason="PostgreSQL refuses a NUL character; SQLite keeps it")
async def test_a_nul_character_refused_by_postgresql_is_put_aside_with_one_kind_answer(
        database_url):
    if database_url.startswith("sqlite"):
        pytest.skip("PostgreSQL only")
    api = FakeBotAPI()
    engine, db = make_engine(database_url, KeywordUnderstanding({}))
    app = await make_app(engine, api)
    poisoned = message_update(6103, "synthetic\x00words", language="en")
    fine = message_update(6104, "/menu", language="en")
    api.updates.extend([poisoned, fine])
    await drain(quick(DurablePolling(app)), api)
    texts = to(api, 6103)
    assert len(texts) == 1 and SORRY_FOR_GOOD in texts[0]  # not "technical problem" x N
    assert len(to(api, 6104)) == 1
    assert api.offsets[-1] == fine["update_id"] + 1
    (letter,) = await dead_letters(engine)
    assert (letter.stage, letter.citizen_id) == ("handle", 6103)
    await app.shutdown()
    await db.dispose()


async def test_an_update_that_keeps_failing_does_not_hold_the_150_behind_it(tmp_path):
    """Every reply to one citizen meets a 502: their update is retried, then put aside, and
    the 150 other citizens behind it (more than one getUpdates of 100) are all answered."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'stuck.db'}"
    await upgrade_async(url)
    api = FakeBotAPI()
    engine, db = make_engine(url, KeywordUnderstanding({}))
    app = await make_app(engine, api)
    api.failing_chats = {6199}
    stuck = message_update(6199, "/menu", language="en")
    others = [message_update(6200 + n, "/menu", language="en") for n in range(150)]
    api.updates.extend([stuck, *others])
    await drain(quick(DurablePolling(app)), api, rounds=3000)
    answered = {int(m["chat_id"]) for m in api.sent()}
    assert answered == {6200 + n for n in range(150)}
    assert api.offsets[-1] == others[-1]["update_id"] + 1
    (letter,) = await dead_letters(engine)
    assert (letter.update_id, letter.stage, letter.error, letter.attempts) == (
        stuck["update_id"], "send", "NetworkError", 3)
    await app.shutdown()
    await db.dispose()


def unparseable(uid: int) -> dict:
    """A message PTB cannot parse (a field of another Bot API version's shape)."""
    update = message_update(uid, "another synthetic secret 7734", language="en",
                            **{"date": "tomorrow"})
    update["message"]["from"]["first_name"] = "Xanthippe"
    return update


async def test_an_update_ptb_cannot_parse_is_put_aside_alone_and_never_logged(tmp_path,
                                                                              caplog):
    caplog.set_level(logging.DEBUG)
    url = f"sqlite+aiosqlite:///{tmp_path / 'parse.db'}"
    await upgrade_async(url)
    api = FakeBotAPI()
    engine, db = make_engine(url, KeywordUnderstanding({}))
    app = await make_app(engine, api)
    before = message_update(6301, "/menu", language="en")
    before["message"]["from"]["first_name"] = "Zebedee"
    bad = unparseable(6302)
    after = message_update(6303, "/help", language="en")
    api.updates.extend([before, bad, after])
    await drain(quick(DurablePolling(app)), api)
    assert len(to(api, 6301)) == 1 and len(to(api, 6303)) == 1
    (apology,) = to(api, 6302)
    assert SORRY_FOR_GOOD in apology
    assert api.offsets[-1] == after["update_id"] + 1
    (letter,) = await dead_letters(engine)
    assert (letter.update_id, letter.citizen_id, letter.stage, letter.kind) == (
        bad["update_id"], 6302, "parse", "message")
    logged = caplog.text + "\n".join(r.getMessage() for r in caplog.records)
    for private in ("synthetic secret", "Xanthippe", "Zebedee"):
        assert private not in logged
    await app.shutdown()
    await db.dispose()


@pytest.fixture
async def web(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'web.db'}"
    await upgrade_async(url)
    engine, db = make_engine(url, KeywordUnderstanding({}))
    api = FakeBotAPI()
    app = await make_app(engine, api)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=build_web_app(
            app, SECRET, "/telegram", db)), base_url="http://test") as http:
        yield http, api, engine
    await app.shutdown()
    await db.dispose()


async def test_webhook_bodies_that_are_not_an_object_are_a_400(web):
    http, api, _ = web
    for body in (b"[]", b"null", b"42", b'"text"', b"{not json"):
        response = await http.post("/telegram", content=body, headers=HEADERS)
        assert response.status_code == 400, body
    assert api.sent() == []


async def test_webhook_bodies_over_a_mebibyte_are_refused_unread(web):
    http, _, _ = web
    big = b'{"update_id": 1, "x": "' + b"a" * (2 << 20) + b'"}'
    response = await http.post("/telegram", content=big, headers=HEADERS)
    assert response.status_code == 413

    async def chunks():  # no Content-Length: refused once the limit is passed
        for _ in range(64):
            yield b"a" * 65536

    response = await http.post("/telegram", content=chunks(), headers=HEADERS)
    assert response.status_code == 413


async def test_webhook_an_update_ptb_cannot_parse_is_answered_200_and_put_aside(web, caplog):
    caplog.set_level(logging.DEBUG)
    http, api, engine = web
    bad = unparseable(6401)
    response = await http.post("/telegram", json=bad, headers=HEADERS)
    assert response.status_code == 200  # or Telegram delivers it for ever
    (apology,) = to(api, 6401)
    assert SORRY_FOR_GOOD in apology
    assert [d.stage for d in await dead_letters(engine)] == ["parse"]
    assert "synthetic secret" not in caplog.text and "Xanthippe" not in caplog.text


async def test_the_database_away_apologises_once_per_citizen_and_outage(tmp_path):
    """Six redeliveries of one update while the database is away: one apology, not six;
    once storage is back and away again, a new outage gets a new apology."""
    folder = tmp_path / "later"
    url = f"sqlite+aiosqlite:///{folder / 'db.sqlite'}"  # the folder does not exist yet
    engine, db = make_engine(url, KeywordUnderstanding({}))
    api = FakeBotAPI()
    app = await make_app(engine, api)
    web = build_web_app(app, SECRET, "/telegram", db)
    first, other = message_update(6501, "/menu"), message_update(6502, "/menu")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=web),
                                 base_url="http://test") as http:
        for _ in range(6):
            response = await http.post("/telegram", json=first, headers=HEADERS)
            assert response.status_code == 503
        assert (await http.post("/telegram", json=other, headers=HEADERS)).status_code == 503
        assert len(to(api, 6501)) == 1 and "technical problem" in to(api, 6501)[0]
        assert len(to(api, 6502)) == 1
        folder.mkdir()
        await upgrade_async(url)  # storage is back
        assert (await http.post("/telegram", json=first, headers=HEADERS)).status_code == 200
        assert len(to(api, 6501)) == 2  # answered
        folder.rename(tmp_path / "gone")  # away again: a new outage
        await db.dispose()
        later = message_update(6501, "/help")
        for _ in range(3):
            assert (await http.post("/telegram", json=later,
                                    headers=HEADERS)).status_code == 503
    assert len(to(api, 6501)) == 3 and "technical problem" in to(api, 6501)[2]
    await app.shutdown()
    await db.dispose()


async def test_staff_see_how_many_updates_were_put_aside_in_metrics(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'metrics.db'}"
    await upgrade_async(url)
    api = FakeBotAPI()
    engine, db = make_engine(url, KeywordUnderstanding({}))
    app = await make_app(engine, api)
    async with engine.uow_factory() as uow:
        await uow.staff.add(StaffMember(6601, "Carla", "coordinator", ("it",)),
                            engine.clock.now())
        await uow.commit()
    web = build_web_app(app, SECRET, "/telegram", db)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=web),
                                 base_url="http://test") as http:
        await http.post("/telegram", json=unparseable(6602), headers=HEADERS)
        await http.post("/telegram", json=message_update(6601, "/metrics"), headers=HEADERS)
        await http.post("/telegram", json=message_update(6603, "/metrics"), headers=HEADERS)
    (view,) = to(api, 6601)
    assert ": 1 (1 " in view and "parse" in view and "TypeError" in view
    assert "synthetic" not in view
    assert not any(": 1 (1 " in t for t in to(api, 6603))  # not staff: nothing revealed
    await app.shutdown()
    await db.dispose()


def test_deadletters_list_and_clear_at_the_command_line(tmp_path, monkeypatch, capsys):
    import json
    from datetime import UTC, datetime, timedelta

    from bot.cli import main
    from domain.model import DeadLetter
    from storage.database import session_factory
    from storage.repositories import SqlUnitOfWorkFactory

    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"

    async def seed() -> None:
        await upgrade_async(url)
        db = create_engine(url)
        now = datetime.now(UTC)
        async with SqlUnitOfWorkFactory(session_factory(db))() as uow:
            await uow.dead_letters.add(DeadLetter(7, 6701, now - timedelta(days=30), "handle",
                                                  "DBAPIError", 1, "message"))
            await uow.dead_letters.add(DeadLetter(8, None, now, "parse", "TypeError"))
            await uow.commit()
        await db.dispose()

    asyncio.run(seed())
    monkeypatch.setenv("TEAMS_DATABASE_URL", url)
    assert main(["deadletters", "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert listed["total"] == 2
    assert [d["update_id"] for d in listed["dead_letters"]] == [8, 7]
    assert set(listed["dead_letters"][0]) == {"id", "update_id", "citizen_id", "at", "stage",
                                              "error", "attempts", "kind"}  # no text
    day = (datetime.now(UTC) - timedelta(days=10)).date().isoformat()
    assert main(["deadletters", "clear", "--before", day]) == 0
    assert "removed 1" in capsys.readouterr().out
    assert main(["deadletters", "list"]) == 0
    assert capsys.readouterr().out.startswith("1 update(s) put aside")


class TruncatingBotAPI(FakeBotAPI):
    """getUpdates answers a cut-off body (a proxy gave up half-way), every time."""

    async def do_request(self, url, method, request_data=None, **kw):
        if "getUpdates" in url and self.updates:
            await super().do_request(url, method, request_data, **kw)  # records the offset
            return 200, b'{"ok": true, "result": [{"update_id": 7001, "message": {"text": ' \
                        b'"synthetic words cut'
        return await super().do_request(url, method, request_data, **kw)


async def test_a_batch_that_is_not_json_is_fetched_again_then_put_aside_unlogged(tmp_path,
                                                                                caplog):
    caplog.set_level(logging.DEBUG)
    url = f"sqlite+aiosqlite:///{tmp_path / 'cut.db'}"
    await upgrade_async(url)
    api = TruncatingBotAPI()
    engine, db = make_engine(url, KeywordUnderstanding({}))
    app = await make_app(engine, api)
    api.updates.append(message_update(7000, "/menu"))
    api.updates[0]["update_id"] = 7001
    await drain(quick(DurablePolling(app)), api)
    assert api.offsets[-1] == 7002  # tried again (a cut response may be whole next time)...
    assert api.offsets.count(0) == 3  # ... three times, then its update was put aside
    assert [(d.update_id, d.stage) for d in await dead_letters(engine)] == [(7001, "parse")]
    assert "synthetic words" not in caplog.text
    await app.shutdown()
    await db.dispose()
