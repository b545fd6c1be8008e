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


async def test_a_citizens_flood_does_not_hold_the_next_batch_for_everybody(tmp_path):
    """One citizen forwards 30 messages at once: they are slowed down (and all answered, in
    order), but another citizen who writes meanwhile is answered before the flood is over."""
    from handlers.flood import FloodGuard

    api = FakeBotAPI()
    url, app, db = await polled(tmp_path, api)
    app.bot_data.flood = FloodGuard(burst=3, rate=10.0)  # 27 messages over: about 2.7 s
    flood = [message_update(901, f"/help {n}", language="it") for n in range(30)]
    api.updates.extend(flood)
    polling = DurablePolling(app)
    polling.linger = 0.2
    task = asyncio.create_task(polling.run())
    for _ in range(100):  # the flood's first batch is under way
        await asyncio.sleep(0.02)
        if len([m for m in api.sent() if int(m["chat_id"]) == 901]) >= 3:
            break
    other = message_update(902, "/menu", language="it")
    api.updates.append(other)
    for _ in range(1500):  # until all 30 (and a notice) are answered and acknowledged
        await asyncio.sleep(0.01)
        if (len([m for m in api.sent() if int(m["chat_id"]) == 901]) >= 31
                and api.offsets and api.offsets[-1] == other["update_id"] + 1):
            break
    polling.stop()
    await task
    await app.shutdown()
    await db.dispose()
    to = [int(m["chat_id"]) for m in api.sent()]
    assert 902 in to
    last_of_flood = len(to) - 1 - to[::-1].index(901)
    assert to.index(902) < last_of_flood  # the other citizen did not wait for the flood
    # Every one, in order: an update acknowledged before it was handled would be lost (the
    # fake Bot API, as Telegram, forgets what an offset acknowledged).
    texts = await incoming_texts(url)
    assert texts[901] == [f"/help {n}" for n in range(30)]
    assert api.offsets[-1] == other["update_id"] + 1


async def test_an_albums_parts_in_one_batch_reach_the_mediator_as_one_album(tmp_path):
    from datetime import UTC, datetime

    from domain.model import StaffMember

    api = FakeBotAPI()
    url = f"sqlite+aiosqlite:///{tmp_path / 'album.db'}"
    await upgrade_async(url)
    engine, db = make_engine(url, KeywordUnderstanding({}))
    engine.config = type(engine.config)(staff_chat=True)
    async with engine.uow_factory() as uow:
        await uow.staff.add(StaffMember(777001, "Mediator", "mediator", ("it",)),
                            datetime.now(UTC))
        await uow.commit()
    app = await make_app(engine, api, -1001234567890)
    api.updates.append(message_update(903, "/human", language="it"))
    polling = DurablePolling(app)
    await run_until_drained(polling, api, after=1)
    photos = [message_update(903, None, language="it", media_group_id="alb-1", photo=[
        {"file_id": f"p{n}", "file_unique_id": f"p{n}", "width": 9, "height": 9}])
        for n in range(4)]
    api.clear()
    api.updates.extend(photos)
    polling = DurablePolling(app)
    await run_until_drained(polling, api, after=len(api.offsets) + 1)
    await app.shutdown()
    await db.dispose()
    (album,) = api.sent("copyMessages")
    ids = album["message_ids"]
    assert list(ids) == [p["message"]["message_id"] for p in photos]
    assert not api.sent("copyMessage")
