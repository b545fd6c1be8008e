"""The answers' passages, encoded once and shipped (nlu/passage_store.py): every passage of the
shipped answers is there, encoded by the installed encoder; a process looks them up instead of
encoding them; a rebuild encodes only what changed."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from nlu.embedded import EmbeddedNLU
from nlu.encoder import E5Encoder
from nlu.passage_store import (
    PASSAGES_FILE,
    PassageStore,
    build_passages,
    load_passage_store,
)
from nlu.static import encoder_fingerprint
from nlu.warmup import answer_passages

REBUILD = "run `teams-bot nlu passages` (unchanged passages are kept) and commit nlu/passages.npz"


class FakeEncoder:
    """A vector from the hash of each text; counts what it encodes."""

    name = "fake-encoder"

    def __init__(self) -> None:
        self.passages: list[str] = []

    def encode(self, texts):
        return np.stack([self._vector(t) for t in texts])

    def encode_passages(self, texts):
        self.passages += texts
        return np.stack([self._vector("passage: " + t) for t in texts])

    @staticmethod
    def _vector(text: str) -> np.ndarray:
        seed = int.from_bytes(hashlib.sha1(text.encode()).digest()[:4], "little")
        vector = np.random.default_rng(seed).normal(size=8).astype(np.float32)
        return vector / np.linalg.norm(vector)


class PassageCounter:
    """The real encoder, recording the passages it is asked to encode."""

    def __init__(self, encoder) -> None:
        self.encoder, self.name = encoder, encoder.name
        self.passages: list[str] = []

    def encode(self, texts):
        return self.encoder.encode(texts)

    def encode_passages(self, texts):
        self.passages += texts
        return self.encoder.encode_passages(texts)


def test_every_passage_of_the_shipped_answers_is_shipped_encoded_by_the_installed_encoder(
        content):
    store = PassageStore.read(PASSAGES_FILE)
    assert store.encoder == E5Encoder.name, REBUILD
    assert store.fingerprint == encoder_fingerprint(), REBUILD
    missing = [p for p in answer_passages(content) if p not in store]
    assert missing == [], f"{len(missing)} passages not encoded: {REBUILD}"


def test_a_shipped_vector_is_what_the_encoder_gives(real_nlu, content):
    store = PassageStore.read(PASSAGES_FILE)
    passages = answer_passages(content)[::1000]
    fresh = real_nlu.encoder.encode_passages(passages)
    for passage, vector in zip(passages, fresh, strict=True):
        shipped = store.get(passage)
        cosine = float(shipped @ vector) / float(np.linalg.norm(shipped) * np.linalg.norm(vector))
        assert cosine > 0.999


def test_shipped_passages_are_looked_up_never_encoded_and_a_corrected_one_is(
        real_nlu, nlu_cache_dir: Path, content):
    encoder = PassageCounter(real_nlu.encoder)
    nlu = EmbeddedNLU(nlu_cache_dir, encoder=encoder)
    passages = answer_passages(content)
    assert nlu.warm_passages(passages) == 0  # the start-up warm-up has nothing to do
    some = passages[:4]
    nlu.similarity("no papers, can I see a doctor?", some)
    assert encoder.passages == []
    corrected = [some[0] + " (corrected in /review)", *some[1:]]
    nlu.similarity("no papers, can I see a doctor?", corrected)
    assert encoder.passages == [corrected[0]]
    assert nlu.warm_passages(corrected) == 0  # kept since


def test_a_rebuild_encodes_only_the_passages_that_changed(tmp_path: Path):
    encoder = FakeEncoder()
    first, figures = build_passages(encoder, ["one", "two", "three"], "abc")
    assert figures["encoded"] == 3 and len(first) == 3
    path = tmp_path / "passages.npz"
    first.write(path)
    read = PassageStore.read(path)
    assert (read.encoder, read.fingerprint) == ("fake-encoder", "abc")
    assert np.allclose(read.get("two"), encoder.encode_passages(["two"])[0], atol=1e-3)
    encoder.passages.clear()
    second, figures = build_passages(encoder, ["one", "two, edited", "three"], "abc", read)
    assert encoder.passages == ["two, edited"] and figures["kept"] == 2
    assert "two" not in second and "two, edited" in second
    encoder.passages.clear()
    build_passages(encoder, ["one", "three"], "another encoder file", read)
    assert encoder.passages == ["one", "three"]  # nothing kept from another encoder file


def test_vectors_of_another_encoder_are_not_used(tmp_path: Path):
    path = tmp_path / "passages.npz"
    build_passages(FakeEncoder(), ["one"], "abc")[0].write(path)
    assert load_passage_store("fake-encoder", path) is not None
    assert load_passage_store(E5Encoder.name, path) is None
    assert load_passage_store(E5Encoder.name, tmp_path / "none.npz") is None
