"""Core statements of the per-message path, built once at import.

Every inbound message runs the same handful of statements (remember the update id, read
the citizen and their conversation, write the transcript and the new state, keep the
replies, confirm them sent). Building a SQLAlchemy statement costs more CPU than running it
(coercions, generative copies, ORM DML state): measured on the load benchmark, building
and ORM execution were a third of all the CPU an update took. These are built once with
bind parameters and run on the unit of work's connection as plain Core.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import BigInteger, Table, bindparam, insert, null, select, update

from storage.tables import (
    CitizenRow,
    ConversationRow,
    ProcessedUpdateRow,
    TallyRow,
    TranscriptRow,
)


def _table(row: Any) -> Table:
    table = row.__table__
    assert isinstance(table, Table)
    return table


citizens = _table(CitizenRow)
conversations = _table(ConversationRow)
updates = _table(ProcessedUpdateRow)
tallies = _table(TallyRow)

CITIZEN_COLUMNS = (
    citizens.c.id, citizens.c.first_seen, citizens.c.last_seen, citizens.c.language,
    citizens.c.language_chosen, citizens.c.referral, citizens.c.consent_at,
)
SELECT_CITIZEN = select(*CITIZEN_COLUMNS).where(citizens.c.id == bindparam("citizen_id"))

INSERT_CITIZEN = insert(citizens)

# The start of a message's transaction in one statement: the citizen, their conversation
# and whether this update was handled before. PostgreSQL locks the citizen's row until
# commit (FOR UPDATE OF citizens; the conversation, on the nullable side of the outer join,
# cannot be locked), so one citizen's messages are handled one at a time across workers;
# on SQLite the write lock is already held (BEGIN IMMEDIATE).
START_TURN = (
    select(
        *CITIZEN_COLUMNS, conversations.c.state, conversations.c.data, conversations.c.version,
        updates.c.update_id, updates.c.replies, updates.c.sent_at,
    )
    .select_from(
        citizens.outerjoin(conversations, conversations.c.citizen_id == citizens.c.id)
        .outerjoin(updates, updates.c.update_id == bindparam("update_id", type_=BigInteger))
    )
    .where(citizens.c.id == bindparam("citizen_id"))
    .with_for_update(of=citizens)
)

# An UPDATE without values() sets the columns named in the parameters; the row's key is
# bound as "key" (a column's own name is reserved for its new value).
UPDATE_CITIZEN = update(citizens).where(citizens.c.id == bindparam("key"))

SELECT_CONVERSATION = select(
    conversations.c.state, conversations.c.data, conversations.c.version,
).where(conversations.c.citizen_id == bindparam("citizen_id"))

INSERT_CONVERSATION = insert(conversations)

UPDATE_CONVERSATION = update(conversations).where(
    conversations.c.citizen_id == bindparam("key"),
    conversations.c.version == bindparam("old_version"),
)

INSERT_TRANSCRIPT = insert(_table(TranscriptRow))


SELECT_UPDATE = select(updates.c.replies, updates.c.sent_at).where(
    updates.c.update_id == bindparam("key"))

KEEP_UNSENT = update(updates).where(
    updates.c.update_id == bindparam("key"), updates.c.sent_at.is_(None)).values(
    replies=bindparam("replies"))

MARK_SENT = update(updates).where(
    updates.c.update_id.in_(bindparam("keys", expanding=True))).values(replies=null())


def _dialect_insert(name: str) -> Any:
    """The dialect's ``insert`` that knows ON CONFLICT; imported on first use, so a
    SQLite-only start does not load the PostgreSQL dialect."""
    if name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as postgresql_insert

        return postgresql_insert
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert


@cache
def remember(dialect: str) -> Any:
    """Record an update as handled, unless it is already there."""
    return _dialect_insert(dialect)(updates).on_conflict_do_nothing(
        index_elements=["update_id"])


@cache
def add_tally(dialect: str) -> Any:
    statement = _dialect_insert(dialect)(tallies)
    return statement.on_conflict_do_update(
        index_elements=["month", "metric", "key"],
        set_={"n": tallies.c.n + statement.excluded.n})
