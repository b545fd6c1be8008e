"""With the real embedded NLU: a specific question's reply shows the fact asked for in its
first 400 characters (a sample of ``benchmarks/answers.yml``, one per language), and the
answers' passages are encoded once."""

from __future__ import annotations

import pytest

from bot.i18n import LOCALES_DIR, Catalogs
from domain.engine import Engine
from domain.messages import Inbound
from domain.turn import EngineConfig
from nlu.pool import AsyncUnderstanding
from tests.fakes import FakeUowFactory, FixedClock

MARKS = dict.fromkeys(map(ord, "\u2066\u2067\u2068\u2069"))  # invisible direction marks


@pytest.mark.parametrize("language, question, fact", [
    ("en", "I have no papers, can I see a doctor?", "STP"),
    ("it", "Fino a che età la scuola è obbligatoria?", "dai 6 ai 16 anni"),
    ("fr", "Je n'ai toujours pas de code fiscal, quel formulaire remplir à l'Agenzia delle "
           "Entrate ?", "AA4/8"),
    ("ar", "انتهى تصريح إقامتي منذ أربعة أشهر ولم أطلب التجديد، ماذا يحدث؟", "الترحيل"),
    ("zh", "我没有住处，可以办居住登记吗？", "senza fissa dimora"),
])
async def test_the_real_nlu_leads_with_the_passage_asked_for(real_nlu, directory, content,
                                                            language, question, fact):
    engine = Engine(FakeUowFactory(), Catalogs(LOCALES_DIR), AsyncUnderstanding(real_nlu),
                    FixedClock(), directory, content, EngineConfig(staff_chat=True))
    replies = await engine.handle(Inbound(11, text=question, language_hint=language))
    text = replies[0].text.translate(MARKS)
    assert fact in text[:400], text[:400]
    assert replies[0].buttons[0][0].payload.startswith("faq:")  # the whole answer, a tap away


def test_passages_are_encoded_once_and_kept(real_nlu, monkeypatch):
    passages = ["Ask the ASL for an STP code.", "Go to the school office.",
                "Bring your passport."]
    first = real_nlu.similarity("no papers, can I see a doctor?", passages)
    monkeypatch.setattr(real_nlu.encoder, "encode_passages",
                        lambda texts: pytest.fail("encoded twice"))
    again = real_nlu.similarity("no papers, can I see a doctor?", passages)
    assert first == again
    assert max(range(3), key=first.__getitem__) == 0
