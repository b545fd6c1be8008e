"""Run the Telegram bot by long polling; services live in the application's event loop."""

from __future__ import annotations

from typing import Any

from telegram import Update

from bot.i18n import Catalogs
from bot.settings import Settings
from handlers.telegram import build_application, deliver_due, publish_commands

DUE_WORK_SECONDS = 30


async def _wire(app: Any, settings: Settings, state: dict[str, Any]) -> None:
    """Services live in the application's event loop; created once, closed at the end."""
    from bot.services import build_services

    services = await build_services(settings)
    state["services"] = services
    app.bot_data.engine = services.engine
    app.bot_data.translations = Catalogs()
    app.bot_data.public_url = settings.webhook_url
    await publish_commands(app, app.bot_data.translations, settings.default_language)
    app.job_queue.run_repeating(deliver_due, interval=DUE_WORK_SECONDS, first=5)


def run_webhook(settings: Settings) -> int:
    """Serve the Bot API webhook, /healthz and /metrics with uvicorn."""
    import contextlib

    import uvicorn

    from bot.web import build_web_app

    token = settings.telegram_token.get_secret_value() if settings.telegram_token else ""
    secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else ""
    application = build_application(token, settings.bot_api_base_url,
                                    settings.bot_file_base_url,
                                    staff_chat_id=settings.staff_chat_id, updater=False)
    state: dict[str, Any] = {}

    @contextlib.asynccontextmanager
    async def lifespan(_: Any) -> Any:
        await application.initialize()
        await _wire(application, settings, state)
        if settings.webhook_url:
            await application.bot.set_webhook(
                settings.webhook_url + settings.webhook_path, secret_token=secret,
                allowed_updates=Update.ALL_TYPES)
        await application.start()
        yield
        await application.stop()
        await application.shutdown()
        await state["services"].close()

    class _LazyDb:
        def connect(self) -> Any:
            return state["services"].db.connect()

    web = build_web_app(application, secret, settings.webhook_path, _LazyDb(), lifespan)
    uvicorn.run(web, host=settings.listen_host, port=settings.listen_port, log_level="warning")
    return 0


def use_uvloop() -> bool:
    """Run on uvloop where it is installed (not on Windows): the event loop and socket
    writes were a sixth of an update's CPU, and uvloop cut the load benchmark's CPU per
    update by about 15%. Webhook mode gets it from uvicorn, which picks it by itself."""
    try:
        import uvloop
    except ImportError:
        return False
    import asyncio

    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    return True


def run_polling(settings: Settings) -> int:
    token = settings.telegram_token.get_secret_value() if settings.telegram_token else ""
    application = build_application(token, settings.bot_api_base_url,
                                    settings.bot_file_base_url,
                                    staff_chat_id=settings.staff_chat_id)
    state: dict[str, Any] = {}

    async def post_init(app: Any) -> None:
        await _wire(app, settings, state)
        # The small HTTP app (health, metrics, staff calendar feeds) runs beside polling.
        import asyncio
        import contextlib

        import uvicorn

        from bot.web import build_web_app

        web = build_web_app(app, "", settings.webhook_path, state["services"].db)
        server = uvicorn.Server(uvicorn.Config(web, host=settings.listen_host,
                                               port=settings.listen_port, log_level="warning"))
        # PTB owns the signals in polling mode; uvicorn must not take them over.
        server.capture_signals = contextlib.nullcontext  # type: ignore[method-assign,assignment]
        state["http"] = server
        state["http_task"] = asyncio.create_task(server.serve())

    async def post_shutdown(app: Any) -> None:
        if "http" in state:
            state["http"].should_exit = True
            await state["http_task"]
        if "services" in state:
            await state["services"].close()

    application.post_init = post_init
    application.post_shutdown = post_shutdown
    use_uvloop()
    application.run_polling(allowed_updates=Update.ALL_TYPES)
    return 0
