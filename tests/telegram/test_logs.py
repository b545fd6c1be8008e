"""No message text, name or phone number ever reaches the logs, even at DEBUG level."""

from __future__ import annotations

import logging

from bot.logs import configure
from storage.database import upgrade_async
from tests.fakes import FakeBotAPI, KeywordUnderstanding
from tests.telegram.helpers import button_update, feed, make_app, make_engine, message_update

SECRET_WORDS = ["Zorblaxine", "Quimperlo", "+39 333 1234567", "Fenwickson"]


async def test_a_whole_conversation_leaves_no_words_in_the_logs(tmp_path, caplog):
    configure(logging.DEBUG)
    caplog.set_level(logging.DEBUG)
    url = f"sqlite+aiosqlite:///{tmp_path / 'logs.db'}"
    await upgrade_async(url)
    engine, db = make_engine(url, KeywordUnderstanding({"fiscale": "faq_tax_code"}))
    api = FakeBotAPI()
    app = await make_app(engine, api)
    user = {"first_name": "Fenwickson"}
    await feed(app, message_update(801, "/start centro_impiego", **{}))
    await feed(app, message_update(801, f"I am {SECRET_WORDS[0]} from {SECRET_WORDS[1]}"))
    await feed(app, message_update(801, f"my phone is {SECRET_WORDS[2]}, codice fiscale?"))
    await feed(app, button_update(801, "group:health"))
    await feed(app, message_update(801, "/book"))
    await feed(app, button_update(801, "consent:yes"))
    await feed(app, button_update(801, "need:work"))
    await feed(app, button_update(801, "needs_done"))
    await feed(app, button_update(801, "urg:week"))
    await feed(app, button_update(801, "mlang:en"))
    await feed(app, message_update(801, f"{SECRET_WORDS[0]} needs a job, call {user}"))
    await app.shutdown()
    await db.dispose()
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert caplog.records, "the test must see some logging to mean anything"
    for word in SECRET_WORDS:
        assert word not in logged
    configure(logging.WARNING)
