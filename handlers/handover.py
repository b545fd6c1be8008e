"""The relay between a citizen's private chat and their thread in the staff supergroup.

The engine decides (escalate, relay, staff commands); this module moves messages: it creates or
reopens the forum topic, copies messages both ways (keeping captions and reply threads, an
album as one album), follows text edits, and reports a citizen who blocked the bot.

Citizen -> staff: copied while the citizen's update is handled; Telegram's flood waits are sat
out, other failures leave the update to be delivered again. Staff -> citizen: through the relay
outbox (rows written with the staff input), delivered in order per citizen at once and by the
periodic job, retried on transient errors.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import warnings
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from telegram import Message, ReplyParameters, Update
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError

from domain.engine import Engine
from domain.handover import OWN_MESSAGE
from domain.messages import Reply
from domain.model import RelayMessage
from domain.text import N_
from handlers.failures import after_sending

log = logging.getLogger(__name__)
WENT_BACK = N_("The citizen went back to the automated assistant.")
ALARM = N_("Possible emergency: the assistant sent the citizen the emergency numbers (112, "
           "1522). This conversation is now first in /queue.")
FLOOD_WAIT_MAX = 60.0  # seconds of Telegram flood waits sat out in one relay, then redelivery
ALBUM_WAIT = 1.0  # an album's parts come as separate updates within this of each other
RELAY_ROUNDS = 100  # rounds of one delivery pass (each: the next message of every citizen)

SendReply = Callable[[Any, int, Reply], Awaitable[int | None]]


def retry_seconds(exc: RetryAfter) -> float:
    """Telegram's wait, read without PTB's int/timedelta deprecation warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


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
DELETE_AT_ONCE = 100  # deleteMessages takes at most 100 ids


def _thread_missing(exc: BadRequest) -> bool:
    text = str(exc).lower()
    return any(words in text for words in (
        "thread not found", "topic_deleted", "topic was deleted", "topic not found",
        "topic_id_invalid"))


async def ensure_thread(bot: Any, engine: Engine, staff_chat: int, citizen_id: int,
                        announce: bool) -> int:
    """The citizen's thread: created when new or deleted, reopened when closed; with
    ``announce`` the summary is posted, so the mediator reads the case in ten seconds."""
    summary = None
    if announce:  # the topic and the summary in one transaction
        topic, summary, language = await engine.summary(citizen_id)
    else:
        topic, language = await engine.topic_of(citizen_id)
    thread = topic.thread_id
    if thread is not None and announce:
        try:
            await bot.reopen_forum_topic(staff_chat, thread)
        except BadRequest as exc:
            if _thread_missing(exc):
                thread = None
            # "TOPIC_NOT_MODIFIED": it was open already
    if thread is None:
        created = await bot.create_forum_topic(staff_chat, f"{topic.case_code} · {language}")
        thread = created.message_thread_id
        await engine.set_thread(citizen_id, thread)
        announce = True
    if announce:
        if summary is None:
            _, summary, _ = await engine.summary(citizen_id)
        try:
            posted = await bot.send_message(staff_chat, summary, message_thread_id=thread)
        except BadRequest as exc:
            if not _thread_missing(exc):
                raise
            await engine.set_thread(citizen_id, None)
            return await ensure_thread(bot, engine, staff_chat, citizen_id, True)
        await after_sending(lambda: engine.link(  # erased with the rest
            citizen_id, OWN_MESSAGE, posted.message_id))
    return thread


@dataclass
class _Album:
    group: str
    citizen_id: int
    thread: int | None
    reply_to: int | None
    ids: list[int]
    done: asyncio.Future[None]
    timer: asyncio.TimerHandle | None = None
    task: asyncio.Task[None] | None = None


@dataclass
class Albums:
    """The parts of a citizen's album (one update each) gathered into one ``copyMessages``,
    which keeps them one album, in order. A part's update is confirmed only once the album
    was copied, so a crash in between has the parts delivered again."""

    wait: float = ALBUM_WAIT
    open: dict[int, _Album] = field(default_factory=dict)
    sending: dict[int, _Album] = field(default_factory=dict)

    def add(self, message: Message, thread: int | None, reply_to: int | None,
            copy: Callable[[_Album], Awaitable[None]]) -> asyncio.Future[None]:
        loop = asyncio.get_running_loop()
        citizen_id = message.chat_id
        album = self.open.get(citizen_id)
        if album is None:
            album = _Album(str(message.media_group_id), citizen_id, thread, reply_to, [],
                           loop.create_future())
            self.open[citizen_id] = album
        album.ids.append(message.message_id)
        if album.timer is not None:  # complete once no part came for a moment
            album.timer.cancel()
        album.timer = loop.call_later(self.wait, self._complete, album, copy)
        return album.done

    def _complete(self, album: _Album, copy: Callable[[_Album], Awaitable[None]]) -> None:
        album.task = asyncio.get_running_loop().create_task(self._send_quietly(album, copy))

    async def settle(self, citizen_id: int,
                     copy: Callable[[_Album], Awaitable[None]]) -> None:
        """Before anything else of this citizen is relayed, their album goes first."""
        album = self.open.get(citizen_id)
        if album is not None:
            if album.timer is not None:
                album.timer.cancel()
            await self._send(album, copy)
        sending = self.sending.get(citizen_id)
        if sending is not None:
            await asyncio.wait([sending.done])  # its failure is its parts' to handle

    async def _send_quietly(self, album: _Album,
                            copy: Callable[[_Album], Awaitable[None]]) -> None:
        try:
            await self._send(album, copy)
        except Exception:
            pass  # handed to the parts through ``done``

    async def _send(self, album: _Album, copy: Callable[[_Album], Awaitable[None]]) -> None:
        if self.open.get(album.citizen_id) is not album:
            return
        del self.open[album.citizen_id]
        self.sending[album.citizen_id] = album
        try:
            await copy(album)
        except BaseException as exc:
            if not album.done.done():
                album.done.set_exception(exc)
            raise
        else:
            album.done.set_result(None)
        finally:
            if self.sending.get(album.citizen_id) is album:
                del self.sending[album.citizen_id]


