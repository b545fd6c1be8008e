"""Character n-gram TF-IDF features, fitted by scikit-learn and applied with numpy alone.

Training uses scikit-learn's ``TfidfVectorizer`` (char_wb, 2-4); at run time the fitted
vocabulary and idf weights are applied here, so a cached start never imports scikit-learn. A
test checks that both give the same vectors.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

import numpy as np

from nlu.normalise import fold

NGRAMS = (2, 4)
_SPACES = re.compile(r"\s\s+")


def char_wb_ngrams(text: str, low: int = NGRAMS[0], high: int = NGRAMS[1]) -> list[str]:
    """The n-grams of scikit-learn's ``char_wb`` analyser, after :func:`fold`."""
    text = _SPACES.sub(" ", fold(text))
    grams: list[str] = []
    for word in text.split():
        padded = f" {word} "
        for n in range(low, high + 1):
            offset = 0
            grams.append(padded[offset:offset + n])
            while offset + n < len(padded):
                offset += 1
                grams.append(padded[offset:offset + n])
            if offset == 0:
                break
    return grams


class CharFeatures:
    """Sparse TF-IDF of one text as ``(indices, values)``, L2-normalised, sublinear tf."""

    def __init__(self, vocabulary: dict[str, int], idf: np.ndarray) -> None:
        self.vocabulary = vocabulary
        self.idf = idf.astype(np.float32)

    @property
    def size(self) -> int:
        return len(self.idf)

    def transform(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        counts = Counter(g for g in char_wb_ngrams(text) if g in self.vocabulary)
        if not counts:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        indices = np.fromiter((self.vocabulary[g] for g in counts), dtype=np.int64)
        tf = np.fromiter(counts.values(), dtype=np.float32)
        values = (1.0 + np.log(tf)) * self.idf[indices]
        values /= np.linalg.norm(values)
        return indices, values

    def dense(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.size), dtype=np.float32)
        for row, text in enumerate(texts):
            indices, values = self.transform(text)
            out[row, indices] = values
        return out


def fit_char_features(texts: Sequence[str]) -> tuple[CharFeatures, object]:
    """Fit on training texts; returns the features and scikit-learn's sparse matrix of them."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectorizer = TfidfVectorizer(
        analyzer=char_wb_ngrams, sublinear_tf=True, min_df=2, dtype=np.float32,
    )
    matrix = vectorizer.fit_transform(list(texts))
    vocabulary = {str(k): int(v) for k, v in vectorizer.vocabulary_.items()}
    return CharFeatures(vocabulary, vectorizer.idf_), matrix
