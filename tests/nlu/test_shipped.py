"""The model shipped in the package (nlu/trained.npz) is the one of the package's data, so a
fresh install answers its first message without training for minutes."""

from __future__ import annotations

from pathlib import Path

import pytest

from nlu.encoder import E5Encoder
from nlu.model import SHIPPED_MODEL, NluConfig, data_hash, is_ready, load_or_train, shipped_key
from nlu.training import training_files

REBUILD = ("run `teams-bot nlu build` (about two minutes; it reuses the embedding cache) and "
           "commit nlu/trained.npz with the data")


def test_the_shipped_model_matches_the_training_data_the_encoder_and_the_settings():
    assert SHIPPED_MODEL.exists(), f"nlu/trained.npz is missing: {REBUILD}"
    expected = data_hash(training_files(), E5Encoder.name, NluConfig.load())
    assert shipped_key() == expected, (
        f"nlu/trained.npz was built for other training data, encoder or training settings "
        f"(it is for {shipped_key()}, the package's data is {expected}): {REBUILD}")


def test_the_shipped_model_is_small_enough_to_commit():
    assert SHIPPED_MODEL.stat().st_size < 8_000_000


class NoEncoding:
    """The encoder's name, and a failure if anything tried to train (encode examples)."""

    name = E5Encoder.name

    def encode(self, texts: list[str]) -> None:
        raise AssertionError("the shipped model should have been loaded, not trained")


def test_a_fresh_install_loads_the_shipped_model_instead_of_training(tmp_path: Path):
    if shipped_key() != data_hash(training_files(), E5Encoder.name, NluConfig.load()):
        pytest.skip(f"the shipped model is out of date: {REBUILD}")
    assert is_ready(E5Encoder.name, tmp_path, NluConfig.load())
    model = load_or_train(NoEncoding(), tmp_path, NluConfig.load())
    assert "faq_tax_code" in model.intents.labels and model.quick_intents is not None
    assert list(tmp_path.iterdir()) == []  # nothing trained, nothing written
