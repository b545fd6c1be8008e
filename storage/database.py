"""Engines for SQLite (embedded default) and PostgreSQL, and Alembic migrations."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

SQLITE_BUSY_TIMEOUT_MS = 15000


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def _sqlite_begin_immediate(conn: Any) -> None:
    # Take the write lock when the transaction starts: a transaction that reads and then
    # writes can otherwise fail at once with "database is locked" when another process wrote
    # in between, which no busy timeout can wait out.
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def create_engine(url: str) -> AsyncEngine:
    """An async engine; SQLite gets WAL, a busy timeout and immediate transactions, so
    several processes on one file wait for each other instead of failing. Statement
    parameters (what citizens wrote) are never part of an error's text."""
    if is_sqlite(url):
        engine = create_async_engine(
            url, hide_parameters=True, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000,
                               "isolation_level": None},
        )
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        event.listen(engine.sync_engine, "begin", _sqlite_begin_immediate)
        return engine
    # No ping before each checkout (it was a round trip per transaction, two per message):
    # a connection the server dropped fails its first statement with
    # ``connection_invalidated`` set, SQLAlchemy discards the whole stale pool, and the
    # caller runs the transaction again once (storage/uow.py, mark_sent;
    # handlers/failures.py, after_sending).
    return create_async_engine(
        url, hide_parameters=True, pool_size=10, max_overflow=10, pool_pre_ping=False,
        skip_autocommit_rollback=True,
        connect_args={"server_settings": {"application_name": APPLICATION_NAME}},
    )


APPLICATION_NAME = "teams-bot"



def session_factory(engine: AsyncEngine) -> async_sessionmaker[Any]:
    return async_sessionmaker(engine, expire_on_commit=False)


def alembic_config(url: str) -> Any:
    from alembic.config import Config

    here = Path(__file__).resolve().parent
    config = Config()
    config.set_main_option("script_location", str(here / "migrations"))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Apply migrations (synchronously; runs its own event loop for the async driver)."""
    from alembic import command

    command.upgrade(alembic_config(url), revision)


async def upgrade_async(url: str, revision: str = "head") -> None:
    import asyncio

    await asyncio.to_thread(upgrade, url, revision)
