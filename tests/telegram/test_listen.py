"""The HTTP app's port (TEAMS_LISTEN_PORT) taken by another program: in polling mode the bot
keeps serving citizens without its health, metrics and calendar app, and says so once; in
webhook mode, where that app is how updates arrive, it stops with a sentence naming the
setting."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

from tests.fake_bot_api_server import FakeBotApiServer
from tests.telegram.helpers import message_update

ROOT = Path(__file__).resolve().parents[2]
CITIZEN = 6100


def bot_env(tmp_path: Path, api_url: str, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TEAMS_")}
    env.update(TEAMS_TELEGRAM_TOKEN="123456:LISTEN", TEAMS_TELEGRAM_API_URL=api_url,
               TEAMS_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'teams.db'}",
               TEAMS_LISTEN_PORT=str(port), TEAMS_LOG_LEVEL="WARNING",
               TEAMS_WEBHOOK_SECRET="listen-secret")
    if "TEAMS_NLU_CACHE_DIR" in os.environ:
        env["TEAMS_NLU_CACHE_DIR"] = os.environ["TEAMS_NLU_CACHE_DIR"]
    return env


def busy_port(sock: socket.socket) -> int:
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    return int(sock.getsockname()[1])


def test_a_busy_port_in_polling_mode_leaves_the_bot_answering(tmp_path, real_nlu):
    with socket.socket() as other_program, FakeBotApiServer() as bot_api:
        port = busy_port(other_program)
        worker = subprocess.Popen([sys.executable, "-m", "bot.cli", "run", "--demo"],
                                  env=bot_env(tmp_path, bot_api.url, port), cwd=ROOT,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            bot_api.offer(message_update(CITIZEN, "/start"))
            deadline = time.monotonic() + 120
            while not any(int(p.get("chat_id", 0)) == CITIZEN for p in bot_api.sent()):
                if worker.poll() is not None:
                    raise AssertionError(worker.stderr.read().decode()[-2000:])  # type: ignore[union-attr]
                assert time.monotonic() < deadline, "the bot never answered"
                time.sleep(0.1)
        finally:
            worker.terminate()
            _, err = worker.communicate(timeout=60)
    log = err.decode()
    assert "Traceback" not in log, log[-2000:]
    warnings = [line for line in log.splitlines() if "TEAMS_LISTEN_PORT" in line]
    assert len(warnings) == 1, log[-2000:]
    assert "WARNING" in warnings[0] and str(port) in warnings[0]


def test_a_busy_port_in_webhook_mode_stops_with_a_sentence_naming_the_setting(tmp_path):
    with socket.socket() as other_program, FakeBotApiServer() as bot_api:
        port = busy_port(other_program)
        result = subprocess.run([sys.executable, "-m", "bot.cli", "run", "--webhook", "--demo"],
                                env=bot_env(tmp_path, bot_api.url, port), cwd=ROOT,
                                capture_output=True, text=True, timeout=120)
    assert result.returncode == 2, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith(
        "teams-bot: The setting TEAMS_LISTEN_PORT")
    assert str(port) in result.stderr
