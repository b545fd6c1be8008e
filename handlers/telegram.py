"""Turn Telegram updates into the engine's inbound messages and its replies into Bot API calls."""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import socket
import time
from dataclasses import dataclass, field, replace
from typing import Any

from telegram import (
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    Message,
    Update,
)
from telegram.constants import ChatType, MessageLimit
from telegram.error import (
    BadRequest,
    Forbidden,
    TelegramError,
)
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackContext,
    CallbackQueryHandler,
    ChatMemberHandler,
    ExtBot,
    MessageHandler,
    filters,
)
from telegram.request import BaseRequest, HTTPXRequest

from domain import payloads
from domain.engine import Engine
from domain.languages import LANGUAGES, normalise_language
from domain.messages import ContentType, Inbound, Reply
from domain.model import DeadLetter
from domain.payloads import MAX_BYTES
from domain.ports import Translations
from domain.text import N_
from handlers.failures import Attempts, Failure, after_sending, is_transient
from handlers.flood import CitizenTurns, FloodGuard
from handlers.handover import (
    Albums,
    after_citizen_turn,
    delete_staff_copies,
    deliver_relay,
    on_edit,
    on_staff_message,
)
from handlers.metrics import (
    DEAD_LETTERS,
    ERRORS,
    FLOOD_SLOWED,
    HANDOVERS_WAITING,
    REPLY_LATENCY,
    UPDATES,
)
from handlers.staff import STAFF_COMMANDS, staff_button, staff_command, tell_removed_staff

log = logging.getLogger(__name__)

COMMANDS: tuple[tuple[str, str], ...] = (
    ("start", N_("Start again")),
    ("menu", N_("Main menu")),
    ("appointments", N_("My appointments")),
    ("language", N_("Change language")),
    ("human", N_("Talk to a person")),
    ("privacy", N_("Your data")),
    ("help", N_("Help")),
)
DESCRIPTION = N_(
    "Automated assistant of TEAMS, the orientation service for foreign citizens. Ask about "
    "documents, health, work, school and housing in your language, or reach a person."
)
SHORT_DESCRIPTION = N_("TEAMS orientation service: answers in your language.")


@dataclass
class BotData:
    """What the handlers need, typed instead of string keys in ``bot_data``."""

    engine: Engine | None = None
    translations: Translations | None = None
    staff_chat_id: int | None = None
    public_url: str | None = None  # where the HTTP app is reached (calendar feeds)
    flood: FloodGuard = field(default_factory=FloodGuard)
    turns: CitizenTurns = field(default_factory=CitizenTurns)  # one update a citizen at a time
    albums: Albums = field(default_factory=Albums)  # album parts gathered for the staff
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


def split_text(text: str, limit: int = MessageLimit.MAX_TEXT_LENGTH) -> list[str]:
    """Split a long text at line breaks (or spaces) into pieces Telegram accepts."""
    pieces: list[str] = []
    while len(text) > limit:
        cut = text.rfind("\n", 0, limit)
        if cut < limit // 2:
            cut = text.rfind(" ", 0, limit)
        if cut < limit // 2:
            cut = limit
        pieces.append(text[:cut])
        text = text[cut:].lstrip("\n ")
    pieces.append(text)
    return pieces


def keyboard(reply: Reply) -> InlineKeyboardMarkup | None:
    if not reply.buttons:
        return None
    rows = []
    for row in reply.buttons:
        cells = []
        for button in row:
            if len(button.payload.encode()) > MAX_BYTES:
                raise ValueError("button payload longer than Telegram allows")
            cells.append(InlineKeyboardButton(button.label, callback_data=button.payload))
        rows.append(cells)
    return InlineKeyboardMarkup(rows)


WORKER = f"{socket.gethostname()}:{os.getpid()}"
BOT_API_CONNECTIONS = 32


