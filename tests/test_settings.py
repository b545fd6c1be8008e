"""Settings: one clear sentence for a wrong value, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from bot.settings import SettingsError, load_settings


def test_defaults_work_without_any_environment(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    settings = load_settings()
    assert settings.database_url == "sqlite+aiosqlite:///teams.db"
    assert (settings.default_language, settings.timezone) == ("it", "Europe/Rome")
    assert settings.bot_api_base_url == "https://api.telegram.org/bot"


def test_a_speech_model_is_a_local_folder_and_optional(monkeypatch, tmp_path):
    assert load_settings().speech_model is None  # a person listens to voice notes
    (tmp_path / "model.bin").write_bytes(b"")
    monkeypatch.setenv("TEAMS_SPEECH_MODEL", str(tmp_path))
    monkeypatch.setenv("TEAMS_SPEECH_MAX_SECONDS", "90")
    settings = load_settings()
    assert (settings.speech_model, settings.speech_max_seconds) == (tmp_path, 90.0)


def test_the_api_url_sets_both_api_and_file_urls(monkeypatch):
    monkeypatch.setenv("TEAMS_TELEGRAM_API_URL", "http://127.0.0.1:8081/")
    settings = load_settings()
    assert settings.bot_api_base_url == "http://127.0.0.1:8081/bot"
    assert settings.bot_file_base_url == "http://127.0.0.1:8081/file/bot"


@pytest.mark.parametrize(("name", "value"), [
    ("TEAMS_DEFAULT_LANGUAGE", "de"), ("TEAMS_TIMEZONE", "Mars/Olympus"),
    ("TEAMS_DATABASE_URL", "mysql://x@y/z"), ("TEAMS_TELEGRAM_API_URL", "api.telegram.org"),
    ("TEAMS_SERVICE_FILE", "/nonexistent/service.yml"), ("TEAMS_STAFF_CHAT_ID", "staff"),
    ("TEAMS_SPEECH_MODEL", "/nonexistent/whisper"), ("TEAMS_SPEECH_MAX_SECONDS", "0"),
])
def test_a_wrong_setting_names_the_variable(monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert name in str(caught.value) and "set it to" in str(caught.value)


def test_the_command_line_prints_one_sentence_and_exits_2(tmp_path):
    env = {**os.environ, "TEAMS_DEFAULT_LANGUAGE": "klingon"}
    result = subprocess.run([sys.executable, "-m", "bot.cli", "content", "check"], env=env,
                            capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().startswith("teams-bot: The setting TEAMS_DEFAULT_LANGUAGE")
    assert len(result.stderr.strip().splitlines()) == 1


def test_run_without_a_token_says_what_to_do(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "TEAMS_TELEGRAM_TOKEN"}
    result = subprocess.run([sys.executable, "-m", "bot.cli", "run"], env=env,
                            capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 2
    assert "TEAMS_TELEGRAM_TOKEN" in result.stderr and "teams-bot shell" in result.stderr


def dead_api_url() -> str:
    """A Bot API address where nothing listens: a bot that starts fails fast instead."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


@pytest.mark.parametrize("mode", [[], ["--webhook"]])
def test_run_refuses_the_example_directory_without_demo(tmp_path, mode):
    from bot.settings import EXAMPLE_SERVICE_FILE

    env = {k: v for k, v in os.environ.items() if not k.startswith("TEAMS_")}
    env.update(TEAMS_TELEGRAM_TOKEN="123456:EXAMPLE", TEAMS_WEBHOOK_SECRET="s3cret",
               TEAMS_TELEGRAM_API_URL=dead_api_url(), TEAMS_LISTEN_PORT="0",
               TEAMS_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 't.db'}")
    result = subprocess.run([sys.executable, "-m", "bot.cli", "run", *mode], env=env,
                            capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert result.returncode == 2, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    assert "TEAMS_SERVICE_FILE" in result.stderr and str(EXAMPLE_SERVICE_FILE) in result.stderr
    assert "--demo" in result.stderr
