"""Staff tools in Telegram: /agenda, /closed, /feed and /metrics, in a private chat with the
bot or in the staff group, and the buttons under agenda items. Registered staff only."""

from __future__ import annotations

from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update

from domain.engine import Engine
from domain.staff import StaffView

STAFF_COMMANDS = ("/agenda", "/closed", "/feed", "/metrics")


def thread_link(staff_chat: int | None, thread: str) -> str | None:
    """``https://t.me/c/<chat>/<thread>``: opens the citizen's thread for group members."""
    if staff_chat is None or not str(staff_chat).startswith("-100"):
        return None
    return f"https://t.me/c/{str(staff_chat)[4:]}/{thread}"


def markup(rows: list[list[Any]], staff_chat: int | None) -> InlineKeyboardMarkup | None:
    out = []
    for row in rows:
        cells = []
        for button in row:
            if button.payload.startswith("url:thread."):
                link = thread_link(staff_chat, button.payload.removeprefix("url:thread."))
                if link:
                    cells.append(InlineKeyboardButton(button.label, url=link))
                continue
            cells.append(InlineKeyboardButton(button.label, callback_data=button.payload))
        if cells:
            out.append(cells)
    return InlineKeyboardMarkup(out) if out else None


async def show(bot: Any, chat_id: int, view: StaffView, staff_chat: int | None,
               thread: int | None = None) -> None:
    for text, rows in view.messages:
        await bot.send_message(chat_id, text[:4096], reply_markup=markup(rows, staff_chat),
                               message_thread_id=thread)


async def staff_command(update: Update, engine: Engine, bot: Any, staff_chat: int | None,
                        public_url: str | None) -> bool:
    """Handle a staff command; False when the sender is not staff (nothing is revealed)."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None or not message.text:
        return False
    command, _, argument = message.text.strip().partition(" ")
    command = command.split("@", 1)[0].lower()
    thread = message.message_thread_id if message.is_topic_message else None
    if command == "/agenda":
        view = await engine.agenda(user.id, argument or "today")
    elif command == "/closed":
        view = await engine.close_day(user.id, argument)
    elif command == "/feed":
        token = await engine.feed_token(user.id, renew=argument.strip() in ("new", "revoke"))
        if token is None:
            return False
        view = StaffView()
        if public_url:
            view.add(f"{public_url}/calendar/{token}.ics\n\n"
                     "(/feed new: a new address; the old one stops working)")
        else:
            view.add("TEAMS_WEBHOOK_URL is not set: the calendar feed has no public address.")
    elif command == "/metrics":
        view = await engine.dead_letters_view(user.id)
    else:
        return False
    if view is None:
        return False
    await show(bot, message.chat_id, view, staff_chat, thread)
    return True


async def staff_button(update: Update, engine: Engine, bot: Any) -> None:
    query, user = update.callback_query, update.effective_user
    if query is None or user is None:
        return
    result = await engine.staff_button(user.id, query.data or "")
    if result is None:
        return  # not staff: nothing
    text, _ = result
    message = query.message
    if isinstance(message, Message):
        await bot.send_message(message.chat_id, text,
                               message_thread_id=message.message_thread_id
                               if message.is_topic_message else None)
