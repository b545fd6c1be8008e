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
from nlu.static import load_static, static_key
from nlu.training import Example, read_all, training_files

log = logging.getLogger(__name__)
FORMAT_VERSION = "6"  # 6: the quick intent head reads static embeddings beside the char n-grams
CONFIG_FILE = Path(__file__).resolve().parent / "config.yml"
#: The model trained on the package's own data, shipped in the package (``teams-bot nlu
#: build`` writes it), so that a fresh install answers without training first.
SHIPPED_MODEL = Path(__file__).resolve().parent / "trained.npz"


@dataclass(frozen=True)
class NluConfig:
    fallback_threshold: float = 0.2
    emergency_threshold: float = 0.15
    regularisation_c: float = 30.0
    embedding_scale: float = 4.0
    char_weight: float = 1.0
    #: The cascade: the quick (char n-gram) heads answer alone when their top intent is at
    #: least this sure and P(emergency) below ``quick_emergency_doubt``; 1.0 turns it off.
    quick_threshold: float = 1.0
    quick_emergency_doubt: float = 0.0
    #: Weight of the static sentence vector (nlu/static.py) in the quick intent head; 0: the
    #: quick heads read character n-grams only.
    static_scale: float = 0.0

    def training_key(self) -> str:
        """The settings that change the trained weights (decision thresholds do not)."""
        return (f"c={self.regularisation_c}|e={self.embedding_scale}|w={self.char_weight}"
                f"|s={self.static_scale}")

    @classmethod
    def load(cls, path: Path = CONFIG_FILE) -> NluConfig:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        return cls(**{k: float(v) for k, v in data.items()})


@dataclass
class Head:
    """A linear classifier over [embedding * scale, char tf-idf * weight]."""

    labels: list[str]
    dense_w: np.ndarray | None  # (dim, classes), already multiplied by the embedding scale
    char_w: np.ndarray  # (vocabulary, classes), already multiplied by the char weight;
    # float16 when loaded from a file, float32 when just trained
    bias: np.ndarray

    def logits(self, embedding: np.ndarray | None, char: tuple[np.ndarray, np.ndarray]
               ) -> np.ndarray:
        out = self.bias.copy()
        if self.dense_w is not None and embedding is not None:
            out += embedding @ self.dense_w
        indices, values = char
        if len(indices):
            out += values @ self.char_w[indices].astype(np.float32)
        return out


@dataclass
class Model:
    encoder_name: str | None
    chars: CharFeatures
    intents: Head
    languages: Head
    #: Char n-grams alone (no sentence encoder): the cascade's cheap first opinion.
    quick_intents: Head | None = None
    quick_languages: Head | None = None


def data_hash(files: list[Path], encoder_name: str | None, config: NluConfig) -> str:
    digest = hashlib.sha256()
    digest.update(f"{FORMAT_VERSION}|{encoder_name}|{config.training_key()}".encode())
    if encoder_name and config.static_scale:  # the quick head is trained on the static table
        digest.update(f"|static={static_key()}".encode())
    for path in files:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _fit(features: Any, labels: list[str], config: NluConfig, dim: int,
         dense_scale: float | None = None) -> Head:
    from sklearn.linear_model import LogisticRegression

    clf = LogisticRegression(C=config.regularisation_c, max_iter=5000)
    clf.fit(features, labels)
    weights: np.ndarray = np.asarray(clf.coef_, dtype=np.float32).T
    scale = config.embedding_scale if dense_scale is None else dense_scale
    dense_w = weights[:dim] * scale if dim else None
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
    intent_labels = [e.intent for e in examples]
    rows = [i for i, e in enumerate(examples) if e.language]
    lang_labels = [examples[i].language or "" for i in rows]
    model = Model(encoder.name if encoder else None, chars,
                  _fit(features, intent_labels, config, dim),
                  _fit(features[rows], lang_labels, config, dim))
    if dim:  # the cascade's quick heads: the same char n-grams without the encoder
        quick = (cast(Any, char_matrix) * config.char_weight).tocsr()
        model.quick_languages = _fit(quick[rows], lang_labels, config, 0)
        static = load_static() if config.static_scale else None
        if static is None:
            model.quick_intents = _fit(quick, intent_labels, config, 0)
        else:  # and the static sentence vector (no encoder call either)
            vectors = csr_matrix(static.matrix(texts) * config.static_scale)
            model.quick_intents = _fit(hstack([vectors, quick]).tocsr(), intent_labels,
                                       config, static.dimensions, config.static_scale)
    return model


