"""The answers' passages, encoded once and shipped (``nlu/passages.npz``).

A question in words is answered with the passages of its answer closest to it, so every passage
needs its encoder vector. Encoding all of them (about 3,200 in 16 languages, ~78 ms of CPU each)
costs about 4 minutes of CPU, which each process paid at start (``nlu/warmup.py``), and the
encoder's working memory for passage-length inputs stayed with the process (~50 MB of RSS).
They are the project's own texts: ``teams-bot nlu passages`` encodes them once, keeps the vectors
of passages that did not change, and writes them in float16 (2.4 MB). At run time a passage is
looked up here by the hash of its text; only one that is not here (an answer corrected since, in
/review or in the files) is encoded, by the warm-up or by the turn that first needs it.

The file records the encoder's name and the fingerprint of its model file;
tests/nlu/test_passage_store.py checks that both match the installed encoder and that every
passage of the shipped answers is in it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)
PASSAGES_FILE = Path(__file__).resolve().parent / "passages.npz"
BATCH = 2  # passages encoded at once when building (a larger batch raises the peak memory)


def passage_key(text: str) -> int:
    """The number that finds a passage's vector: the first 8 bytes of the sha1 of its text."""
    return int.from_bytes(hashlib.sha1(text.encode("utf-8")).digest()[:8], "little")


class PassageStore:
    """Vectors of passages by the hash of their text, float16 in memory (read only)."""

    def __init__(self, keys: Sequence[int], vectors: np.ndarray, encoder: str,
                 fingerprint: str) -> None:
        self.rows = {key: n for n, key in enumerate(keys)}
        self.vectors = vectors
        self.encoder = encoder
        self.fingerprint = fingerprint

    def __len__(self) -> int:
        return len(self.rows)

    def __contains__(self, text: object) -> bool:
        return isinstance(text, str) and passage_key(text) in self.rows

    def get(self, text: str) -> np.ndarray | None:
        """The passage's vector (float32), or None when it is not stored."""
        row = self.rows.get(passage_key(text))
        return None if row is None else self.vectors[row].astype(np.float32)

    @classmethod
    def read(cls, path: Path = PASSAGES_FILE) -> PassageStore:
        with np.load(path) as data:
            meta = json.loads(data["meta"].tobytes().decode())
            keys = [int(k) for k in data["keys"]]
            vectors = data["vectors"]
        return cls(keys, vectors, meta["encoder"], meta["fingerprint"])

    def write(self, path: Path) -> None:
        keys = sorted(self.rows, key=self.rows.__getitem__)
        meta = {"encoder": self.encoder, "fingerprint": self.fingerprint}
        with path.open("wb") as handle:
            np.savez_compressed(
                handle, keys=np.array(keys, dtype=np.uint64),
                vectors=self.vectors.astype(np.float16),
                meta=np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8))


def load_passage_store(encoder_name: str, path: Path = PASSAGES_FILE) -> PassageStore | None:
    """The shipped vectors when they were encoded by this encoder; else None (all passages
    are then encoded here, as before), with a warning that says how to rebuild them."""
    try:
        store = PassageStore.read(path)
    except (OSError, ValueError, KeyError):
        log.warning("the answers' passage vectors %s are missing or unreadable: they are "
                    "encoded in the background (run `teams-bot nlu passages`)", path)
        return None
    if store.encoder != encoder_name:
        log.warning("the answers' passage vectors %s were encoded by another encoder; they are "
                    "encoded again in the background (run `teams-bot nlu passages`)", path)
        return None
    return store


def build_passages(encoder: Any, passages: Iterable[str], fingerprint: str,
                   previous: PassageStore | None = None,
                   progress: Callable[[int], None] | None = None) -> tuple[PassageStore, dict]:
    """Encode ``passages`` (keeping the vectors of ``previous`` for those it holds, when it
    came from the same encoder file); the new store and figures of the build."""
    texts = list(dict.fromkeys(passages))
    if previous is not None and (previous.encoder, previous.fingerprint) != (
            encoder.name, fingerprint):
        previous = None
    vectors: dict[int, np.ndarray] = {}
    missing = []
    for text in texts:
        kept = previous.get(text) if previous is not None else None
        if kept is None:
            missing.append(text)
        else:
            vectors[passage_key(text)] = kept
    start = time.process_time()
    encode = getattr(encoder, "encode_passages", encoder.encode)
    for first in range(0, len(missing), BATCH):
        chunk = missing[first:first + BATCH]
        for text, vector in zip(chunk, encode(chunk), strict=True):
            vectors[passage_key(text)] = np.asarray(vector, dtype=np.float32)
        if progress is not None:
            progress(len(chunk))
    keys = [passage_key(t) for t in texts]
    matrix = (np.stack([vectors[k] for k in keys]) if keys
              else np.zeros((0, 0), dtype=np.float32)).astype(np.float16)
    store = PassageStore(keys, matrix, encoder.name, fingerprint)
    return store, {"passages": len(texts), "encoded": len(missing),
                   "kept": len(texts) - len(missing),
                   "cpu_seconds": round(time.process_time() - start, 1)}
