"""gettext catalogs compiled in memory from ``locales/<lang>/LC_MESSAGES/messages.po``.

Compiling at start-up (a few milliseconds with Babel) means a fresh checkout works without a
build step and a stale ``.mo`` can never hide an edited ``.po``.

Review of the interface strings (issue 15): a string a mediator has checked carries the
translator comment ``reviewed: <who> <YYYY-MM-DD>`` (Poedit's "Comment" field, Weblate's
translator comment). ``pybabel update`` keeps it while the English source is unchanged; a
changed source string is a new entry, without it, so it is a draft again. A fuzzy or empty
translation never counts as reviewed. README, "Reviewing the interface strings".
"""

from __future__ import annotations

import gettext
import io
import re
from dataclasses import dataclass
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from domain.languages import LANGUAGES

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"


REVIEWED = re.compile(r"^reviewed: (?P<who>.+?) (?P<day>\d{4}-\d{2}-\d{2})$")


class CatalogError(Exception):
    pass


@dataclass(frozen=True)
class StringReview:
    """One interface string of one language, and whether a mediator checked it."""

    msgid: str
    reviewer: str | None = None
    day: str | None = None

    @property
    def reviewed(self) -> bool:
        return self.reviewer is not None


def review_mark(message: Message) -> tuple[str, str] | None:
    """``(who, day)`` when a mediator marked this translation as checked, else None."""
    translated = all(message.string) if isinstance(message.string, (list, tuple)) \
        else bool(message.string)
    if not translated or message.fuzzy:
        return None
    for comment in message.user_comments:
        found = REVIEWED.match(comment.strip())
        if found:
            return found.group("who"), found.group("day")
    return None


def string_reviews(catalog: Catalog) -> list[StringReview]:
    """Every interface string of a catalog (the header left out), with its review mark."""
    reviews = []
    for message in catalog:
        if not message.id:
            continue
        mark = review_mark(message)
        msgid = message.id if isinstance(message.id, str) else message.id[0]
        reviews.append(StringReview(msgid, *(mark or (None, None))))
    return reviews


class Catalogs:
    """Implements the domain's ``Translations`` port; falls back to the English source text."""

    def __init__(self, locales_dir: Path = LOCALES_DIR, languages: tuple[str, ...] = LANGUAGES):
        self.translations: dict[str, gettext.NullTranslations] = {}
        self.reviews: dict[str, list[StringReview]] = {}
        for language in languages:
            path = locales_dir / language / "LC_MESSAGES" / "messages.po"
            if not path.exists():
                self.translations[language] = gettext.NullTranslations()
                continue
            try:
                with path.open("rb") as fh:
                    catalog = read_po(fh, locale=language)
            except Exception as exc:
                raise CatalogError(f"{path}: cannot be read ({exc}).") from None
            self.reviews[language] = string_reviews(catalog)
            buffer = io.BytesIO()
            write_mo(buffer, catalog)
            buffer.seek(0)
            self.translations[language] = gettext.GNUTranslations(buffer)

    def gettext(self, language: str, message: str) -> str:
        translations = self.translations.get(language)
        return translations.gettext(message) if translations else message

    def ngettext(self, language: str, singular: str, plural: str, n: int) -> str:
        translations = self.translations.get(language)
        if translations is None:
            return singular if n == 1 else plural
        return translations.ngettext(singular, plural, n)

    def review_progress(self, language: str) -> tuple[int, int]:
        reviews = self.reviews.get(language, [])
        return sum(1 for r in reviews if r.reviewed), len(reviews)