async def relay_to_staff(bot: Any, engine: Engine, staff_chat: int, message: Message,
                         thread: int | None = None, albums: Albums | None = None
                         ) -> asyncio.Future[None] | None:
    """Copy a citizen's message (any content, caption kept) into their thread (``thread``,
    when the turn read it; a deleted one is replaced below). A part of an album is gathered
    with the others: the future says when the whole album was copied."""
    citizen_id = message.chat_id
    reply_to = None
    if message.reply_to_message is not None:
        reply_to = await engine.staff_message_of(citizen_id, message.reply_to_message.message_id)

    async def copy_album(album: _Album) -> None:
        await _copy(bot, engine, staff_chat, album.citizen_id, album.ids, album.thread,
                    album.reply_to)

    if albums is not None:
        if message.media_group_id:
            pending = albums.open.get(citizen_id)
            if pending is not None and pending.group != message.media_group_id:
                await albums.settle(citizen_id, copy_album)
            return albums.add(message, thread, reply_to, copy_album)
        await albums.settle(citizen_id, copy_album)
    await _copy(bot, engine, staff_chat, citizen_id, [message.message_id], thread, reply_to)
    return None


async def _copy(bot: Any, engine: Engine, staff_chat: int, citizen_id: int, ids: list[int],
                thread: int | None, reply_to: int | None) -> None:
    """Copy citizen messages (several: one album) into the thread, and link each copy."""
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
            if attempt or not _thread_missing(exc):
                raise
            await engine.set_thread(citizen_id, None)  # the topic was deleted: a new one
            thread = await ensure_thread(bot, engine, staff_chat, citizen_id, announce=True)
    if len(copied) == len(ids):  # Telegram skips what it could not copy: then unlinked
        for original, copy in zip(ids, copied, strict=True):
            await after_sending(functools.partial(engine.link, citizen_id, original,
                                                  copy.message_id))


async def after_citizen_turn(bot: Any, engine: Engine, staff_chat: int | None,
                             message: Message | None, citizen_id: int,
                             replies: list[Reply], albums: Albums | None = None
                             ) -> list[asyncio.Future[None]]:
    """Carry out the engine's hand-over events for one citizen message or button press;
    returns what is still on its way (an album being gathered), to be awaited."""
    pending: list[asyncio.Future[None]] = []
    if staff_chat is None:
        return pending
    for reply in replies:
        event = reply.event or ""
        if event == "relay" and message is not None:
            album = await relay_to_staff(bot, engine, staff_chat, message,
                                         reply.meta.get("thread"), albums)
            if album is not None:
                pending.append(album)
        elif event.startswith("handover:"):
            await ensure_thread(bot, engine, staff_chat, citizen_id, announce=True)
        elif event == "alarm":
            thread = reply.meta.get("thread")
            if thread is None:
                thread = await ensure_thread(bot, engine, staff_chat, citizen_id,
                                             announce=True)
            await bot.send_message(staff_chat, "🚨 " + engine.translations.gettext(
                engine.config.default_language, ALARM), message_thread_id=thread)
        elif event == "erased":
            await delete_staff_copies(bot, engine, staff_chat)
        elif event == "handover_closed":
            topic, _ = await engine.topic_of(citizen_id)
            if topic.thread_id is not None:
                await bot.send_message(staff_chat, "↩️ " + engine.translations.gettext(
                    engine.config.default_language, WENT_BACK),
                    message_thread_id=topic.thread_id)
                await _close(bot, staff_chat, topic.thread_id)
    return pending


