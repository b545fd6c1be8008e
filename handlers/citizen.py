"""A citizen's update (a message, a button press, an edit) as one turn of the engine: read,
handled with flood control and a kind answer when the database is away, answered, each reply
followed by its hand-over event, then confirmed once everything reached its chat."""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from dataclasses import dataclass, replace
from typing import Any

from telegram import Message, Update
from telegram.constants import ChatType
from telegram.error import BadRequest, Forbidden, TelegramError

from domain.engine import Engine
from domain.events import Copies, Emergency
from domain.languages import normalise_language
from domain.messages import ContentType, Inbound, Reply
from domain.ports import ConnectionDropped
from domain.text import N_
from handlers.commands import parse_command
from handlers.context import Context, engine_of, kind_of
from handlers.deadletters import put_aside, retry_later
from handlers.delivery import deliver_due_now
from handlers.failures import after_sending, is_transient
from handlers.handover import after_citizen_turn, on_edit
from handlers.metrics import ERRORS, FLOOD_SLOWED, REPLY_LATENCY, UPDATES
from handlers.render import send_replies, send_reply
from handlers.staff import STAFF_COMMANDS, review_correction, staff_button, staff_command

log = logging.getLogger(__name__)

SLOW_DOWN = N_("You are writing very fast. I answer one message at a time: please wait a "
               "moment.")
SORRY = N_("Sorry, I have a technical problem right now. Please write again in a few "
           "minutes.")


def content_type(message: Message) -> ContentType:
    if message.text is not None:
        return ContentType.TEXT
    checks = (
        ("sticker", ContentType.STICKER), ("voice", ContentType.VOICE),
        ("audio", ContentType.AUDIO), ("photo", ContentType.PHOTO),
        ("video", ContentType.VIDEO), ("video_note", ContentType.VIDEO),
        ("animation", ContentType.VIDEO), ("document", ContentType.DOCUMENT),
        ("location", ContentType.LOCATION), ("venue", ContentType.LOCATION),
        ("contact", ContentType.CONTACT),
    )
    for attribute, kind in checks:
        if getattr(message, attribute, None):
            return kind
    return ContentType.OTHER


def is_stale_connection(error: BaseException) -> bool:
    """A pooled connection the database had dropped (a restart, an idle timeout)."""
    return isinstance(error, ConnectionDropped)


async def _handle_once_more_if_stale(engine: Engine, inbound: Inbound) -> list[Reply]:
    """Run the engine; once more if the first try met a dropped connection. Safe: the
    failed transaction was rolled back, or it committed and the update log makes the second
    run return the kept replies instead of acting twice."""
    try:
        return await engine.handle(inbound)
    except Exception as exc:
        if not is_stale_connection(exc):  # only a pooled connection the server had dropped
            raise
        log.warning("a database connection had been dropped; trying again")
        return await engine.handle(inbound)


async def _handle(context: Context, update: Update, inbound: Inbound, chat_id: int,
                  kind: str) -> list[Reply] | None:
    """Run the engine with flood control and a kind answer when the database is away.

    Called in the citizen's turn (:class:`CitizenTurns`): a flood is slowed down, one message
    after the other, never dropped; the citizen is told once to wait a moment.
    """
    UPDATES.labels(kind).inc()
    translations = context.bot_data.translations
    language = normalise_language(inbound.language_hint) or "it"
    flood = context.bot_data.flood
    delay, warn = flood.reserve(inbound.user_id, update.update_id)
    if warn:
        text = translations.gettext(language, SLOW_DOWN) if translations else SLOW_DOWN
        try:
            await context.bot.send_message(chat_id, text)
        except TelegramError as exc:  # only a courtesy
            log.info("the slow-down notice was not sent (%s)", type(exc).__name__)
    if delay > 0:
        FLOOD_SLOWED.inc()
        await flood.sleep(delay)
    started = time.perf_counter()
    try:
        replies = await _handle_once_more_if_stale(engine_of(context), inbound)
    except Exception as exc:
        ERRORS.labels(kind).inc()
        # Someone in danger gets the emergency numbers whatever failed, even the database.
        await _answer_danger(context, update.update_id, chat_id, inbound)
        if not is_transient(exc):
            if not await put_aside(context.bot, context.bot_data, update.update_id, "handle",
                                   exc, citizen=inbound.user_id, chat_id=chat_id,
                                   language_hint=inbound.language_hint, kind=kind_of(update)):
                retry_later(context.bot_data, update.update_id, "handle", exc)
            return None
        apologised = context.bot_data.apologised
        if inbound.user_id in apologised:
            log.error("storage unavailable (%s)", type(exc).__name__)
        else:  # once per citizen and outage, not on every redelivery
            log.error("storage unavailable (%s): apologised", type(exc).__name__)
            apologised.add(inbound.user_id)
            text = translations.gettext(language, SORRY) if translations else SORRY
            try:
                await context.bot.send_message(chat_id, text)
            except TelegramError as error:
                log.warning("apology not delivered (%s)", type(error).__name__)
        retry_later(context.bot_data, update.update_id, "handle", exc)
        return None
    context.bot_data.apologised.clear()  # storage works: the next outage is a new one
    REPLY_LATENCY.observe(time.perf_counter() - started)
    return replies


