"""SQLAlchemy's and the drivers' exceptions, told apart and turned into the domain's.

*Unavailable* (:class:`domain.ports.StorageUnavailable`: the same work may succeed on the
next try): the database unreachable, a dropped connection, a pool timeout, a serialisation
conflict, a lock timeout, SQLite's "database is locked". A pooled connection the server had
dropped is :class:`domain.ports.ConnectionDropped`, one of them: run again at once, the work
gets a fresh connection.

*Refused* (:class:`domain.ports.StorageRefused`: it will fail again): data the database
refuses (a NUL character, a value too long: SQLSTATE classes 22 and 23 but a unique
violation, which is a concurrent insert), a constraint SQLite enforces, a statement it
cannot run.

Any other SQLAlchemy exception (misuse of the API: a bug) is left as it is. The original is
always the ``__cause__``, so the logs still show its type and statement shape.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.exc import (
    DBAPIError,
    DisconnectionError,
    IntegrityError,
    InterfaceError,
    OperationalError,
    SQLAlchemyError,
)
from sqlalchemy.exc import TimeoutError as PoolTimeout

from domain.ports import ConnectionDropped, StorageError, StorageRefused, StorageUnavailable

#: SQLSTATE codes of failures that a second try can get past.
_RETRYABLE_SQLSTATE_PREFIXES = ("08", "40", "53", "55P03", "57", "58", "HV", "23505")
#: SQLSTATE classes of data the database will refuse again: data exceptions, integrity
#: violations (but the unique violation above), syntax or access rules (a bug).
_PERMANENT_SQLSTATE_PREFIXES = ("22", "23", "42", "2B", "2D")


def sqlstate(error: BaseException) -> str | None:
    """The SQLSTATE of a driver's error, wherever the driver put it."""
    orig = getattr(error, "orig", None)
    for source in (orig, getattr(orig, "__cause__", None), error):
        code = getattr(source, "sqlstate", None) or getattr(source, "pgcode", None)
        if isinstance(code, str) and code:
            return code
    return None


def _transient(error: DBAPIError) -> bool:
    if error.connection_invalidated:
        return True
    code = sqlstate(error)
    if code is not None:
        if code.startswith(_RETRYABLE_SQLSTATE_PREFIXES):
            return True
        if code.startswith(_PERMANENT_SQLSTATE_PREFIXES):
            return False
    if isinstance(error, IntegrityError):
        return False  # SQLite: NOT NULL, foreign key, check
    # SQLite's "database is locked", a refused connection, a closed one
    return isinstance(error, OperationalError | InterfaceError) or code is not None


def _describe(error: BaseException) -> str:
    """The domain error's message: the original's type and SQLSTATE, never its text (which
    can hold statement parameters)."""
    code = sqlstate(error)
    return type(error).__name__ + (f" (SQLSTATE {code})" if code else "")


def classify(error: BaseException) -> StorageError | None:
    """The domain's error for a storage failure; None when it is none of the database's."""
    if isinstance(error, StorageError):
        return error
    if isinstance(error, PoolTimeout | DisconnectionError):
        return StorageUnavailable(_describe(error))
    if isinstance(error, DBAPIError):
        if error.connection_invalidated:
            return ConnectionDropped(_describe(error))
        kind = StorageUnavailable if _transient(error) else StorageRefused
        return kind(_describe(error))
    return None


@contextmanager
def translated() -> Iterator[None]:
    """Raise what the database failed with as the domain's error (the original as cause)."""
    try:
        yield
    except SQLAlchemyError as exc:
        error = classify(exc)
        if error is None:
            raise
        raise error from exc
