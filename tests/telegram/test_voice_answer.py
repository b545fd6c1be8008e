""""🔊 Listen" through a real PTB Application over the fake Bot API, with the real espeak-ng:
pressing it sends the answer as voice messages (sendVoice, OGG/Opus that decodes), the same
sound again by Telegram's id; a forged payload is refused kindly; when the sound cannot be
made or Telegram refuses a voice message, the citizen reads a kind text instead."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
import soundfile as sf

from bot.tts import EspeakSpeaker
from domain.languages import LANGUAGES
from domain.speech import SpeechFailed, Spoken
from domain.turn import EngineConfig
from tests.fakes import FakeBotAPI, KeywordUnderstanding
from tests.telegram.helpers import button_update, feed, make_app, make_engine


@pytest.fixture(scope="module")
def speaker(tmp_path_factory: pytest.TempPathFactory) -> EspeakSpeaker:
    return EspeakSpeaker(tmp_path_factory.mktemp("tts"))


async def application(tmp_path: Path, speaker: Any) -> tuple[Any, FakeBotAPI, Any]:
    from storage.database import upgrade_async

    url = f"sqlite+aiosqlite:///{tmp_path / 'voice.db'}"
    await upgrade_async(url)
    engine, db = make_engine(url, KeywordUnderstanding({}))
    if speaker is not None:
        engine.config = EngineConfig(spoken_languages=speaker.languages)
    api = FakeBotAPI()
    app = await make_app(engine, api, speaker=speaker)
    api.clear()
    return app, api, db


@pytest.fixture
async def setup(tmp_path, speaker):
    app, api, db = await application(tmp_path, speaker)
    yield app, api
    await app.shutdown()
    await db.dispose()


def callbacks(params: dict[str, Any]) -> list[str]:
    markup = params.get("reply_markup") or {}
    return [b["callback_data"] for row in markup.get("inline_keyboard", []) for b in row]


async def test_listen_sends_the_answer_as_ogg_opus_voice_messages(setup):
    app, api = setup
    await feed(app, button_update(7001, "faq:faq_tax_code", language="it"))
    (answer,) = api.sent()
    assert callbacks(answer)[0] == "listen:faq_tax_code"
    api.clear()

    await feed(app, button_update(7001, "listen:faq_tax_code", language="it"))
    voices = api.sent("sendVoice")
    assert voices and not api.sent()  # voice messages only, no text
    for voice in voices:
        audio = voice["voice:bytes"]
        assert audio[:4] == b"OggS" and b"OpusHead" in audio[:100]
        data, rate = sf.read(io.BytesIO(audio))
        assert len(data) / rate > 0.5
        assert int(voice["duration"]) >= len(data) / rate - 1
    assert voices[0]["caption"].startswith("🔊 Codice fiscale")
    assert callbacks(voices[0]) == ["human"]  # a person, a tap away
    assert [n for n, _ in api.calls].count("sendChatAction") == len(voices)

    api.clear()  # the same answer again: by Telegram's id, nothing uploaded
    await feed(app, button_update(7002, "listen:faq_tax_code", language="it"))
    again = api.sent("sendVoice")
    assert len(again) == len(voices)
    assert all("voice:bytes" not in v and str(v["voice"]).startswith("v-") for v in again)


@pytest.mark.parametrize("language", [c for c in LANGUAGES if c != "tl"])  # no Tagalog voice
async def test_in_every_launch_language_a_voice_message_that_decodes(setup, content, language):
    """One passage of the tax-code answer (a part shown after a question), in each language's
    own voice: the caption is the answer's title in that language."""
    app, api = setup
    await feed(app, button_update(7100 + LANGUAGES.index(language), "listen:faq_tax_code.1",
                                  language=language))
    (voice,) = api.sent("sendVoice")
    data, rate = sf.read(io.BytesIO(voice["voice:bytes"]))
    assert voice["voice:bytes"][:4] == b"OggS" and len(data) / rate > 0.5
    assert voice["caption"] == "🔊 " + content.get(language, "faq_tax_code").title