async def send_replies(bot: Any, chat_id: int, replies: list[Reply],
                       pressed: Message | None = None, blocked: Any = None) -> None:
    """Render the engine's replies as Bot API calls; ``pressed`` is the message whose button
    was pressed, which an ``edit`` reply replaces (a toggled keyboard)."""
    for reply in replies:
        try:
            await send_reply(bot, chat_id, reply, pressed)
        except Forbidden:
            log.info("a citizen blocked the bot; reply not delivered")
            if blocked is not None:
                await blocked(chat_id)
            return


async def send_reply(bot: Any, chat_id: int, reply: Reply,
                     pressed: Message | None = None) -> int | None:
    """Send one reply (errors are the caller's); the id of the (last) message sent."""
    if not reply.text and reply.file is None:
        return None  # an event only (relay to a person): nothing to say
    if reply.edit and pressed is not None and reply.file is None:
        try:
            await bot.edit_message_text(
                reply.text[: MessageLimit.MAX_TEXT_LENGTH], chat_id=chat_id,
                message_id=pressed.message_id, reply_markup=keyboard(reply))
            return pressed.message_id
        except BadRequest:
            pass  # too old to edit, or unchanged: send it instead
    if reply.file is not None:
        sent = await bot.send_document(
            chat_id, InputFile(reply.file.content, filename=reply.file.filename),
            caption=reply.text[: MessageLimit.CAPTION_LENGTH] or None,
            reply_markup=keyboard(reply),
        )
        return int(sent.message_id)
    pieces = split_text(reply.text)
    last_id = None
    for index, piece in enumerate(pieces):
        last = index == len(pieces) - 1
        sent = await bot.send_message(
            chat_id, piece, reply_markup=keyboard(reply) if last else None,
            link_preview_options=None,
        )
        last_id = int(sent.message_id)
    return last_id


def _engine(context: Context) -> Engine:
    engine = context.bot_data.engine
    if engine is None:
        raise RuntimeError("the engine is not wired")
    return engine


SLOW_DOWN = N_("You are writing very fast. I answer one message at a time: please wait a "
               "moment.")
SORRY = N_("Sorry, I have a technical problem right now. Please write again in a few "
           "minutes.")
SORRY_FOR_GOOD = N_("Sorry, I could not handle this message. Please open the menu, or ask "
                    "for a person: someone from the TEAMS service will answer you.")
MENU_BUTTON = N_("Main menu")
PERSON_BUTTON = N_("Talk to a person")
STORAGE_ERRORS: tuple[type[BaseException], ...] = (OSError, ConnectionError, TimeoutError)


def _storage_errors() -> tuple[type[BaseException], ...]:
    from sqlalchemy.exc import DBAPIError, OperationalError
    from sqlalchemy.exc import TimeoutError as PoolTimeout

    return (*STORAGE_ERRORS, OperationalError, DBAPIError, PoolTimeout)


def is_stale_connection(error: BaseException) -> bool:
    """A pooled connection the database had dropped (a restart, an idle timeout)."""
    return bool(getattr(error, "connection_invalidated", False))


