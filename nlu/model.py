"""Train the intent and language heads; cache them on disk keyed by data, model and settings.

Features are the sentence embedding (when the encoder loads) next to character n-gram TF-IDF.
Training needs scikit-learn; parsing needs only numpy and the cached weights.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import numpy as np
import yaml

from nlu.encoder import EmbeddingCache, Encoder
from nlu.features import CharFeatures, fit_char_features
from nlu.training import Example, read_all, training_files

log = logging.getLogger(__name__)
FORMAT_VERSION = "4"
CONFIG_FILE = Path(__file__).resolve().parent / "config.yml"


@dataclass(frozen=True)
class NluConfig:
    fallback_threshold: float = 0.2
    emergency_threshold: float = 0.15
    regularisation_c: float = 30.0
    embedding_scale: float = 4.0
    char_weight: float = 1.0

    @classmethod
    def load(cls, path: Path = CONFIG_FILE) -> NluConfig:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        return cls(**{k: float(v) for k, v in data.items()})


@dataclass
class Head:
    """A linear classifier over [embedding * scale, char tf-idf * weight]."""

    labels: list[str]
    dense_w: np.ndarray | None  # (dim, classes), already multiplied by the embedding scale
    char_w: np.ndarray  # (vocabulary, classes), already multiplied by the char weight
    bias: np.ndarray

    def logits(self, embedding: np.ndarray | None, char: tuple[np.ndarray, np.ndarray]
               ) -> np.ndarray:
        out = self.bias.copy()
        if self.dense_w is not None and embedding is not None:
            out += embedding @ self.dense_w
        indices, values = char
        if len(indices):
            out += values @ self.char_w[indices]
        return out


@dataclass
class Model:
    encoder_name: str | None
    chars: CharFeatures
    intents: Head
    languages: Head


def data_hash(files: list[Path], encoder_name: str | None, config: NluConfig) -> str:
    digest = hashlib.sha256()
    digest.update(f"{FORMAT_VERSION}|{encoder_name}|{config}".encode())
    for path in files:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _fit(features: Any, labels: list[str], config: NluConfig, dim: int) -> Head:
    from sklearn.linear_model import LogisticRegression

    clf = LogisticRegression(C=config.regularisation_c, max_iter=5000)
    clf.fit(features, labels)
    weights: np.ndarray = np.asarray(clf.coef_, dtype=np.float32).T
    dense_w = weights[:dim] * config.embedding_scale if dim else None
    char_w = weights[dim:] * config.char_weight
    return Head([str(x) for x in clf.classes_], dense_w, np.ascontiguousarray(char_w),
                clf.intercept_.astype(np.float32))


def train(
    examples: list[Example],
    encoder: Encoder | None,
    cache_dir: Path,
    config: NluConfig,
    progress: Callable[[int], None] | None = None,
) -> Model:
    from scipy.sparse import csr_matrix, hstack

    texts = [e.text for e in examples]
    chars, char_matrix = fit_char_features(texts)
    parts: list[Any] = []
    dim = 0
    if encoder is not None:
        embeddings = EmbeddingCache(cache_dir, encoder.name).encode(encoder, texts, progress)
        dim = embeddings.shape[1]
        parts.append(csr_matrix(embeddings * config.embedding_scale))
    parts.append(cast(Any, char_matrix) * config.char_weight)
    features = hstack(parts).tocsr()
    intents = _fit(features, [e.intent for e in examples], config, dim)
    rows = [i for i, e in enumerate(examples) if e.language]
    languages = _fit(features[rows], [examples[i].language or "" for i in rows], config, dim)
    return Model(encoder.name if encoder else None, chars, intents, languages)


def _head_arrays(prefix: str, head: Head) -> dict[str, np.ndarray]:
    arrays = {f"{prefix}_char_w": head.char_w, f"{prefix}_bias": head.bias}
    if head.dense_w is not None:
        arrays[f"{prefix}_dense_w"] = head.dense_w
    return arrays


def save(model: Model, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    vocabulary = sorted(model.chars.vocabulary, key=lambda g: model.chars.vocabulary[g])
    meta = {"encoder": model.encoder_name, "intents": model.intents.labels,
            "languages": model.languages.labels, "vocabulary": vocabulary}
    tmp = path.with_suffix(".tmp")
    arrays: dict[str, Any] = {"meta": np.array(json.dumps(meta, ensure_ascii=False)),
                              "idf": model.chars.idf, **_head_arrays("intent", model.intents),
                              **_head_arrays("lang", model.languages)}
    with tmp.open("wb") as fh:
        np.savez(fh, **arrays)
    tmp.replace(path)


def load(path: Path) -> Model:
    with np.load(path) as data:
        meta = json.loads(str(data["meta"]))
        chars = CharFeatures({g: i for i, g in enumerate(meta["vocabulary"])}, data["idf"])

        def head(prefix: str, labels: list[str]) -> Head:
            dense = data[f"{prefix}_dense_w"] if f"{prefix}_dense_w" in data else None
            return Head(labels, dense, data[f"{prefix}_char_w"], data[f"{prefix}_bias"])

        return Model(meta["encoder"], chars, head("intent", meta["intents"]),
                     head("lang", meta["languages"]))


def load_or_train(
    encoder: Encoder | None,
    cache_dir: Path,
    config: NluConfig,
    files: list[Path] | None = None,
    progress_factory: Callable[[int], Callable[[int], None]] | None = None,
    force: bool = False,
    isolated: bool = True,
) -> Model:
    """The trained model for the current data and encoder, from the cache when it matches.

    Training runs in a child process (``isolated``): its memory peak (about 500 MB with the
    encoder) is returned to the system when it ends, and the assistant only loads the result.
    """
    files = files or training_files()
    name = encoder.name if encoder else None
    path = cache_dir / f"model-{data_hash(files, name, config)}.npz"
    if path.exists() and not force:
        try:
            return load(path)
        except (OSError, ValueError, KeyError):
            log.warning("NLU cache %s unreadable; training again", path)
    if isolated and not force and config == NluConfig.load():
        import subprocess
        import sys

        command = [sys.executable, "-m", "nlu", "train", str(cache_dir),
                   *(str(f) for f in files)]
        if encoder is None:
            command.append("--no-encoder")
        if progress_factory is not None:
            command.append("--progress")
        subprocess.run(command, check=True)
        return load(path)
    examples = read_all(files)
    log.info("training the NLU on %d examples (first start; cached afterwards)", len(examples))
    progress = progress_factory(len(examples)) if progress_factory and encoder else None
    model = train(examples, encoder, cache_dir, config, progress)
    save(model, path)
    return model
