"""An answer in passages, and the passage that answers a question.

A content answer is an introduction, numbered steps, bulleted lists under a heading and
single lines ("Where: ...", "EU citizens: ..."). A specific question ("I have no papers, can I
see a doctor?") is answered by one of them (the step about the STP code), so a reply to a
question in words leads with that passage and offers the whole answer behind a button.

How close each passage is to the question is the ``Understanding`` port's business
(``similarity``: sentence embeddings in the embedded NLU); :func:`lexical_similarity` is the
plain fallback any backend may use (words shared, rarer words weighing more).
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

_STEP = re.compile(r"^\s*\d{1,2}\s*[.)]\s+")
_BULLET = re.compile(r"^\s*[•\-*]\s+")
_END = re.compile(r"[.?!:;。？！：؟۔।]\s*$")
HEADING_MAX = 40  # a short line without a full stop, followed by its lines, is a heading
_WORD = re.compile(r"\w+")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]")


@dataclass(frozen=True)
class Passage:
    """One step, line or headed list of an answer; ``index`` is its place in the answer."""

    index: int
    text: str


def _is_item(line: str) -> bool:
    return bool(_STEP.match(line) or _BULLET.match(line))


def _is_heading(line: str, following: str | None) -> bool:
    return (following is not None and len(line) <= HEADING_MAX
            and not _END.search(line) and not _is_item(line))


def split_passages(text: str) -> list[Passage]:
    """The answer's passages, in order: each numbered step (without its number), each
    bulleted list with the line that introduces it, each other line; a short heading
    ("Where") goes with the line after it, and a heading of steps ("What to do") alone is
    dropped (each step stands by itself)."""
    passages: list[str] = []
    for block in re.split(r"\n\s*\n", text.strip()):
        lines = [line.strip() for line in block.splitlines() if line.strip()]
        i = 0
        while i < len(lines):
            line = lines[i]
            following = lines[i + 1] if i + 1 < len(lines) else None
            if following is not None and _BULLET.match(following) and not _is_item(line):
                j = i + 1
                while j < len(lines) and _BULLET.match(lines[j]):
                    j += 1
                passages.append("\n".join(lines[i:j]))
                i = j
                continue
            if _is_heading(line, following):
                if following is not None and not _is_item(following):
                    passages.append(f"{line}\n{following}")
                    i += 2
                else:
                    i += 1  # "What to do": its steps follow, each one a passage
                continue
            passages.append(_STEP.sub("", line) if _STEP.match(line) else line)
            i += 1
    return [Passage(n, p) for n, p in enumerate(passages)]


def _terms(text: str) -> list[str]:
    """Words (folded, accents off) of at least three letters; in Chinese or Japanese, pairs
    of characters (there are no spaces between words)."""
    folded = "".join(c for c in unicodedata.normalize("NFKD", text.casefold())
                     if not unicodedata.combining(c))
    terms: list[str] = []
    for word in _WORD.findall(folded):
        if _CJK.search(word):
            terms += [word[k:k + 2] for k in range(max(1, len(word) - 1))]
        elif len(word) >= 3 or word.isdigit():
            terms.append(word[:6])  # a crude stem: "rinnovo" and "rinnovare" meet
    return terms


def lexical_similarity(question: str, passages: Sequence[str]) -> list[float]:
    """How much of each passage's wording the question shares, rarer words (among these
    passages) weighing more; 0 to 1."""
    asked = set(_terms(question))
    bags = [set(_terms(p)) for p in passages]
    if not asked or not bags:
        return [0.0] * len(passages)
    documents = len(bags)
    weight = {t: math.log(1 + documents / (1 + sum(t in bag for bag in bags))) for t in asked}
    total = sum(weight.values()) or 1.0
    return [sum(weight[t] for t in asked & bag) / total for bag in bags]


@dataclass(frozen=True)
class Focus:
    """What a question in words asked of a topic's answer: how close each passage of the
    answer in ``language`` is to ``question``. Computed before the turn's transaction (the
    model's work holds no database lock) and carried on the turn."""

    topic: str
    language: str
    question: str
    scores: tuple[float, ...]


GENERAL_WORDS = 3  # a question of so few words ("tax code?") asks for the whole answer
GENERAL_CHARS = 6  # the same in Chinese or Japanese characters
LEAD_PASSAGES = 3  # a reply leads with at most so many passages ...
LEAD_MAX = 500  # ... of so many characters together (the closest one whatever its length)


def is_general(question: str) -> bool:
    """A question too short to ask for one part of an answer: the topic's name, or nearly."""
    if _CJK.search(question):
        return sum(len(word) for word in _WORD.findall(question)) < GENERAL_CHARS
    return len(_WORD.findall(question)) <= GENERAL_WORDS


def choose_lead(passages: Sequence[Passage], scores: Sequence[float]) -> list[Passage]:
    """The passages most similar to the question, best first: the closest one, then up to
    LEAD_PASSAGES while they fit in LEAD_MAX characters; the introduction is never chosen
    (it says what the topic is, which a specific question does not ask). Empty when the
    answer has too few passages to choose from, or the scores do not fit them."""
    if len(passages) != len(scores) or len(passages) < 3:
        return []
    order = sorted(range(1, len(passages)), key=lambda k: -scores[k])
    chosen = [passages[order[0]]]
    for k in order[1:LEAD_PASSAGES]:
        if sum(len(p.text) for p in chosen) + len(passages[k].text) > LEAD_MAX:
            break
        chosen.append(passages[k])
    return chosen