async def test_a_forged_listen_is_refused_kindly(setup):
    app, api = setup
    await feed(app, button_update(7003, "listen:../../etc/passwd", language="en"))
    assert not api.sent("sendVoice")
    assert "no longer valid" in api.sent()[0]["text"]


async def test_a_voice_refused_by_telegram_is_a_kind_text(setup):
    """A citizen may refuse voice messages (Telegram: VOICE_MESSAGES_FORBIDDEN)."""
    app, api = setup
    api.fail("sendVoice", 400, "Bad Request: VOICE_MESSAGES_FORBIDDEN", times=2)  # id, upload
    await feed(app, button_update(7004, "listen:faq_tax_code.1", language="en"))
    (text,) = api.sent()
    assert "could not read this answer aloud" in text["text"]
    assert callbacks(text) == ["human"]


class BrokenSpeaker:
    """A speaker whose library fails (the port's failure, as espeak-ng would report it)."""

    languages = frozenset({"en", "it"})

    def key(self, text: str, language: str) -> str:
        return "k"

    async def speak(self, text: str, language: str) -> Spoken:
        raise SpeechFailed("espeak-ng refused the text")

    def file_id(self, key: str) -> str | None:
        return None

    def remember(self, key: str, file_id: str | None) -> None:
        pass


async def test_a_sound_that_cannot_be_made_is_a_kind_text(tmp_path):
    app, api, db = await application(tmp_path, BrokenSpeaker())
    try:
        await feed(app, button_update(7005, "listen:faq_tax_code", language="en"))
        assert not api.sent("sendVoice")
        (text,) = api.sent()  # once, not once a part
        assert "could not read this answer aloud" in text["text"]
    finally:
        await app.shutdown()
        await db.dispose()


async def test_without_a_speaker_there_is_no_listen_button(tmp_path):
    app, api, db = await application(tmp_path, None)
    try:
        await feed(app, button_update(7006, "faq:faq_tax_code", language="en"))
        assert not any(c.startswith("listen") for c in callbacks(api.sent()[0]))
    finally:
        await app.shutdown()
        await db.dispose()


def test_the_running_bot_reads_an_answer_aloud(tmp_path, real_nlu):
    """``teams-bot run`` as a real process, polling the fake Bot API: the speaker is wired
    (the button is shown, the press gets a voice message that decodes)."""
    import os
    import socket
    import subprocess
    import sys
    import time

    from tests.fake_bot_api_server import FakeBotApiServer

    root = Path(__file__).resolve().parents[2]
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("TEAMS_")}
    env.update(TEAMS_TELEGRAM_TOKEN="123456:VOICE", TEAMS_LOG_LEVEL="WARNING",
               TEAMS_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'teams.db'}",
               TEAMS_LISTEN_PORT=str(port), TEAMS_TTS_CACHE_DIR=str(tmp_path / "tts"))
    if "TEAMS_NLU_CACHE_DIR" in os.environ:
        env["TEAMS_NLU_CACHE_DIR"] = os.environ["TEAMS_NLU_CACHE_DIR"]
    with FakeBotApiServer() as bot_api:
        env["TEAMS_TELEGRAM_API_URL"] = bot_api.url
        worker = subprocess.Popen([sys.executable, "-m", "bot.cli", "run", "--demo"], env=env,
                                  cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            bot_api.offer(button_update(7200, "faq:faq_tax_code", language="es"),
                          button_update(7200, "listen:faq_tax_code.1", language="es"))
            deadline = time.monotonic() + 180
            while not bot_api.sent("sendVoice"):
                assert worker.poll() is None, worker.stderr.read().decode()[-2000:]  # type: ignore[union-attr]
                assert time.monotonic() < deadline, "no voice message"
                time.sleep(0.1)
        finally:
            worker.terminate()
            _, err = worker.communicate(timeout=60)
    assert "Traceback" not in err.decode(), err.decode()[-2000:]
    assert callbacks(bot_api.sent()[0])[0] == "listen:faq_tax_code"
    (voice,) = bot_api.sent("sendVoice")
    data, rate = sf.read(io.BytesIO(voice["voice:bytes"]))
    assert len(data) / rate > 0.5
