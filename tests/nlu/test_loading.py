"""The parser while the model loads: danger words from the first second, then the model."""

from __future__ import annotations

import threading

from domain.parse import Parse
from nlu.loading import LOADING, LoadingNLU


class FakeParser:
    def __init__(self) -> None:
        self.texts: list[str] = []

    def parse(self, text: str, language_hint: str | None = None) -> Parse:
        self.texts.append(text)
        return Parse.of({"intent": {"name": "faq_tax_code", "confidence": 0.9}})


def slow_build(release: threading.Event, parser: FakeParser):
    def build() -> FakeParser:
        release.wait(10)
        return parser
    return build


def test_while_training_free_text_is_read_as_still_learning_and_danger_words_work():
    release, parser = threading.Event(), FakeParser()
    nlu = LoadingNLU(slow_build(release, parser), quick=False)
    assert nlu.parse("dove si fa il codice fiscale?", "it").intent == LOADING
    assert nlu.parse("mio marito mi picchia", "it").emergency
    assert nlu.similarity("codice fiscale", ["il codice fiscale", "la scuola"])[0] > 0
    release.set()
    assert nlu.wait(10) is parser
    assert nlu.parse("dove si fa il codice fiscale?", "it").intent == "faq_tax_code"
    assert parser.texts == ["dove si fa il codice fiscale?"]


def test_a_model_that_only_loads_is_waited_for():
    release, parser = threading.Event(), FakeParser()
    nlu = LoadingNLU(slow_build(release, parser), quick=True, wait_seconds=10)
    threading.Timer(0.05, release.set).start()
    assert nlu.parse("dove si fa il codice fiscale?").intent == "faq_tax_code"


def test_a_model_that_fails_to_load_leaves_the_menu_and_the_danger_words():
    def broken() -> FakeParser:
        raise OSError("disk full")

    nlu = LoadingNLU(broken, quick=True, wait_seconds=10)
    assert nlu.wait(10) is None
    assert nlu.parse("una domanda qualsiasi").intent == LOADING
    assert nlu.parse("mi prende a botte").emergency


async def test_the_assistant_answers_menus_buttons_and_danger_while_the_model_trains(
        directory, content):
    from bot.i18n import LOCALES_DIR, Catalogs
    from domain.engine import Engine
    from domain.messages import ContentType, Inbound
    from domain.turn import EngineConfig
    from nlu.pool import AsyncUnderstanding
    from tests.fakes import FakeUowFactory, FixedClock

    release, parser = threading.Event(), FakeParser()
    nlu = LoadingNLU(slow_build(release, parser), quick=False)
    engine = Engine(FakeUowFactory(), Catalogs(LOCALES_DIR), AsyncUnderstanding(nlu),
                    FixedClock(), directory, content, EngineConfig(staff_chat=True))
    start = await engine.handle(Inbound(21, text="/start", language_hint="it"))
    assert start and start[-1].buttons
    pressed = start[-1].buttons[0][0].payload
    assert await engine.handle(Inbound(21, payload=pressed, language_hint="it",
                                       content_type=ContentType.BUTTON))
    free = await engine.handle(Inbound(21, text="dove si fa il codice fiscale?",
                                       language_hint="it"))
    assert any(b.payload.startswith("group:") for r in free for row in r.buttons for b in row)
    danger = await engine.handle(Inbound(21, text="mio marito mi picchia",
                                         language_hint="it"))
    assert danger and "112" in " ".join(r.text for r in danger)
    release.set()
    assert parser.texts == []  # nothing waited for the model
