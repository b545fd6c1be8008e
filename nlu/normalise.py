"""Text normalisation for keyword matching: case, Latin accents, Arabic diacritics."""

from __future__ import annotations

import re
import unicodedata

_ARABIC_MARKS = re.compile("[\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")
_SPACES = re.compile(r"\s+")
_ZWNJ = "\u200c"  # Persian writes "می‌خواهم" with it, or with a space, or with neither


def fold(text: str) -> str:
    """Lower-case, drop accents on Latin letters and Arabic harakat, Persian's zero-width
    non-joiner as a space, squeeze spaces."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    out = []
    previous_ascii = False
    for char in decomposed:
        if unicodedata.combining(char) and previous_ascii:
            continue  # an accent on a Latin letter; keep Indic vowel signs and the like
        out.append(char)
        previous_ascii = char.isascii()
    folded = unicodedata.normalize("NFC", "".join(out))
    folded = _ARABIC_MARKS.sub("", folded).replace(_ZWNJ, " ")
    return _SPACES.sub(" ", folded).strip()
