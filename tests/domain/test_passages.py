"""A question in words gets the part of the answer it asks for first (issue 15, section 4):
the answer's passages, the lead chosen by the Understanding port's similarity, the whole
answer a button away; through engine.handle with the fakes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import pytest

from domain.content import Content
from domain.directory import Directory
from domain.engine import Engine
from domain.messages import Inbound, Reply
from domain.passages import choose_lead, is_general, lexical_similarity, split_passages
from tests.fakes import EchoTranslations, FakeUowFactory, FixedClock, KeywordUnderstanding

ANSWER = """Intro line about the topic, long enough to be an introduction of it.

What to do
1. Go to the first office.
2. Ask for the green form there.
3. No papers? Ask the hospital for the special code.

What to bring
• passport
• tax code

Where
The office in town.

EU citizens: other rules."""


def test_an_answer_splits_into_steps_lists_and_lines():
    texts = [p.text for p in split_passages(ANSWER)]
    assert texts == [
        "Intro line about the topic, long enough to be an introduction of it.",
        "Go to the first office.",
        "Ask for the green form there.",
        "No papers? Ask the hospital for the special code.",
        "What to bring\n• passport\n• tax code",
        "Where\nThe office in town.",
        "EU citizens: other rules.",
    ]


def test_every_content_answer_splits_into_passages_that_keep_its_words(content: Content):
    for answer in content.answers.values():
        passages = split_passages(answer.text)
        assert len(passages) >= 4, (answer.language, answer.topic)  # a lead is chosen from 3+
        joined = " ".join(p.text for p in passages)
        for word in ("STP", "AA4/8", "CIMEA"):
            assert (word in answer.text) <= (word in joined)


def test_shared_rare_words_rank_a_passage_first():
    passages = [p.text for p in split_passages(ANSWER)]
    scores = lexical_similarity("I have no papers, can the hospital help me?", passages)
    assert max(range(len(scores)), key=scores.__getitem__) == 3


def test_the_lead_is_the_closest_passages_best_first_never_the_introduction():
    passages = split_passages(ANSWER)
    lead = choose_lead(passages, [9, 0, 3, 5, 0, 4, 0])
    assert [p.index for p in lead] == [3, 5, 2]
    long = [*passages[:3], replace(passages[3], text="x" * 490), *passages[4:]]
    assert [p.index for p in choose_lead(long, [9, 0, 3, 5, 0, 4, 0])] == [3]
    assert choose_lead(passages[:2], [0, 1]) == []  # too few to choose from
    assert choose_lead(passages, [1, 2]) == []  # scores that do not fit


@pytest.mark.parametrize("text, general", [
    ("tax code??", True), ("codice fiscale", True), ("税号", True),
    ("I have no papers, can I see a doctor?", False), ("我没有居留证件，可以看医生吗？", False),
])
def test_a_question_of_a_few_words_asks_for_the_whole_answer(text, general):
    assert is_general(text) is general


class CountingUnderstanding(KeywordUnderstanding):
    def __init__(self, table: dict[str, str]) -> None:
        super().__init__(table)
        self.ranked: list[str] = []

    async def similarity(self, text: str, passages: Sequence[str]) -> list[float]:
        self.ranked.append(text)
        return await super().similarity(text, passages)


@pytest.fixture
def understanding() -> CountingUnderstanding:
    return CountingUnderstanding({"doctor": "faq_health_care", "fiscale": "faq_tax_code"})


@pytest.fixture
def engine(understanding: CountingUnderstanding, directory: Directory,
           content: Content) -> Engine:
    return Engine(FakeUowFactory(), EchoTranslations(), understanding, FixedClock(), directory,
                  content)


def buttons(reply: Reply) -> list[str]:
    return [b.payload for row in reply.buttons for b in row]


async def ask(engine: Engine, text: str | None = None, payload: str | None = None) -> Reply:
    replies = await engine.handle(Inbound(5, text=text, payload=payload, language_hint="en"))
    return replies[0]  # (then, maybe, an offer to speak the language of the text)


async def test_a_specific_question_leads_with_its_passage_and_the_whole_is_a_button_away(
        engine, content):
    whole = content.get("en", "faq_health_care")
    reply = await ask(engine, "I have no permit, can a doctor at the hospital see me?")
    assert reply.text.startswith(whole.title + "\n\n")
    assert "STP" in reply.text[:400]
    assert "What to bring" not in reply.text  # not the whole answer
    assert "Official sources:" in reply.text and "not yet checked by a mediator" in reply.text
    assert buttons(reply)[0] == "faq:faq_health_care"
    assert reply.buttons[0][0].label == "📖 More about this topic"
    assert {"human", "group:health", "menu"} <= set(buttons(reply))

    more = await ask(engine, payload="faq:faq_health_care")
    assert whole.text in more.text
    assert "faq:faq_health_care" not in buttons(more)


async def test_a_general_question_and_a_menu_button_get_the_whole_answer(engine, content,
                                                                         understanding):
    whole = content.get("en", "faq_tax_code").text
    assert whole in (await ask(engine, "codice fiscale")).text
    assert whole in (await ask(engine, payload="faq:faq_tax_code")).text
    assert understanding.ranked == []  # nothing to rank: no model work for either


async def test_the_passages_are_ranked_once_before_the_turn(engine, understanding):
    question = "I have no permit, can a doctor at the hospital see me?"
    await ask(engine, question)
    assert understanding.ranked == [question]
    await ask(engine, "hello, how are you doing today?")  # no FAQ topic: nothing ranked
    assert understanding.ranked == [question]


async def test_a_reply_in_a_language_not_foreseen_is_led_by_shared_words(engine, content):
    await ask(engine, payload="lang:it")  # the citizen chose Italian; the client says English
    reply = await ask(engine, "Non ho il permesso: un doctor in ospedale mi può vedere?")
    assert reply.text.startswith(content.get("it", "faq_health_care").title)
    assert "STP" in reply.text[:400]
