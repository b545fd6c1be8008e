"""Build a real PTB Application over the fake Bot API, and Telegram updates to feed it."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

from telegram import Update

from bot.i18n import Catalogs
from bot.settings import EXAMPLE_SERVICE_FILE
from domain.content import load_content
from domain.directory import load_directory
from domain.engine import Engine
from handlers.telegram import build_application
from storage.database import create_engine, session_factory
from tests.fakes import FakeBotAPI, FixedClock

TOKEN = "123456:TEST-TOKEN"
_ids = itertools.count(1)


def make_engine(url: str, understanding: Any) -> tuple[Engine, Any]:
    db = create_engine(url)
    from storage.repositories import SqlUnitOfWorkFactory

    locales = Path(__file__).resolve().parents[2] / "locales"
    engine = Engine(
        SqlUnitOfWorkFactory(session_factory(db)), Catalogs(locales), understanding,
        FixedClock(), load_directory(EXAMPLE_SERVICE_FILE), load_content(locales / "faq"),
    )
    return engine, db


async def make_app(engine: Engine, api: FakeBotAPI, staff_chat_id: int | None = None,
                   **bot_data: Any) -> Any:
    """A PTB application over the fake Bot API, initialised, with the engine (and any other
    ``bot_data``: ``public_url``, ``translations``) in place; a staff group if given."""
    app = build_application(TOKEN, "https://bot.api.test/bot", "https://bot.api.test/file/bot",
                            request=api, rate_limiter=False, staff_chat_id=staff_chat_id)
    app.bot_data.engine = engine
    for key, value in bot_data.items():
        setattr(app.bot_data, key, value)
    await app.initialize()
    return app


async def staffed(url: str, understanding: Any, members: list[Any]) -> tuple[Engine, Any]:
    """An engine on a migrated database, with hand-overs to a staff group and these
    registered staff members."""
    from datetime import UTC, datetime

    from storage.database import upgrade_async

    await upgrade_async(url)
    engine, db = make_engine(url, understanding)
    engine.config = type(engine.config)(staff_chat=True)
    async with engine.uow_factory() as uow:
        for member in members:
            await uow.staff.add(member, datetime.now(UTC))
        await uow.commit()
    return engine, db


def user(uid: int, language: str | None = "en") -> dict[str, Any]:
    data: dict[str, Any] = {"id": uid, "is_bot": False, "first_name": "Test"}
    if language:
        data["language_code"] = language
    return data


def message_update(uid: int, text: str | None = None, language: str | None = "en",
                   chat_type: str = "private", **extra: Any) -> dict[str, Any]:
    chat_id = uid if chat_type == "private" else -100123
    message: dict[str, Any] = {
        "message_id": next(_ids), "date": 1764147600, "from": user(uid, language),
        "chat": {"id": chat_id, "type": chat_type},
    }
    if text is not None:
        message["text"] = text
        if text.startswith("/"):
            message["entities"] = [{"type": "bot_command", "offset": 0,
                                    "length": len(text.split()[0])}]
    message.update(extra)
    return {"update_id": next(_ids), "message": message}


def button_update(uid: int, data: str, language: str | None = "en") -> dict[str, Any]:
    return {
        "update_id": next(_ids),
        "callback_query": {
            "id": str(next(_ids)), "from": user(uid, language), "chat_instance": "ci",
            "data": data,
            "message": {"message_id": next(_ids), "date": 1764147600,
                        "chat": {"id": uid, "type": "private"}, "text": "menu"},
        },
    }


async def feed(app: Any, data: dict[str, Any]) -> None:
    await app.process_update(Update.de_json(data, app.bot))


async def incoming_texts(url: str) -> dict[int, list[str | None]]:
    """What each citizen wrote, in the order the transcript recorded it."""
    from sqlalchemy import select

    from storage.tables import TranscriptRow

    db = create_engine(url)
    async with db.connect() as conn:
        rows = (await conn.execute(select(TranscriptRow.citizen_id, TranscriptRow.text)
                                   .where(TranscriptRow.direction == "in")
                                   .order_by(TranscriptRow.id))).all()
    await db.dispose()
    texts: dict[int, list[str | None]] = {}
    for citizen, text in rows:
        texts.setdefault(citizen, []).append(text)
    return texts
