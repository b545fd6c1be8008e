"""Which language a text is in: script rules, the intent model's language head, and lingua.

lingua (models inside its wheel) recognises languages we do not speak, so that a person writing
German or Portuguese is answered politely; which spoken language a text is in comes mostly from a
classifier on the sentence embedding, trained on our own data (which includes romanised Urdu,
Punjabi and Bengali, Arabizi, Finglish and Russian translit, that general detectors do not know).
Two communities of the zone write languages no detector here knows: Tigrinya (Ethiopic script,
told by its script) and Wolof (Latin letters, told by its frequent words).

Every list below is derived from ``domain.languages.LANGUAGES``: a planned language (``tl``,
``hi``) becomes spoken by adding its code there; until then it is recognised and answered
politely.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from domain.languages import LANGUAGES

#: Languages lingua recognises for us beyond the spoken ones, those spoken first.
_RECOGNISED: tuple[str, ...] = ("ru", "tl", "hi", "fa", "de", "pt")
#: Languages we recognise but do not speak yet (answered politely in English and Italian).
OTHER_LANGUAGES: tuple[str, ...] = tuple(c for c in _RECOGNISED if c not in LANGUAGES)
#: The script each of those is written in: a text of another script is not asked whether it is
#: one of them (lingua would load, and run, the models of that script's languages for nothing).
_WRITTEN_IN = {"ru": "cyrillic", "tl": "latin", "hi": "devanagari", "fa": "arabic", "de": "latin",
               "pt": "latin"}
_OTHER_SCRIPTS = frozenset(_WRITTEN_IN[c] for c in OTHER_LANGUAGES)
#: Codes lingua has no model for (Punjabi is told by its script, or by our language head).
_NOT_IN_LINGUA = frozenset({"pa"})

_SCRIPTS = {
    "han": re.compile(r"[\u4e00-\u9fff\u3400-\u4dbf]"),
    "kana": re.compile(r"[\u3040-\u30ff]"),
    "ethiopic": re.compile(r"[\u1200-\u139f\u2d80-\u2ddf\uab00-\uab2f]"),
    "gurmukhi": re.compile(r"[\u0a00-\u0a7f]"),
    "bengali": re.compile(r"[\u0980-\u09ff]"),
    "devanagari": re.compile(r"[\u0900-\u097f]"),
    "cyrillic": re.compile(r"[\u0400-\u04ff]"),
    "arabic": re.compile(r"[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff]"),
    "latin": re.compile(r"[A-Za-zÀ-ÖØ-öø-ɏ]"),
}
_URDU_ONLY = re.compile(r"[ٹڈڑںےۓھہ]")
#: Letters of the Persian alphabet that Arabic does not use (Urdu does: it is told first).
_PERSIAN_LETTERS = re.compile(r"[پچژگکی]")
_UKRAINIAN_ONLY = re.compile(r"[іїєґІЇЄҐ]")
_RUSSIAN_ONLY = re.compile(r"[ыэъёЫЭЪЁ]")

#: Frequent Wolof words (Latin letters, with or without its accents): two of them in a short
#: message, or a third of the words, and the message is Wolof. Words shared with Italian,
#: English, French, Tagalog or Arabizi ("man", "ana", "wax", "nga") are left out on purpose.
WOLOF_WORDS = frozenset({
    "nanga", "def", "naka", "mangi", "maangi", "ngi", "jërëjëf", "jerejef", "jërejëf",
    "waaw", "déedéet", "deedeet", "dedet", "dama", "damaa", "damay", "bëgg", "begg", "bugg",
    "bëgguma", "bagguma", "dafa", "dafay", "ndax", "xam", "xamul", "xamuma", "dégg", "degg",
    "dégguma", "sama", "suma", "yow", "ngay", "ñu", "dinaa", "dinañu", "amul",
    "liggéey", "liggeey", "kër", "ker", "jàng", "jang", "ngir", "xaalis", "rekk", "lool",
    "nekk", "dëkk", "dekk", "jox", "maa", "laa", "nañu", "yëgg", "wallu", "dimbali",
    "dimbalil", "jàppale", "jappale", "ëllëg", "tey", "démb", "fii", "lan",
})

#: Below this share of the language head, a Cyrillic text keeps the conversation's language.
CYRILLIC_UNSURE = 0.8
#: Below this share of the language head, a text that the conversation's language could
#: also explain (its share at least KEEP_SHARE) keeps that language: mixed texts ("ciao, I need
#: permesso di soggiorno") and romanised Urdu, Hindi and Punjabi, close to one another.
UNSURE = 0.75
KEEP_SHARE = 0.2

#: Launch languages possible in each script (romanised forms make Latin hold almost all), in
#: the order of LANGUAGES; a language not spoken yet is simply left out.
_BY_SCRIPT: dict[str, tuple[str, ...]] = {
    script: tuple(c for c in LANGUAGES if c in possible)
    for script, possible in {
        "han": {"zh"},
        "kana": set(),
        "ethiopic": set(),
        "gurmukhi": {"pa"},
        "bengali": {"bn"},
        "devanagari": {"hi"},
        "cyrillic": {"uk", "ru"},
        "arabic": {"ar", "ur", "fa"},
        "latin": {"it", "en", "fr", "es", "sq", "ro", "ar", "ur", "bn", "pa", "ru", "tl", "hi",
                  "fa"},
    }.items()
}
#: Romanised Hindi and Urdu are written alike ("mujhe kaam chahiye"): between the two, the
#: conversation's language decides.
_ROMAN_HINDUSTANI = frozenset({"hi", "ur"})
#: Scripts none of our languages is written in: the language is told by the script alone.
_SCRIPT_LANGUAGE = {"kana": "ja", "ethiopic": "ti", "devanagari": "hi"}


def wolof_share(text: str) -> tuple[int, float]:
    """How many frequent Wolof words a text has, and their share of its words."""
    words = [w.strip(".,;:!?¿¡'\"()").casefold() for w in text.split()]
    words = [w for w in words if w]
    found = sum(1 for w in words if w in WOLOF_WORDS)
    return found, (found / len(words) if words else 0.0)


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
            for c in codes if c not in _NOT_IN_LINGUA
        ]
        self.detector = (
            LanguageDetectorBuilder.from_languages(*languages)
            .with_low_accuracy_mode()
            .build()  # each language's model loads when a text of its script first needs it
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
        candidates = _BY_SCRIPT.get(script or "", LANGUAGES)
        if not candidates and script in _SCRIPT_LANGUAGE:
            return _SCRIPT_LANGUAGE[script], 0.99 if script == "ethiopic" else 0.9
        if script == "latin":
            found, share = wolof_share(text)
            if found >= 2 and (share >= 1 / 3 or found >= 4):
                return "wo", 0.95
        if script == "arabic":
            candidates = self._arabic(text, candidates)
        if script == "cyrillic":
            sure = self._cyrillic(text, words)
            if sure is not None:
                return sure
        if len(candidates) == 1:
            return candidates[0], 0.99
        # Short texts lean on the conversation's language when the script allows it.
        if words <= 2 and hint in candidates:
            return hint, 0.6
        scores = {c: (head or {}).get(c, 0.0) for c in candidates}
        total = sum(scores.values())
        if words >= 3 and script in _OTHER_SCRIPTS | {None} and (
                total == 0 or max(scores.values()) / total < 0.5):
            # lingua only when our head is unsure (its models load on first use)
            other = self._other_language(text)
            if other is not None:
                return other
        if total <= 0:
            lingua = self._lingua(text)
            scores = {c: lingua.get(c, 0.0) for c in candidates}
            total = sum(scores.values()) or 1.0
        code = max(scores, key=lambda c: scores[c])
        if script == "latin" and {code, hint} <= _ROMAN_HINDUSTANI:
            return str(hint), scores[code] / total  # one spoken language in Latin letters
        share = scores[code] / total
        if hint in scores and hint != code:
            if script == "cyrillic" and share < CYRILLIC_UNSURE:
                # Ukrainian and Russian share most words: unsure, the conversation's language stays
                return hint, scores[hint] / total
            if share < UNSURE and scores[hint] / total >= KEEP_SHARE:
                return hint, scores[hint] / total  # unsure: the conversation's language stays
        return code, scores[code] / total

    @staticmethod
    def _arabic(text: str, candidates: tuple[str, ...]) -> tuple[str, ...]:
        """Urdu's own letters decide; Persian letters rule Arabic out."""
        if "ur" in candidates and _URDU_ONLY.search(text):
            return ("ur",)
        if _PERSIAN_LETTERS.search(text):
            return tuple(c for c in candidates if c != "ar") or candidates
        return candidates

    def _cyrillic(self, text: str, words: int) -> tuple[str, float] | None:
        """Ukrainian's and Russian's own letters decide; else lingua on a long enough text."""
        if _UKRAINIAN_ONLY.search(text):
            return "uk", 0.99
        if _RUSSIAN_ONLY.search(text):
            return "ru", 0.95
        lingua = self._lingua(text)
        if words >= 4 and lingua.get("ru", 0.0) >= 0.97:
            return "ru", lingua["ru"]
        return None

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
