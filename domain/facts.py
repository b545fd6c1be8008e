"""The facts a translation must carry over from its Italian source: the numbers (days, ages,
fees, years, law articles), the phone numbers and the web addresses in the text, and the
sources under it.

A machine-drafted translation can say "30 days" where the Italian says 60, or lose a link: the
content check compares, per topic and language, the *multiset* of these facts with the Italian
one's and reports what is missing and what is extra. Digits of every script (Arabic-Indic,
Persian, Devanagari, Bengali, Gurmukhi, full-width, ...) are the same digits; "1.000", "1,000"
and "1 000" are the same thousand, "2,5" and "2.50" the same decimal. Numbered steps ("1." at
the start of a line) are the answer's layout, not facts, when the translation numbers its steps
as the Italian does; otherwise the check says how each numbers them.

A difference that is not a mistake (a number written in words, a fact the Romanian answer adds
because EU rules come first) is declared beside the translation with its reason
(:class:`FactException`), rather than loosening the rule for every answer.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache

from pydantic import BaseModel, ConfigDict, Field, model_validator

_A = "A-Za-z0-9"  # letters and digits that glue to a number (not those of other scripts)
_SEPARATORS = str.maketrans({"\u066b": ",", "\u066c": ".", "\u00a0": " ", "\u202f": " ",
                             "\u2009": " ", "\u2212": "-", "\u2011": "-", "\u2013": "-"})
_URL = re.compile(r"https?://[^\s)>\]]+")
#: A web address written without its scheme ("1522.eu", "www.inps.it/assegno").
_DOMAIN = re.compile(rf"(?<![{_A}@/.-])(?:www\.)?(?:[a-z0-9-]+\.)+(?:it|eu|org|com|net|gov)"
                     rf"(?:/[^\s)\]>,;]*)?(?![{_A}])", re.IGNORECASE | re.ASCII)
#: A phone number: three or more groups of 2-4 digits (spaces, dashes, dots or slashes
#: between them) or a run of 7 or more digits, optionally after "+".
_PHONE = re.compile(rf"(?<![{_A}.,/])\+?\d{{2,4}}(?:[ \-./]\d{{2,4}}){{2,}}(?![{_A}/])"
                    rf"|(?<![{_A}.,/])\+?\d{{7,}}(?![{_A}])", re.ASCII)
#: A number: thousands in groups ("1.000", "1,000", "1 000"), a decimal, or digits.
_NUMBER = re.compile(rf"(?<![{_A}.,])\d{{1,3}}([ .,])\d{{3}}(?:\1\d{{3}})*(?![{_A}]|[.,]\d)"
                     rf"|(?<![{_A}.,])\d+[.,]\d{{1,2}}(?![{_A}]|[.,]\d)"
                     rf"|\d+", re.ASCII)
_STEP = re.compile(r"^[ \t]*(\d{1,2})[.)][ \t]", re.MULTILINE | re.ASCII)
_OTHER_DIGIT = re.compile(r"(?![0-9])\d")


def ascii_digits(text: str) -> str:
    """``text`` with the decimal digits of every script (and the Arabic decimal and thousands
    separators, the non-breaking spaces) in ASCII."""
    text = unicodedata.normalize("NFKC", text).translate(_SEPARATORS)
    return _OTHER_DIGIT.sub(lambda m: str(unicodedata.decimal(m.group(0))), text)


def _number(token: str) -> str:
    """A number in one spelling: thousands joined, a decimal with a point and no final 0."""
    match = re.fullmatch(r"(\d{1,3})([ .,])(\d{3}(?:\2\d{3})*)", token)
    if match:
        return str(int(match.group(1) + match.group(3).replace(match.group(2), "")))
    match = re.fullmatch(r"(\d+)[.,](\d{1,2})", token)
    if match:
        decimals = match.group(2).rstrip("0")
        return f"{int(match.group(1))}.{decimals}" if decimals else str(int(match.group(1)))
    return str(int(token))


def _link(url: str) -> str:
    url = url.rstrip(".,;:")
    return re.sub(r"^https?://", "", url).removesuffix("/").lower()


@dataclass(frozen=True)
class Facts:
    """What a text states: each fact as ``kind: value`` (kinds: number, phone, link)."""

    facts: Counter[str]
    steps: tuple[int, ...]  # the numbers of its numbered steps, in order
    spelling: dict[str, str]  # a fact -> how the text writes it (for the report)


@lru_cache(maxsize=2048)
def facts_of(text: str) -> Facts:
    """The facts ``text`` states (cached: the Italian source is compared with every
    translation; do not change what it returns)."""
    text = ascii_digits(text)
    facts: Counter[str] = Counter()
    spelling: dict[str, str] = {}

    def taking(kind: str, key: Callable[[str], str]) -> Callable[[re.Match[str]], str]:
        def take(match: re.Match[str]) -> str:
            written = match.group(0).rstrip(".,;:") if kind == "link" else match.group(0)
            fact = f"{kind}: {key(written)}"
            facts[fact] += 1
            spelling.setdefault(fact, written.strip())
            return " "
        return take

    text = _URL.sub(taking("link", _link), text)
    text = _DOMAIN.sub(taking("link", _link), text)
    text = _PHONE.sub(taking("phone", lambda w: re.sub(r"[^+0-9]", "", w)), text)
    steps = tuple(int(s) for s in _STEP.findall(text))
    _NUMBER.sub(taking("number", _number), _STEP.sub(" ", text))
    return Facts(facts, steps, spelling)


def fact_key(written: str) -> str | None:
    """The fact a mediator wrote in an exception ("18", "800 290 290", "inps.it", a link)."""
    facts = facts_of(written).facts
    if len(facts) == 1 and sum(facts.values()) == 1:
        return next(iter(facts))
    return None


class FactException(BaseModel):
    """A fact this translation may lack (``missing``) or add (``extra``) against its Italian
    source, and why: one occurrence each."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    missing: str | None = None
    extra: str | None = None
    reason: str = Field(min_length=10)

    @model_validator(mode="after")
    def _one_fact(self) -> FactException:
        written = self.extra if self.missing is None else self.missing
        if (self.missing is None) == (self.extra is None) or written is None:
            raise ValueError("give either 'missing' or 'extra' (one fact), with the reason")
        if fact_key(written) is None:
            raise ValueError(f"'{written}' is not one number, phone number or link")
        return self

    @property
    def key(self) -> str:
        key = fact_key(self.missing or self.extra or "")
        assert key is not None  # checked on validation
        return key


