"""Two webhook worker processes behind one address share one PostgreSQL: interleaved and
redelivered updates of many citizens are each handled once, in order."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.fake_bot_api_server import FakeBotApiServer
from tests.telegram.helpers import incoming_texts, message_update

ROOT = Path(__file__).resolve().parents[2]
SECRET = "workers-secret"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_worker(database_url: str, api_url: str, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "TEAMS_TELEGRAM_TOKEN": "123456:WORKERS", "TEAMS_TELEGRAM_API_URL":
           api_url, "TEAMS_DATABASE_URL": database_url, "TEAMS_WEBHOOK_SECRET": SECRET,
           "TEAMS_LISTEN_PORT": str(port), "TEAMS_LOG_LEVEL": "WARNING"}
    env.pop("TEAMS_WEBHOOK_URL", None)
    return subprocess.Popen([sys.executable, "-m", "bot.cli", "run", "--webhook", "--demo"],
                            env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def wait_healthy(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(process.stderr.read().decode()[-2000:])  # type: ignore[union-attr]
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError("worker did not become healthy")


async def test_two_workers_handle_interleaved_updates_once_and_in_order(database_url,
                                                                        real_nlu):
    if not database_url.startswith("postgresql"):
        pytest.skip("several workers share PostgreSQL (SQLite serves one process)")
    ports = [free_port(), free_port()]
    with FakeBotApiServer() as bot_api:
        workers = [start_worker(database_url, bot_api.url, p) for p in ports]
        try:
            for port, worker in zip(ports, workers, strict=True):
                await asyncio.to_thread(wait_healthy, port, worker)
            bot_api.api.calls.clear()
            citizens = list(range(3000, 3030))
            script = ["/start", "/menu", "/help", "/language", "/menu"]
            headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}

            async def deliver(http: httpx.AsyncClient, port: int, update: dict) -> None:
                """As Telegram does: a non-2xx answer means deliver the update again."""
                for _ in range(10):
                    response = await http.post(f"http://127.0.0.1:{port}/telegram",
                                               json=update, headers=headers)
                    if response.status_code == 200:
                        return
                    await asyncio.sleep(0.2)
                raise AssertionError(f"update never accepted: {response.status_code}")

            async def talk(http: httpx.AsyncClient, citizen: int) -> None:
                for step, text in enumerate(script):
                    update = message_update(citizen, text, language="it")
                    await deliver(http, ports[(citizen + step) % 2], update)
                    if step % 2 == 0:  # a duplicate delivery, to the other worker
                        await deliver(http, ports[(citizen + step + 1) % 2], update)

            async with httpx.AsyncClient(timeout=30) as http:
                await asyncio.gather(*(talk(http, c) for c in citizens))
        finally:
            for worker in workers:
                worker.terminate()
            for worker in workers:
                worker.wait(timeout=30)
        sent = bot_api.sent()
    for citizen in citizens:
        mine = [m for m in sent if int(m["chat_id"]) == citizen]
        assert len(mine) == len(script), (citizen, [m["text"][:30] for m in mine])
    texts = await incoming_texts(database_url)
    for citizen in citizens:
        assert texts[citizen] == script
