"""Fault injection: a scripted mix of citizens and staff, over durable long polling and the real
PTB Application, while the Bot API answers 429/500/502 and time-outs at random and (on
PostgreSQL) the database drops every connection again and again.

The same script runs once without faults, as the reference. With faults, each citizen must get
exactly the reference's messages, in the same order (apologies for an outage aside); every
message between a citizen and a mediator arrives, once, in order; no personal data is logged.

What Telegram itself cannot prevent: a request that Telegram carried out but whose answer never
came back (a time-out after delivery) is sent again, and then arrives twice. The fake Bot API
records those ("ambiguous") and only they may be duplicated.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import os
import random
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError
from telegram.error import TimedOut

from bot.logs import QUIET, configure
from bot.polling import DurablePolling
from domain.model import StaffMember
from domain.ports import StorageUnavailable
from storage.tables import CitizenTopicRow, ProcessedUpdateRow
from tests.fakes import FakeBotAPI, KeywordUnderstanding
from tests.telegram import helpers
from tests.telegram.helpers import TOKEN, button_update, make_app, make_engine, message_update

SEED = int(os.environ.get("TEAMS_FAULT_SEED", "20261203"))
STAFF_CHAT = -1001234567890
MEDIATOR = 778001
MEDIATOR_NAME = "Zora Synthetica"
TABLE = {"fiscale": "faq_tax_code", "picchia": "emergency", "grazie": "thanks",
         "lavoro": "faq_job_centre"}
FAULTY = {"sendMessage", "copyMessage", "copyMessages", "sendDocument", "createForumTopic",
          "editMessageText", "closeForumTopic", "reopenForumTopic", "getUpdates",
          "deleteForumTopic", "deleteMessages"}
KINDS = ("429", "500", "502", "timeout", "timeout_after")

def _apologies() -> set[str]:
    """The apology for an outage and the slow-down notice, in every language: the only
    messages a fault may add (once per outage, once per flood)."""
    from bot.i18n import Catalogs
    from domain.languages import LANGUAGES
    from handlers.telegram import SLOW_DOWN, SORRY

    catalogs = Catalogs(Path(__file__).resolve().parents[2] / "locales")
    return {catalogs.gettext(lang, text) for lang in LANGUAGES for text in (SORRY, SLOW_DOWN)}


APOLOGIES = _apologies()
_ids = itertools.count(700_000)


class FaultyBotAPI(FakeBotAPI):
    """The fake Bot API, failing a share of the calls the way Telegram's edge can."""

    def __init__(self, rate: float, seed: int) -> None:
        super().__init__()
        self.rate = rate
        self.rng = random.Random(seed)
        self.faults: Counter[str] = Counter()
        self.ambiguous: list[tuple[str, dict[str, Any]]] = []

    async def do_request(self, url: str, method: str, request_data: Any = None,
                         read_timeout: Any = None, write_timeout: Any = None,
                         connect_timeout: Any = None, pool_timeout: Any = None
                         ) -> tuple[int, bytes]:
        name = url.rsplit("/", 1)[-1]
        if name not in FAULTY or self.rng.random() >= self.rate:
            return await super().do_request(url, method, request_data)
        kind = self.rng.choice(KINDS)
        self.faults[kind] += 1
        if kind == "timeout_after":  # carried out, but the answer is lost on the way
            await super().do_request(url, method, request_data)
            self.ambiguous.append(self.calls[-1])
            raise TimedOut("the answer did not come back")
        if kind == "timeout":
            raise TimedOut("no answer")
        if kind == "429":
            return 429, json.dumps({"ok": False, "error_code": 429,
                                    "description": "Too Many Requests: retry after 0",
                                    "parameters": {"retry_after": 0}}).encode()
        description = {"500": "Internal Server Error", "502": "Bad Gateway"}[kind]
        return int(kind), json.dumps({"ok": False, "error_code": int(kind),
                                      "description": description}).encode()