async def delete_staff_copies(bot: Any, engine: Engine, staff_chat: int,
                              worker: str = "") -> None:
    """Delete what the staff group holds of erased citizens (and of those the retention
    rules reached): the bot's messages in their thread, then the thread itself, which takes
    every message in it (mediators' too); then the anonymous note for General. Each piece of
    work is a row, deleted only when done, so a crash or a failure loses nothing: a claim
    that was not finished is taken again later. A thread already gone counts as done."""
    for job in await engine.take_topic_deletions(worker or _worker()):
        try:
            if job.thread_id is not None:
                ids = list(job.message_ids)
                for start in range(0, len(ids), DELETE_AT_ONCE):
                    try:
                        await bot.delete_messages(staff_chat, ids[start:start + DELETE_AT_ONCE])
                    except BadRequest:
                        pass  # too old for the bot to delete: the topic's deletion takes them
                try:
                    await bot.delete_forum_topic(staff_chat, job.thread_id)
                except BadRequest as exc:
                    if not _thread_missing(exc):
                        raise
            if job.notice:
                await bot.send_message(staff_chat, "🗑️ " + job.notice)
        except TelegramError as exc:
            log.warning("staff copies of an erased case not deleted yet (%s); tried again "
                        "later", type(exc).__name__)
            continue
        await after_sending(functools.partial(engine.topic_deleted, job.id))


def _worker() -> str:
    import os
    import socket

    return f"{socket.gethostname()}:{os.getpid()}"


async def _close(bot: Any, staff_chat: int, thread: int) -> None:
    try:
        await bot.close_forum_topic(staff_chat, thread)
    except BadRequest:
        pass  # already closed or deleted


async def on_staff_message(update: Update, engine: Engine, bot: Any, staff_chat: int,
                           send_reply: SendReply, worker: str) -> None:
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
    outcome = await engine.staff_input(user.id, thread, message.text or message.caption, kind,
                                       reply_to, message_id=message.message_id,
                                       update_id=update.update_id)
    if outcome is None:
        return  # not registered staff, or not a citizen's thread: nothing happens
    for text in outcome.to_thread:
        await bot.send_message(staff_chat, text, message_thread_id=thread)
    if outcome.citizen_id is not None:
        await deliver_relay(bot, engine, staff_chat, send_reply, worker, outcome.citizen_id)
    if outcome.close_thread and thread is not None:
        await _close(bot, staff_chat, thread)


async def deliver_relay(bot: Any, engine: Engine, staff_chat: int, send_reply: SendReply,
                        worker: str, citizen_id: int | None = None) -> int:
    """Deliver staff messages waiting for citizens (or one citizen), each citizen's in order;
    the number delivered. Claimed atomically: two workers never send one twice."""
    delivered = 0
    for _ in range(RELAY_ROUNDS):
        messages = await engine.take_relay(worker, citizen_id)
        if not messages:
            break
        for message in messages:
            delivered += await _deliver_to_citizen(bot, engine, staff_chat, send_reply,
                                                   message)
    return delivered


async def _deliver_to_citizen(bot: Any, engine: Engine, staff_chat: int,
                              send_reply: SendReply, message: RelayMessage) -> int:
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
        await engine.relay_retry(message, retry_seconds(exc))
        return 0
    except BadRequest as exc:  # permanent: the next messages must not wait for it
        log.warning("Telegram refused a staff message for a citizen (%s)", type(exc).__name__)
        await _not_delivered(bot, engine, staff_chat, message)
        return 0
    except TelegramError as exc:  # 5xx, a timeout, a broken connection: later
        log.warning("a staff message for a citizen not delivered yet (%s); retried later",
                    type(exc).__name__)
        if not await engine.relay_retry(message):
            await _not_delivered(bot, engine, staff_chat, message, in_time=False)
        return 0
    await after_sending(functools.partial(engine.relay_delivered, message, sent))
    return 1


async def _not_delivered(bot: Any, engine: Engine, staff_chat: int, message: RelayMessage,
                         blocked: bool = False, in_time: bool = True) -> None:
    """Recorded as undelivered, and the thread told (next to the staff message)."""
    notice = await engine.relay_failed(message, blocked=blocked, in_time=in_time)
    try:
        await bot.send_message(
            staff_chat, notice, message_thread_id=message.thread_id,
            reply_parameters=ReplyParameters(message.staff_message_id,
                                             allow_sending_without_reply=True)
            if message.staff_message_id else None)
    except TelegramError as exc:
        log.warning("the thread could not be told of an undelivered message (%s)",
                    type(exc).__name__)


async def on_edit(update: Update, engine: Engine, bot: Any, staff_chat: int | None) -> None:
    """Text edits follow: a citizen's edit changes the copy in the thread, and back."""
    message = update.edited_message
    if message is None or message.text is None or staff_chat is None:
        return
    try:
        if message.chat_id == staff_chat:
            if await engine.is_staff(message.from_user.id if message.from_user else 0) is None:
                return
            found = await engine.citizen_message_of(message.message_id)
            if found:
                await bot.edit_message_text(message.text, chat_id=found[0],
                                            message_id=found[1])
        elif message.chat.type == "private":
            copy = await engine.staff_message_of(message.chat_id, message.message_id)
            if copy:
                await bot.edit_message_text(message.text, chat_id=staff_chat, message_id=copy)
    except TelegramError as exc:
        log.info("an edit could not follow (%s)", type(exc).__name__)
