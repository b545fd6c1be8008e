"""The citizen's forum topic in the staff group: created when new or deleted, reopened with a
summary when a hand-over starts, closed when the citizen goes back to the assistant, and
deleted with the bot's copies when the citizen is erased (or the retention rules reach them)."""

from __future__ import annotations

import functools
import logging
from dataclasses import replace
from typing import Any

from telegram.error import BadRequest, TelegramError

from domain.engine import Engine
from domain.events import Copies, HandoverOpened
from domain.handover import OWN_MESSAGE
from handlers.context import WORKER
from handlers.failures import after_sending
from handlers.render import keyboard

log = logging.getLogger(__name__)
DELETE_AT_ONCE = 100  # deleteMessages takes at most 100 ids


class TopicRefused(Exception):
    """The staff group refused to open a topic (the bot is not allowed to manage topics, or
    the group has none): the same on every try."""


def thread_missing(exc: BadRequest) -> bool:
    text = str(exc).lower()
    return any(words in text for words in (
        "thread not found", "topic_deleted", "topic was deleted", "topic not found",
        "topic_id_invalid"))


async def _reopen_or_create(bot: Any, staff_chat: int, thread: int | None, reopen: bool,
                            title: str) -> tuple[int, bool]:
    """The thread reopened (when ``reopen``), or a new one when there is none or it was
    deleted; True when it is new. A refusal to create one is :class:`TopicRefused`."""
    if thread is not None and reopen:
        try:
            await bot.reopen_forum_topic(staff_chat, thread)
        except BadRequest as exc:
            if thread_missing(exc):
                thread = None
            # "TOPIC_NOT_MODIFIED": it was open already
    if thread is not None:
        return thread, False
    try:
        created = await bot.create_forum_topic(staff_chat, title)
    except BadRequest as exc:
        raise TopicRefused(type(exc).__name__) from exc
    return created.message_thread_id, True


async def ensure_thread(bot: Any, engine: Engine, staff_chat: int, citizen_id: int,
                        announce: bool) -> int:
    """The citizen's thread: created when new or deleted, reopened when closed; with
    ``announce`` the summary is posted, so the mediator reads the case in ten seconds."""
    summary = None
    if announce:  # the topic and the summary in one transaction
        topic, summary, language = await engine.handover.summary(citizen_id)
    else:
        topic, language = await engine.handover.topic_of(citizen_id)
    thread, created = await _reopen_or_create(bot, staff_chat, topic.thread_id, announce,
                                              f"{topic.case_code} · {language}")
    if created:
        await engine.handover.set_thread(citizen_id, thread)
        announce = True
    if announce:
        if summary is None:
            _, summary, _ = await engine.handover.summary(citizen_id)
        try:
            posted = await bot.send_message(
                staff_chat, summary, message_thread_id=thread,
                reply_markup=keyboard(engine.handover.summary_buttons(topic.case_code)))
        except BadRequest as exc:
            if not thread_missing(exc):
                raise
            await engine.handover.set_thread(citizen_id, None)
            return await ensure_thread(bot, engine, staff_chat, citizen_id, True)
        await after_sending(lambda: engine.handover.link(  # erased with the rest
            citizen_id, OWN_MESSAGE, posted.message_id))
    return thread


async def open_thread(bot: Any, engine: Engine, staff_chat: int, citizen_id: int,
                      event: HandoverOpened, copies: Copies) -> int:
    """A hand-over began: the citizen's thread reopened (or created) with the summary, all
    read by the turn; the new thread and the summary's link go into ``copies``, recorded
    with the update's confirmation."""
    if not event.summary:  # kept by an older version, before events carried the summary
        topic, summary, language = await engine.handover.summary(citizen_id)
        event = replace(event, case_code=topic.case_code, thread=topic.thread_id,
                        summary=summary, language=language)
    thread, created = await _reopen_or_create(
        bot, staff_chat, event.thread if event.thread is not None else copies.thread, True,
        f"{event.case_code} · {event.language}")
    if created:
        copies.thread = thread
    try:
        posted = await bot.send_message(
            staff_chat, event.summary, message_thread_id=thread,
            reply_markup=keyboard(engine.handover.summary_buttons(event.case_code)))
    except BadRequest as exc:
        if not thread_missing(exc):
            raise
        await engine.handover.set_thread(citizen_id, None)
        copies.thread = None
        return await ensure_thread(bot, engine, staff_chat, citizen_id, True)
    copies.links.append((OWN_MESSAGE, posted.message_id))  # erased with the rest
    return thread


async def delete_staff_copies(bot: Any, engine: Engine, staff_chat: int,
                              worker: str = "") -> None:
    """Delete what the staff group holds of erased citizens (and of those the retention
    rules reached): the bot's messages in their thread, then the thread itself, which takes
    every message in it (mediators' too); then the anonymous note for General. Each piece of
    work is a row, deleted only when done, so a crash or a failure loses nothing: a claim
    that was not finished is taken again later. A thread already gone counts as done."""
    for job in await engine.privacy.take_topic_deletions(worker or WORKER):
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
                    if not thread_missing(exc):
                        raise
            if job.notice:
                await bot.send_message(staff_chat, "🗑️ " + job.notice)
        except TelegramError as exc:
            log.warning("staff copies of an erased case not deleted yet (%s); tried again "
                        "later", type(exc).__name__)
            continue
        await after_sending(functools.partial(engine.privacy.topic_deleted, job.id))


async def close_thread(bot: Any, staff_chat: int, thread: int) -> None:
    try:
        await bot.close_forum_topic(staff_chat, thread)
    except BadRequest:
        pass  # already closed or deleted
