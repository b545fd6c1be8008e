"""After /delete or retention, the staff topic goes: the bot deletes its own copies there
(deleteMessages) and the topic (deleteForumTopic), through a real PTB Application and the
fake Bot API; the work waits in a row until the Bot API did it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from telegram.ext import CallbackContext

from domain.model import StaffMember
from handlers.telegram import deliver_due
from tests.fakes import FakeBotAPI, KeywordUnderstanding
from tests.telegram.helpers import button_update, feed, make_app, make_engine, message_update

STAFF_CHAT = -1001234567890
MEDIATOR = 777001
TABLE = {"persona": "human_handover"}


class FlakyBotAPI(FakeBotAPI):
    """The fake Bot API, failing the next N calls of the given methods with a 502."""

    def __init__(self) -> None:
        super().__init__()
        self.broken: dict[str, int] = {}

    async def do_request(self, url: str, method: str, request_data: Any = None,
                         *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        name = url.rsplit("/", 1)[-1]
        if self.broken.get(name):
            self.broken[name] -= 1
            return 502, b'{"ok": false, "error_code": 502, "description": "Bad Gateway"}'
        return await super().do_request(url, method, request_data, *args, **kwargs)


@pytest.fixture
async def world(database_url):
    engine, db = make_engine(database_url, KeywordUnderstanding(TABLE))
    engine.config = type(engine.config)(staff_chat=True)
    async with engine.uow_factory() as uow:
        await uow.staff.add(StaffMember(MEDIATOR, "Mediatrice", "mediator", ("it",)),
                            datetime.now(UTC))
        await uow.commit()
    api = FlakyBotAPI()
    app = await make_app(engine, api, STAFF_CHAT)
    yield {"app": app, "api": api, "engine": engine}
    await app.shutdown()
    await db.dispose()


async def hand_over_with_copies(app: Any, api: FakeBotAPI, citizen: int) -> tuple[int, set[int]]:
    """A citizen in a hand-over wrote twice; the thread and the ids of the bot's messages
    there (the summary and the two copies)."""
    api.clear()
    await feed(app, message_update(citizen, "una persona, per favore"))
    thread = api.thread_id
    await feed(app, message_update(citizen, "my synthetic story"))
    await feed(app, message_update(citizen, "and my synthetic phone +39 000 0000000"))
    summary = [m for m in api.sent() if m.get("message_thread_id") == thread]
    assert len(summary) == 1 and len(api.sent("copyMessage")) == 2
    # the fake numbers every message it sends or copies: the summary, then the two copies
    return thread, {api.message_id - 2, api.message_id - 1, api.message_id}


def deleted_ids(api: FakeBotAPI) -> set[int]:
    return {int(i) for call in api.sent("deleteMessages") for i in call["message_ids"]}


async def test_delete_removes_the_bots_copies_and_the_staff_topic(world):
    app, api = world["app"], world["api"]
    thread, ours = await hand_over_with_copies(app, api, 931)
    api.clear()
    await feed(app, message_update(931, "/delete"))
    await feed(app, button_update(931, "eraseok"))
    assert [int(c["message_thread_id"]) for c in api.sent("deleteForumTopic")] == [thread]
    assert all(int(c["chat_id"]) == STAFF_CHAT for c in api.sent("deleteMessages"))
    assert ours <= deleted_ids(api)  # the summary and the copies, whatever the topic does
    notes = [m for m in api.sent() if int(m["chat_id"]) == STAFF_CHAT]
    assert len(notes) == 1 and "message_thread_id" not in notes[0]  # in General
    assert "T-" in notes[0]["text"] and "synthetic" not in notes[0]["text"]
    api.clear()
    await deliver_due(CallbackContext(app))  # done: nothing is deleted twice
    assert not api.sent("deleteForumTopic") and not api.sent("deleteMessages")


async def test_retention_deletes_the_staff_topic_of_a_quiet_citizen(world):
    app, api, engine = world["app"], world["api"], world["engine"]
    thread, ours = await hand_over_with_copies(app, api, 932)  # never closed
    engine.clock.advance(days=engine.directory.service.retention_days + 1)
    api.clear()
    await deliver_due(CallbackContext(app))  # the periodic job, with no update
    assert [int(c["message_thread_id"]) for c in api.sent("deleteForumTopic")] == [thread]
    assert ours <= deleted_ids(api)
    api.clear()
    await feed(app, message_update(932, "una persona, per favore"))  # they come back
    assert len(api.sent("createForumTopic")) == 1
    assert api.thread_id != thread


async def test_a_failed_deletion_is_kept_and_a_topic_already_gone_counts_as_done(world):
    app, api, engine = world["app"], world["api"], world["engine"]
    first, _ = await hand_over_with_copies(app, api, 933)
    second, _ = await hand_over_with_copies(app, api, 934)
    api.deleted_threads.add(second)  # somebody deleted this one by hand already
    api.broken["deleteForumTopic"] = 1  # the first try on the other one meets a 502
    for citizen in (933, 934):
        await feed(app, message_update(citizen, "/delete"))
        await feed(app, button_update(citizen, "eraseok"))
    api.clear()
    engine.clock.advance(minutes=1)
    await deliver_due(CallbackContext(app))
    assert not api.sent("deleteForumTopic")  # the failed one waits for its claim to expire
    engine.clock.advance(minutes=30)
    await deliver_due(CallbackContext(app))
    assert [int(c["message_thread_id"]) for c in api.sent("deleteForumTopic")] == [first]
    api.clear()
    engine.clock.advance(minutes=30)
    await deliver_due(CallbackContext(app))
    assert not api.sent("deleteForumTopic")


async def test_the_privacy_notice_says_which_staff_copies_can_remain(world):
    app, api = world["app"], world["api"]
    api.clear()
    await feed(app, message_update(935, "/privacy"))
    (notice,) = [m["text"] for m in api.sent() if int(m["chat_id"]) == 935]
    assert "copied to the staff's private group" in notice
    assert "forwarded elsewhere" in notice and "ask the office" in notice
