"""The unit of work that alone commits: one session, one transaction, every repository."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from types import TracebackType

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.ports import ConnectionDropped
from storage import statements as hot
from storage.bookings import SqlBookings, SqlClosures, SqlReminders, SqlWaitlist
from storage.cases import SqlCases
from storage.citizens import SqlCitizens, SqlConversations, SqlTranscript, SqlUpdateLog
from storage.dead_letters import SqlDeadLetters
from storage.errors import classify, translated
from storage.handovers import SqlHandovers, SqlRelayOutbox
from storage.outbox import SqlOutbox
from storage.privacy import SqlPrivacy
from storage.reviews import SqlContentReviews
from storage.staff import SqlStaff
from storage.tallies import SqlTallies
from storage.turnstile import Turnstile


class SqlUnitOfWork:
    """One session, one transaction; rolls back unless :meth:`commit` was called.

    What the database fails with inside the block leaves it as the domain's
    :class:`~domain.ports.StorageUnavailable` or :class:`~domain.ports.StorageRefused`
    (storage/errors.py), the original as its cause.
    """

    def __init__(self, sessions: async_sessionmaker[AsyncSession],
                 turnstile: Turnstile | None = None) -> None:
        self.sessions = sessions
        self.turnstile = turnstile
        self._entered = False

    async def __aenter__(self) -> SqlUnitOfWork:
        if self.turnstile is not None:
            self._entered = await self.turnstile.enter()
        self.session = self.sessions()
        self.citizens = SqlCitizens(self.session)
        self.conversations = SqlConversations(self.session)
        self.transcript = SqlTranscript(self.session)
        self.bookings = SqlBookings(self.session)
        self.reminders = SqlReminders(self.session)
        self.waitlist = SqlWaitlist(self.session)
        self.outbox = SqlOutbox(self.session)
        self.relay = SqlRelayOutbox(self.session)
        self.staff = SqlStaff(self.session)
        self.handovers = SqlHandovers(self.session)
        self.privacy = SqlPrivacy(self.session)
        self.updates = SqlUpdateLog(self.session)
        self.closures = SqlClosures(self.session)
        self.tallies = SqlTallies(self.session)
        self.dead_letters = SqlDeadLetters(self.session)
        self.reviews = SqlContentReviews(self.session)
        self.cases = SqlCases(self.session)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        with translated():
            try:
                await self.session.rollback()
            finally:
                try:
                    await self.session.close()
                finally:
                    if self.turnstile is not None:
                        self.turnstile.leave(self._entered)
        error = classify(exc) if exc is not None else None
        if error is not None and error is not exc:
            raise error from exc

    async def commit(self) -> None:
        await self.transcript.flush()
        await self.session.commit()

    async def rollback(self) -> None:
        await self.session.rollback()


class SqlUnitOfWorkFactory:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions
        engine = sessions.kw.get("bind")
        self.turnstile = (Turnstile() if engine is not None
                          and engine.dialect.name == "sqlite" else None)

    def __call__(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.sessions, self.turnstile)

    async def mark_sent(self, update_ids: Sequence[int], now: datetime) -> None:
        """One autocommitted UPDATE on PostgreSQL (no BEGIN/COMMIT round trips); a normal
        short transaction on SQLite, whose transactions begin IMMEDIATE."""
        params = {"keys": list(update_ids), "sent_at": now}
        engine = self.sessions.kw.get("bind")
        for attempt in (1, 2):  # once more on a connection the server had dropped
            try:
                with translated():
                    if engine is not None and engine.dialect.name == "postgresql":
                        async with engine.connect() as conn:
                            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
                            await conn.execute(hot.MARK_SENT, params)
                        return
                    async with self() as uow:
                        conn = await uow.session.connection()
                        await conn.execute(hot.MARK_SENT, params)
                        await uow.session.commit()
                    return
            except ConnectionDropped:
                if attempt == 2:
                    raise
