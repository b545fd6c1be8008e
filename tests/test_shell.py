"""The terminal channel, driven by a script through standard input, as a user would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from bot.settings import EXAMPLE_SERVICE_FILE


def run_shell(tmp_path: Path, lines: list[str], *args: str) -> list[dict]:
    env = {**os.environ, "TEAMS_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 's.db'}",
           "TEAMS_TTS_CACHE_DIR": str(tmp_path / "tts")}
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "shell", "--json", *args],
        input="\n".join(lines) + "\n", capture_output=True, text=True, env=env, cwd=tmp_path,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_a_script_drives_a_whole_conversation_in_json(real_nlu, tmp_path):
    replies = run_shell(tmp_path, ["/start servizi_sociali", "11", "/menu"], "--user", "77")
    assert [b["payload"] for b in replies[0]["buttons"][0]] == ["lang:it", "lang:en", "lang:fr"]
    assert replies[0]["file"] is None
    # "11" pressed the 11th button of the language menu: বাংলা
    assert replies[1]["buttons"][0][0]["payload"] == "group:documents"
    assert replies[2]["buttons"][-1][0]["payload"] == "human"


def test_the_conversation_survives_a_new_process(real_nlu, tmp_path):
    run_shell(tmp_path, ["/start", "5"], "--user", "78")  # chooses العربية
    replies = run_shell(tmp_path, ["/menu"], "--user", "78")
    first = run_shell(tmp_path, ["/menu"], "--user", "79", "--lang", "ar")
    assert replies[0]["text"] == first[0]["text"]  # the same Arabic menu text


def test_free_text_reaches_an_answer_with_its_source(real_nlu, tmp_path):
    replies = run_shell(tmp_path, ["How do I get a tax code?"], "--lang", "en")
    assert "agenziaentrate.gov.it" in replies[0]["text"]


def test_the_shell_says_once_that_the_example_directory_is_not_real(real_nlu, tmp_path):
    note = "example directory: contacts are not real"
    env = {**os.environ, "TEAMS_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 's.db'}"}
    env.pop("TEAMS_SERVICE_FILE", None)
    result = subprocess.run([sys.executable, "-m", "bot.cli", "shell", "--json"],
                            input="/start\n/menu\n", capture_output=True, text=True, env=env,
                            cwd=tmp_path, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stderr.count(note) == 1
    assert all(json.loads(line) for line in result.stdout.splitlines())  # still JSON lines
    own = tmp_path / "service.yml"
    own.write_text(EXAMPLE_SERVICE_FILE.read_text(encoding="utf-8").replace(
        "example: true\n", ""), encoding="utf-8")
    env["TEAMS_SERVICE_FILE"] = str(own)
    result = subprocess.run([sys.executable, "-m", "bot.cli", "shell", "--json"],
                            input="/start\n", capture_output=True, text=True, env=env,
                            cwd=tmp_path, timeout=120)
    assert result.returncode == 0, result.stderr
    assert note not in result.stderr


def test_listen_writes_the_answer_as_voice_files(real_nlu, tmp_path):
    """The terminal has no voice messages: the answer read aloud is written as OGG/Opus
    files, and their paths shown."""
    import soundfile as sf

    answer, *voices = run_shell(tmp_path, ['{"payload": "faq:faq_tax_code"}',
                                           '{"payload": "listen:faq_tax_code"}'], "--lang", "it")
    assert answer["buttons"][0][0]["payload"] == "listen:faq_tax_code"
    assert len(voices) > 1
    for voice in voices:
        assert voice["text"].startswith("🔊 ") and voice["voice"]["language"] == "it"
        path = Path(voice["voice"]["path"])
        assert path.parent == tmp_path / "tts" and path.suffix == ".ogg"
        assert sf.info(str(path)).duration > 0.5
        assert "http" not in voice["voice"]["text"]
