"""Run the Telegram bot by long polling; services live in the application's event loop."""

from __future__ import annotations

from typing import Any

from telegram import Update

from bot.i18n import Catalogs
from bot.settings import Settings
from handlers.telegram import build_application, deliver_due, publish_commands

DUE_WORK_SECONDS = 30


def run_polling(settings: Settings) -> int:
    from bot.services import build_services

    token = settings.telegram_token.get_secret_value() if settings.telegram_token else ""
    application = build_application(token, settings.bot_api_base_url,
                                    settings.bot_file_base_url,
                                    staff_chat_id=settings.staff_chat_id)
    state: dict[str, Any] = {}

    async def post_init(app: Any) -> None:
        services = await build_services(settings)
        state["services"] = services
        app.bot_data.engine = services.engine
        app.bot_data.translations = Catalogs()
        await publish_commands(app, app.bot_data.translations, settings.default_language)
        app.job_queue.run_repeating(deliver_due, interval=DUE_WORK_SECONDS, first=5)

    async def post_shutdown(app: Any) -> None:
        if "services" in state:
            await state["services"].close()

    application.post_init = post_init
    application.post_shutdown = post_shutdown
    application.run_polling(allowed_updates=Update.ALL_TYPES)
    return 0
