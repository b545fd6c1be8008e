"""The "🔊 Listen" button under an answer and its verb, through the engine with in-memory fakes:
shown where there is a voice for the answer's language, carrying the topic and the part shown;
pressing it asks the channel for voice messages (the text to speak, its language), with the
kind text for when they cannot be made; a forged payload is refused like any other."""

from __future__ import annotations

import pytest

from domain.content import Content
from domain.directory import Directory
from domain.engine import Engine
from domain.messages import Inbound, Reply
from domain.speech import spoken_parts, spoken_text
from domain.turn import EngineConfig
from tests.fakes import EchoTranslations, FakeUowFactory, FixedClock, KeywordUnderstanding

VOICES = frozenset({"it", "en", "fr", "ar", "zh"})


@pytest.fixture
def uow() -> FakeUowFactory:
    return FakeUowFactory()


@pytest.fixture
def engine(uow: FakeUowFactory, directory: Directory, content: Content) -> Engine:
    understanding = KeywordUnderstanding({"doctor": "faq_health_care",
                                          "fiscale": "faq_tax_code"})
    return Engine(uow, EchoTranslations(), understanding, FixedClock(), directory, content,
                  EngineConfig(spoken_languages=VOICES))


async def press(engine: Engine, payload: str, language: str = "en") -> list[Reply]:
    """A press by a citizen whose Telegram is in ``language`` (one citizen a language: a
    citizen's language is remembered)."""
    user = 100 + sorted(VOICES | {"sq", "uk"}).index(language)
    return await engine.handle(Inbound(user, payload=payload, language_hint=language))


def payloads(reply: Reply) -> list[str]:
    return [b.payload for row in reply.buttons for b in row]


async def test_every_answer_has_a_listen_button_where_there_is_a_voice(engine, content):
    (reply,) = await press(engine, "faq:faq_health_care", "fr")
    assert payloads(reply)[0] == "listen:faq_health_care"
    assert reply.buttons[0][0].label.startswith("🔊 ")
    (about,) = await press(engine, "faq:faq_teams_service", "ar")
    assert "listen:faq_teams_service" in payloads(about)
    # Albanian has a voice in espeak-ng, but this channel's speaker was not given one here
    (none,) = await press(engine, "faq:faq_health_care", "sq")
    assert not any(p.startswith("listen") for p in payloads(none))


async def test_without_a_speaker_no_button_at_all(directory, content):
    plain = Engine(FakeUowFactory(), EchoTranslations(), KeywordUnderstanding({}),
                   FixedClock(), directory, content)
    (reply,) = await press(plain, "faq:faq_health_care", "it")
    assert not any(p.startswith("listen") for p in payloads(reply))


async def test_listen_reads_the_whole_answer_in_parts_in_its_language(engine, content):
    answer = content.get("it", "faq_health_care")
    replies = await press(engine, "listen:faq_health_care", "it")
    spoken = spoken_text(answer.title, answer.text)
    assert [r.voice.text for r in replies] == spoken_parts(spoken)
    assert all(r.voice.language == "it" for r in replies)
    assert replies[0].voice.caption == f"🔊 {answer.title} (1/{len(replies)})"
    # what is read if the sound cannot be made, with a person a tap away; once
    assert "could not read this answer aloud" in replies[0].text
    assert payloads(replies[0]) == ["human"]
    assert all(r.text == "" and not r.buttons for r in replies[1:])
    for source in answer.sources:
        assert all(str(source.url) not in r.voice.text for r in replies)


async def test_listen_reads_the_part_that_was_shown(engine, content):
    asked = await engine.handle(Inbound(101, text="I have no permit, can a doctor see me?",
                                        language_hint="en"))
    listen = payloads(asked[0])[0]
    topic, *indexes = listen.removeprefix("listen:").split(".")
    assert topic == "faq_health_care" and indexes  # the passages shown
    replies = await press(engine, listen)
    heard = "\n".join(r.voice.text for r in replies)
    assert "STP" in heard and "What to bring" not in heard


async def test_an_untranslated_answer_is_read_in_the_language_it_is_written_in(engine):
    """An answer missing in a language is shown in English: read with the English voice."""
    engine.services.content.answers.pop(("fr", "faq_tax_code"), None)
    try:
        (reply,) = await press(engine, "faq:faq_tax_code", "fr")
        assert "listen:faq_tax_code" in payloads(reply)
        replies = await press(engine, "listen:faq_tax_code", "fr")
        assert {r.voice.language for r in replies} == {"en"}
        assert replies[0].text.startswith("[fr] ")  # the kind text in the citizen's language
    finally:
        from domain.content import load_content
        from tests.conftest import LOCALES_DIR

        engine.services.content.answers.update(
            {k: v for k, v in load_content(LOCALES_DIR / "faq").answers.items()
             if k == ("fr", "faq_tax_code")})


async def test_in_a_language_without_a_voice_a_kind_answer(engine):
    (reply,) = await press(engine, "listen:faq_health_care", "uk")
    assert reply.voice is None
    assert "can't read answers aloud in this language yet" in reply.text
    assert payloads(reply) == ["human"]


@pytest.mark.parametrize("forged", [
    "listen", "listen:", "listen:faq_nonexistent", "listen:faq_health_care.x",
    "listen:faq_health_care.1.2.3.4.5.6.7.8.9", "listen:faq_health_care.123",
    "listen:../../etc/passwd", "listen:faq_health_care..1",
])
async def test_a_forged_listen_is_refused_kindly(engine, forged):
    replies = await press(engine, forged)
    assert "no longer valid" in replies[0].text
    assert all(r.voice is None for r in replies)


async def test_a_stale_part_reads_the_whole_answer(engine, content):
    answer = content.get("en", "faq_tax_code")
    replies = await press(engine, "listen:faq_tax_code.99")
    assert "\n".join(r.voice.text for r in replies) == spoken_text(answer.title, answer.text)


async def test_a_voice_reply_is_kept_and_read_back_for_a_redelivery(engine, uow):
    replies = await engine.handle(Inbound(5, payload="listen:faq_tax_code",
                                          language_hint="en", update_id=77))
    again = [Reply.from_record(r.to_record()) for r in replies]
    assert again == replies
    transcript = [e for e in uow.store.transcript if e.direction == "out"]
    assert {e.kind for e in transcript} == {"voice"}
    assert transcript[0].text.startswith("🔊 ")
    assert uow.store.tallies == {("2026-11", "questions.listen", "faq_tax_code"): 1}
