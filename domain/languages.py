"""Launch languages, their own names, and right-to-left handling."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TypeVar

T = TypeVar("T")

#: The languages the service speaks (ISO 639-1): the 12 launch languages of ``intents.yml``,
#: then its ``planned_languages`` as they arrive, in that order (ru, tl, hi, fa). Adding one is
#: this line, its name below, and its files (catalogue, FAQ answers, NLU data): every list of
#: languages in the code is derived from this one.
LANGUAGES: tuple[str, ...] = (
    "it", "en", "fr", "es", "ar", "sq", "ro", "zh", "uk", "ur", "bn", "pa",
    "ru", "tl", "hi", "fa",
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
    "ru": "Русский",
    "tl": "Tagalog",
    "hi": "हिन्दी",
    "fa": "فارسی / دری",  # Dari speakers (Afghanistan) look for their name too
}

#: Written right to left (a language not spoken yet may be listed: it changes nothing).
RTL: frozenset[str] = frozenset({"ar", "ur", "fa"})

FSI = "\u2068"  # first strong isolate
PDI = "\u2069"  # pop directional isolate

# A run of Latin-script words (with digits and light punctuation inside), e.g. "codice fiscale"
# or "Questura di Firenze, 9:00-12:00".
_LETTERS = "A-Za-zÀ-ÖØ-öø-ɏ"  # Latin letters, accented ones included
_L = "0-9" + _LETTERS
_LATIN_RUN = re.compile(
    rf"[{_L}](?:[{_L}'’.,:/@\-_() \t]*[{_L}])?"
)
_HAS_LATIN_OR_DIGIT = re.compile(f"[{_L}]")


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
    out, done = [], 0
    for match in _LATIN_RUN.finditer(text):
        start, end = match.span()
        run = match.group(0)
        if run.count("(") > run.count(")") and text[end:end + 1] == ")":
            end += 1  # "Assegno di Inclusione (ADI)": the bracket it opened goes in with it
        out += [text[done:start], FSI, text[start:end], PDI]
        done = end
    return "".join(out) + text[done:]


#: Languages of the zone's communities that we recognise but do not speak: the two languages
#: their speakers are answered in (languages many of them read), besides a person of the
#: service. Any other language we do not speak is answered in English and Italian.
REFERRED: dict[str, tuple[str, str]] = {
    "wo": ("fr", "en"),  # Wolof (Senegal, Gambia): French is the school language
    "ti": ("en", "it"),  # Tigrinya (Eritrea, Ethiopia): Ethiopic script
}

#: The most language buttons in one row: with 16 languages in rows of 3 every native name
#: ("Українська", "Italiano") stays whole on a 360-pixel phone screen.
MENU_WIDTH = 3


def menu_rows(items: Sequence[T], width: int = MENU_WIDTH) -> list[list[T]]:
    """Lay items out in rows of at most ``width``, as even as possible (no lone last button):
    16 languages make rows of 3, 3, 3, 3, 2, 2."""
    if not items:
        return []
    count = -(-len(items) // width)
    size, extra = divmod(len(items), count)
    rows, start = [], 0
    for i in range(count):
        end = start + size + (1 if i < extra else 0)
        rows.append(list(items[start:end]))
        start = end
    return rows


_KANA_RANGE = "\u3040-\u30ff"
_HAN_RANGE = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK_CHARACTER = re.compile(f"[{_KANA_RANGE}{_HAN_RANGE}]")


def word_count(text: str) -> int:
    """How many words a text has: Chinese and Japanese, written without spaces, count two
    characters to a word (as the language identifier counts them)."""
    characters = len(_CJK_CHARACTER.findall(text))
    return len(_CJK_CHARACTER.sub(" ", text).split()) + characters // 2


#: Scripts that only one language we speak is written in (Bengali, Gurmukhi, Devanagari,
#: Chinese characters): a single word in them says which language it is. Japanese mixes
#: Chinese characters with kana, so a text with kana is not Chinese.
_OWN_SCRIPTS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("bn", re.compile(r"[\u0980-\u09ff]")),
    ("pa", re.compile(r"[\u0a00-\u0a7f]")),
    ("hi", re.compile(r"[\u0900-\u097f]")),
    ("zh", re.compile(f"[{_HAN_RANGE}]")),
)
_KANA = re.compile(f"[{_KANA_RANGE}]")
_NEVER = 1_000_000
_LATIN_LETTER = re.compile(f"[{_LETTERS}]")


def words_to_tell(text: str, code: str) -> int:
    """How many words a text needs before the language it was identified as (``code``) is
    trusted enough to offer it: one in a script only that language is written in ("নমস্কার",
    "你好"); two in another script that is not Latin (Arabic letters are written by Arabic,
    Urdu and Persian speakers, Cyrillic by Russian and Ukrainian ones: "بدي موعد"); three in
    Latin letters, which many languages share ("ok", "no problem", "ciao")."""
    if not any(ch.isalpha() for ch in text):
        return _NEVER  # emoji, digits: no language to tell
    if _LATIN_LETTER.search(text):
        return 3
    for language, script in _OWN_SCRIPTS:
        if script.search(text):
            own = language == code and not (code == "zh" and _KANA.search(text))
            return 1 if own else 2
    return 2
