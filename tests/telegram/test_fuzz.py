"""Thousands of generated updates: the process never dies, every private message gets an
answer, updates from groups and channels are ignored, and the database stays consistent."""

from __future__ import annotations

import itertools
import random
from typing import Any

from sqlalchemy import func, select

from handlers.flood import FloodGuard
from nlu.pool import AsyncUnderstanding
from storage.database import upgrade_async
from storage.tables import BookingRow, CitizenRow, ConversationRow, TranscriptRow
from tests.fakes import FakeBotAPI
from tests.telegram.helpers import feed, make_app, make_engine

ALPHABETS = ["abc xyz ciao grazie lavoro", "مرحبا أريد permesso di soggiorno",
             "میرا کوڈ فسکالے", "আমি কাজ খুঁজছি", "我需要codice fiscale", "Привіт допоможіть",
             "ਮੈਨੂੰ ਮਦਦ ਚਾਹੀਦੀ", "\u202e\u200f\u200e\u2066 rtl \u2069", "\x00\x01\x1f\x7f",
             "🙂🙃🔥" * 5, "a" * 4096, " ", "", "/start " + "x" * 80, "/book junk junk",
             "/nonexistent_command@teams_test_bot arg", "/start ../../etc", "%s %d {0} {x}"]
MEDIA = [
    {"sticker": {"file_id": "s", "file_unique_id": "s", "width": 1, "height": 1,
                 "is_animated": False, "is_video": False, "type": "regular"}},
    {"voice": {"file_id": "v", "file_unique_id": "v", "duration": 3}},
    {"photo": [{"file_id": "p", "file_unique_id": "p", "width": 1, "height": 1}],
     "caption": "\u202e caption"},
    {"document": {"file_id": "d", "file_unique_id": "d", "file_name": "x.pdf"}},
    {"location": {"latitude": 43.7, "longitude": 11.2}},
    {"contact": {"phone_number": "+390000000000", "first_name": "Synthetic"}},
    {"video_note": {"file_id": "n", "file_unique_id": "n", "length": 1, "duration": 1}},
    {"audio": {"file_id": "a", "file_unique_id": "a", "duration": 1}},
    {"dice": {"emoji": "🎲", "value": 3}},
]


def generate(rng: random.Random, n: int) -> list[tuple[str, dict[str, Any]]]:
    ids = itertools.count(1)
    out = []
    for _ in range(n):
        uid = rng.randint(10_000, 10_150)
        base = {"message_id": next(ids), "date": 1764147600,
                "from": {"id": uid, "is_bot": False, "first_name": "Fuzz",
                         "language_code": rng.choice(["it", "ar", "zz", None, "pt-BR"])}}
        roll = rng.random()
        if roll < 0.45:
            text = rng.choice(ALPHABETS)
            if rng.random() < 0.3:
                text = "".join(rng.choice(text or "x") for _ in range(rng.randint(1, 200)))
            message = {**base, "chat": {"id": uid, "type": "private"}, "text": text[:4096]}
            if text.startswith("/"):
                message["entities"] = [{"type": "bot_command", "offset": 0,
                                        "length": len(text.split()[0])}]
            out.append(("private", {"update_id": next(ids), "message": message}))
        elif roll < 0.6:
            message = {**base, "chat": {"id": uid, "type": "private"}, **rng.choice(MEDIA)}
            out.append(("private", {"update_id": next(ids), "message": message}))
        elif roll < 0.8:
            data = rng.choice([
                "lang:ar", "menu", "group:documents", "faq:faq_tax_code", "book", "appts",
                "consent:yes", "need:work", "needs_done", "slot:le1.1", "cancel:99999",
                "offer:1", "eraseok", "x" * 64, "lang:xx", "faq:../../", "day:20261301",
                "mydata", "human", "endhuman",
                "".join(chr(rng.randint(33, 0x2FFF)) for _ in range(rng.randint(1, 20))),
            ])
            query = {"id": str(next(ids)), "from": base["from"], "chat_instance": "c",
                     "data": data[:64],
                     "message": {"message_id": next(ids), "date": 1764147600,
                                 "chat": {"id": uid, "type": "private"}, "text": "m"}}
            out.append(("private", {"update_id": next(ids), "callback_query": query}))
        elif roll < 0.87:
            message = {**base, "chat": {"id": uid, "type": "private"}, "text": "edited",
                       "edit_date": 1764147700}
            out.append(("edited", {"update_id": next(ids), "edited_message": message}))
        elif roll < 0.95:
            message = {**base, "chat": {"id": -100777, "type": "supergroup"},
                       "text": rng.choice(ALPHABETS)}
            out.append(("group", {"update_id": next(ids), "message": message}))
        else:
            post = {"message_id": next(ids), "date": 1764147600,
                    "chat": {"id": -100888, "type": "channel"}, "text": "channel post"}
            out.append(("channel", {"update_id": next(ids), "channel_post": post}))
    return out


async def test_thousands_of_generated_updates(tmp_path, real_nlu):
    url = f"sqlite+aiosqlite:///{tmp_path / 'fuzz.db'}"
    await upgrade_async(url)
    engine, db = make_engine(url, AsyncUnderstanding(real_nlu))
    api = FakeBotAPI()
    app = await make_app(engine, api)
    app.bot_data.flood = FloodGuard(burst=100_000)
    errors: list[BaseException] = []

    async def record(update: object, context: Any) -> None:
        errors.append(context.error)

    app.add_error_handler(record)
    unanswered = []
    for kind, update in generate(random.Random(20261126), 2000):
        before = len(api.calls)
        await feed(app, update)
        new = api.calls[before:]
        if kind == "private":
            chat = (update.get("message") or update["callback_query"]["message"])["chat"]["id"]
            if not any(int(p.get("chat_id", 0)) == chat for m, p in new
                       if m in ("sendMessage", "sendDocument", "editMessageText")):
                unanswered.append(update)
        elif kind in ("group", "channel"):
            assert new == [], update
    await app.shutdown()
    assert errors == []
    assert unanswered == []
    async with db.connect() as conn:
        citizens = (await conn.execute(select(func.count()).select_from(CitizenRow))).scalar()
        conversations = (await conn.execute(
            select(func.count()).select_from(ConversationRow))).scalar()
        bad_versions = (await conn.execute(select(func.count()).select_from(ConversationRow)
                                           .where(ConversationRow.version < 1))).scalar()
        doubles = (await conn.execute(
            select(BookingRow.professional_id, BookingRow.start_at, func.count())
            .where(BookingRow.status == "active")
            .group_by(BookingRow.professional_id, BookingRow.start_at)
            .having(func.count() > 1))).all()
        orphans = (await conn.execute(select(func.count()).select_from(TranscriptRow).where(
            TranscriptRow.citizen_id.not_in(select(CitizenRow.id))))).scalar()
    await db.dispose()
    assert citizens == conversations and bad_versions == 0
    assert doubles == [] and orphans == 0
