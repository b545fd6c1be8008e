"""Transient or permanent: what to do with an update whose handling failed.

*Transient* failures go away by themselves, so the update is tried again (the webhook answers
503, polling does not acknowledge it): ``StorageUnavailable`` (the database unreachable, a
dropped connection, a pool timeout, a serialisation conflict), a ``ConcurrentUpdate``; the
Bot API unreachable, timing out, answering 5xx or 429.

*Permanent* failures come back on every try, so the update is put aside at once (a dead
letter, one kind answer to the citizen, the offset moves on): a 400 ``BadRequest`` or a 403
``Forbidden`` from any Bot API call (PTB derives ``BadRequest`` from ``NetworkError``: it is
checked first), ``StorageRefused`` (data the database refuses), and any other exception (a
bug does not fix itself on the next try). Which database failure is which is storage's
business (storage/errors.py): here only the domain's errors are read.

A transient failure that persists for one update is not retried for ever either: see
:class:`Attempts`.
"""

from __future__ import annotations

import asyncio
import time
import warnings
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, TypeVar

from telegram.error import (
    BadRequest,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
)

from domain.ports import ConcurrentUpdate, StorageRefused, StorageUnavailable

#: An update that failed transiently this many times, over at least this long, is put aside
#: (when the dead-letter table can be written: during a database outage nothing is put aside
#: and the updates wait for it). Ten tries over five minutes: a short Bot API or database
#: blip loses nothing, and one citizen's stuck update holds the others for minutes, not for
#: ever.
GIVE_UP_TRIES = 10
GIVE_UP_SECONDS = 300.0


def is_transient(error: BaseException) -> bool:
    """True when trying the same update again may succeed."""
    if isinstance(error, TelegramError):
        if isinstance(error, BadRequest | Forbidden | InvalidToken):
            return False  # before NetworkError: BadRequest is one
        return isinstance(error, NetworkError | RetryAfter)  # TimedOut is a NetworkError
    if isinstance(error, ConcurrentUpdate | StorageUnavailable):
        return True
    if isinstance(error, StorageRefused):
        return False
    return isinstance(error, OSError | ConnectionError | TimeoutError)


T = TypeVar("T")


async def after_sending(write: Callable[[], Awaitable[T]], tries: int = 4) -> T:
    """A database write that records what a Bot API call already did (a copy's link, a
    message delivered): tried again at once when the database blinked (a dropped pooled
    connection), since failing here makes the call be made twice."""
    for attempt in range(tries):
        try:
            return await write()
        except Exception as exc:
            if attempt == tries - 1 or isinstance(exc, TelegramError) or not is_transient(exc):
                raise
            await asyncio.sleep(0.02 * 2 ** attempt)
    raise AssertionError("unreachable")


def retry_seconds(exc: RetryAfter) -> float:
    """Telegram's wait, read without PTB's int/timedelta deprecation warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


@dataclass
class Failure:
    """Why an update is to be delivered again: where it failed, and the exception's type."""

    stage: str  # handle, send
    error: str


@dataclass
class Attempts:
    """Transient failures per update, in this process: when one update keeps failing
    (:data:`GIVE_UP_TRIES` tries over :data:`GIVE_UP_SECONDS`), it is given up on."""

    tries: int = GIVE_UP_TRIES
    seconds: float = GIVE_UP_SECONDS
    _seen: dict[int, tuple[int, float]] = field(default_factory=dict)

    def failed(self, update_id: int) -> int:
        """Count one more failure; returns how many so far."""
        count, first = self._seen.get(update_id, (0, time.monotonic()))
        self._seen[update_id] = (count + 1, first)
        if len(self._seen) > 10_000:  # updates long gone (another worker took them)
            self._seen.pop(next(iter(self._seen)))
        return count + 1

    def exhausted(self, update_id: int) -> bool:
        count, first = self._seen.get(update_id, (0, time.monotonic()))
        return count >= self.tries and time.monotonic() - first >= self.seconds

    def count(self, update_id: int) -> int:
        return self._seen.get(update_id, (0, 0.0))[0]

    def forget(self, update_id: int) -> None:
        self._seen.pop(update_id, None)


def raw_origin(item: Any) -> tuple[str | None, int | None, int | None, str | None]:
    """From a raw update PTB could not parse: its type, the sender, the private chat to
    answer in, the sender's language; whatever can be read safely."""
    if not isinstance(item, dict):
        return None, None, None, None
    kind = next((str(k) for k in item if k != "update_id"), None)
    body = item.get(kind) if kind else None
    if not isinstance(body, dict):
        return kind, None, None, None
    sender: dict[str, Any] = body["from"] if isinstance(body.get("from"), dict) else {}
    user = sender.get("id") if isinstance(sender.get("id"), int) else None
    language = sender.get("language_code")
    chat: Any = body.get("chat")
    if not isinstance(chat, dict) and isinstance(body.get("message"), dict):
        chat = body["message"].get("chat")
    private = None
    if isinstance(chat, dict) and chat.get("type") == "private" and isinstance(
            chat.get("id"), int):
        private = chat["id"]
    return kind, user, private, language if isinstance(language, str) else None
