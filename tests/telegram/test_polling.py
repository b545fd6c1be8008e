"""Long polling acknowledges a batch only after it was handled, keeps each citizen's order
and asks again for what could not be answered (the real PTB application, fake Bot API)."""

from __future__ import annotations

import asyncio

from bot.polling import DurablePolling
from storage.database import upgrade_async
from tests.fakes import FakeBotAPI, KeywordUnderstanding
from tests.telegram.helpers import incoming_texts, make_app, make_engine, message_update


async def polled(tmp_path, api: FakeBotAPI):
    url = f"sqlite+aiosqlite:///{tmp_path / 'poll.db'}"
    await upgrade_async(url)
    engine, db = make_engine(url, KeywordUnderstanding({}))
    app = await make_app(engine, api)
    return url, app, db


async def run_until_drained(polling: DurablePolling, api: FakeBotAPI, after: int) -> None:
    task = asyncio.create_task(polling.run())
    for _ in range(500):
        await asyncio.sleep(0.01)
        if not api.updates and len(api.offsets) > after:
            break
    polling.stop()
    await task


async def test_a_batch_is_acknowledged_after_it_was_handled_in_each_citizens_order(tmp_path):
    api = FakeBotAPI()
    url, app, db = await polled(tmp_path, api)
    batch = [message_update(c, text, language="it")
             for text in ("/start", "/menu", "/help", "/privacy") for c in (801, 802, 803)]
    api.updates.extend(batch)
    polling = DurablePolling(app)
    acknowledged: list[int] = []
    real = polling.handle_batch

    async def watch(updates, *rest):
        acknowledged.append(api.offsets[-1])  # what the poll that fetched them acked
        await real(updates, *rest)
        # nothing of the batch was acknowledged while it was being handled
        assert api.offsets[-1] <= batch[0]["update_id"]

    polling.handle_batch = watch  # type: ignore[method-assign]
    await run_until_drained(polling, api, after=1)
    assert api.offsets[-1] == batch[-1]["update_id"] + 1
    assert len(api.sent()) == len(batch)
    await app.shutdown()
    await db.dispose()
    texts = await incoming_texts(url)
    for citizen in (801, 802, 803):
        assert texts[citizen] == ["/start", "/menu", "/help", "/privacy"]


async def test_an_update_whose_reply_could_not_be_sent_is_fetched_again_and_answered_once(
        tmp_path):
    api = FakeBotAPI()
    _, app, db = await polled(tmp_path, api)
    first, second = message_update(811, "/menu", language="it"), message_update(
        812, "/help", language="it")
    api.updates.extend([first, second])
    api.failing = 1  # the first reply meets a broken network
    polling = DurablePolling(app)
    polling._pause = lambda seconds: asyncio.sleep(0)  # type: ignore[method-assign]
    await run_until_drained(polling, api, after=2)
    await app.shutdown()
    await db.dispose()
    to = [int(m["chat_id"]) for m in api.sent()]
    assert sorted(to) == [811, 812]  # each answered, once
    # the poll after the batch did not acknowledge the update that failed: it came again
    assert api.offsets[1] in (first["update_id"], second["update_id"])