Pending = list[tuple[asyncio.Future[None], Reply]]  # what is on its way, and for which reply


@dataclass
class Delivered:
    """What a turn's sending left to confirm: what is on its way, and the copies made."""

    pending: Pending
    copies: Copies


async def _deliver_replies(context: Context, update: Update, chat_id: int,
                           replies: list[Reply], message: Message | None,
                           pressed: Message | None) -> Delivered | None:
    """Send the replies, each followed by its hand-over event; what is still on its way (an
    album being gathered) is returned for :func:`_confirm`. On a failure, None: what had not
    reached its chat yet stays kept with the update (what had, is not sent again), and the
    update is delivered again (webhook: 503; polling: not acknowledged)."""
    engine = engine_of(context)
    pending: Pending = []
    copies = Copies(chat_id)
    blocked = False
    for index, reply in enumerate(replies):
        said = False
        try:
            if not blocked:
                try:
                    await send_reply(context.bot, chat_id, reply, pressed,
                                     context.bot_data.speaker)
                except Forbidden:
                    log.info("a citizen blocked the bot; reply not delivered")
                    await engine.mark_blocked(chat_id)
                    blocked = True
            said = True
            futures = await after_citizen_turn(
                context.bot, engine, context.bot_data.staff_chat_id, message, chat_id,
                [reply], copies, context.bot_data.albums)
            pending.extend((future, reply) for future in futures)
        except Exception as exc:
            rest = [replace(reply, text="", file=None, buttons=[], voice=None) if said
                    else reply,
                    *replies[index + 1:]]
            await _keep_unsent(context, update, rest, copies)
            await _not_delivered(context, update, exc)
            return None
    return Delivered(pending, copies)


async def _keep_unsent(context: Context, update: Update, rest: list[Reply],
                       copies: Copies | None = None) -> None:
    engine = engine_of(context)
    try:
        if copies:  # what was copied before the failure stays linked
            await after_sending(functools.partial(engine.handover.record_copies, copies,
                                                  None))
        await after_sending(functools.partial(engine.keep_unsent, update.update_id, rest))
    except Exception as exc:  # then all of them come again: a repeat, never a loss
        log.warning("what was sent could not be recorded (%s)", type(exc).__name__)


async def _not_delivered(context: Context, update: Update, exc: BaseException) -> None:
    """A transient failure: the update comes again. A permanent one (a 400 such as a forum
    topic refused, "not enough rights"; a 403 from the staff group; a bug) would be the same
    on every redelivery: it is put aside, and what was sent stays sent, once."""
    ERRORS.labels("send").inc()
    if is_transient(exc):
        log.warning("replies not delivered (%s); kept for the redelivery", type(exc).__name__)
        retry_later(context.bot_data, update.update_id, "send", exc)
        return
    chat, user = update.effective_chat, update.effective_user
    chat_id = chat.id if chat is not None else None
    if not await put_aside(context.bot, context.bot_data, update.update_id, "send", exc,
                           citizen=chat_id, chat_id=chat_id,
                           language_hint=user.language_code if user else None,
                           kind=kind_of(update)):
        retry_later(context.bot_data, update.update_id, "send", exc)


async def _confirm(context: Context, update: Update, delivered: Delivered) -> None:
    """Once everything of the update reached its chat, its kept replies are let go (with
    the copies made, in one transaction)."""
    for future, reply in delivered.pending:
        try:
            await future
        except Exception as exc:
            await _keep_unsent(context, update, [replace(reply, text="", file=None,
                                                         buttons=[], voice=None)],
                               delivered.copies)
            await _not_delivered(context, update, exc)
            return
    if delivered.copies:  # what was copied must be recorded, or it is copied again
        await after_sending(functools.partial(engine_of(context).replies_sent,
                                              update.update_id, delivered.copies))
    else:
        await engine_of(context).replies_sent(update.update_id)


