"""Who stands behind an answer: the review state of each topic in each language.

An Italian answer is the source: a coordinator checks it against the official sources
(``checked``, ``checked_by``). Every other language is a translation of it: ``draft``
(machine-drafted), ``reviewed`` by a person (who, when, and the *version* of the Italian source
they read beside it), or ``needs_review`` (the Italian changed since). A translation marked
reviewed against an older version of its source is, in effect, ``needs_review``: what was
checked is not what the Italian says now.

The shipped state is in ``locales/faq/<lang>/_review.yml``; approvals and corrections made in
Telegram are stored in the database and laid over it (:meth:`domain.content.Content.with_overlay`).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date, datetime

from domain.text import N_

DRAFT, REVIEWED, NEEDS_REVIEW = "draft", "reviewed", "needs_review"
STATES: tuple[str, ...] = (DRAFT, REVIEWED, NEEDS_REVIEW)
SOURCE_LANGUAGE = "it"
STATE_LABELS: dict[str, str] = {
    DRAFT: N_("📝 machine draft"),
    REVIEWED: N_("✅ checked"),
    NEEDS_REVIEW: N_("🔁 the Italian changed: check again"),
}


@dataclass(frozen=True)
class Review:
    """The review of one topic in one language. ``text``: a correction made in Telegram
    (None: the shipped text stands). ``source_version``: the Italian source's version the
    translation was reviewed against; ``source_text``: that Italian text, to show what
    changed. ``checked``/``checked_by``: the Italian source's fact check."""

    language: str
    topic: str
    state: str = DRAFT
    by: str | None = None
    by_id: int | None = None
    at: datetime | None = None
    source_version: str | None = None
    source_text: str | None = None
    text: str | None = None
    checked: date | None = None
    checked_by: str | None = None

    @property
    def key(self) -> tuple[str, str]:
        return self.language, self.topic


def version_of(text: str, urls: list[str] | tuple[str, ...]) -> str:
    """The version of an Italian source: a short hash of its text and its sources."""
    digest = hashlib.sha256()
    digest.update(" ".join(text.split()).encode())
    for url in sorted(urls):
        digest.update(b"\n" + url.encode())
    return digest.hexdigest()[:12]


def effective_state(review: Review, source_version: str | None) -> str:
    """A translation reviewed against another version of its source needs review again."""
    if review.language == SOURCE_LANGUAGE:
        return review.state
    if review.state == REVIEWED and review.source_version != source_version:
        return NEEDS_REVIEW
    return review.state


_URL = re.compile(r"https?://[^\s)>\]]+")


def links_in(text: str) -> list[str]:
    return [u.rstrip(".,;:") for u in _URL.findall(text)]
