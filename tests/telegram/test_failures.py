"""Transient or permanent, on real exceptions: PTB's errors as the fake Bot API raises them,
SQLite's and PostgreSQL's as their drivers raise them and storage hands them on (the
domain's StorageUnavailable or StorageRefused, the driver's error as the cause)."""

from __future__ import annotations

import os
import warnings
from datetime import timedelta

import pytest
from sqlalchemy import text
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from domain.ports import StorageError
from handlers.failures import is_transient
from storage.database import create_engine
from storage.errors import translated


def test_bot_api_errors_are_told_apart():
    assert not is_transient(BadRequest("Bad Request: not enough rights to create a topic"))
    assert not is_transient(Forbidden("Forbidden: bot was kicked from the supergroup chat"))
    assert is_transient(NetworkError("Bad Gateway"))
    assert is_transient(TimedOut())
    with warnings.catch_warnings():  # PTB warns about retry_after's future type
        warnings.simplefilter("ignore")
        flood = RetryAfter(timedelta(seconds=3))
    assert is_transient(flood)
    assert not is_transient(ValueError("a bug"))


async def _error(url: str, statement: str, before: str | None = None,
                 **params: object) -> BaseException:
    db = create_engine(url)
    try:
        with translated():
            async with db.connect() as conn:
                if before:
                    await conn.execute(text(before))
                await conn.execute(text(statement), params)
    except Exception as exc:
        assert isinstance(exc, StorageError | OSError), type(exc)  # no SQLAlchemy error leaks
        return exc
    finally:
        await db.dispose()
    raise AssertionError("no error")


async def test_sqlite_unreachable_is_transient_and_a_constraint_is_not(tmp_path):
    away = f"sqlite+aiosqlite:///{tmp_path / 'missing' / 'x.db'}"
    assert is_transient(await _error(away, "SELECT 1"))
    url = f"sqlite+aiosqlite:///{tmp_path / 'x.db'}"
    db = create_engine(url)
    async with db.begin() as conn:
        await conn.execute(text("CREATE TABLE t (v TEXT NOT NULL)"))
    await db.dispose()
    assert not is_transient(await _error(url, "INSERT INTO t (v) VALUES (NULL)"))


@pytest.mark.skipif(not os.environ.get("TEAMS_TEST_POSTGRES_URL"), reason="PostgreSQL")
async def test_postgresql_data_errors_are_permanent_and_a_refused_connection_is_not():
    url = os.environ["TEAMS_TEST_POSTGRES_URL"]
    assert not is_transient(await _error(url, "SELECT CAST(:v AS text)", v="a\x00b"))
    assert not is_transient(await _error(url, "SELECT CAST(:v AS jsonb)", v='"\\u0000"'))
    assert not is_transient(await _error(url, "INSERT INTO t VALUES (:v)",  # too long
                                         "CREATE TEMP TABLE t (v varchar(2))", v="abc"))
    assert is_transient(await _error("postgresql+asyncpg://nobody@127.0.0.1:1/none",
                                     "SELECT 1"))
