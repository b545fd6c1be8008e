"""What every handler shares: the typed ``bot_data`` (:class:`BotData`), the callback
context, the engine, this process's worker name."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass, field
from typing import Any

from telegram import Update
from telegram.ext import CallbackContext, ExtBot
from telegram.request import BaseRequest

from domain.engine import Engine
from domain.ports import Translations
from domain.speech import Speaker
from handlers.albums import Albums
from handlers.failures import Attempts, Failure
from handlers.flood import CitizenTurns, FloodGuard
from handlers.speech import Listener

WORKER = f"{socket.gethostname()}:{os.getpid()}"  # who claims outbox rows


@dataclass
class BotData:
    """What the handlers need, typed instead of string keys in ``bot_data``."""

    engine: Engine | None = None
    translations: Translations | None = None
    staff_chat_id: int | None = None
    public_url: str | None = None  # where the HTTP app is reached (calendar feeds)
    speaker: Speaker | None = None  # answers read aloud ("🔊 Listen"); None: not offered
    flood: FloodGuard = field(default_factory=FloodGuard)
    turns: CitizenTurns = field(default_factory=CitizenTurns)  # one update a citizen at a time
    albums: Albums = field(default_factory=Albums)  # album parts gathered for the staff
    speech: Listener | None = None  # voice notes heard (TEAMS_SPEECH_MODEL), else a person
    # Updates to be delivered again (storage away, replies not sent): the webhook answers
    # 503, polling does not acknowledge them. A set, as updates are handled concurrently.
    failed: set[int] = field(default_factory=set)
    # Why each of those failed (stage, error type): what a dead letter records if the
    # update is given up on (handlers/failures.py).
    failures: dict[int, Failure] = field(default_factory=dict)
    # Transient failures per update, counted by the webhook (polling counts its own).
    attempts: Attempts = field(default_factory=Attempts)
    # Citizens told "technical problem" during the current storage outage: told once, not
    # on every redelivery. Cleared as soon as a turn goes through (the outage is over).
    apologised: set[int] = field(default_factory=set)
    # Updates whose failed turn was answered with the emergency numbers: not again on their
    # redelivery.
    danger_answered: set[int] = field(default_factory=set)
    # The HTTP layer that fetches updates (polling reads them raw, to parse each alone).
    updates_request: BaseRequest | None = None


Context = CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], BotData]


def engine_of(context: Context) -> Engine:
    engine = context.bot_data.engine
    if engine is None:
        raise RuntimeError("the engine is not wired")
    return engine


def kind_of(update: Update) -> str | None:
    """The update's type (message, callback_query, ...): no content."""
    data = update.to_dict()
    return next((key for key in data if key != "update_id"), None)
