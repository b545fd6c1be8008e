"""Updates given up on: retried later (a transient failure), or put aside as a dead letter
(no text) with one kind answer to the citizen, in their language, and a way on."""

from __future__ import annotations

import logging
from typing import Any

from telegram import Update
from telegram.constants import ChatType
from telegram.error import TelegramError

from domain import payloads
from domain.languages import normalise_language
from domain.messages import Button
from domain.model import DeadLetter
from domain.text import N_
from handlers.context import BotData, kind_of
from handlers.failures import Failure
from handlers.metrics import DEAD_LETTERS
from handlers.render import keyboard

log = logging.getLogger(__name__)

SORRY_FOR_GOOD = N_("Sorry, I could not handle this message. Please open the menu, or ask "
                    "for a person: someone from the TEAMS service will answer you.")
MENU_BUTTON = N_("Main menu")
PERSON_BUTTON = N_("Talk to a person")


def retry_later(bot_data: BotData, update_id: int, stage: str, error: BaseException) -> None:
    """The update is to be delivered again (a transient failure)."""
    bot_data.failed.add(update_id)
    bot_data.failures[update_id] = Failure(stage, type(error).__name__)


async def put_aside(bot: Any, bot_data: BotData, update_id: int | None, stage: str,
                    error: BaseException | str, *, citizen: int | None = None,
                    chat_id: int | None = None, language_hint: str | None = None,
                    attempts: int = 1, kind: str | None = None) -> bool:
    """Give up on an update: record it as a dead letter (no text), answer the citizen kindly
    once, in their language. False when it could not be recorded (the database is away):
    then it must be delivered again rather than lost."""
    name = error if isinstance(error, str) else type(error).__name__
    # Rendered by bot.logs as its type, frames and (SQLAlchemy) statement shape: never the
    # exception's message, which can hold SQL parameters or a citizen's words.
    exc_info = None if isinstance(error, str | TelegramError) else error
    log.error("update %s put aside at the %s stage: %s after %d tries", update_id, stage,
              name, attempts, exc_info=exc_info)
    engine = bot_data.engine
    if engine is None:
        return False
    try:
        language = await engine.dead_letters.put_aside(DeadLetter(
            update_id, citizen, engine.clock.now(), stage, name, attempts, kind))
        if stage == "send" and update_id is not None:
            await engine.replies_sent(update_id)  # what was sent stays sent, once
    except Exception as exc:
        log.error("update %s could not be put aside (%s); it will come again", update_id,
                  type(exc).__name__)
        return False
    DEAD_LETTERS.labels(stage).inc()
    bot_data.failed.discard(update_id or 0)
    bot_data.failures.pop(update_id or 0, None)
    if chat_id is not None and chat_id > 0:  # a private chat: the citizen is told
        await sorry_for_good(bot, bot_data, chat_id,
                             language or normalise_language(language_hint) or "it")
    return True


async def give_up(bot: Any, bot_data: BotData, update: Update, failure: Failure | None,
                  tries: int) -> bool:
    """A transient failure that persisted for one update: put it aside, so that the updates
    behind it flow (polling gets at most 100 per getUpdates). False when it could not be
    recorded (the database is still away)."""
    chat, user = update.effective_chat, update.effective_user
    private = chat is not None and chat.type == ChatType.PRIVATE
    return await put_aside(
        bot, bot_data, update.update_id, failure.stage if failure else "handle",
        failure.error if failure else "unknown",
        citizen=user.id if private and user else None,
        chat_id=chat.id if private and chat else None,
        language_hint=user.language_code if user else None, attempts=tries,
        kind=kind_of(update))


async def sorry_for_good(bot: Any, bot_data: BotData, chat_id: int, language: str) -> None:
    """The one kind answer to a message that was put aside, with a way on."""
    translations = bot_data.translations

    def tr(text: str) -> str:
        return translations.gettext(language, text) if translations else text

    buttons = [[Button(tr(MENU_BUTTON), payloads.make("menu")),
                Button(tr(PERSON_BUTTON), payloads.make("human"))]]
    try:
        await bot.send_message(chat_id, tr(SORRY_FOR_GOOD), reply_markup=keyboard(buttons))
    except TelegramError as exc:
        log.warning("the apology for an update put aside was not delivered (%s)",
                    type(exc).__name__)
