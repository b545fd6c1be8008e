"""Staff tools in Telegram: /agenda, /closed, /reopen, /feed, /metrics and /review, in a
private chat with the bot or in the staff group, and the buttons under agenda items and review
drafts. Registered staff only.

Whatever names citizens (an agenda, a closed day's booked citizens) or is private (a calendar
address) is sent only in the staff member's private chat with the bot: asked in the group, the
group gets a short note ("sent to you in private", or "press Start first")."""

from __future__ import annotations

import logging
from typing import Any

from telegram import ForceReply, Message, Update
from telegram.constants import ChatType
from telegram.error import BadRequest, Forbidden, TelegramError

from domain.engine import Engine
from domain.reviewdesk import correction_target
from domain.staff import DESK_COMMANDS, StaffView
from domain.text import N_
from handlers.commands import parse_command
from handlers.render import keyboard

log = logging.getLogger(__name__)

STAFF_COMMANDS = DESK_COMMANDS  # routed by the desk (domain/staff.py)
SENT_IN_PRIVATE = N_("Sent to you in your private chat with me.")
START_FIRST = N_("I cannot write to you in private yet: open a chat with me, press Start "
                 "(/start), then ask again here.")
COULD_NOT_REMOVE = N_("I could not remove them from the staff group: make me an administrator "
                      "allowed to ban users, then press the button again.")


async def show(bot: Any, chat_id: int, view: StaffView, staff_chat: int | None,
               thread: int | None = None) -> None:
    for i, (text, rows) in enumerate(view.messages):
        markup: Any = keyboard(rows, staff_chat)
        if view.force_reply and i == len(view.messages) - 1:
            markup = ForceReply(selective=True)
        await bot.send_message(chat_id, text[:4096], reply_markup=markup,
                               message_thread_id=thread)


async def review_correction(update: Update, engine: Engine, bot: Any,
                            staff_chat: int | None) -> bool:
    """A reply to a correction prompt of ours: the corrected answer (staff only; False for
    anything else, which then goes its usual way)."""
    message, user = update.effective_message, update.effective_user
    prompt = message.reply_to_message if message is not None else None
    if (message is None or user is None or not message.text or prompt is None
            or prompt.from_user is None or prompt.from_user.id != bot.id):
        return False
    target = correction_target(prompt.text)
    if target is None:
        return False
    view = await engine.desk.reviews.correct(user.id, *target, message.text)
    if view is None:
        return False
    thread = message.message_thread_id if message.is_topic_message else None
    await show(bot, message.chat_id, view, staff_chat, thread)
    return True


async def staff_command(update: Update, engine: Engine, bot: Any, staff_chat: int | None,
                        public_url: str | None) -> bool:
    """Handle a staff command; False when the sender is not staff (nothing is revealed)."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None or not message.text:
        return False
    command, argument = parse_command(message.text)
    thread = message.message_thread_id if message.is_topic_message else None
    view = await engine.desk.command(user.id, command, argument, public_url)
    if view is None:
        return False
    if view.personal and message.chat.type != ChatType.PRIVATE:
        await _in_private(bot, engine, user.id, view, staff_chat, message.chat_id, thread)
    else:
        await show(bot, message.chat_id, view, staff_chat, thread)
    return True


def _staff_text(engine: Engine, text: str) -> str:
    return engine.translations.gettext(engine.config.default_language, text)


async def _in_private(bot: Any, engine: Engine, user_id: int, view: StaffView,
                      staff_chat: int | None, chat_id: int, thread: int | None) -> None:
    """Send a view with personal details privately; the group only gets a short note."""
    try:
        await show(bot, user_id, view, staff_chat)
        note = SENT_IN_PRIVATE
    except Forbidden:  # the bot may not write first
        note = START_FIRST
    except BadRequest as exc:
        if "chat not found" not in str(exc).lower():
            raise
        note = START_FIRST
    await bot.send_message(chat_id, "📬 " + _staff_text(engine, note),
                           message_thread_id=thread)


async def _button_in_private(bot: Any, engine: Engine, user_id: int, view: StaffView,
                             staff_chat: int | None, pressed: Message) -> None:
    """What a button pressed in the group shows about a citizen goes to the staff member's
    private chat; the group hears of it only when that chat cannot be reached yet."""
    try:
        await show(bot, user_id, view, staff_chat)
        return
    except Forbidden:
        pass
    except BadRequest as exc:
        if "chat not found" not in str(exc).lower():
            raise
    await bot.send_message(pressed.chat_id, "📬 " + _staff_text(engine, START_FIRST),
                           message_thread_id=pressed.message_thread_id
                           if pressed.is_topic_message else None)


async def staff_button(update: Update, engine: Engine, bot: Any,
                       staff_chat: int | None = None) -> None:
    query, user = update.callback_query, update.effective_user
    if query is None or user is None:
        return
    answer = await engine.desk.staff_button(user.id, query.data or "")
    if answer is None:
        return  # not staff: nothing
    message = query.message
    if (answer.view is not None and answer.view.personal and isinstance(message, Message)
            and message.chat.type != ChatType.PRIVATE):  # e.g. the case view, from a thread
        await _button_in_private(bot, engine, user.id, answer.view, staff_chat, message)
        return
    if answer.view is not None and isinstance(message, Message):
        await show(bot, message.chat_id, answer.view, staff_chat,
                   message.message_thread_id if message.is_topic_message else None)
        return
    if answer.view is not None:
        await show(bot, user.id, answer.view, staff_chat)
        return
    text = answer.text
    target = answer.remove_from_group
    if target is not None:
        try:
            if staff_chat is None:
                raise BadRequest("no staff group is configured")
            # A ban removes them; lifting it at once lets them be invited again later.
            await bot.ban_chat_member(staff_chat, target)
            await bot.unban_chat_member(staff_chat, target, only_if_banned=True)
            text = await engine.desk.removed_from_group(target, user.id)
        except TelegramError as exc:
            log.warning("a former staff member was not removed from the group (%s)",
                        type(exc).__name__)
            text = _staff_text(engine, COULD_NOT_REMOVE)
    message = query.message
    if isinstance(message, Message):
        await bot.send_message(message.chat_id, text,
                               message_thread_id=message.message_thread_id
                               if message.is_topic_message else None)
    else:  # the pressed message is gone: answer in private
        try:
            await bot.send_message(user.id, text)
        except TelegramError as exc:
            log.info("a staff button's answer was not delivered (%s)", type(exc).__name__)


async def tell_removed_staff(bot: Any, engine: Engine, staff_chat: int | None) -> None:
    """Tell the coordinators (privately; in the staff group if none can be reached) that
    someone was taken off the staff registry, with a button to remove them from the group."""
    for removal_id, text, rows, coordinators in await engine.desk.removals_to_tell():
        reached = False
        for chat in [*coordinators, staff_chat]:
            if chat is None or (reached and chat == staff_chat):
                continue
            try:
                await bot.send_message(chat, text, reply_markup=keyboard(rows, staff_chat))
                reached = True
            except TelegramError as exc:
                log.info("a staff removal notice was not delivered (%s)", type(exc).__name__)
        if not reached:
            await engine.desk.removal_not_told(removal_id)