def _head_arrays(prefix: str, head: Head | None) -> dict[str, np.ndarray]:
    """A head's weights, stored as float16 (half the size; the logits move by < 1e-3)."""
    if head is None:
        return {}
    arrays = {f"{prefix}_char_w": head.char_w.astype(np.float16), f"{prefix}_bias": head.bias}
    if head.dense_w is not None:
        arrays[f"{prefix}_dense_w"] = head.dense_w.astype(np.float16)
    return arrays


def save(model: Model, path: Path, data_key: str = "") -> None:
    """Write the model (compressed); ``data_key`` is the :func:`data_hash` it was trained for."""
    path.parent.mkdir(parents=True, exist_ok=True)
    vocabulary = sorted(model.chars.vocabulary, key=lambda g: model.chars.vocabulary[g])
    meta = {"encoder": model.encoder_name, "intents": model.intents.labels,
            "languages": model.languages.labels, "vocabulary": vocabulary,
            "data_hash": data_key}
    tmp = path.with_suffix(".tmp")
    encoded = np.frombuffer(json.dumps(meta, ensure_ascii=False).encode(), dtype=np.uint8)
    arrays: dict[str, Any] = {"meta": encoded, "idf": model.chars.idf,
                              **_head_arrays("intent", model.intents),
                              **_head_arrays("lang", model.languages),
                              **_head_arrays("qintent", model.quick_intents),
                              **_head_arrays("qlang", model.quick_languages)}
    with tmp.open("wb") as fh:
        np.savez_compressed(fh, **arrays)
    tmp.replace(path)


def read_meta(path: Path) -> dict[str, Any]:
    """The labels, vocabulary, encoder and data hash of a saved model."""
    with np.load(path) as data:
        meta: dict[str, Any] = json.loads(data["meta"].tobytes().decode())
    return meta


def load(path: Path) -> Model:
    with np.load(path) as data:
        meta = json.loads(data["meta"].tobytes().decode())
        chars = CharFeatures({g: i for i, g in enumerate(meta["vocabulary"])}, data["idf"])

        def head(prefix: str, labels: list[str]) -> Head | None:
            if f"{prefix}_char_w" not in data:
                return None
            dense = data[f"{prefix}_dense_w"] if f"{prefix}_dense_w" in data else None
            # The char weights stay float16 as stored (8 MB less for the four heads): a
            # text's few rows are widened to float32 when they are multiplied, so the
            # logits are the same as with a float32 copy.
            return Head(labels, None if dense is None else dense.astype(np.float32),
                        np.ascontiguousarray(data[f"{prefix}_char_w"]),
                        data[f"{prefix}_bias"])

        intents, languages = head("intent", meta["intents"]), head("lang", meta["languages"])
        if intents is None or languages is None:
            raise KeyError("intent or language head missing")
        return Model(meta["encoder"], chars, intents, languages,
                     head("qintent", meta["intents"]), head("qlang", meta["languages"]))


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
    key = data_hash(files, name, config)
    path = cache_dir / f"model-{key}.npz"
    for ready in ((path, SHIPPED_MODEL) if not force else ()):
        if ready.exists() and (ready == path or shipped_key() == key):
            try:
                return load(ready)
            except (OSError, ValueError, KeyError):
                log.warning("NLU model %s unreadable; training again", ready)
    if isolated and not force and config.training_key() == NluConfig.load().training_key():
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
    save(model, path, key)
    return model


def shipped_key(path: Path = SHIPPED_MODEL) -> str | None:
    """The data hash the shipped model was trained for (None: no shipped model)."""
    try:
        return str(read_meta(path).get("data_hash") or "") or None
    except (OSError, ValueError, KeyError):
        return None


def is_ready(encoder_name: str | None, cache_dir: Path, config: NluConfig,
             files: list[Path] | None = None) -> bool:
    """Whether :func:`load_or_train` will only load (seconds), not train (minutes)."""
    key = data_hash(files or training_files(), encoder_name, config)
    return (cache_dir / f"model-{key}.npz").exists() or shipped_key() == key


def build(encoder: Encoder, cache_dir: Path, config: NluConfig,
          progress_factory: Callable[[int], Callable[[int], None]] | None = None) -> Path:
    """Train (or take from the cache) the model of the package's data and write it as the
    shipped model, ``nlu/trained.npz``: what ``teams-bot nlu build`` does."""
    load_or_train(encoder, cache_dir, config, None, progress_factory)
    key = data_hash(training_files(), encoder.name, config)
    cached = cache_dir / f"model-{key}.npz"
    if cached.exists() and shipped_key() != key:
        import shutil

        shutil.copyfile(cached, SHIPPED_MODEL)
    return SHIPPED_MODEL
