"""The answers' passages are encoded once at start, in the background, after the model has
loaded; replies never wait for it."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from domain.parse import Parse
from domain.passages import split_passages
from nlu.embedded import EmbeddedNLU
from nlu.loading import LOADING, LoadingNLU
from nlu.warmup import PassageWarmup, answer_passages


class WarmableParser:
    """A parser that keeps passages, recording which it was asked to encode ahead."""

    def __init__(self) -> None:
        self.warmed: list[str] = []

    def parse(self, text: str, language_hint: str | None = None) -> Parse:
        return Parse.of({"intent": {"name": "faq_tax_code", "confidence": 0.9}})

    def warm_passages(self, passages) -> int:
        self.warmed += passages
        return len(passages)


def test_the_warm_up_starts_once_the_model_has_loaded():
    release, parser = threading.Event(), WarmableParser()

    def build() -> WarmableParser:
        release.wait(10)
        return parser

    loading = LoadingNLU(build, quick=False)
    warmup = PassageWarmup(loading, ["Bring your passport.", "Ask the ASL."])
    assert not warmup.wait(0.05) and parser.warmed == []
    assert loading.parse("dove si fa il codice fiscale?").intent == LOADING  # not blocked
    release.set()
    assert warmup.wait(10)
    assert parser.warmed == ["Bring your passport.", "Ask the ASL."] and warmup.encoded == 2


def test_a_parser_without_passages_is_left_alone():
    class Plain:
        def parse(self, text, language_hint=None):  # pragma: no cover - never called
            raise AssertionError

    warmup = PassageWarmup(Plain(), ["Bring your passport."])
    assert warmup.wait(10) and warmup.encoded == 0


def test_every_passage_of_every_answer_once_the_default_language_first(content):
    passages = answer_passages(content, ("fr", "en"))
    expected = {p.text for answer in content.answers.values()
                for p in split_passages(answer.text)}
    assert set(passages) == expected and len(passages) == len(expected)
    first_fr = next(a for (lang, _), a in sorted(content.answers.items()) if lang == "fr")
    assert passages[0] == split_passages(first_fr.text)[0].text


class GatedEncoder:
    """The real encoder; the warm-up thread's passages wait until ``release`` is set."""

    def __init__(self, encoder) -> None:
        self.encoder, self.name = encoder, encoder.name
        self.entered, self.release = threading.Event(), threading.Event()
        self.passages: list[str] = []

    def encode(self, texts):
        return self.encoder.encode(texts)

    def encode_passages(self, texts):
        if threading.current_thread().name == "nlu-warm":
            self.entered.set()
            self.release.wait(30)
        self.passages += texts
        return self.encoder.encode_passages(texts)


def test_a_reply_does_not_wait_for_the_warm_up(real_nlu, nlu_cache_dir: Path):
    encoder = GatedEncoder(real_nlu.encoder)
    nlu = EmbeddedNLU(nlu_cache_dir, encoder=encoder)
    kept = ["Ask the ASL for an STP code.", "Go to the school office.", "Bring your passport."]
    warmup = PassageWarmup(nlu, kept)
    assert encoder.entered.wait(30)  # the warm-up is in the middle of encoding
    with ThreadPoolExecutor(1) as pool:  # a citizen's turn meanwhile
        parsed = pool.submit(nlu.parse, "no papers, can I see a doctor?", "en").result(10)
        scores = pool.submit(nlu.similarity, "no papers, can I see a doctor?",
                             ["Ask your doctor.", "Call the office."]).result(10)
    assert parsed.intent and len(scores) == 2
    assert not warmup.done
    encoder.release.set()
    assert warmup.wait(30) and warmup.encoded == 3
    encoder.passages.clear()
    nlu.similarity("no papers, can I see a doctor?", kept)
    assert encoder.passages == []  # all kept: nothing encoded on a citizen's turn


async def test_the_assistant_warms_every_answer_when_it_starts(tmp_path: Path):
    from bot.services import build_services
    from bot.settings import Settings
    from tests.conftest import EXAMPLE_SERVICE_FILE

    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/warm.db",
                        service_file=EXAMPLE_SERVICE_FILE, tts="off")
    parser = WarmableParser()
    services = await build_services(settings, parser=parser, background=True)
    try:
        assert services.warmup is not None and services.warmup.wait(30)
        assert parser.warmed == answer_passages(services.content, ("it", "en"))
        assert len(parser.warmed) > 1000
    finally:
        await services.close()
