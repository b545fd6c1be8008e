"""Logging set-up: our own messages at the chosen level, libraries that could print message
texts (the Bot API client logs request parameters at DEBUG) never below INFO/WARNING.

And, whatever logs later, at any level: no message text, name, phone number or token in a
log line. Every record is made safe when it is created (a log-record factory, so handlers
added later, pytest's or uvicorn's, get safe records too) and again by a filter on the root
handlers:

- a library's record keeps its template; its arguments are shown only when they are numbers
  (a string argument may be what somebody wrote), and only its first line is kept;
- an exception is shown as its type and traceback frames, never its message, which may carry
  data (SQLAlchemy's holds the statement's parameters, a database's the offending value);
  SQLAlchemy's errors show the SQL (without parameters), Telegram's the API's description;
- the bot token (``123456:ABC...``), and any secret registered here, is blanked everywhere.

Uncaught exceptions (``sys.excepthook``, threads) go through the same rendering.
"""

from __future__ import annotations

import logging
import re
import sys
import threading
import traceback
from collections.abc import Callable
from enum import Enum
from types import TracebackType
from typing import Any

from sqlalchemy.exc import StatementError
from telegram.error import TelegramError

#: Libraries whose DEBUG output can contain what citizens wrote, or SQL parameters.
QUIET = {
    "telegram": logging.INFO, "httpx": logging.WARNING, "httpcore": logging.WARNING,
    "aiosqlite": logging.WARNING, "sqlalchemy": logging.WARNING, "asyncpg": logging.WARNING,
    "apscheduler": logging.WARNING, "uvicorn.access": logging.WARNING,
}
#: Our own packages: their log lines are written to hold no personal data, so their
#: arguments are formatted (type names, counts, ids of nothing personal).
OWN = ("bot", "handlers", "domain", "storage", "nlu", "__main__")
#: A Bot API token: digits, a colon, then the secret part (``123456:ABC-DEF...``).
TOKEN_SHAPE = re.compile(r"(?<!\d)\d{3,}:[A-Za-z0-9_-]{6,}")
BLANK = "[hidden]"
QUOTED = re.compile(r'"[^"]*"')  # an API error may quote a piece of the text it refused
_SECRETS: set[str] = set()
_HANDLER_NAME = "teams-bot"
_MARK = "_teams_safe"


def register_secret(value: str | None) -> None:
    """A secret to blank wherever it appears (the configured bot token, whatever its shape)."""
    if value and len(value) >= 6:
        _SECRETS.add(value)


def redact(text: str) -> str:
    for secret in _SECRETS:
        text = text.replace(secret, BLANK)
    return TOKEN_SHAPE.sub(BLANK, text)


def _type_name(kind: type[BaseException]) -> str:
    module = kind.__module__
    return kind.__qualname__ if module == "builtins" else f"{module}.{kind.__qualname__}"


def describe(error: BaseException) -> str:
    """One line for an exception, without its message (which may carry data)."""
    name = _type_name(type(error))
    if isinstance(error, StatementError):
        parts = []
        orig = getattr(error, "orig", None)
        if orig is not None:
            state = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
            parts.append(_type_name(type(orig)) + (f" (SQLSTATE {state})" if state else ""))
        statement = " ".join(str(error.statement or "").split())
        if statement:
            parts.append(f"SQL: {redact(statement[:300])}")
        return f"{name}: " + "; ".join(parts) + " [parameters and message not logged]"
    if isinstance(error, TelegramError):  # the Bot API's description, quotes blanked
        description = QUOTED.sub('"…"', redact(str(error.message)))
        return f"{name}: {description[:300]}"
    return f"{name} [message not logged]"