@dataclass
class World:
    url: str
    api: FaultyBotAPI
    app: Any
    engine: Any
    db: Any
    polling: DurablePolling
    offered: list[dict[str, Any]] = field(default_factory=list)
    drops: int = 0  # database connections the storm dropped

    async def offer(self, *updates: dict[str, Any]) -> None:
        """Hand updates to getUpdates and wait until polling acknowledged them."""
        self.offered.extend(updates)
        self.api.updates.extend(updates)
        last = updates[-1]["update_id"]
        for _ in range(3000):
            if (not self.api.updates and self.api.offsets
                    and self.api.offsets[-1] > last):
                return
            await asyncio.sleep(0.01)
        raise AssertionError(f"updates up to {last} were never acknowledged")

    async def thread_of(self, citizen: int) -> int:
        rows = await _rows(self, select(CitizenTopicRow.thread_id).where(
            CitizenTopicRow.citizen_id == citizen))
        assert rows and rows[0][0] is not None
        return int(rows[0][0])

    async def flush(self) -> None:
        """Time passes: the periodic delivery job runs until nothing is left to send."""
        from handlers.telegram import deliver_due

        context = type("Context", (), {"bot_data": self.app.bot_data, "bot": self.app.bot})()
        for _ in range(8):
            try:
                await deliver_due(context)  # type: ignore[arg-type]
            except StorageUnavailable:  # a connection dropped in the storm: runs again
                pass
            self.engine.clock.advance(minutes=6)  # past any back-off and stale claim


def staff_message(thread: int, text: str) -> dict[str, Any]:
    message: dict[str, Any] = {
        "message_id": next(_ids), "date": 1764147600,
        "from": {"id": MEDIATOR, "is_bot": False, "first_name": "Staff"},
        "chat": {"id": STAFF_CHAT, "type": "supergroup", "is_forum": True},
        "message_thread_id": thread, "is_topic_message": True, "text": text,
    }
    if text.startswith("/"):
        message["entities"] = [{"type": "bot_command", "offset": 0,
                                "length": len(text.split()[0])}]
    return {"update_id": next(helpers._ids), "message": message}  # one sequence for all


def photo(uid: int, group: str, n: int) -> dict[str, Any]:
    pic = [{"file_id": f"ph{n}", "file_unique_id": f"ph{n}", "width": 9, "height": 9}]
    return message_update(uid, None, photo=pic, media_group_id=group)


class Script:
    """Synthetic citizens; nothing here is a real person's."""

    FAQ, HANDOVER, DANGER, BOOKING, ALBUM = 9101, 9102, 9103, 9104, 9105

    def __init__(self) -> None:
        self.to_staff: list[tuple[int, int]] = []  # (citizen, message id) a mediator must read
        self.to_citizen: list[tuple[int, int]] = []  # (citizen, staff message id) to copy
        self.album: set[tuple[int, int]] = set()  # (citizen, message id) of an album's parts

    def relayed(self, update: dict[str, Any]) -> dict[str, Any]:
        message = update["message"]
        self.to_staff.append((message["chat"]["id"], message["message_id"]))
        return update

    def part(self, update: dict[str, Any]) -> dict[str, Any]:
        message = update["message"]
        self.album.add((message["chat"]["id"], message["message_id"]))
        return update

    async def run(self, world: World) -> None:
        f, h, d, b, a = self.FAQ, self.HANDOVER, self.DANGER, self.BOOKING, self.ALBUM
        await world.offer(
            message_update(f, "/start", language="it"), button_update(h, "lang:ur", "ur"),
            message_update(d, "/start", language="fr"), message_update(b, "/start", "en"),
            message_update(a, "/start", language="ar"))
        await world.offer(
            message_update(f, "codice fiscale?", language="it"),
            message_update(h, "/human", language="ur"),
            message_update(d, "il mio compagno mi picchia", language="fr"),
            button_update(b, "book"), message_update(a, "/human", language="ar"))
        await world.offer(
            button_update(f, "group:documents", "it"),
            self.relayed(message_update(h, "mujhe madad chahiye", language="ur")),
            self.relayed(message_update(d, "sono in bagno, ho paura", language="fr")),
            button_update(b, "consent:yes"),
            *[self.part(self.relayed(photo(a, "album-1", n))) for n in range(4)])
        await world.offer(
            message_update(f, "grazie", language="it"),
            self.relayed(message_update(h, "permesso di soggiorno scaduto", language="ur")),
            button_update(b, "need:work"),
            self.relayed(message_update(a, "these are my documents", language="ar")))
        thread_h, thread_a = await world.thread_of(h), await world.thread_of(a)
        for text in ("/claim", "Salaam, main Zora hoon", "Aap kal aa sakte hain?"):
            update = staff_message(thread_h, text)
            if not text.startswith("/"):
                self.to_citizen.append((h, update["message"]["message_id"]))
            await world.offer(update)
        update = staff_message(thread_a, "Thank you, I received the photos")
        self.to_citizen.append((a, update["message"]["message_id"]))
        await world.offer(update)
        await world.offer(
            message_update(f, "lavoro", language="it"),
            self.relayed(message_update(h, "haan, subah", language="ur")),
            button_update(b, "needs_done"),
            self.relayed(message_update(a, "ok thank you", language="ar")))
        await world.offer(staff_message(thread_h, "/close"), button_update(b, "urg:week"))
        await world.offer(message_update(h, "codice fiscale", language="ur"),
                          button_update(b, "ref:other"))


