"""The outbox job: reminders, waiting-list offers and staff notices become messages and are
delivered; staff messages still waiting for their citizen, staff copies to delete and staff
removals to tell are tried again."""

from __future__ import annotations

import functools
import logging

from telegram.error import BadRequest, Forbidden, TelegramError

from domain.engine import Engine
from domain.messages import Button
from domain.model import OutboundMessage
from handlers.context import WORKER, Context, engine_of
from handlers.failures import after_sending
from handlers.metrics import HANDOVERS_WAITING
from handlers.render import keyboard
from handlers.staff import tell_removed_staff
from handlers.staff_relay import deliver_relay
from handlers.topics import delete_staff_copies

log = logging.getLogger(__name__)


async def deliver_due_now(context: Context) -> None:
    """Send what staff actions put in the outbox (a cancellation notice) at once."""
    engine = engine_of(context)
    for message in await engine.take_outbox(WORKER):
        await _deliver(context, engine, message)


async def _deliver(context: Context, engine: Engine, message: OutboundMessage) -> None:
    rows = [[Button(b["label"], b["payload"]) for b in row] for row in message.buttons]
    try:
        await context.bot.send_message(message.citizen_id, message.text,
                                       reply_markup=keyboard(rows))
    except Forbidden:
        log.info("a citizen blocked the bot; a scheduled message was dropped")
        await engine.mark_blocked(message.citizen_id)
    except BadRequest as exc:  # the same on every try: not claimed again and again
        log.warning("a scheduled message was refused for good (%s); dropped",
                    type(exc).__name__)
    except TelegramError as exc:
        log.warning("scheduled message not delivered (%s); retried later",
                    type(exc).__name__)
        return
    assert message.id is not None
    await after_sending(functools.partial(engine.delivered, message.id))


async def deliver_due(context: Context) -> None:
    """Periodic job: reminders and waiting-list offers become messages, and are delivered;
    staff messages still waiting for their citizen (a failure before) are tried again.

    Messages are rows claimed atomically, so two workers never send one twice; one whose
    sender died is claimed again after a while.
    """
    engine = engine_of(context)
    await engine.run_due_work(WORKER)
    HANDOVERS_WAITING.set(await engine.waiting_handovers())
    for message in await engine.take_outbox(WORKER):
        await _deliver(context, engine, message)
    staff_chat = context.bot_data.staff_chat_id
    if staff_chat is not None:
        await deliver_relay(context.bot, engine, staff_chat, WORKER)
        # erased and retained-away cases
        await delete_staff_copies(context.bot, engine, staff_chat, WORKER)
    await tell_removed_staff(context.bot, engine, staff_chat)
