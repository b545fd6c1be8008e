"""Staff -> citizen: a mediator's words in a citizen's thread go to the relay outbox (rows
written with the staff input), delivered in order per citizen at once and by the periodic job,
retried on transient errors; the thread is told of what could not be delivered."""

from __future__ import annotations

import functools
import logging
from typing import Any

from telegram import ReplyParameters, Update
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError

from domain.engine import Engine
from domain.messages import Reply
from domain.model import RelayMessage
from handlers.failures import after_sending, retry_seconds
from handlers.render import send_reply
from handlers.topics import close_thread

log = logging.getLogger(__name__)
RELAY_ROUNDS = 100  # rounds of one delivery pass (each: the next message of every citizen)


async def on_staff_message(update: Update, engine: Engine, bot: Any, staff_chat: int,
                           worker: str) -> None:
    """A message in the staff group: a command, or words for the citizen of that thread."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None or user.is_bot:
        return
    thread = message.message_thread_id if message.is_topic_message else None
    reply_to = None
    if message.reply_to_message is not None and (
            message.reply_to_message.message_id != thread):
        reply_to = message.reply_to_message.message_id
    kind = "text" if message.text is not None else "media"
    # What goes to the citizen is written to the relay outbox with the staff input.
    outcome = await engine.mediation.staff_input(
        user.id, thread, message.text or message.caption, kind, reply_to,
        message_id=message.message_id, update_id=update.update_id)
    if outcome is None:
        return  # not registered staff, or not a citizen's thread: nothing happens
    for text in outcome.to_thread:
        await bot.send_message(staff_chat, text, message_thread_id=thread)
    if outcome.citizen_id is not None:
        await deliver_relay(bot, engine, staff_chat, worker, outcome.citizen_id)
    if outcome.close_thread and thread is not None:
        await close_thread(bot, staff_chat, thread)


async def deliver_relay(bot: Any, engine: Engine, staff_chat: int, worker: str,
                        citizen_id: int | None = None) -> int:
    """Deliver staff messages waiting for citizens (or one citizen), each citizen's in order;
    the number delivered. Claimed atomically: two workers never send one twice."""
    delivered = 0
    for _ in range(RELAY_ROUNDS):
        messages = await engine.mediation.take_relay(worker, citizen_id)
        if not messages:
            break
        for message in messages:
            delivered += await _deliver_to_citizen(bot, engine, staff_chat, message)
    return delivered


async def _deliver_to_citizen(bot: Any, engine: Engine, staff_chat: int,
                              message: RelayMessage) -> int:
    citizen = message.citizen_id
    try:
        if message.copy:
            if message.staff_message_id is None:
                raise BadRequest("no staff message to copy")
            copied = await bot.copy_message(
                citizen, staff_chat, message.staff_message_id,
                reply_parameters=ReplyParameters(message.reply_to,
                                                 allow_sending_without_reply=True)
                if message.reply_to else None)
            sent: int | None = int(copied.message_id)
        else:
            sent = await send_reply(bot, citizen, Reply.from_record(message.reply or {}))
    except Forbidden:
        log.info("a citizen blocked the bot; a staff message was not delivered")
        await _not_delivered(bot, engine, staff_chat, message, blocked=True)
        return 0
    except RetryAfter as exc:
        await engine.mediation.relay_retry(message, retry_seconds(exc))
        return 0
    except BadRequest as exc:  # permanent: the next messages must not wait for it
        log.warning("Telegram refused a staff message for a citizen (%s)", type(exc).__name__)
        await _not_delivered(bot, engine, staff_chat, message)
        return 0
    except TelegramError as exc:  # 5xx, a timeout, a broken connection: later
        log.warning("a staff message for a citizen not delivered yet (%s); retried later",
                    type(exc).__name__)
        if not await engine.mediation.relay_retry(message):
            await _not_delivered(bot, engine, staff_chat, message, in_time=False)
        return 0
    await after_sending(functools.partial(engine.mediation.relay_delivered, message, sent))
    return 1


async def _not_delivered(bot: Any, engine: Engine, staff_chat: int, message: RelayMessage,
                         blocked: bool = False, in_time: bool = True) -> None:
    """Recorded as undelivered, and the thread told (next to the staff message)."""
    notice = await engine.mediation.relay_failed(message, blocked=blocked, in_time=in_time)
    try:
        await bot.send_message(
            staff_chat, notice, message_thread_id=message.thread_id,
            reply_parameters=ReplyParameters(message.staff_message_id,
                                             allow_sending_without_reply=True)
            if message.staff_message_id else None)
    except TelegramError as exc:
        log.warning("the thread could not be told of an undelivered message (%s)",
                    type(exc).__name__)
