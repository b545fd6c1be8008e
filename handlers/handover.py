"""The relay between a citizen's private chat and their thread in the staff supergroup.

The engine decides (escalate, relay, staff commands); this module moves messages: it creates or
reopens the forum topic, copies messages both ways (keeping captions and reply threads), follows
text edits, and reports a citizen who blocked the bot.
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import Message, ReplyParameters, Update
from telegram.error import BadRequest, Forbidden, TelegramError

from domain.engine import Engine
from domain.handover import OWN_MESSAGE
from domain.messages import Reply
from domain.text import N_

log = logging.getLogger(__name__)
WENT_BACK = N_("The citizen went back to the automated assistant.")
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
        await engine.link(citizen_id, OWN_MESSAGE, posted.message_id)  # erased with the rest
    return thread


async def relay_to_staff(bot: Any, engine: Engine, staff_chat: int, message: Message,
                         thread: int | None = None) -> None:
    """Copy a citizen's message (any content, caption kept) into their thread (``thread``,
    when the turn read it; a deleted one is replaced below)."""
    citizen_id = message.chat_id
    if thread is None:
        thread = await ensure_thread(bot, engine, staff_chat, citizen_id, announce=False)
    reply_to = None
    if message.reply_to_message is not None:
        reply_to = await engine.staff_message_of(citizen_id, message.reply_to_message.message_id)
    for attempt in range(2):
        try:
            copied = await bot.copy_message(
                staff_chat, citizen_id, message.message_id, message_thread_id=thread,
                reply_parameters=ReplyParameters(reply_to, allow_sending_without_reply=True)
                if reply_to else None)
            break
        except BadRequest as exc:
            if attempt or not _thread_missing(exc):
                raise
            await engine.set_thread(citizen_id, None)  # the topic was deleted: a new one
            thread = await ensure_thread(bot, engine, staff_chat, citizen_id, announce=True)
    await engine.link(citizen_id, message.message_id, copied.message_id)


async def after_citizen_turn(bot: Any, engine: Engine, staff_chat: int | None,
                             message: Message | None, citizen_id: int,
                             replies: list[Reply]) -> None:
    """Carry out the engine's hand-over events for one citizen message or button press."""
    if staff_chat is None:
        return
    for reply in replies:
        event = reply.event or ""
        if event == "relay" and message is not None:
            await relay_to_staff(bot, engine, staff_chat, message, reply.meta.get("thread"))
        elif event.startswith("handover:"):
            await ensure_thread(bot, engine, staff_chat, citizen_id, announce=True)
        elif event == "erased":
            await delete_staff_copies(bot, engine, staff_chat)
        elif event == "handover_closed":
            topic, _ = await engine.topic_of(citizen_id)
            if topic.thread_id is not None:
                await bot.send_message(staff_chat, "↩️ " + engine.translations.gettext(
                    engine.config.default_language, WENT_BACK),
                    message_thread_id=topic.thread_id)
                await _close(bot, staff_chat, topic.thread_id)


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
        await engine.topic_deleted(job.id)


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
                           send_replies: Any) -> None:
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
    outcome = await engine.staff_input(user.id, thread, message.text or message.caption, kind,
                                       reply_to)
    if outcome is None:
        return  # not registered staff, or not a citizen's thread: nothing happens
    for text in outcome.to_thread:
        await bot.send_message(staff_chat, text, message_thread_id=thread)
    citizen = outcome.citizen_id
    if citizen is None:
        return
    try:
        if outcome.relay:
            copied = await bot.copy_message(
                citizen, staff_chat, message.message_id,
                reply_parameters=ReplyParameters(outcome.reply_to_citizen_message,
                                                 allow_sending_without_reply=True)
                if outcome.reply_to_citizen_message else None)
            await engine.link(citizen, copied.message_id, message.message_id)
        if outcome.to_citizen:
            await send_replies(bot, citizen, outcome.to_citizen)
    except Forbidden:
        await bot.send_message(staff_chat, await engine.citizen_blocked(citizen),
                               message_thread_id=thread)
    if outcome.close_thread and thread is not None:
        await _close(bot, staff_chat, thread)


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