async def _answer_danger(context: Context, update_id: int, chat_id: int,
                         inbound: Inbound) -> None:
    """The emergency numbers for a text in danger whose turn failed; once per update."""
    answered = context.bot_data.danger_answered
    if update_id in answered:
        return
    try:
        replies = await engine_of(context).safety.danger_replies(inbound)
        if replies:
            await send_replies(context.bot, chat_id, replies)
            if len(answered) >= 10_000:
                answered.clear()
            answered.add(update_id)
    except Exception as exc:  # the apology and the redelivery still follow
        log.error("emergency numbers not sent (%s)", type(exc).__name__)


async def on_message(update: Update, context: Context) -> None:
    """Hand a private message (text, command or media) to the engine and send its replies."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None or user.is_bot:
        return
    if message.reply_to_message is not None and await review_correction(
            update, engine_of(context), context.bot, context.bot_data.staff_chat_id):
        return
    if (message.text and parse_command(message.text)[0] in STAFF_COMMANDS
            and await staff_command(update, engine_of(context), context.bot,
                                    context.bot_data.staff_chat_id,
                                    context.bot_data.public_url)):
        await deliver_due_now(context)
        return
    kind = content_type(message)
    inbound = Inbound(
        user_id=user.id,
        text=message.text if kind == ContentType.TEXT else None,
        language_hint=user.language_code,
        content_type=kind,
        caption=message.caption,
        update_id=update.update_id,
        reply_to=(message.reply_to_message.message_id
                  if message.reply_to_message is not None else None),
        message_id=message.message_id,
    )
    await _citizen_turn(context, update, inbound, message.chat_id, "message", message)


async def _citizen_turn(context: Context, update: Update, inbound: Inbound, chat_id: int,
                        kind: str, message: Message | None = None,
                        pressed: Message | None = None) -> None:
    """One citizen update: handled and answered in the citizen's turn (in the order they
    were sent), then confirmed once whatever was on its way (an album) arrived."""
    async with context.bot_data.turns.of(inbound.user_id):
        speech = context.bot_data.speech
        if speech is not None and message is not None and message.voice is not None:
            inbound = await speech.hear(context.bot, message, inbound)  # in the citizen's turn
        replies = await _handle(context, update, inbound, chat_id, kind)
        if replies is None:
            return
        if update.update_id in context.bot_data.danger_answered:
            # The numbers went out when an earlier try of this update failed: not twice.
            context.bot_data.danger_answered.discard(update.update_id)
            replies = [r for r in replies if not isinstance(r.event, Emergency)]
        delivered = await _deliver_replies(context, update, chat_id, replies, message,
                                           pressed)
    if delivered is not None:
        await _confirm(context, update, delivered)


async def on_button(update: Update, context: Context) -> None:
    """Answer an inline-button press; stale or forged data gets the engine's kind answer."""
    query, user = update.callback_query, update.effective_user
    if query is None or user is None:
        return
    # Stop the button's spinner while the press is handled, not before: the answer would
    # otherwise wait one more round trip to Telegram.
    answering = asyncio.ensure_future(_answer_query(query))
    try:
        if (query.data or "").startswith("stf:"):
            await staff_button(update, engine_of(context), context.bot,
                               context.bot_data.staff_chat_id)
            await deliver_due_now(context)
            return
        chat = update.effective_chat
        if chat is not None and chat.type != ChatType.PRIVATE:
            return
        inbound = Inbound(
            user_id=user.id, payload=query.data or "", language_hint=user.language_code,
            content_type=ContentType.BUTTON, update_id=update.update_id,
        )
        pressed = query.message if isinstance(query.message, Message) else None
        await _citizen_turn(context, update, inbound, user.id, "button", pressed=pressed)
    finally:
        await answering


async def _answer_query(query: Any) -> None:
    try:
        await query.answer()
    except BadRequest:
        pass  # the query is too old to answer; the press is still handled
    except TelegramError as exc:  # only the spinner stays: the press is handled anyway
        log.info("button press not acknowledged (%s)", type(exc).__name__)


async def on_edited(update: Update, context: Context) -> None:
    """A citizen's edit is read for danger, like any text; text edits follow across the
    relay."""
    message, user = update.edited_message, update.effective_user
    if (message is not None and user is not None and not user.is_bot
            and message.chat.type == ChatType.PRIVATE
            and (message.text or message.caption)):
        inbound = Inbound(
            user_id=user.id, text=message.text or message.caption,
            language_hint=user.language_code, update_id=update.update_id, edited=True,
        )
        await _citizen_turn(context, update, inbound, message.chat_id, "edit")
    await on_edit(update, engine_of(context), context.bot, context.bot_data.staff_chat_id)

