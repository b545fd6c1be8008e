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
