"""Where the sentence encoder cannot be loaded, character n-grams still understand."""

from __future__ import annotations

from nlu.encoder import CharNgramEncoder
from nlu.model import NluConfig, load_or_train
from nlu.training import DATA_DIR


def test_char_ngram_fallback_trains_caches_and_classifies(tmp_path):
    files = [DATA_DIR / "it.yml", DATA_DIR / "en.yml"]
    heads = load_or_train(CharNgramEncoder(), tmp_path, NluConfig(), files)
    encoder = CharNgramEncoder()
    cached = load_or_train(encoder, tmp_path, NluConfig(), files)  # from the cache
    assert cached.intent_labels == heads.intent_labels
    features = encoder.encode(["dove faccio il codice fiscale"])
    best = cached.intent_labels[int(cached.intent_logits(features)[0].argmax())]
    assert best == "faq_tax_code"
