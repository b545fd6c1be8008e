"""Killing the process mid-conversation loses nothing: a new engine and app carry it on."""

from __future__ import annotations

import asyncio

from storage.database import upgrade_async
from tests.fakes import FakeBotAPI, KeywordUnderstanding
from tests.telegram.helpers import button_update, feed, make_app, make_engine, message_update


async def test_a_new_engine_and_application_carry_a_conversation_on(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'restart.db'}"
    await upgrade_async(url)

    engine, db = make_engine(url, KeywordUnderstanding({}))
    api = FakeBotAPI()
    app = await make_app(engine, api)
    await feed(app, message_update(601, "/start sportello_immigrazione", language=None))
    await feed(app, button_update(601, "lang:ur", language=None))
    await feed(app, message_update(601, "qwerty", language=None))  # first misunderstanding
    await app.shutdown()
    await db.dispose()  # the process is gone; only the database remains

    engine, db = make_engine(url, KeywordUnderstanding({}))
    api = FakeBotAPI()
    app = await make_app(engine, api)
    await feed(app, message_update(601, "asdf", language=None))  # second one, after restart
    reply = api.sent()[-1]
    data = [b["callback_data"] for row in reply["reply_markup"]["inline_keyboard"] for b in row]
    assert data == ["yes:human", "no:human"]  # the count survived the restart
    await app.shutdown()
    await db.dispose()

    from sqlalchemy import select

    from storage.database import create_engine
    from storage.tables import CitizenRow, TranscriptRow

    db = create_engine(url)
    async with db.connect() as conn:
        citizen = (await conn.execute(select(CitizenRow))).one()
        transcript = (await conn.execute(select(TranscriptRow.direction, TranscriptRow.text)
                                         .order_by(TranscriptRow.id))).all()
    await db.dispose()
    assert (citizen.language, citizen.referral) == ("ur", "sportello_immigrazione")
    ins = [t for d, t in transcript if d == "in"]
    assert ins == ["/start sportello_immigrazione", None, "qwerty", "asdf"]


async def test_connections_the_database_dropped_cost_no_apology(database_url):
    """PostgreSQL restarted (or a proxy cut idle connections): the pool holds dead
    connections. The next messages are answered normally, not with the apology."""
    if not database_url.startswith("postgresql"):
        return  # SQLite has no server to drop a connection
    import asyncpg

    from storage.database import APPLICATION_NAME

    engine, db = make_engine(database_url, KeywordUnderstanding({}))
    api = FakeBotAPI()
    app = await make_app(engine, api)
    await asyncio.gather(*(feed(app, message_update(700 + i, "/menu")) for i in range(4)))
    assert db.pool.checkedin() >= 2  # the pool holds several idle connections

    admin = await asyncpg.connect(database_url.replace("postgresql+asyncpg", "postgresql"))
    killed = await admin.fetchval(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
        "WHERE application_name = $1 AND datname = current_database()", APPLICATION_NAME)
    await admin.close()
    assert killed >= 2
    api.clear()

    await asyncio.gather(*(feed(app, message_update(700 + i, "/menu")) for i in range(4)))
    texts = [m["text"] for m in api.sent()]
    assert len(texts) == 4
    assert not any("technical problem" in t for t in texts)
    await app.shutdown()
    await db.dispose()
