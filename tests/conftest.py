"""Shared fixtures: the example directory, the real content, fakes, databases, the real NLU."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from bot.i18n import LOCALES_DIR
from bot.settings import EXAMPLE_SERVICE_FILE
from domain.content import Content, load_content
from domain.directory import Directory, load_directory

POSTGRES_ENV = "TEAMS_TEST_POSTGRES_URL"


@pytest.fixture(scope="session")
def directory() -> Directory:
    return load_directory(EXAMPLE_SERVICE_FILE)


@pytest.fixture(scope="session")
def content() -> Content:
    return load_content(LOCALES_DIR / "faq")


@pytest.fixture
def faq(tmp_path: Path) -> Path:
    """A copy of the shipped FAQ content that a test may edit."""
    target = tmp_path / "faq"
    shutil.copytree(LOCALES_DIR / "faq", target)
    return target


@pytest.fixture(scope="session")
def nlu_cache_dir() -> Path:
    configured = os.environ.get("TEAMS_NLU_CACHE_DIR")
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "teams-bot" / "nlu"


@pytest.fixture(scope="session")
def real_nlu(nlu_cache_dir: Path) -> Any:
    """The embedded NLU trained on the project's data (cached on disk across runs)."""
    from nlu.embedded import EmbeddedNLU

    return EmbeddedNLU(nlu_cache_dir)


def database_urls() -> list[Any]:
    urls: list[Any] = ["sqlite"]
    pg = os.environ.get(POSTGRES_ENV)
    urls.append(pytest.param(
        "postgresql", marks=pytest.mark.skipif(
            not pg, reason=f"{POSTGRES_ENV} is not set: PostgreSQL tests skipped")))
    return urls


@asynccontextmanager
async def migrated_database(kind: str, tmp_path: Path) -> AsyncIterator[str]:
    """A freshly migrated database: a SQLite file, or a new schema-clean PostgreSQL database."""
    from storage.database import upgrade_async

    if kind == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'teams.db'}"
        await upgrade_async(url)
        yield url
        return
    import uuid

    import asyncpg

    base = os.environ[POSTGRES_ENV]
    name = f"teams_test_{uuid.uuid4().hex[:10]}"
    admin_dsn = base.replace("postgresql+asyncpg://", "postgresql://")
    conn = await asyncpg.connect(admin_dsn)
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    url = base.rsplit("/", 1)[0] + "/" + name
    await upgrade_async(url)
    yield url
    conn = await asyncpg.connect(admin_dsn)
    await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await conn.close()


@pytest.fixture(params=database_urls())
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    async with migrated_database(request.param, tmp_path) as url:
        yield url
