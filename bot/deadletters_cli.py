"""``teams-bot deadletters list|clear``: updates put aside because they could not be handled.

Only where and why is kept (update id, citizen id, when, stage, error type, tries), never
what the update said."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.settings import Settings
from storage.database import create_engine, is_sqlite, session_factory, upgrade_async
from storage.repositories import SqlUnitOfWorkFactory


async def _factory(settings: Settings) -> tuple[SqlUnitOfWorkFactory, AsyncEngine]:
    if is_sqlite(settings.database_url):
        await upgrade_async(settings.database_url)
    db = create_engine(settings.database_url)
    return SqlUnitOfWorkFactory(session_factory(db)), db


async def listing(settings: Settings, limit: int = 100, as_json: bool = False) -> str:
    factory, db = await _factory(settings)
    zone = ZoneInfo(settings.timezone)
    try:
        async with factory() as uow:
            total = await uow.dead_letters.count()
            letters = await uow.dead_letters.latest(limit)
    finally:
        await db.dispose()
    rows = [{"id": d.id, "update_id": d.update_id, "citizen_id": d.citizen_id,
             "at": d.at.astimezone(zone).isoformat(), "stage": d.stage, "error": d.error,
             "attempts": d.attempts, "kind": d.kind} for d in letters]
    if as_json:
        return json.dumps({"total": total, "dead_letters": rows}, indent=2)
    lines = [f"{total} update(s) put aside" + (f", newest {len(rows)}:" if rows else "")]
    lines += [f"{r['at']}  update {r['update_id'] or '-'}  citizen {r['citizen_id'] or '-'}  "
              f"{r['kind'] or '-'}  {r['stage']}  {r['error']}  x{r['attempts']}"
              for r in rows]
    return "\n".join(lines)


async def clear(settings: Settings, before: date | None = None) -> str:
    factory, db = await _factory(settings)
    cutoff = (datetime.combine(before, time.min, ZoneInfo(settings.timezone)).astimezone(UTC)
              if before else None)
    try:
        async with factory() as uow:
            removed = await uow.dead_letters.clear(cutoff)
            await uow.commit()
    finally:
        await db.dispose()
    return f"removed {removed} dead letter(s)" + (f" recorded before {before}" if before else "")
