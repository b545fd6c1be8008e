"""Citizen -> staff: the relay from a citizen's private chat into their thread in the staff
supergroup, and text edits both ways.

The engine decides (escalate, relay, staff commands); this module carries out a citizen turn's
hand-over events: it has the thread opened (handlers/topics.py), copies the citizen's messages
(keeping captions and reply threads, an album as one album: handlers/albums.py), raises the
alarm, closes the thread. Copied while the citizen's update is handled; Telegram's flood waits
are sat out, other failures leave the update to be delivered again. Staff -> citizen is
handlers/staff_relay.py.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Message, ReplyParameters, Update
from telegram.error import BadRequest, RetryAfter, TelegramError

from domain.engine import Engine
from domain.events import Alarm, Copies, Erased, HandoverClosed, HandoverOpened, RelayToStaff
from domain.messages import Reply
from domain.text import N_, Say
from handlers.albums import Album, Albums
from handlers.failures import after_sending, retry_seconds
from handlers.render import send_replies
from handlers.topics import (
    TopicRefused,
    close_thread,
    delete_staff_copies,
    ensure_thread,
    open_thread,
    thread_missing,
)

log = logging.getLogger(__name__)
NO_TOPIC = N_("I cannot open a topic in this group for case {code}: make me an administrator "
               "allowed to manage topics. The citizen was given the office's contacts.")
WENT_BACK = N_("The citizen went back to the automated assistant.")
ALARM = N_("Possible emergency: the assistant sent the citizen the emergency numbers (112, "
           "1522). This conversation is now first in /queue.")
FLOOD_WAIT_MAX = 60.0  # seconds of Telegram flood waits sat out in one relay, then redelivery


async def patiently(call: Callable[[], Awaitable[Any]]) -> Any:
    """Make a Bot API call, sitting out flood waits (429 RetryAfter: the staff group takes
    about 20 messages a minute): delayed, never dropped. A wait longer than
    ``FLOOD_WAIT_MAX`` in all is raised: the update is then delivered again later."""
    waited = 0.0
    while True:
        try:
            return await call()
        except RetryAfter as exc:
            seconds = retry_seconds(exc)
            if waited + seconds > FLOOD_WAIT_MAX:
                raise
            waited += seconds
            log.info("Telegram asked to wait %.0f s before the next copy", seconds)
            await asyncio.sleep(seconds)


async def relay_to_staff(bot: Any, engine: Engine, staff_chat: int, message: Message,
                         event: RelayToStaff, copies: Copies, albums: Albums | None = None
                         ) -> asyncio.Future[None] | None:
    """Copy a citizen's message (any content, caption kept) into their thread (the one the
    turn read, or opened in this update; a deleted one is replaced below), as a reply to the
    copy the turn found. The copy is added to ``copies``, recorded with the update's
    confirmation. A part of an album is gathered with the others: the future says when the
    whole album was copied (and linked)."""
    citizen_id = message.chat_id
    thread = event.thread if event.thread is not None else copies.thread

    async def copy_album(album: Album) -> None:
        linked = await _copy(bot, engine, staff_chat, album.citizen_id, album.ids,
                             album.thread, album.reply_to)
        for original, copy in linked:
            await after_sending(functools.partial(engine.handover.link, album.citizen_id,
                                                  original, copy))

    if albums is not None:
        if message.media_group_id:
            pending = albums.open.get(citizen_id)
            if pending is not None and pending.group != message.media_group_id:
                await albums.settle(citizen_id, copy_album)
            return albums.add(message, thread, event.reply_to, copy_album)
        await albums.settle(citizen_id, copy_album)
    copies.links += await _copy(bot, engine, staff_chat, citizen_id, [message.message_id],
                                thread, event.reply_to)
    return None


async def _copy(bot: Any, engine: Engine, staff_chat: int, citizen_id: int, ids: list[int],
                thread: int | None, reply_to: int | None) -> list[tuple[int, int]]:
    """Copy citizen messages (several: one album) into the thread; returns each message
    with its copy, to be linked."""
    if thread is None:
        thread = await ensure_thread(bot, engine, staff_chat, citizen_id, announce=False)
    for attempt in range(2):
        replying = (ReplyParameters(reply_to, allow_sending_without_reply=True)
                    if reply_to else None)
        try:
            if len(ids) == 1:
                copied = [await patiently(functools.partial(
                    bot.copy_message, staff_chat, citizen_id, ids[0], message_thread_id=thread,
                    reply_parameters=replying))]
            else:
                copied = list(await patiently(functools.partial(
                    bot.copy_messages, staff_chat, citizen_id, ids,
                    message_thread_id=thread)))
            break
        except BadRequest as exc:
            if attempt or not thread_missing(exc):
                raise
            await engine.handover.set_thread(citizen_id, None)  # the topic was deleted
            thread = await ensure_thread(bot, engine, staff_chat, citizen_id, announce=True)
    if len(copied) != len(ids):  # Telegram skips what it could not copy: then unlinked
        return []
    return [(original, copy.message_id) for original, copy in zip(ids, copied, strict=True)]


async def after_citizen_turn(bot: Any, engine: Engine, staff_chat: int | None,
                             message: Message | None, citizen_id: int,
                             replies: list[Reply], copies: Copies,
                             albums: Albums | None = None) -> list[asyncio.Future[None]]:
    """Carry out the engine's hand-over events for one citizen message or button press,
    with what the turn read for them (no reading transaction here); what was made is added
    to ``copies``. Returns what is still on its way (an album being gathered)."""
    pending: list[asyncio.Future[None]] = []
    if staff_chat is None:
        return pending
    for reply in replies:
        try:
            album = await _carry_out(bot, engine, staff_chat, message, citizen_id, reply,
                                     copies, albums)
        except TopicRefused:
            await _without_topic(bot, engine, staff_chat, citizen_id)
            break  # the hand-over is over: nothing else of this turn needs a thread
        if album is not None:
            pending.append(album)
    return pending


async def _carry_out(bot: Any, engine: Engine, staff_chat: int, message: Message | None,
                     citizen_id: int, reply: Reply, copies: Copies, albums: Albums | None
                     ) -> asyncio.Future[None] | None:
    """One event of the turn; an album being gathered is returned."""
    event = reply.event
    if isinstance(event, RelayToStaff) and event.message is not None:  # an earlier message
        copies.links += await _copy(bot, engine, staff_chat, citizen_id, [event.message],
                                    event.thread if event.thread is not None else copies.thread,
                                    None)
    elif isinstance(event, RelayToStaff) and message is not None:
        return await relay_to_staff(bot, engine, staff_chat, message, event, copies, albums)
    elif isinstance(event, HandoverOpened):
        await open_thread(bot, engine, staff_chat, citizen_id, event, copies)
    elif isinstance(event, Alarm):
        thread = event.thread if event.thread is not None else copies.thread
        if thread is None:
            thread = await ensure_thread(bot, engine, staff_chat, citizen_id, announce=True)
        await bot.send_message(staff_chat, "🚨 " + engine.translations.gettext(
            engine.config.default_language, ALARM), message_thread_id=thread)
    elif isinstance(event, Erased):
        await delete_staff_copies(bot, engine, staff_chat)
    elif isinstance(event, HandoverClosed) and event.thread is not None:
        await bot.send_message(staff_chat, "↩️ " + engine.translations.gettext(
            engine.config.default_language, WENT_BACK), message_thread_id=event.thread)
        await close_thread(bot, staff_chat, event.thread)
    return None


async def _without_topic(bot: Any, engine: Engine, staff_chat: int, citizen_id: int) -> None:
    """No topic can be opened: the citizen is given the office's contacts (and is answered
    by the assistant again), the staff group is told in General what to fix."""
    code, replies = await after_sending(functools.partial(engine.handover.handover_unreachable,
                                                          citizen_id))
    log.error("the staff group refused a forum topic: the bot must be an administrator "
              "allowed to manage topics")
    say = Say(engine.translations, engine.config.default_language)
    try:
        await bot.send_message(staff_chat, "⚠️ " + say._(NO_TOPIC, code=code))
    except TelegramError as exc:
        log.warning("the staff group could not be told (%s)", type(exc).__name__)
    await send_replies(bot, citizen_id, replies)


async def on_edit(update: Update, engine: Engine, bot: Any, staff_chat: int | None) -> None:
    """Text edits follow: a citizen's edit changes the copy in the thread, and back."""
    message = update.edited_message
    if message is None or message.text is None or staff_chat is None:
        return
    try:
        if message.chat_id == staff_chat:
            user_id = message.from_user.id if message.from_user else 0
            if await engine.desk.is_staff(user_id) is None:
                return
            found = await engine.handover.citizen_message_of(message.message_id)
            if found:
                await bot.edit_message_text(message.text, chat_id=found[0],
                                            message_id=found[1])
        elif message.chat.type == "private":
            copy = await engine.handover.staff_message_of(message.chat_id, message.message_id)
            if copy:
                await bot.edit_message_text(message.text, chat_id=staff_chat, message_id=copy)
    except TelegramError as exc:
        log.info("an edit could not follow (%s)", type(exc).__name__)