def safe_traceback(error: BaseException) -> str:
    """Like ``traceback.format_exception``, each exception of the chain as type + frames."""
    chain: list[tuple[BaseException, str]] = []
    seen: set[int] = set()
    current: BaseException | None = error
    link = ""
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        chain.append((current, link))
        if current.__cause__ is not None:
            current, link = current.__cause__, (
                "The above exception was the direct cause of the following exception:")
        elif current.__context__ is not None and not current.__suppress_context__:
            current, link = current.__context__, (
                "During handling of the above exception, another exception occurred:")
        else:
            current = None
    lines: list[str] = []
    for index, (exc, _) in enumerate(reversed(chain)):
        if index:
            lines.append("\n" + chain[len(chain) - index][1] + "\n\n")
        if exc.__traceback__ is not None:
            lines.append("Traceback (most recent call last):\n")
            lines.extend(traceback.format_tb(exc.__traceback__))
        lines.append(describe(exc) + "\n")
        for sub in getattr(exc, "exceptions", None) or ():  # an exception group
            if isinstance(sub, BaseException):
                lines.append(f"  + {describe(sub)}\n")
    return redact("".join(lines)).rstrip("\n")


def _is_own(name: str) -> bool:
    return any(name == own or name.startswith(own + ".") for own in OWN)


def _safe_argument(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | Enum):
        return value
    return f"<{type(value).__name__}>"


def make_safe(record: logging.LogRecord) -> logging.LogRecord:
    """Rewrite a record so that formatting it shows no personal data (idempotent)."""
    if getattr(record, _MARK, False):
        return record
    if _is_own(record.name):
        try:
            message = record.getMessage()
        except Exception:  # a broken format: say so rather than fail
            message = f"{record.msg!r} (arguments not formatted)"
    else:
        template = record.msg if isinstance(record.msg, str) else (
            f"<{type(record.msg).__name__}>")
        template = template.split("\n", 1)[0][:500]
        args = record.args
        try:
            if isinstance(args, dict):
                message = template % {k: _safe_argument(v) for k, v in args.items()}
            elif args:
                message = template % tuple(_safe_argument(a) for a in args)
            else:
                message = template
        except (TypeError, ValueError, KeyError):
            message = template + " (arguments not logged)"
    record.msg, record.args = redact(message), None
    if record.exc_info and record.exc_info[1] is not None:
        record.exc_text = safe_traceback(record.exc_info[1])
    elif record.exc_text:
        record.exc_text = redact(record.exc_text)
    record.exc_info = None
    if record.stack_info:
        record.stack_info = redact(record.stack_info)
    setattr(record, _MARK, True)
    return record


class PrivacyFilter(logging.Filter):
    """On a handler: makes each record safe before it is formatted (never drops one)."""

    def filter(self, record: logging.LogRecord) -> bool:
        make_safe(record)
        return True


_previous_factory: Callable[..., logging.LogRecord] | None = None


def _install_factory() -> None:
    global _previous_factory
    if _previous_factory is not None:
        return
    previous = logging.getLogRecordFactory()
    _previous_factory = previous

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        return make_safe(previous(*args, **kwargs))

    logging.setLogRecordFactory(factory)


def _excepthook(kind: type[BaseException], error: BaseException,
                tb: TracebackType | None) -> None:
    if issubclass(kind, KeyboardInterrupt):
        sys.__excepthook__(kind, error, tb)
        return
    logging.getLogger("bot").critical("uncaught exception", exc_info=(kind, error, tb))


def _thread_excepthook(args: threading.ExceptHookArgs) -> None:
    if args.exc_value is not None:
        logging.getLogger("bot").critical(
            "uncaught exception in a thread",
            exc_info=(args.exc_type, args.exc_value, args.exc_traceback))


def configure(level: int = logging.INFO, secrets: tuple[str | None, ...] = ()) -> None:
    for secret in secrets:
        register_secret(secret)
    _install_factory()
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == _HANDLER_NAME]:
        root.removeHandler(old)
    handler = logging.StreamHandler(sys.stderr)
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    for each in root.handlers:
        if not any(isinstance(f, PrivacyFilter) for f in each.filters):
            each.addFilter(PrivacyFilter())
    root.setLevel(level)
    for name, floor in QUIET.items():
        logging.getLogger(name).setLevel(max(level, floor))
    sys.excepthook = _excepthook
    threading.excepthook = _thread_excepthook