async def terminate_connections(url: str, stop: asyncio.Event) -> int:
    """Drop every connection of the test database, again and again, until told to stop."""
    import asyncpg

    name = url.rsplit("/", 1)[-1]
    admin = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    rng = random.Random(SEED)
    drops = 0
    try:
        while not stop.is_set():
            await asyncio.sleep(rng.uniform(0.05, 0.4))
            drops += len(await admin.fetch(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = $1 AND pid <> pg_backend_pid()", name))
    finally:
        await admin.close()
    return drops


@pytest.fixture
async def make_world(database_url: str) -> AsyncIterator[Any]:
    made: list[World] = []

    async def make(rate: float, url: str) -> World:
        from storage.database import upgrade_async

        if url != database_url:
            await upgrade_async(url)
        engine, db = make_engine(url, KeywordUnderstanding(TABLE))
        engine.config = type(engine.config)(staff_chat=True)
        async with engine.uow_factory() as uow:
            await uow.staff.add(StaffMember(MEDIATOR, MEDIATOR_NAME, "mediator", ("ur", "ar")),
                                datetime.now(UTC))
            await uow.commit()
        api = FaultyBotAPI(rate, SEED)
        app = await make_app(engine, api, STAFF_CHAT, translations=engine.translations)
        polling = DurablePolling(app, poll_seconds=0)
        polling._pause = lambda seconds: asyncio.sleep(0.001)  # type: ignore[method-assign]
        world = World(url, api, app, engine, db, polling)
        made.append(world)
        return world

    yield make
    for world in made:
        await world.app.shutdown()
        await world.db.dispose()


def delivered_to_citizens(api: FakeBotAPI, citizens: set[int]) -> dict[int, list[str]]:
    """What each citizen received, in order: texts, documents, copies (by source)."""
    seen: dict[int, list[str]] = {c: [] for c in citizens}
    for name, params in api.calls:
        chat = int(params.get("chat_id", 0))
        if chat not in citizens:
            continue
        if name == "sendMessage":
            text = str(params.get("text", ""))
            if text not in APOLOGIES:
                seen[chat].append(text)
        elif name in ("sendDocument", "copyMessage"):
            seen[chat].append(name)  # which message: checked by the copies' own test
    return seen


def without_ambiguous(seen: dict[int, list[str]], api: FaultyBotAPI) -> dict[int, list[str]]:
    """Drop the repeats that a time-out after delivery explains (one per such time-out)."""
    out: dict[int, list[str]] = {}
    allowed: Counter[tuple[int, str]] = Counter()
    for name, params in api.ambiguous:
        if name == "sendMessage":
            allowed[(int(params.get("chat_id", 0)), str(params.get("text", "")))] += 1
        elif name in ("sendDocument", "copyMessage"):
            allowed[(int(params.get("chat_id", 0)), name)] += 1
    for chat, items in seen.items():
        kept: list[str] = []
        for item in items:
            if item in kept and allowed[(chat, item)]:
                allowed[(chat, item)] -= 1
                continue
            kept.append(item)
        out[chat] = kept
    return out


def copies_to_staff(api: FakeBotAPI) -> list[tuple[int, int]]:
    found: list[tuple[int, int]] = []
    for name, params in api.calls:
        if int(params.get("chat_id", 0)) != STAFF_CHAT:
            continue
        if name == "copyMessage":
            found.append((int(params["from_chat_id"]), int(params["message_id"])))
        elif name == "copyMessages":
            ids = params["message_ids"]
            ids = json.loads(ids) if isinstance(ids, str) else ids
            found.extend((int(params["from_chat_id"]), int(i)) for i in ids)
    return found


def copies_to_citizens(api: FakeBotAPI) -> list[tuple[int, int]]:
    return [(int(p["chat_id"]), int(p["message_id"])) for n, p in api.calls
            if n == "copyMessage" and int(p.get("from_chat_id", 0)) == STAFF_CHAT]


async def run_script(world: World, faults: bool) -> Script:
    script = Script()
    task = asyncio.create_task(world.polling.run())
    stop = asyncio.Event()
    dropper = None
    if faults and world.url.startswith("postgresql"):
        dropper = asyncio.create_task(terminate_connections(world.url, stop))
    try:
        await script.run(world)
    finally:
        stop.set()
        if dropper is not None:
            world.drops = await dropper
        world.api.rate = 0.0  # the faults end; what was kept for later is delivered
        await world.flush()
        world.polling.stop()
        await task
    return script


@pytest.mark.parametrize("rate", [0.0, 0.2, 0.35])
async def test_faults_lose_nothing_and_duplicate_nothing(make_world, database_url, tmp_path,
                                                         caplog, capsys, rate):
    # The production logging set-up, with every library let down to DEBUG as well: whatever
    # logs, at any level, must hold no personal data.
    configure(logging.DEBUG, secrets=(TOKEN,))
    for name in QUIET:
        logging.getLogger(name).setLevel(logging.DEBUG)
    caplog.set_level(logging.DEBUG)
    try:
        stats = await _run_and_check(make_world, database_url, tmp_path, rate)
        logged = caplog.text + capsys.readouterr().err
    finally:
        configure(logging.WARNING)
        root = logging.getLogger()
        for handler in [h for h in root.handlers if h.get_name() == "teams-bot"]:
            root.removeHandler(handler)  # it writes to this test's captured stderr
    with capsys.disabled():
        print("\n" + stats)  # seen with pytest -s
    assert "Calling Bot API endpoint" in logged  # the libraries did log at DEBUG
    for secret in ("mujhe madad", "picchia", "these are my documents", MEDIATOR_NAME, TOKEN,
                   "permesso di soggiorno scaduto", "Salaam", "Aap kal"):
        assert secret not in logged, secret


async def _run_and_check(make_world: Any, database_url: str, tmp_path: Any,
                         rate: float) -> str:
    reference = await make_world(0.0, f"sqlite+aiosqlite:///{tmp_path / 'reference.db'}")
    await run_script(reference, faults=False)
    world = await make_world(rate, database_url)
    script = await run_script(world, faults=True)
    api = world.api
    assert rate == 0 or sum(api.faults.values()) >= 5, api.faults  # the run was really under fire
    stats = (f"rate {rate}: Bot API faults {dict(api.faults)}, {len(api.ambiguous)} after "
             f"delivery, {len(api.calls)} calls, {world.drops} database connections dropped")

    citizens = {Script.FAQ, Script.HANDOVER, Script.DANGER, Script.BOOKING, Script.ALBUM}
    # 1. Each citizen got exactly what they get without faults (in the same order, but for
    #    what mediators wrote).
    expected = delivered_to_citizens(reference.api, citizens)
    got = without_ambiguous(delivered_to_citizens(api, citizens), api)
    dump = os.environ.get("TEAMS_FAULT_DUMP")  # a file to write what differed to
    for citizen in citizens:
        if dump and Counter(got[citizen]) != Counter(expected[citizen]):
            _dump(dump, citizen, expected[citizen], got[citizen], api)
        if citizen in (Script.FAQ, Script.BOOKING):  # only the assistant writes to them
            assert got[citizen] == expected[citizen], f"citizen {citizen}"
        else:
            # A mediator's messages are retried on their own schedule (the relay outbox): a
            # reply of the assistant to a later message may overtake one. Each arrives once.
            assert Counter(got[citizen]) == Counter(expected[citizen]), f"citizen {citizen}"
    # 2. Everything a citizen wrote to a person reached the thread, once, in order.
    copies = copies_to_staff(api)
    ambiguous: Counter[tuple[int, int]] = Counter()
    for name, params in api.ambiguous:
        if name == "copyMessage":
            ambiguous[(int(params.get("from_chat_id", 0)), int(params.get("message_id", 0)))] += 1
        elif name == "copyMessages":
            ids = params["message_ids"]
            for message_id in json.loads(ids) if isinstance(ids, str) else ids:
                ambiguous[(int(params.get("from_chat_id", 0)), int(message_id))] += 1
    for key in script.to_staff:
        assert 1 <= copies.count(key) <= 1 + ambiguous[key], key
    for citizen in citizens:
        # In order; but an album's part whose turn failed (the database dropped mid-album)
        # comes after the rest of its album, copied alone: it is left out of this check.
        theirs = [m for c, m in dict.fromkeys(copies)
                  if c == citizen and (c, m) not in script.album]
        assert theirs == sorted(theirs), f"citizen {citizen}: out of order"
    # 3. Everything a mediator wrote reached the citizen, once, in order.
    back = copies_to_citizens(api)
    for citizen, message in script.to_citizen:
        assert 1 <= back.count((citizen, message)) <= 1 + ambiguous.get(
            (STAFF_CHAT, message), 0), (citizen, message)
    # 4. The citizen in danger got the numbers.
    assert any("112" in t and "1522" in t for t in expected[Script.DANGER])
    # 5. Every update was handled and its replies confirmed sent.
    rows = await _rows(world, select(ProcessedUpdateRow.update_id, ProcessedUpdateRow.sent_at))
    handled = {u: sent for u, sent in rows}
    for update in world.offered:
        if "callback_query" in update or update["message"]["chat"]["type"] == "private":
            assert handled.get(update["update_id"]) is not None, update["update_id"]
    assert await _topics(world) >= 2
    return stats


async def _topics(world: World) -> int:
    return len(await _rows(world, select(CitizenTopicRow.citizen_id)))


async def _rows(world: World, query: Any) -> list[Any]:
    """Read with a connection of its own (the storm may drop it: read again)."""
    from storage.database import create_engine

    for attempt in range(20):
        db = create_engine(world.url)
        try:
            async with db.connect() as conn:
                return list((await conn.execute(query)).all())
        except DBAPIError:
            await asyncio.sleep(0.05 * attempt)
        finally:
            await db.dispose()
    raise AssertionError("the database could not be read")



def _dump(path: str, citizen: int, expected: list[str], got: list[str],
          api: FaultyBotAPI) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        for side, items in (("expected", expected), ("got", got)):
            fh.write(f"== {side}\n" + "\n".join(i[:70].replace("\n", " ") for i in items)
                     + "\n")
        fh.write(f"== faults {dict(api.faults)}\n")
        for name, params in api.ambiguous:
            fh.write(f"ambiguous {name} {params.get('chat_id')} "
                     f"{str(params.get('text', ''))[:40]!r}\n")
        for name, params in api.calls:
            if name != "getUpdates":
                fh.write(f"{name} {params.get('chat_id')} "
                         f"{str(params.get('text', ''))[:40]!r}\n")