@dataclass(frozen=True)
class FactDrift:
    """How a translation's facts differ from its Italian source's, after its exceptions."""

    missing: Counter[str]
    extra: Counter[str]
    steps: tuple[tuple[int, ...], tuple[int, ...]] | None  # (Italian, translation) if they differ
    unused: tuple[FactException, ...]  # exceptions for a difference there is not
    spelling: dict[str, str]
    counts: dict[str, tuple[int, int]]  # a fact -> times in the Italian, in the translation

    def __bool__(self) -> bool:
        return bool(self.differs or self.unused)

    @property
    def differs(self) -> bool:
        """The text says other facts than the Italian (an unused exception aside)."""
        return bool(self.missing or self.extra or self.steps)

    def short(self) -> str:
        """The difference in signs, for any language: "−6, +3, 1. 2. ≠ –"."""
        parts = [f"\u2212{self._written(f)}" for f in sorted(self.missing, key=_order)]
        parts += [f"+{self._written(f)}" for f in sorted(self.extra, key=_order)]
        if self.steps:
            parts.append(" ".join(f"{n}." for n in self.steps[0]) + " \u2260 "
                         + (" ".join(f"{n}." for n in self.steps[1]) or "\u2013"))
        return ", ".join(parts)

    def _written(self, fact: str) -> str:
        return self.spelling.get(fact, fact.partition(": ")[2])

    def describe(self) -> str:
        """In words a mediator reads: what the Italian says that the translation does not,
        what the translation says that the Italian does not."""
        parts = []
        if self.missing:
            parts.append("in the Italian, not in this translation: " + self._list(self.missing))
        if self.extra:
            parts.append("in this translation, not in the Italian: " + self._list(self.extra))
        if self.steps:
            parts.append(f"the Italian numbers its steps {_steps(self.steps[0])}, "
                         f"this translation {_steps(self.steps[1])}")
        for exception in self.unused:
            side = "missing" if exception.extra is None else "extra"
            parts.append(f"the exception for {side} "
                         f"'{exception.missing or exception.extra}' matches no difference "
                         "(remove it)")
        return "; ".join(parts)

    def _list(self, facts: Counter[str]) -> str:
        out = []
        for fact in sorted(facts, key=_order):
            kind, _, value = fact.partition(": ")
            label = {"phone": "phone number ", "link": "web address ",
                     "source": "source "}.get(kind, "")
            italian, here = self.counts.get(fact, (0, 0))
            times = f" ({italian}x in the Italian, {here}x here)" if italian and here else ""
            out.append(f"{label}{self.spelling.get(fact, value)}{times}")
        return ", ".join(out)


_KINDS = ("number", "phone", "link", "source")


def _order(fact: str) -> tuple[int, float, str]:
    kind, _, value = fact.partition(": ")
    number = float(value) if kind == "number" else 0.0
    return (_KINDS.index(kind) if kind in _KINDS else len(_KINDS), number, value)


def _steps(steps: tuple[int, ...]) -> str:
    return " ".join(f"{n}." for n in steps) if steps else "not at all"


def compare(source: str, translation: str, source_urls: Iterable[str] = (),
            translation_urls: Iterable[str] = (),
            exceptions: Iterable[FactException] = ()) -> FactDrift:
    """The facts of the Italian ``source`` text (and its sources) that ``translation`` lacks
    or adds, less the declared ``exceptions``."""
    source_urls, translation_urls = tuple(source_urls), tuple(translation_urls)
    ours, theirs = facts_of(source), facts_of(translation)
    a, b = Counter(ours.facts), Counter(theirs.facts)
    a.update(f"source: {_link(u)}" for u in source_urls)
    b.update(f"source: {_link(u)}" for u in translation_urls)
    spelling = {**theirs.spelling, **ours.spelling}
    spelling.update({f"source: {_link(u)}": u for u in (*source_urls, *translation_urls)})
    steps = None if ours.steps == theirs.steps else (ours.steps, theirs.steps)
    missing, extra = a - b, b - a
    unused = []
    for exception in exceptions:
        side = missing if exception.missing is not None else extra
        if side[exception.key] > 0:
            side[exception.key] -= 1
        else:
            unused.append(exception)
    counts = {fact: (a[fact], b[fact]) for fact in a | b}
    return FactDrift(+missing, +extra, steps, tuple(unused), spelling, counts)
