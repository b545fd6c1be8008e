"""Run-time character features equal scikit-learn's; the model works without the encoder."""

from __future__ import annotations

import numpy as np

from nlu.features import fit_char_features
from nlu.model import NluConfig, load_or_train
from nlu.training import DATA_DIR, read_all


def test_numpy_features_equal_scikit_learns():
    texts = [e.text for e in read_all([DATA_DIR / "it.yml", DATA_DIR / "ur.yml"])]
    chars, matrix = fit_char_features(texts)
    sample = texts[::37]
    ours = chars.dense(sample)
    theirs = matrix[::37].toarray()
    assert np.allclose(ours, theirs, atol=1e-5)


def test_without_the_sentence_encoder_char_ngrams_still_classify(tmp_path):
    files = [DATA_DIR / "it.yml", DATA_DIR / "en.yml"]
    model = load_or_train(None, tmp_path, NluConfig(), files)
    again = load_or_train(None, tmp_path, NluConfig(), files)  # from the cache
    assert again.intents.labels == model.intents.labels
    logits = again.intents.logits(None, again.chars.transform("dove faccio il codice fiscale"))
    assert again.intents.labels[int(logits.argmax())] == "faq_tax_code"
