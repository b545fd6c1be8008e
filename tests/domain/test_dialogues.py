"""Dialogue tables, one per language: what a citizen says or presses, and what must come back
(as zulip/python-zulip-api's bots test theirs with ``verify_dialog``). Expected texts are read
from the real catalogs (``locales/``) and FAQ answers through the same ``Translations`` and
``Content`` the engine uses, never written out here in each language.

Routing goes through a keyword NLU (fast, and the tables say exactly which phrase means what);
a smaller table sends the same phrases through the real embedded NLU for the FAQ intents."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pytest

from bot.i18n import LOCALES_DIR, Catalogs
from bot.services import AsyncUnderstanding
from domain.content import Content
from domain.directory import Directory
from domain.engine import Engine
from domain.messages import ContentType, Inbound, Reply
from domain.turn import EngineConfig
from tests.fakes import FakeUowFactory, FixedClock, KeywordUnderstanding

CITIZEN = 3301  # synthetic
CATALOGS = Catalogs(LOCALES_DIR)
WELCOME = ("Welcome! I am the automated assistant of the TEAMS service: a computer program, "
           "not a person. I answer first questions about documents, health, work, school and "
           "housing, and I help you reach the TEAMS staff. Write your question in your own "
           "words, or choose a topic.")
PASSING = ("I am passing your conversation to a person of the TEAMS service. Write here: they "
           "read everything you send, also photos and voice messages.")
BACK = "You are talking with the automated assistant again."

#: Per language: a phrase for the tax code, for a person, for an appointment (taken from the
#: NLU's training data), and one a person reads while the conversation is handed over.
PHRASES: dict[str, dict[str, str]] = {
    "it": {"faq_tax_code": "dove fare codice fiscale", "human_handover": "operatore",
           "book_appointment": "vorrei un appuntamento", "chat": "grazie, aspetto"},
    "en": {"faq_tax_code": "tax code??", "human_handover": "talk to a human",
           "book_appointment": "book an appointment", "chat": "thank you, I will wait"},
    "ar": {"faq_tax_code": "كيفاش ناخد codice fiscale",
           "human_handover": "اريد التحدث مع شخص حقيقي",
           "book_appointment": "اريد حجز موعد", "chat": "شكرا، سأنتظر"},
    "zh": {"faq_tax_code": "税号", "human_handover": "转人工", "book_appointment": "我要预约",
           "chat": "谢谢，我等一下"},
    "bn": {"faq_tax_code": "কোদিচে ফিসকালে", "human_handover": "আসল মানুষ চাই",
           "book_appointment": "অ্যাপয়েন্টমেন্ট", "chat": "ধন্যবাদ, আমি অপেক্ষা করব"},
    "uk": {"faq_tax_code": "податковий код", "human_handover": "з'єднайте з оператором",
           "book_appointment": "записатися", "chat": "дякую, чекаю"},
    "fr": {"faq_tax_code": "code fiscal ??", "human_handover": "je veux parler à un humain",
           "book_appointment": "prendre rendez-vous", "chat": "merci, j'attends"},
    "ru": {"faq_tax_code": "кодиче фискале", "human_handover": "позовите оператора",
           "book_appointment": "записаться на приём", "chat": "спасибо, жду"},
    "fa": {"faq_tax_code": "کد مالیاتی", "human_handover": "می‌خواهم با یک آدم صحبت کنم",
           "book_appointment": "نوبت می‌خواهم", "chat": "ممنون، منتظر می‌مانم"},
    "tl": {"faq_tax_code": "paano kumuha ng codice fiscale",
           "human_handover": "gusto kong makausap ang tao",
           "book_appointment": "mag-book ng appointment", "chat": "salamat, maghihintay ako"},
    "hi": {"faq_tax_code": "कोदिचे फ़िस्काले कैसे बनवाएँ",
           "human_handover": "किसी इंसान से बात करनी है",
           "book_appointment": "मुझे अपॉइंटमेंट चाहिए", "chat": "धन्यवाद, मैं इंतज़ार करूँगा"},
}


# -- what is said, what is expected ---------------------------------------------------------


@dataclass(frozen=True)
class Press:
    """A button pressed: its payload."""

    payload: str


@dataclass(frozen=True)
class Says:
    """A catalog message, in the citizen's language (its longest run between placeholders)."""

    msgid: str


@dataclass(frozen=True)
class Faq:
    """The FAQ answer of a topic, in the citizen's language (its title)."""

    topic: str


@dataclass(frozen=True)
class Event:
    name: str


@dataclass(frozen=True)
class Offers:
    """A button with this payload among the replies."""

    payload: str


Said = str | Press
Expected = Says | Faq | Event | Offers
Dialog = list[tuple[Said, Expected | tuple[Expected, ...]]]


