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
