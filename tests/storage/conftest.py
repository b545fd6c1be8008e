"""A unit-of-work factory over each test database (SQLite, and PostgreSQL when configured)."""

from __future__ import annotations

import pytest

from storage.database import create_engine, session_factory
from storage.repositories import SqlUnitOfWorkFactory


@pytest.fixture
async def uow_factory(database_url):
    engine = create_engine(database_url)
    yield SqlUnitOfWorkFactory(session_factory(engine))
    await engine.dispose()
