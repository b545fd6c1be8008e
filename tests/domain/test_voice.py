"""A voice note through the engine, on the in-memory fakes: unheard -> a person listens (a
hand-over "voice" with the note copied); heard -> shown back, waiting in the conversation;
yes -> handled as typed with the language heard; no -> write, or a person listens; danger
in what was heard -> answered at once."""

from __future__ import annotations

import pytest

from domain.content import Content
from domain.directory import Directory
from domain.engine import Engine
from domain.events import RelayToStaff
from domain.messages import ContentType, Inbound, Reply
from domain.state import ConversationData, Heard
from domain.turn import EngineConfig
from tests.fakes import EchoTranslations, FakeUowFactory, FixedClock, KeywordUnderstanding

CITIZEN = 4301  # synthetic
INTENTS = {"fiscale": "faq_tax_code", "picchia": "emergency"}


@pytest.fixture
def uow() -> FakeUowFactory:
    return FakeUowFactory()


@pytest.fixture
def understanding() -> KeywordUnderstanding:
    return KeywordUnderstanding(INTENTS)


@pytest.fixture
async def engine(uow: FakeUowFactory, understanding: KeywordUnderstanding,
                 directory: Directory, content: Content) -> Engine:
    return Engine(uow, EchoTranslations(mark=False), understanding, FixedClock(), directory,
                  content, EngineConfig(staff_chat=True))


async def voice(engine: Engine, heard: str | None = None, language: str | None = None,
                message_id: int = 55) -> list[Reply]:
    return await engine.handle(Inbound(CITIZEN, language_hint="en",
                                       content_type=ContentType.VOICE, message_id=message_id,
                                       heard=heard, heard_language=language))


async def press(engine: Engine, payload: str) -> list[Reply]:
    return await engine.handle(Inbound(CITIZEN, payload=payload, language_hint="en",
                                       content_type=ContentType.BUTTON))


def events(replies: list[Reply]) -> list[str | None]:
    return [r.event.name if r.event else None for r in replies]


async def test_an_unheard_note_goes_to_a_person_with_the_note(engine, uow):
    replies = await voice(engine)
    assert events(replies) == ["handover:voice", "relay"]
    assert "who will listen to it" in replies[0].text and "112" in replies[0].text
    assert next(iter(uow.store.handovers.values())).reason == "voice"


async def test_a_heard_note_waits_for_a_yes_then_is_answered_as_typed(engine, uow,
                                                                      understanding):
    replies = await voice(engine, "codice fiscale per favore", "it")
    assert replies[-1].text == "I understood: «codice fiscale per favore» — is that right?"
    assert understanding.calls[-1] == ("codice fiscale per favore", "it")  # read for danger
    assert uow.store.conversations[CITIZEN].data.heard == Heard(
        "codice fiscale per favore", "it", 55)
    assert uow.store.transcript[-2].text == "codice fiscale per favore"  # kept like a text
    replies = await press(engine, "heard:yes")
    assert "agenziaentrate.gov.it" in replies[0].text
    assert understanding.calls[-1] == ("codice fiscale per favore", "it")
    assert uow.store.conversations[CITIZEN].data.heard is None
    assert not uow.store.handovers


async def test_no_then_a_person_copies_the_note_heard_before(engine, uow):
    await voice(engine, "tacks code", "en", message_id=77)
    replies = await press(engine, "heard:no")
    assert "heard:person" in [b.payload for r in replies for row in r.buttons for b in row]
    assert (await press(engine, "heard:yes"))[0].text.startswith("That button")
    replies = await press(engine, "heard:person")
    relay = [r.event for r in replies if isinstance(r.event, RelayToStaff)]
    assert relay == [RelayToStaff(message=77)]
    assert next(iter(uow.store.handovers.values())).reason == "voice"


async def test_danger_heard_is_answered_without_waiting(engine, uow):
    replies = await voice(engine, "mio marito mi picchia", "it")
    assert "112" in replies[0].text
    assert not any("I understood" in r.text for r in replies)
    assert events(replies)[-1] == "relay"
    assert next(iter(uow.store.handovers.values())).reason == "emergency"


def test_the_waiting_transcript_is_stored_by_name():
    data = ConversationData(heard=Heard("a b", "en", 5))
    assert data.dump() == {"heard": {"text": "a b", "language": "en", "message": 5}}
    assert ConversationData.load(data.dump()) == data
    assert ConversationData.load({"heard": {"text": 3}}).heard is None


async def test_during_a_hand_over_a_heard_note_is_relayed_and_danger_alarms(engine, uow):
    await press(engine, "human")
    replies = await voice(engine, "codice fiscale", "it")
    assert events(replies) == ["relay"]  # a person has the conversation: no question
    assert uow.store.conversations[CITIZEN].data.heard is None
    replies = await voice(engine, "mi picchia", "it")
    assert "relay" in events(replies) and "alarm" in events(replies)


def test_a_voice_hand_over_is_named_for_staff_in_the_case_view_and_the_report(directory):
    """Staff read why a person was asked for in words, also for an unheard voice note."""
    from bot.report.labels import Labels
    from domain.casefile import REASON_LABELS

    assert REASON_LABELS["voice"] == "voice message"
    assert Labels("it", directory, EchoTranslations()).reason("voice") == "Messaggio vocale"
    assert Labels("en", directory, EchoTranslations()).reason("voice") == "Voice message"