def _met(expected: Expected, replies: list[Reply], language: str, content: Content) -> bool:
    texts = [r.text for r in replies]
    if isinstance(expected, Says):
        runs = re.split(r"\{\w*\}", CATALOGS.gettext(language, expected.msgid))
        wanted = max(runs, key=len).strip()
        assert wanted, expected
        return any(wanted in text for text in texts)
    if isinstance(expected, Faq):
        answer = content.get(language, expected.topic)
        assert answer is not None, (language, expected.topic)
        return any(answer.title in text for text in texts)
    if isinstance(expected, Event):
        return expected.name in [r.event.name for r in replies if r.event]
    return expected.payload in [b.payload for r in replies for row in r.buttons for b in row]


async def verify_dialog(engine: Engine, language: str, dialog: Dialog,
                        user: int = CITIZEN) -> None:
    """Each step in turn: what the citizen said or pressed, and what the replies must hold."""
    for step, (said, expected) in enumerate(dialog, 1):
        if isinstance(said, Press):
            inbound = Inbound(user, payload=said.payload, language_hint=language,
                              content_type=ContentType.BUTTON)
        else:
            inbound = Inbound(user, text=said, language_hint=language)
        replies = await engine.handle(inbound)
        for wanted in expected if isinstance(expected, tuple) else (expected,):
            assert _met(wanted, replies, language, engine.content), (
                f"{language} step {step}: {said!r} should give {wanted}; got "
                f"{[(r.event and r.event.name, r.text[:80]) for r in replies]}")


def dialog_engine(understanding: Any, directory: Directory, content: Content) -> Engine:
    return Engine(FakeUowFactory(), CATALOGS, understanding, FixedClock(), directory, content,
                  EngineConfig(staff_chat=True))


@pytest.fixture
def engine(directory: Directory, content: Content) -> Engine:
    table = {phrase.lower(): intent for words in PHRASES.values()
             for intent, phrase in words.items() if intent != "chat"}
    return dialog_engine(KeywordUnderstanding(table), directory, content)


# -- the tables -------------------------------------------------------------------------------


def faq_dialog(language: str) -> Dialog:
    return [
        (Press(f"lang:{language}"), (Says(WELCOME), Offers("group:documents"))),
        (PHRASES[language]["faq_tax_code"], Faq("faq_tax_code")),
        (Press("group:health"), Offers("faq:faq_health_care")),
        (Press("faq:faq_health_care"), (Faq("faq_health_care"), Offers("human"))),
        (Press("menu"), Offers("group:work")),
    ]


def triage_dialog(language: str) -> Dialog:
    return [
        (Press(f"lang:{language}"), Says(WELCOME)),
        (PHRASES[language]["book_appointment"], Offers("consent:yes")),
        (Press("consent:yes"), Offers("need:work")),
        (Press("need:work"), Offers("needs_done")),
        (Press("needs_done"), Offers("urg:week")),
        (Press("urg:week"), Offers("ref:other")),
        (Press("ref:other"), Offers(f"mlang:{language}")),
        (Press(f"mlang:{language}"), Offers("skip")),
        (Press("skip"), (Says("You will meet the {role}, who helps with: {needs}."),
                        Offers("days"))),
    ]


def handover_dialog(language: str) -> Dialog:
    return [
        (Press(f"lang:{language}"), Says(WELCOME)),
        (PHRASES[language]["human_handover"], (Event("handover:asked"), Says(PASSING),
                                               Offers("endhuman"))),
        (PHRASES[language]["chat"], Event("relay")),
        (PHRASES[language]["faq_tax_code"], Event("relay")),  # a person answers, not the bot
        (Press("endhuman"), (Event("handover_closed"), Says(BACK))),
        (PHRASES[language]["faq_tax_code"], Faq("faq_tax_code")),
    ]


@pytest.mark.parametrize("language", list(PHRASES))
async def test_faq_dialog(engine, language):
    await verify_dialog(engine, language, faq_dialog(language))


@pytest.mark.parametrize("language", list(PHRASES))
async def test_triage_dialog(engine, language):
    await verify_dialog(engine, language, triage_dialog(language))


@pytest.mark.parametrize("language", list(PHRASES))
async def test_handover_dialog(engine, language):
    await verify_dialog(engine, language, handover_dialog(language))


# -- the same phrases through the real NLU ---------------------------------------------------


@pytest.mark.parametrize("language", list(PHRASES))
async def test_the_real_nlu_routes_the_faq_and_a_person(real_nlu, directory, content,
                                                        language):
    engine = dialog_engine(AsyncUnderstanding(real_nlu), directory, content)
    await verify_dialog(engine, language, [
        (Press(f"lang:{language}"), Says(WELCOME)),
        (PHRASES[language]["faq_tax_code"], Faq("faq_tax_code")),
        (PHRASES[language]["human_handover"], Event("handover:asked")),
    ])
