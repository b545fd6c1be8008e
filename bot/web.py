"""The assistant's small HTTP app: the Bot API webhook, /healthz and Prometheus /metrics.

An update is handled inside the request: Telegram gets 200 only when it was handled, so an
update that was in flight when a worker died is delivered again, and the update id makes sure
it is not handled twice.
"""

from __future__ import annotations

import hmac
import json
import logging
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from telegram import Update

log = logging.getLogger(__name__)


def build_web_app(application: Any, secret: str, path: str, db: Any,
                  lifespan: Any = None) -> Starlette:
    async def webhook(request: Request) -> Response:
        given = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
        if not hmac.compare_digest(given.encode(), secret.encode()):
            return PlainTextResponse("forbidden", status_code=403)
        try:
            data = await request.json()
            update = Update.de_json(data, application.bot)
        except (ValueError, KeyError, TypeError, json.JSONDecodeError):
            return PlainTextResponse("bad update", status_code=400)
        await application.process_update(update)
        failed = application.bot_data.failed
        if update.update_id in failed:
            failed.discard(update.update_id)
            return PlainTextResponse("retry later", status_code=503)  # Telegram sends it again
        return Response(status_code=200)

    async def healthz(_: Request) -> Response:
        try:
            async with db.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except Exception as exc:
            return JSONResponse({"status": "unhealthy", "database": type(exc).__name__},
                                status_code=503)
        return JSONResponse({"status": "ok"})

    async def metrics(_: Request) -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    async def calendar(request: Request) -> Response:
        token = str(request.path_params["token"])
        engine = application.bot_data.engine if application is not None else None
        body = await engine.feed(token) if engine is not None else None
        if body is None:
            return PlainTextResponse("not found", status_code=404)
        return Response(body, media_type="text/calendar; charset=utf-8",
                        headers={"Cache-Control": "private, max-age=300"})

    routes = [Route(path, webhook, methods=["POST"])] if secret else []  # never unguarded
    return Starlette(routes=[
        *routes,
        Route("/healthz", healthz, methods=["GET"]),
        Route("/metrics", metrics, methods=["GET"]),
        Route("/calendar/{token}.ics", calendar, methods=["GET"]),
    ], lifespan=lifespan)
