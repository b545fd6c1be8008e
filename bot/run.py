"""Run the Telegram bot by long polling; services live in the application's event loop."""

from __future__ import annotations

import asyncio
from typing import Any

from telegram import Update

from bot.i18n import Catalogs
from bot.settings import Settings
from handlers.telegram import build_application, deliver_due, publish_commands

DUE_WORK_SECONDS = 30


async def _wire(app: Any, settings: Settings, state: dict[str, Any]) -> None:
    """Services live in the application's event loop; created once, closed at the end."""
    from bot.services import build_services, settle_heap

    services = await build_services(settings)
    state["services"] = services
    app.bot_data.engine = services.engine
    app.bot_data.translations = Catalogs()
    app.bot_data.public_url = settings.webhook_url
    await publish_commands(app, app.bot_data.translations, settings.default_language)
    app.job_queue.run_repeating(deliver_due, interval=DUE_WORK_SECONDS, first=5)
    settle_heap()


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
    """Long polling (bot/polling.py acknowledges a batch only once it was handled), with
    the small HTTP app (health, metrics, staff calendar feeds) beside it."""
    token = settings.telegram_token.get_secret_value() if settings.telegram_token else ""
    application = build_application(token, settings.bot_api_base_url,
                                    settings.bot_file_base_url,
                                    staff_chat_id=settings.staff_chat_id, updater=False)
    use_uvloop()
    asyncio.run(_serve_polling(application, settings))
    return 0


async def _serve_polling(application: Any, settings: Settings) -> None:
    import contextlib
    import signal

    import uvicorn

    from bot.polling import DurablePolling
    from bot.web import build_web_app

    state: dict[str, Any] = {}
    polling = DurablePolling(application, allowed_updates=Update.ALL_TYPES)
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, polling.stop)
    await application.initialize()
    try:
        await _wire(application, settings, state)
        web = build_web_app(application, "", settings.webhook_path, state["services"].db)
        server = uvicorn.Server(uvicorn.Config(web, host=settings.listen_host,
                                               port=settings.listen_port, log_level="warning"))
        # We own the signals; uvicorn must not take them over.
        server.capture_signals = contextlib.nullcontext  # type: ignore[method-assign,assignment]
        http = asyncio.create_task(server.serve())
        await application.start()  # the job queue (reminders, retention)
        try:
            await polling.run()
        finally:
            await application.stop()
            server.should_exit = True
            await http
    finally:
        if "services" in state:
            await state["services"].close()
        await application.shutdown()