async def _handle_once_more_if_stale(engine: Engine, inbound: Inbound) -> list[Reply]:
    """Run the engine; once more if the first try met a dropped connection. Safe: the
    failed transaction was rolled back, or it committed and the update log makes the second
    run return the kept replies instead of acting twice."""
    try:
        return await engine.handle(inbound)
    except _storage_errors() as exc:
        if not is_stale_connection(exc):
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
        replies = await _handle_once_more_if_stale(_engine(context), inbound)
    except Exception as exc:
        ERRORS.labels(kind).inc()
        # Someone in danger gets the emergency numbers whatever failed, even the database.
        await _answer_danger(context, update.update_id, chat_id, inbound)
        if not is_transient(exc):
            if not await put_aside(context.bot, context.bot_data, update.update_id, "handle",
                                   exc, citizen=inbound.user_id, chat_id=chat_id,
                                   language_hint=inbound.language_hint, kind=_kind(update)):
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
    # The type and where it happened, never the exception's message (SQL parameters, a
    # citizen's words): the frames alone say which line failed.
    # Rendered by bot.logs as its type, frames and (SQLAlchemy) statement shape: never the
    # exception's message, which can hold SQL parameters or a citizen's words.
    exc_info = None if isinstance(error, str | TelegramError) else error
    log.error("update %s put aside at the %s stage: %s after %d tries", update_id, stage,
              name, attempts, exc_info=exc_info)
    engine = bot_data.engine
    if engine is None:
        return False
    try:
        language = await engine.put_aside(DeadLetter(
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
        kind=_kind(update))


async def sorry_for_good(bot: Any, bot_data: BotData, chat_id: int, language: str) -> None:
    """The one kind answer to a message that was put aside, with a way on."""
    translations = bot_data.translations

    def tr(text: str) -> str:
        return translations.gettext(language, text) if translations else text

    buttons = InlineKeyboardMarkup([[
        InlineKeyboardButton(tr(MENU_BUTTON), callback_data=payloads.make("menu")),
        InlineKeyboardButton(tr(PERSON_BUTTON), callback_data=payloads.make("human"))]])
    try:
        await bot.send_message(chat_id, tr(SORRY_FOR_GOOD), reply_markup=buttons)
    except TelegramError as exc:
        log.warning("the apology for an update put aside was not delivered (%s)",
                    type(exc).__name__)


Pending = list[tuple[asyncio.Future[None], Reply]]  # what is on its way, and for which reply


async def _deliver_replies(context: Context, update: Update, chat_id: int,
                           replies: list[Reply], message: Message | None,
                           pressed: Message | None) -> Pending | None:
    """Send the replies, each followed by its hand-over event; what is still on its way (an
    album being gathered) is returned for :func:`_confirm`. On a failure, None: what had not
    reached its chat yet stays kept with the update (what had, is not sent again), and the
    update is delivered again (webhook: 503; polling: not acknowledged)."""
    engine = _engine(context)
    pending: Pending = []
    blocked = False
    for index, reply in enumerate(replies):
        said = False
        try:
            if not blocked:
                try:
                    await send_reply(context.bot, chat_id, reply, pressed)
                except Forbidden:
                    log.info("a citizen blocked the bot; reply not delivered")
                    await engine.mark_blocked(chat_id)
                    blocked = True
            said = True
            futures = await after_citizen_turn(
                context.bot, engine, context.bot_data.staff_chat_id, message, chat_id,
                [reply], context.bot_data.albums)
            pending.extend((future, reply) for future in futures)
        except Exception as exc:
            rest = [replace(reply, text="", file=None, buttons=[]) if said else reply,
                    *replies[index + 1:]]
            await _keep_unsent(context, update, rest)
            await _not_delivered(context, update, exc)
            return None
    return pending


async def _keep_unsent(context: Context, update: Update, rest: list[Reply]) -> None:
    try:
        await after_sending(functools.partial(_engine(context).keep_unsent, update.update_id,
                                              rest))
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
                           kind=_kind(update)):
        retry_later(context.bot_data, update.update_id, "send", exc)


async def _confirm(context: Context, update: Update, pending: Pending) -> None:
    """Once everything of the update reached its chat, its kept replies are let go."""
    for future, reply in pending:
        try:
            await future
        except Exception as exc:
            await _keep_unsent(context, update, [replace(reply, text="", file=None,
                                                         buttons=[])])
            await _not_delivered(context, update, exc)
            return
    await _engine(context).replies_sent(update.update_id)


async def _answer_danger(context: Context, update_id: int, chat_id: int,
                         inbound: Inbound) -> None:
    """The emergency numbers for a text in danger whose turn failed; once per update."""
    answered = context.bot_data.danger_answered
    if update_id in answered:
        return
    try:
        replies = await _engine(context).danger_replies(inbound)
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
    if message.text and message.text.split(" ", 1)[0].split("@", 1)[0].lower() in (
            STAFF_COMMANDS) and await staff_command(
                update, _engine(context), context.bot, context.bot_data.staff_chat_id,
                context.bot_data.public_url):
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
    )
    await _citizen_turn(context, update, inbound, message.chat_id, "message", message)


