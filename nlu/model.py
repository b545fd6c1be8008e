"""Train the intent and language heads on sentence embeddings; cache them on disk.

Training needs scikit-learn; parsing needs only numpy and the cached weights, so a cached start
imports neither scikit-learn nor anything heavy.
"""

from __future__ import annotations

import hashlib
import json
import logging
import pickle
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from nlu.encoder import EmbeddingCache, Encoder
from nlu.training import Example, read_all, training_files

log = logging.getLogger(__name__)
FORMAT_VERSION = "3"
CONFIG_FILE = Path(__file__).resolve().parent / "config.yml"


@dataclass(frozen=True)
class NluConfig:
    fallback_threshold: float = 0.35
    emergency_threshold: float = 0.15
    regularisation_c: float = 10.0

    @classmethod
    def load(cls, path: Path = CONFIG_FILE) -> NluConfig:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        return cls(**{k: float(v) for k, v in data.items()})


@dataclass
class Heads:
    """Linear heads over the features: intents and languages."""

    intent_labels: list[str]
    intent_w: np.ndarray
    intent_b: np.ndarray
    lang_labels: list[str]
    lang_w: np.ndarray
    lang_b: np.ndarray
    vectorizer: Any = None  # the fitted char n-gram vectorizer of the fallback encoder

    def intent_logits(self, features: Any) -> np.ndarray:
        return np.asarray(features @ self.intent_w + self.intent_b)

    def lang_logits(self, features: Any) -> np.ndarray:
        return np.asarray(features @ self.lang_w + self.lang_b)


def data_hash(files: list[Path], encoder_name: str, config: NluConfig) -> str:
    digest = hashlib.sha256()
    digest.update(f"{FORMAT_VERSION}|{encoder_name}|{config}".encode())
    for path in files:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _fit(features: Any, labels: list[str], c: float) -> tuple[list[str], np.ndarray, np.ndarray]:
    from sklearn.linear_model import LogisticRegression

    clf = LogisticRegression(C=c, max_iter=3000)
    clf.fit(features, labels)
    return [str(x) for x in clf.classes_], clf.coef_.T.astype(np.float32), clf.intercept_.astype(
        np.float32
    )


def train(
    examples: list[Example],
    encoder: Encoder,
    cache_dir: Path,
    config: NluConfig,
    progress: Callable[[int], None] | None = None,
) -> Heads:
    texts = [e.text for e in examples]
    if encoder.dense:
        features: Any = EmbeddingCache(cache_dir, encoder.name).encode(encoder, texts, progress)
    else:
        encoder.fit(texts)
        features = encoder.encode(texts)
        if progress:
            progress(len(texts))
    intent_labels, iw, ib = _fit(features, [e.intent for e in examples], config.regularisation_c)
    with_lang = [i for i, e in enumerate(examples) if e.language]
    lang_labels, lw, lb = _fit(
        features[with_lang], [examples[i].language or "" for i in with_lang],
        config.regularisation_c,
    )
    vectorizer = None if encoder.dense else getattr(encoder, "vectorizer", None)
    return Heads(intent_labels, iw, ib, lang_labels, lw, lb, vectorizer)


def save(heads: Heads, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with tmp.open("wb") as fh:
        np.savez(
            fh, intent_w=heads.intent_w, intent_b=heads.intent_b, lang_w=heads.lang_w,
            lang_b=heads.lang_b,
            meta=np.array(json.dumps({"intents": heads.intent_labels,
                                      "languages": heads.lang_labels})),
            vectorizer=np.frombuffer(pickle.dumps(heads.vectorizer), dtype=np.uint8),
        )
    tmp.replace(path)


def load(path: Path) -> Heads:
    with np.load(path) as data:
        meta = json.loads(str(data["meta"]))
        vectorizer = pickle.loads(data["vectorizer"].tobytes())  # our own cache file
        return Heads(meta["intents"], data["intent_w"], data["intent_b"], meta["languages"],
                     data["lang_w"], data["lang_b"], vectorizer)


def load_or_train(
    encoder: Encoder,
    cache_dir: Path,
    config: NluConfig,
    files: list[Path] | None = None,
    progress_factory: Callable[[int], Callable[[int], None]] | None = None,
    force: bool = False,
) -> Heads:
    """The trained heads for the current data and encoder, from the cache when it matches."""
    files = files or training_files()
    path = cache_dir / f"heads-{data_hash(files, encoder.name, config)}.npz"
    if path.exists() and not force:
        try:
            heads = load(path)
            if heads.vectorizer is not None:
                encoder.vectorizer = heads.vectorizer  # type: ignore[attr-defined]
            return heads
        except (OSError, ValueError, KeyError, pickle.UnpicklingError):
            log.warning("NLU cache %s unreadable; training again", path)
    examples = read_all(files)
    log.info("training the NLU on %d examples (first start; cached afterwards)", len(examples))
    progress = progress_factory(len(examples)) if progress_factory else None
    heads = train(examples, encoder, cache_dir, config, progress)
    save(heads, path)
    return heads
