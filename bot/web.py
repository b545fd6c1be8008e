"""The assistant's small HTTP app: the Bot API webhook, /healthz and Prometheus /metrics.

An update is handled inside the request: Telegram gets 200 only when it was handled, so an
update that was in flight when a worker died is delivered again, and the update id makes sure
it is not handled twice.

An update that fails for good, or that PTB cannot parse, is put aside (a dead letter) and
answered 200, so Telegram does not deliver it for ever; one that keeps failing transiently is
put aside the same way after a while (handlers/failures.py). A body that is not a JSON object
is a client error (400); a body over ``MAX_BODY`` bytes is refused (413) unread.
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from telegram import Update

from handlers.failures import raw_origin
from handlers.telegram import give_up, put_aside
from nlu.pool import NLU_LATENCY

#: Served at /metrics from the start, beside the Telegram side's (handlers/metrics.py).
SERVED_METRICS = (NLU_LATENCY,)

log = logging.getLogger(__name__)

MAX_BODY = 1 << 20  # 1 MiB: an update is a few kilobytes (files are fetched apart)


async def _body(request: Request) -> bytes | None:
    """The request body, or None when it is longer than :data:`MAX_BODY` (not read whole)."""
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > MAX_BODY):
        return None
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            return None
    return bytes(body)


def build_web_app(application: Any, secret: str, path: str, db: Any,
                  lifespan: Any = None) -> Starlette:
    """The webhook at ``path`` (only with a ``secret``: never unguarded), /healthz (the
    database ``db`` answers), /metrics and the staff's calendar feeds."""
    routes = [Route(path, _webhook(application, secret), methods=["POST"])] if secret else []
    return Starlette(routes=[
        *routes,
        Route("/healthz", _healthz(db), methods=["GET"]),
        Route("/metrics", _metrics, methods=["GET"]),
        Route("/calendar/{token}.ics", _calendar(application), methods=["GET"]),
    ], lifespan=lifespan)


Endpoint = Callable[[Request], Awaitable[Response]]


def _webhook(application: Any, secret: str) -> Endpoint:
    async def webhook(request: Request) -> Response:
        given = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
        if not hmac.compare_digest(given.encode(), secret.encode()):
            return PlainTextResponse("forbidden", status_code=403)
        body = await _body(request)
        if body is None:
            return PlainTextResponse("too large", status_code=413)
        try:
            data = json.loads(body)
        except ValueError:
            return PlainTextResponse("bad update", status_code=400)
        if not isinstance(data, dict):
            return PlainTextResponse("bad update", status_code=400)
        return await _handle(application, data)

    return webhook


async def _handle(application: Any, data: dict[str, Any]) -> Response:
    """One update, handled inside the request: 200 once handled (or put aside), 503 for
    Telegram to deliver it again."""
    bot_data = application.bot_data
    update_id = data.get("update_id")
    if not isinstance(update_id, int) or isinstance(update_id, bool):
        update_id = None
    try:
        if update_id is None:
            raise ValueError("no update_id")
        update = Update.de_json(data, application.bot)
    except Exception as exc:
        # Another Bot API version's update: put aside (never logged), and answered 200.
        kind, user, chat, language = raw_origin(data)
        if not await put_aside(application.bot, bot_data, update_id, "parse", exc,
                               citizen=user, chat_id=chat, language_hint=language,
                               kind=kind):
            return PlainTextResponse("retry later", status_code=503)
        return Response(status_code=200)
    await application.process_update(update)
    failed = bot_data.failed
    if update.update_id in failed:
        failed.discard(update.update_id)
        failure = bot_data.failures.pop(update.update_id, None)
        tries = bot_data.attempts.failed(update.update_id)
        if not (bot_data.attempts.exhausted(update.update_id) and await give_up(
                application.bot, bot_data, update, failure, tries)):
            return PlainTextResponse("retry later", status_code=503)  # sent again
    bot_data.attempts.forget(update.update_id)
    return Response(status_code=200)


def _healthz(db: Any) -> Endpoint:
    async def healthz(_: Request) -> Response:
        try:
            async with db.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except Exception as exc:
            return JSONResponse({"status": "unhealthy", "database": type(exc).__name__},
                                status_code=503)
        return JSONResponse({"status": "ok"})

    return healthz


async def _metrics(_: Request) -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


def _calendar(application: Any) -> Endpoint:
    async def calendar(request: Request) -> Response:
        token = str(request.path_params["token"])
        engine = application.bot_data.engine if application is not None else None
        body = await engine.desk.feed(token) if engine is not None else None
        if body is None:
            return PlainTextResponse("not found", status_code=404)
        return Response(body, media_type="text/calendar; charset=utf-8",
                        headers={"Cache-Control": "private, max-age=300"})

    return calendar
