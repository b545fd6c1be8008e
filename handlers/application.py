"""The PTB application: which update goes to which handler, the staff group's routing, what
is done with a failure nobody handled, and a citizen who blocked the bot."""

from __future__ import annotations

import logging
from typing import Any

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ChatMemberHandler,
    MessageHandler,
    filters,
)
from telegram.request import BaseRequest, HTTPXRequest

from handlers.citizen import on_button, on_edited, on_message
from handlers.context import WORKER, BotData, Context, engine_of, kind_of
from handlers.deadletters import put_aside, retry_later
from handlers.delivery import deliver_due_now
from handlers.failures import is_transient
from handlers.metrics import ERRORS
from handlers.staff import review_correction, staff_command
from handlers.staff_relay import on_staff_message

log = logging.getLogger(__name__)

BOT_API_CONNECTIONS = 32


async def on_staff(update: Update, context: Context) -> None:
    """Route a staff-group message: staff tools, or the hand-over relay."""
    staff_chat = context.bot_data.staff_chat_id
    if await review_correction(update, engine_of(context), context.bot, staff_chat):
        return
    if await staff_command(update, engine_of(context), context.bot, staff_chat,
                           context.bot_data.public_url):
        await deliver_due_now(context)
        return
    if staff_chat is not None:
        await on_staff_message(update, engine_of(context), context.bot, staff_chat, WORKER)



async def on_member(update: Update, context: Context) -> None:
    """A citizen blocked (or unblocked) the bot in their private chat."""
    change = update.my_chat_member
    if change is None or change.chat.type != ChatType.PRIVATE:
        return
    status = change.new_chat_member.status
    await engine_of(context).mark_blocked(change.chat.id, blocked=status == "kicked")


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
                        kind=kind_of(update))
        return
    log.error("update handling failed: %s", type(error).__name__,
              exc_info=(type(error), error, error.__traceback__) if error else None)



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