async def _citizen_turn(context: Context, update: Update, inbound: Inbound, chat_id: int,
                        kind: str, message: Message | None = None,
                        pressed: Message | None = None) -> None:
    """One citizen update: handled and answered in the citizen's turn (in the order they
    were sent), then confirmed once whatever was on its way (an album) arrived."""
    async with context.bot_data.turns.of(inbound.user_id):
        replies = await _handle(context, update, inbound, chat_id, kind)
        if replies is None:
            return
        if update.update_id in context.bot_data.danger_answered:
            # The numbers went out when an earlier try of this update failed: not twice.
            context.bot_data.danger_answered.discard(update.update_id)
            replies = [r for r in replies if r.event != "emergency"]
        pending = await _deliver_replies(context, update, chat_id, replies, message, pressed)
    if pending is not None:
        await _confirm(context, update, pending)


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
            await staff_button(update, _engine(context), context.bot,
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


async def on_staff(update: Update, context: Context) -> None:
    """Route a staff-group message: staff tools, or the hand-over relay."""
    staff_chat = context.bot_data.staff_chat_id
    if await staff_command(update, _engine(context), context.bot, staff_chat,
                           context.bot_data.public_url):
        await deliver_due_now(context)
        return
    if staff_chat is not None:
        await on_staff_message(update, _engine(context), context.bot, staff_chat,
                               send_reply, WORKER)


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
    await on_edit(update, _engine(context), context.bot, context.bot_data.staff_chat_id)


async def deliver_due_now(context: Context) -> None:
    """Send what staff actions put in the outbox (a cancellation notice) at once."""
    engine = _engine(context)
    for message in await engine.take_outbox(WORKER):
        await _deliver(context, engine, message)


async def _deliver(context: Context, engine: Engine, message: Any) -> None:
    rows = [[InlineKeyboardButton(b["label"], callback_data=b["payload"]) for b in row]
            for row in message.buttons]
    try:
        await context.bot.send_message(message.citizen_id, message.text,
                                       reply_markup=InlineKeyboardMarkup(rows) if rows
                                       else None)
    except Forbidden:
        log.info("a citizen blocked the bot; a scheduled message was dropped")
        await engine.mark_blocked(message.citizen_id)
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
    engine = _engine(context)
    await engine.run_due_work(WORKER)
    HANDOVERS_WAITING.set(await engine.waiting_handovers())
    for message in await engine.take_outbox(WORKER):
        await _deliver(context, engine, message)
    staff_chat = context.bot_data.staff_chat_id
    if staff_chat is not None:
        await deliver_relay(context.bot, engine, staff_chat, send_reply, WORKER)
        # erased and retained-away cases
        await delete_staff_copies(context.bot, engine, staff_chat, WORKER)
    await tell_removed_staff(context.bot, engine, staff_chat)


async def on_member(update: Update, context: Context) -> None:
    """A citizen blocked (or unblocked) the bot in their private chat."""
    change = update.my_chat_member
    if change is None or change.chat.type != ChatType.PRIVATE:
        return
    status = change.new_chat_member.status
    await _engine(context).mark_blocked(change.chat.id, blocked=status == "kicked")


async def on_error(update: object, context: Context) -> None:
    """Log the failure without any message text; the process carries on. A permanent one
    (not a network or database blip) is put aside, and a citizen in a private chat told."""
    ERRORS.labels("unhandled").inc()
    error = context.error
    if (isinstance(update, Update) and error is not None and is_transient(error)
            and update.update_id not in context.bot_data.failed):
        # A staff message, a staff button, a staff command met the database or the Bot API
        # away: delivered again (webhook 503, polling not acknowledged), never lost.
        log.warning("update %s not handled (%s); it will come again", update.update_id,
                    type(error).__name__)
        retry_later(context.bot_data, update.update_id, "handle", error)
        return
    if (isinstance(update, Update) and error is not None and not is_transient(error)
            and update.update_id not in context.bot_data.failed):
        chat, user = update.effective_chat, update.effective_user
        private = chat is not None and chat.type == ChatType.PRIVATE
        await put_aside(context.bot, context.bot_data, update.update_id, "handle", error,
                        citizen=user.id if private and user else None,
                        chat_id=chat.id if private and chat else None,
                        language_hint=user.language_code if user else None,
                        kind=_kind(update))
        return
    log.error("update handling failed: %s", type(error).__name__,
              exc_info=(type(error), error, error.__traceback__) if error else None)


def _kind(update: Update) -> str | None:
    """The update's type (message, callback_query, ...): no content."""
    data = update.to_dict()
    return next((key for key in data if key != "update_id"), None)


async def publish_commands(application: Application[Any, Any, Any, Any, Any, Any],
                           translations: Translations, default_language: str) -> None:
    """Set the command menu and descriptions in every launch language."""
    bot = application.bot
    for language in (None, *LANGUAGES):
        lang = language or default_language
        commands = [BotCommand(name, translations.gettext(lang, text))
                    for name, text in COMMANDS]
        try:
            await bot.set_my_commands(commands, language_code=language)
            await bot.set_my_description(translations.gettext(lang, DESCRIPTION),
                                         language_code=language)
            await bot.set_my_short_description(translations.gettext(lang, SHORT_DESCRIPTION),
                                               language_code=language)
        except TelegramError as exc:
            log.warning("could not set commands for %s: %s", language or "default",
                        type(exc).__name__)


def build_application(
    token: str,
    base_url: str,
    base_file_url: str,
    request: BaseRequest | None = None,
    rate_limiter: bool = True,
    staff_chat_id: int | None = None,
    updater: bool = True,
) -> Application[Any, Any, Any, Any, Any, Any]:
    """A PTB application with our handlers; the HTTP layer can be replaced (tests)."""
    from telegram.ext import ContextTypes

    builder = (
        ApplicationBuilder()
        .token(token)
        .base_url(base_url)
        .base_file_url(base_file_url)
        .context_types(ContextTypes(bot_data=BotData))
        .concurrent_updates(True)
    )
    if request is not None:
        builder = builder.request(request).get_updates_request(request)
        updates_request: BaseRequest = request
    else:
        # PTB's default is one connection: with concurrent updates, replies would queue for
        # it and time out under load.
        builder = builder.connection_pool_size(BOT_API_CONNECTIONS).pool_timeout(10.0)
        updates_request = HTTPXRequest(connection_pool_size=1)  # the long poll's own
        builder = builder.get_updates_request(updates_request)
    if rate_limiter:
        builder = builder.rate_limiter(AIORateLimiter(max_retries=3))  # type: ignore[arg-type]
    if not updater:  # webhook served by our own HTTP app
        builder = builder.updater(None)
    application = builder.build()
    application.bot_data.staff_chat_id = staff_chat_id
    application.bot_data.updates_request = updates_request
    private = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
    application.add_handler(MessageHandler(private, on_message))
    application.add_handler(CallbackQueryHandler(on_button))
    application.add_handler(MessageHandler(filters.UpdateType.EDITED_MESSAGE, on_edited))
    application.add_handler(ChatMemberHandler(on_member, ChatMemberHandler.MY_CHAT_MEMBER))
    if staff_chat_id is not None:
        staff = (filters.Chat(staff_chat_id) & filters.UpdateType.MESSAGE
                 & ~filters.StatusUpdate.ALL)
        application.add_handler(MessageHandler(staff, on_staff))
    application.add_error_handler(on_error)
    return application
