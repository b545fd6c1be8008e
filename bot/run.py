"""Run the Telegram bot by long polling; services live in the application's event loop."""

from __future__ import annotations

import asyncio
import logging
import socket
from typing import Any

from telegram import Update

from bot.settings import Settings, SettingsError
from handlers.telegram import build_application, deliver_due, publish_commands

DUE_WORK_SECONDS = 30
log = logging.getLogger(__name__)


def listen_socket(host: str, port: int) -> socket.socket:
    """The HTTP app's socket, bound before anything starts (as uvicorn would bind it), so that
    a port another program holds is known at once, not as a ``sys.exit`` inside uvicorn."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


async def _wire(app: Any, settings: Settings, state: dict[str, Any]) -> None:
    """Services live in the application's event loop; created once, closed at the end."""
    from bot.services import build_services, settle_heap

    services = await build_services(settings, background=True)
    state["services"] = services
    app.bot_data.engine = services.engine
    app.bot_data.translations = services.engine.translations  # the catalogs, loaded once
    app.bot_data.public_url = settings.webhook_url
    app.bot_data.speaker = services.speaker  # answers read aloud, if espeak-ng is there
    if settings.speech_model is not None:  # else a person listens to voice notes
        app.bot_data.speech = hearing(settings)
    await publish_commands(app, app.bot_data.translations, settings.default_language)
    app.job_queue.run_repeating(deliver_due, interval=DUE_WORK_SECONDS, first=5)
    settle_heap()


def hearing(settings: Settings) -> Any:
    """The voice notes' listener over the model in TEAMS_SPEECH_MODEL (loaded now)."""
    from handlers.speech import Listener
    from nlu.speech import SpeechUnavailable, WhisperTranscriber

    assert settings.speech_model is not None
    try:
        transcriber = WhisperTranscriber.from_folder(settings.speech_model,
                                                     settings.speech_max_seconds)
    except SpeechUnavailable as exc:
        raise SettingsError(str(exc)) from None
    log.info("voice notes are transcribed (model in %s)", settings.speech_model)
    return Listener(transcriber)


def run_webhook(settings: Settings) -> int:
    """Serve the Bot API webhook, /healthz and /metrics with uvicorn."""
    import contextlib

    import uvicorn

    from bot.web import build_web_app

    try:  # the webhook is how updates arrive: without its port there is no bot
        sock = listen_socket(settings.listen_host, settings.listen_port)
    except OSError as exc:
        raise SettingsError(
            f"The setting TEAMS_LISTEN_PORT is wrong (cannot listen on {settings.listen_host} "
            f"port {settings.listen_port}: {exc.strerror or exc}): set it to a free TCP port, "
            "or stop the program that holds this one (the address is TEAMS_LISTEN_HOST)."
        ) from None
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
    server = uvicorn.Server(uvicorn.Config(web, host=settings.listen_host,
                                           port=settings.listen_port, log_level="warning"))
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
    return 0 if server.started else 1


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
    sock = _polling_listen_socket(settings)
    await application.initialize()
    try:
        await _wire(application, settings, state)
        http = server = None
        if sock is not None:
            web = build_web_app(application, "", settings.webhook_path, state["services"].db)
            server = uvicorn.Server(uvicorn.Config(web, host=settings.listen_host,
                                                   port=settings.listen_port,
                                                   log_level="warning"))
            # We own the signals; uvicorn must not take them over.
            server.capture_signals = contextlib.nullcontext  # type: ignore[method-assign,assignment]
            http = asyncio.create_task(server.serve(sockets=[sock]))
        await application.start()  # the job queue (reminders, retention)
        try:
            await polling.run()
        finally:
            await application.stop()
            if server is not None and http is not None:
                server.should_exit = True
                await http
    finally:
        if sock is not None:
            sock.close()
        if "services" in state:
            await state["services"].close()
        await application.shutdown()


def _polling_listen_socket(settings: Settings) -> socket.socket | None:
    """In polling mode the HTTP app (health, metrics, calendar feeds) is secondary: when its
    port is taken, citizens are still served, without it, and the log says so once."""
    try:
        return listen_socket(settings.listen_host, settings.listen_port)
    except OSError as exc:
        log.warning(
            "Cannot listen on %s port %s (TEAMS_LISTEN_HOST, TEAMS_LISTEN_PORT): %s. Running "
            "without the HTTP app (/healthz, /metrics, calendar feeds); set TEAMS_LISTEN_PORT "
            "to a free port to have it.", settings.listen_host, settings.listen_port,
            exc.strerror or exc)
        return None
