"""The cascade: char n-grams answer the texts they are sure of, the encoder the rest; danger
never waits for either."""

from __future__ import annotations

from dataclasses import replace

from nlu.embedded import EmbeddedNLU


class CountingEncoder:
    """The real encoder, counting the texts it is asked to encode."""

    def __init__(self, encoder) -> None:
        self.encoder = encoder
        self.name = encoder.name
        self.texts: list[str] = []

    def encode(self, texts):
        self.texts += list(texts)
        return self.encoder.encode(texts)


def counting_nlu(real_nlu, nlu_cache_dir) -> tuple[EmbeddedNLU, CountingEncoder]:
    encoder = CountingEncoder(real_nlu.encoder)
    return EmbeddedNLU(nlu_cache_dir, encoder=encoder), encoder


def test_a_text_the_char_ngrams_are_sure_of_is_answered_without_the_encoder(
        real_nlu, nlu_cache_dir):
    nlu, encoder = counting_nlu(real_nlu, nlu_cache_dir)
    parsed = nlu.parse("dove si fa il codice fiscale?", "it")
    assert parsed.intent == "faq_tax_code" and parsed.language == "it"
    assert encoder.texts == []


def test_a_doubtful_text_goes_to_the_encoder_and_gets_the_full_models_answer(
        real_nlu, nlu_cache_dir):
    nlu, encoder = counting_nlu(real_nlu, nlu_cache_dir)
    text = "my landlord wants me out and I have a small child, who can I talk to"
    parsed = nlu.parse(text, "en")
    assert encoder.texts == [text]
    nlu.config = replace(nlu.config, quick_threshold=1.0)
    assert nlu.parse(text, "en").intent == parsed.intent


def test_danger_is_flagged_whatever_the_cascade_decides(real_nlu, nlu_cache_dir):
    nlu, _ = counting_nlu(real_nlu, nlu_cache_dir)
    nlu.config = replace(nlu.config, quick_threshold=0.0, quick_emergency_doubt=1.01)
    assert nlu.parse("mio marito mi picchia", "it").emergency  # a curated keyword


def test_with_the_cascade_off_every_text_is_encoded(real_nlu, nlu_cache_dir):
    nlu, encoder = counting_nlu(real_nlu, nlu_cache_dir)
    nlu.config = replace(nlu.config, quick_threshold=1.0)
    nlu.parse("dove si fa il codice fiscale?", "it")
    assert encoder.texts == ["dove si fa il codice fiscale?"]


PASSAGES = ["Il codice fiscale si chiede all'Agenzia delle Entrate.",
            "Porta il passaporto e il permesso di soggiorno.",
            "Per la tessera sanitaria vai all'ASL."]


def test_an_understood_text_ranks_its_answers_passages_with_the_encoder_by_default(
        real_nlu, nlu_cache_dir):
    nlu, encoder = counting_nlu(real_nlu, nlu_cache_dir)
    text = "dove si fa il codice fiscale?"
    nlu.parse(text, "it")
    assert encoder.texts == []  # understood without the encoder ...
    scores = nlu.similarity(text, PASSAGES)
    assert encoder.texts[0] == text  # ... its passages ranked with it (benchmarks/answers.py)
    assert max(range(3), key=scores.__getitem__) == 0


def test_the_quick_focus_options_rank_without_the_encoder(real_nlu, nlu_cache_dir):
    nlu, encoder = counting_nlu(real_nlu, nlu_cache_dir)
    text = "dove si fa il codice fiscale?"
    for option in ("lexical", "chars", "chars+lexical"):
        nlu.quick_focus = option
        scores = nlu.similarity(text, PASSAGES)
        assert max(range(3), key=scores.__getitem__) == 0, option
    assert encoder.texts == []
    doubtful = "my landlord wants me out and I have a small child, who can I talk to"
    nlu.similarity(doubtful, PASSAGES)
    assert encoder.texts[0] == doubtful  # a text the encoder understood: ranked with it


def test_a_quick_focus_with_a_margin_leaves_close_calls_to_the_encoder(real_nlu, nlu_cache_dir):
    nlu, encoder = counting_nlu(real_nlu, nlu_cache_dir)
    text = "dove si fa il codice fiscale?"
    nlu.quick_focus = "chars+static+lexical"
    scores = nlu.similarity(text, PASSAGES)
    assert max(range(3), key=scores.__getitem__) == 0 and encoder.texts == []
    nlu.quick_focus = "chars+lexical>5"  # no two passages are that far apart
    nlu.similarity(text, PASSAGES)
    assert encoder.texts[0] == text
