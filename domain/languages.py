"""Launch languages, their own names, and right-to-left handling."""

from __future__ import annotations

import re

#: Launch languages (ISO 639-1), in the order of ``intents.yml``.
LANGUAGES: tuple[str, ...] = (
    "it", "en", "fr", "es", "ar", "sq", "ro", "zh", "uk", "ur", "bn", "pa", "tl", "hi",
)

#: Each language in its own name, for the language menu.
NATIVE_NAMES: dict[str, str] = {
    "it": "Italiano",
    "en": "English",
    "fr": "Français",
    "es": "Español",
    "ar": "العربية",
    "sq": "Shqip",
    "ro": "Română",
    "zh": "中文",
    "uk": "Українська",
    "ur": "اردو",
    "bn": "বাংলা",
    "pa": "ਪੰਜਾਬੀ",
    "tl": "Tagalog",
    "hi": "हिन्दी",
}

RTL: frozenset[str] = frozenset({"ar", "ur"})

FSI = "\u2068"  # first strong isolate
PDI = "\u2069"  # pop directional isolate

# A run of Latin-script words (with digits and light punctuation inside), e.g. "codice fiscale"
# or "Questura di Firenze, 9:00-12:00".
_L = "0-9A-Za-zÀ-ÖØ-öø-ɏ"
_LATIN_RUN = re.compile(
    rf"[{_L}](?:[{_L}'’.,:/@\-_() \t]*[{_L}])?"
)
_HAS_LATIN_OR_DIGIT = re.compile(r"[0-9A-Za-zÀ-ÖØ-öø-ɏ]")


def normalise_language(code: str | None) -> str | None:
    """Return the launch language for a client code like ``pt-BR`` or ``uk``, else None."""
    if not code:
        return None
    base = code.replace("_", "-").split("-", 1)[0].lower()
    return base if base in LANGUAGES else None


def isolate(value: str, language: str) -> str:
    """Wrap an inserted value in isolation marks when the surrounding text is right to left."""
    if language in RTL and _HAS_LATIN_OR_DIGIT.search(value) and not value.startswith(FSI):
        return f"{FSI}{value}{PDI}"
    return value


def isolate_latin_runs(text: str, language: str) -> str:
    """Isolate every run of Latin-script words inside a right-to-left text.

    Translators write "Questura" or "codice fiscale" inside Arabic and Urdu sentences; without
    isolation a line that starts with such a term is laid out left to right.
    """
    if language not in RTL or FSI in text:
        return text
    return _LATIN_RUN.sub(lambda m: f"{FSI}{m.group(0)}{PDI}", text)
