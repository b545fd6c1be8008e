"""Which language a text is in: script rules, the intent model's language head, and lingua.

lingua (models inside its wheel) recognises languages we do not speak, so that a person writing
Russian or Persian is answered politely; which launch language a text is in comes mostly from a
classifier on the sentence embedding, trained on our own data (which includes romanised Urdu,
Punjabi and Bengali and Arabizi, that general detectors do not know).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from domain.languages import LANGUAGES

#: Languages we recognise but do not speak yet (answered politely in English and Italian).
OTHER_LANGUAGES: tuple[str, ...] = ("ru", "fa", "de", "pt")

_SCRIPTS = {
    "han": re.compile(r"[\u4e00-\u9fff\u3400-\u4dbf]"),
    "kana": re.compile(r"[\u3040-\u30ff]"),
    "gurmukhi": re.compile(r"[\u0a00-\u0a7f]"),
    "bengali": re.compile(r"[\u0980-\u09ff]"),
    "devanagari": re.compile(r"[\u0900-\u097f]"),
    "cyrillic": re.compile(r"[\u0400-\u04ff]"),
    "arabic": re.compile(r"[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff]"),
    "latin": re.compile(r"[A-Za-zÀ-ÖØ-öø-ɏ]"),
}
_URDU_ONLY = re.compile(r"[ٹڈڑںےۓھہ]")
_UKRAINIAN_ONLY = re.compile(r"[іїєґІЇЄҐ]")
_RUSSIAN_ONLY = re.compile(r"[ыэъёЫЭЪЁ]")

#: Romanised Hindi and Urdu are written alike ("mujhe kaam chahiye"): between the two, the
#: conversation's language decides.
_ROMAN_HINDUSTANI = frozenset({"hi", "ur"})

#: Launch languages possible in each script (romanised forms make Latin hold almost all).
_BY_SCRIPT: dict[str, tuple[str, ...]] = {
    "han": ("zh",),
    "gurmukhi": ("pa",),
    "bengali": ("bn",),
    "cyrillic": ("uk",),
    "arabic": ("ar", "ur"),
    "devanagari": ("hi",),
    "latin": ("it", "en", "fr", "es", "sq", "ro", "ar", "ur", "bn", "pa", "tl", "hi"),
}


def dominant_script(text: str) -> str | None:
    """The script that decides the language: any non-Latin script present beats Latin.

    Italian office words (Latin) inside a Chinese or Bengali sentence must not make it Latin.
    """
    counts = {name: len(p.findall(text)) for name, p in _SCRIPTS.items()}
    others = {k: v for k, v in counts.items() if k != "latin" and v}
    if others:
        return max(others.items(), key=lambda kv: kv[1])[0]
    return "latin" if counts["latin"] else None


class LanguageIdentifier:
    """Detect the language of one text, given the language head's probabilities."""

    def __init__(self) -> None:
        from lingua import IsoCode639_1, LanguageDetectorBuilder

        codes = [*LANGUAGES, *OTHER_LANGUAGES]
        languages = [
            __import__("lingua").Language.from_iso_code_639_1(getattr(IsoCode639_1, c.upper()))
            for c in codes if c != "pa"
        ]
        self.detector = (
            LanguageDetectorBuilder.from_languages(*languages)
            .with_low_accuracy_mode()
            .with_preloaded_language_models()
            .build()
        )

    def _lingua(self, text: str) -> dict[str, float]:
        values = self.detector.compute_language_confidence_values(text)
        return {v.language.iso_code_639_1.name.lower(): v.value for v in values}

    def detect(
        self,
        text: str,
        head: dict[str, float] | None = None,
        hint: str | None = None,
    ) -> tuple[str, float]:
        """Return ``(code, confidence)``; the code may be a language we do not speak."""
        script = dominant_script(text)
        words = len(text.split()) if script not in ("han", "kana") else len(text) // 2
        if script == "kana":
            return "ja", 0.9
        candidates = _BY_SCRIPT.get(script or "", LANGUAGES)
        if script == "arabic" and _URDU_ONLY.search(text):
            candidates = ("ur",)
        if script == "cyrillic":
            if _UKRAINIAN_ONLY.search(text):
                return "uk", 0.99
            if _RUSSIAN_ONLY.search(text):
                return "ru", 0.95
            lingua = self._lingua(text)
            if words >= 4 and lingua.get("ru", 0.0) >= 0.97:
                return "ru", lingua["ru"]
        if len(candidates) == 1:
            return candidates[0], 0.99
        # Short texts lean on the conversation's language when the script allows it.
        if words <= 2 and hint in candidates:
            return hint, 0.6
        scores = {c: (head or {}).get(c, 0.0) for c in candidates}
        total = sum(scores.values())
        if words >= 3 and script in ("latin", "arabic", None):
            other = self._other_language(text)
            if other is not None and (total == 0 or max(scores.values()) / total < 0.5):
                return other
        if total <= 0:
            lingua = self._lingua(text)
            scores = {c: lingua.get(c, 0.0) for c in candidates}
            total = sum(scores.values()) or 1.0
        code = max(scores, key=lambda c: scores[c])
        if script == "latin" and {code, hint} <= _ROMAN_HINDUSTANI:
            return str(hint), scores[code] / total  # one spoken language in Latin letters
        return code, scores[code] / total

    def _other_language(self, text: str) -> tuple[str, float] | None:
        """A confident detection of a language we do not speak, else None."""
        values = self._lingua(text)
        if not values:
            return None
        code = max(values, key=lambda c: values[c])
        if code in OTHER_LANGUAGES and values[code] >= 0.95:
            return code, values[code]
        return None


def head_probabilities(
    logits: np.ndarray, labels: Sequence[str]
) -> dict[str, float]:
    shifted = np.exp(logits - logits.max())
    probs = shifted / shifted.sum()
    return {label: float(p) for label, p in zip(labels, probs, strict=True)}
