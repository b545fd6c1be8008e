"""The webhook HTTP app: secret token, handled once, health and metrics."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from bot.web import build_web_app
from domain.messages import ContentType, Inbound
from storage.database import create_engine, upgrade_async
from tests.fakes import FakeBotAPI, KeywordUnderstanding
from tests.telegram.helpers import incoming_texts, make_app, make_engine, message_update

SECRET = "s3cret-token_1"


@pytest.fixture
async def client(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'web.db'}"
    await upgrade_async(url)
    engine, db = make_engine(url, KeywordUnderstanding({"fiscale": "faq_tax_code"}))
    api = FakeBotAPI()
    app = await make_app(engine, api)
    web = build_web_app(app, SECRET, "/telegram", db)
    transport = httpx.ASGITransport(app=web)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http, api
    await app.shutdown()
    await db.dispose()


async def test_a_wrong_secret_is_refused(client):
    http, api = client
    response = await http.post("/telegram", json=message_update(1, "/menu"),
                               headers={"X-Telegram-Bot-Api-Secret-Token": "nope"})
    assert response.status_code == 403 and api.sent() == []


async def test_an_update_is_handled_once_even_when_delivered_twice(client):
    http, api = client
    update = message_update(2, "codice fiscale")
    for _ in range(3):
        response = await http.post("/telegram", json=update,
                                   headers={"X-Telegram-Bot-Api-Secret-Token": SECRET})
        assert response.status_code == 200
    assert len(api.sent()) == 1


async def test_health_and_metrics(client):
    http, _ = client
    await http.post("/telegram", json=message_update(3, "/menu"),
                    headers={"X-Telegram-Bot-Api-Secret-Token": SECRET})
    health = await http.get("/healthz")
    assert health.status_code == 200 and health.json() == {"status": "ok"}
    metrics = (await http.get("/metrics")).text
    for name in ("teams_updates_total", "teams_reply_latency_seconds",
                 "teams_nlu_latency_seconds", "teams_errors_total", "teams_handovers_waiting"):
        assert name in metrics


async def test_health_says_when_the_database_is_away():
    broken = create_engine("postgresql+asyncpg://nobody@127.0.0.1:1/none")
    web = build_web_app(None, SECRET, "/telegram", broken)
    transport = httpx.ASGITransport(app=web)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as other:
        response = await other.get("/healthz")
    await broken.dispose()
    assert response.status_code == 503


async def test_the_database_away_gives_a_short_apology_and_a_retry(tmp_path):
    from tests.fakes import FakeBotAPI

    engine, db = make_engine("postgresql+asyncpg://nobody@127.0.0.1:1/none",
                             KeywordUnderstanding({}))
    api = FakeBotAPI()
    app = await make_app(engine, api)
    web = build_web_app(app, SECRET, "/telegram", db)
    transport = httpx.ASGITransport(app=web)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        response = await http.post("/telegram", json=message_update(4, "hello"),
                                   headers={"X-Telegram-Bot-Api-Secret-Token": SECRET})
    await app.shutdown()
    await db.dispose()
    assert response.status_code == 503  # Telegram delivers it again later
    (apology,) = api.sent()
    assert "technical problem" in apology["text"]


async def test_flooding_is_slowed_politely_without_affecting_others(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'flood.db'}"
    await upgrade_async(url)
    engine, db = make_engine(url, KeywordUnderstanding({"fiscale": "faq_tax_code"}))
    api = FakeBotAPI()
    app = await make_app(engine, api)
    now = [0.0]

    def clock() -> float:  # 40 messages in 4 s
        now[0] += 0.1
        return now[0]

    async def sleep(seconds: float) -> None:  # waiting takes no real time here
        now[0] += seconds
        await asyncio.sleep(0)

    app.bot_data.flood.clock, app.bot_data.flood.sleep = clock, sleep
    web = build_web_app(app, SECRET, "/telegram", db)
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=web),
                                 base_url="http://test") as http:
        answers = await asyncio.gather(
            *(http.post("/telegram", json=message_update(5, f"msg {i}"), headers=headers)
              for i in range(40)),
            http.post("/telegram", json=message_update(6, "/menu"), headers=headers))
    await app.shutdown()
    assert {a.status_code for a in answers} == {200}
    to_flooder = [m["text"] for m in api.sent() if m["chat_id"] == 5]
    assert sum("very fast" in t for t in to_flooder) == 1  # told once
    assert (await incoming_texts(url))[5] == [f"msg {i}" for i in range(40)]  # none dropped
    assert [m for m in api.sent() if m["chat_id"] == 6]
    await db.dispose()


async def test_a_reply_lost_to_the_network_is_sent_on_redelivery_and_once(client):
    http, api = client
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    update = message_update(7, "codice fiscale")
    api.failing = 1  # the reply cannot be sent: the network is down
    first = await http.post("/telegram", json=update, headers=headers)
    assert first.status_code == 503 and api.sent() == []  # Telegram will deliver it again
    again = await http.post("/telegram", json=update, headers=headers)
    assert again.status_code == 200
    (reply,) = api.sent()
    assert "agenziaentrate" in reply["text"]
    await http.post("/telegram", json=update, headers=headers)
    assert len(api.sent()) == 1  # and never twice


async def test_a_crash_after_the_commit_loses_no_reply_and_makes_no_second_booking(tmp_path):
    """The process dies after a booking's transaction committed, before its replies left:
    a new process gets the redelivered update and sends the kept confirmation."""
    from sqlalchemy import func, select

    from storage.tables import BookingRow
    from tests.telegram.helpers import button_update

    url = f"sqlite+aiosqlite:///{tmp_path / 'crash.db'}"
    await upgrade_async(url)
    engine, db = make_engine(url, KeywordUnderstanding({}))
    steps = ["consent:yes", "need:work", "needs_done", "urg:week", "mlang:it", "skip", "days"]
    replies = await engine.handle(Inbound(9, text="/book", language_hint="it"))
    for step in steps:
        replies = await engine.handle(Inbound(9, payload=step, language_hint="it",
                                              content_type=ContentType.BUTTON))
    day = next(b.payload for r in replies for row in r.buttons for b in row
               if b.payload.startswith("day:"))
    replies = await engine.handle(Inbound(9, payload=day, language_hint="it",
                                          content_type=ContentType.BUTTON))
    slot = next(b.payload for r in replies for row in r.buttons for b in row
                if b.payload.startswith("slot:"))
    update = button_update(9, slot, language="it")
    # the "crashed" process: the engine commits, nothing is sent, nothing confirmed
    await engine.handle(Inbound(9, payload=slot, language_hint="it",
                                content_type=ContentType.BUTTON,
                                update_id=update["update_id"]))
    await db.dispose()
    engine, db = make_engine(url, KeywordUnderstanding({}))
    api = FakeBotAPI()
    app = await make_app(engine, api)
    web = build_web_app(app, SECRET, "/telegram", db)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=web),
                                 base_url="http://test") as http:
        for _ in range(2):
            response = await http.post("/telegram", json=update,
                                       headers={"X-Telegram-Bot-Api-Secret-Token": SECRET})
            assert response.status_code == 200
    await app.shutdown()
    async with db.connect() as conn:
        bookings = (await conn.execute(select(func.count()).select_from(BookingRow))).scalar()
    await db.dispose()
    assert bookings == 1
    (confirmation,) = api.sent("sendDocument")  # the .ics, sent once, after the "crash"
    assert confirmation["chat_id"] == 9


async def test_without_a_secret_there_is_no_webhook_route():
    web = build_web_app(None, "", "/telegram", None)
    transport = httpx.ASGITransport(app=web)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        response = await http.post("/telegram", json=message_update(8, "/menu"))
    assert response.status_code in (404, 405)
