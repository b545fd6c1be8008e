"""Answers read aloud with the real espeak-ng (from the espeakng-loader wheel): in every
launch language and the planned ones that espeak-ng has, the bytes are OGG/Opus that decode
to speech; made once, then read from the cache; a changed text is a new sound."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

import pytest
import soundfile as sf

from bot.tts import OPUS_RATE, VOICES, EspeakSpeaker, load_speaker
from domain.content import Content
from domain.languages import LANGUAGES
from domain.speech import SpeechFailed, spoken_parts, spoken_text

#: Planned languages (issue 17) with no content yet: a sentence of their own.
PLANNED = {
    "ru": "Где находится ближайшая больница? Позвоните по номеру сто двенадцать.",
    "hi": "सबसे नज़दीकी अस्पताल कहाँ है? एक सौ बारह पर फ़ोन करें।",
    "fa": "نزدیک‌ترین بیمارستان کجاست؟ با شماره صد و دوازده تماس بگیرید.",
}

#: Spoken languages espeak-ng has no voice for: no Listen button (Tagalog).
NO_VOICE = frozenset({"tl"})
WITH_VOICE = [language for language in LANGUAGES if language not in NO_VOICE]


@pytest.fixture(scope="module")
def speaker(tmp_path_factory: pytest.TempPathFactory) -> EspeakSpeaker:
    return EspeakSpeaker(tmp_path_factory.mktemp("tts"))


def decode(audio: bytes) -> tuple[float, int]:
    data, rate = sf.read(io.BytesIO(audio))
    return len(data) / rate, rate


def kept(path: str | None) -> bytes:
    return Path(path or "").read_bytes()


def damage(path: str | None) -> None:
    Path(path or "").write_bytes(b"OggS broken")


def first_part(content: Content, language: str) -> str:
    """What a citizen hears first after pressing Listen under the health-card answer."""
    answer = content.get(language, "faq_health_care")
    assert answer is not None and answer.language == language
    return spoken_parts(spoken_text(answer.title, answer.text))[0]


def test_every_launch_language_and_three_planned_ones_have_a_voice(speaker):
    assert set(WITH_VOICE) | set(PLANNED) <= speaker.languages
    assert "tl" in VOICES and "tl" not in speaker.languages  # espeak-ng has no Tagalog


@pytest.mark.parametrize("language", sorted(set(WITH_VOICE) | set(PLANNED)))
async def test_an_answer_becomes_ogg_opus_that_decodes(speaker, content, language):
    text = first_part(content, language) if language in LANGUAGES else PLANNED[language]
    spoken = await speaker.speak(text, language)
    assert spoken.audio[:4] == b"OggS" and b"OpusHead" in spoken.audio[:100]
    seconds, rate = decode(spoken.audio)
    assert rate == OPUS_RATE and seconds > 0.5
    assert abs(seconds - spoken.seconds) < 0.1
    assert kept(spoken.path) == spoken.audio


async def test_made_once_then_read_from_the_cache_and_a_new_text_is_a_new_sound(tmp_path):
    speaker = EspeakSpeaker(tmp_path)
    first = await speaker.speak("Il codice fiscale è gratuito.", "it")
    again = await speaker.speak("Il codice fiscale è gratuito.", "it")
    assert first.fresh and not again.fresh
    assert (again.key, again.audio) == (first.key, first.audio)
    changed = await speaker.speak("Il codice fiscale è gratuito. Portate il passaporto.", "it")
    assert changed.fresh and changed.key != first.key
    other_voice = await speaker.speak("Il codice fiscale è gratuito.", "ro")
    assert other_voice.key != first.key
    assert len(list(tmp_path.glob("*.ogg"))) == 3


async def test_a_damaged_kept_sound_is_made_again(tmp_path):
    speaker = EspeakSpeaker(tmp_path)
    first = await speaker.speak("Buongiorno.", "it")
    damage(first.path)
    again = await speaker.speak("Buongiorno.", "it")
    assert again.fresh and decode(again.audio)[0] > 0.3


async def test_a_folder_that_cannot_be_written_still_gives_the_sound(tmp_path):
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    speaker = EspeakSpeaker(blocked / "tts")
    spoken = await speaker.speak("Hello.", "en")
    assert decode(spoken.audio)[0] > 0.3 and spoken.path is None


async def test_no_voice_or_no_text_is_a_failure_the_channel_answers_kindly(speaker):
    with pytest.raises(SpeechFailed):
        await speaker.speak("Magandang umaga.", "tl")
    with pytest.raises(SpeechFailed):
        await speaker.speak("   ", "it")


async def test_telegram_ids_are_remembered_beside_the_sound(tmp_path):
    speaker = EspeakSpeaker(tmp_path)
    spoken = await speaker.speak("Ciao.", "it")
    assert speaker.file_id(spoken.key) is None
    speaker.remember(spoken.key, "AwACAgQ")
    assert EspeakSpeaker(tmp_path).file_id(spoken.key) == "AwACAgQ"  # after a restart too
    speaker.remember(spoken.key, None)
    assert speaker.file_id(spoken.key) is None


async def test_two_citizens_at_once_get_the_same_sound(tmp_path):
    speaker = EspeakSpeaker(tmp_path)
    a, b = await asyncio.gather(speaker.speak("Buonasera.", "it"),
                                speaker.speak("Buonasera.", "it"))
    assert a.audio == b.audio and len(list(tmp_path.glob("*.ogg"))) == 1


def test_turned_off_there_is_no_speaker(tmp_path):
    assert load_speaker(tmp_path, enabled=False) is None
    assert load_speaker(tmp_path) is not None


async def test_the_oldest_sounds_go_when_the_folder_holds_too_many(tmp_path):
    speaker = EspeakSpeaker(tmp_path, max_files=2)
    for n, word in enumerate(("Uno.", "Due.", "Tre.")):
        spoken = await speaker.speak(word, "it")
        speaker.remember(spoken.key, f"id-{n}")
    speaker._written = 100  # the next sound made prunes
    await speaker.speak("Quattro.", "it")
    assert len(list(tmp_path.glob("*.ogg"))) == 2
    assert len(list(tmp_path.glob("*.id"))) <= 2


async def test_another_user_of_the_library_in_the_process_does_not_silence_it(tmp_path):
    """espeak-ng keeps one callback for the whole process: another user of the library that
    sets its own (a plugin, a test) must not leave the speaker with silence, so the speaker
    sets its own again before each text."""
    from bot.espeak import _CALLBACK, shared

    foreign = _CALLBACK(lambda wav, count, events: 0)  # takes the samples, keeps nothing
    speaker = EspeakSpeaker(tmp_path)
    shared().lib.espeak_SetSynthCallback(foreign)
    spoken = await speaker.speak("Buongiorno a tutti.", "it")
    assert decode(spoken.audio)[0] > 0.5
