"""gettext catalogs compiled in memory from ``locales/<lang>/LC_MESSAGES/messages.po``.

Compiling at start-up (a few milliseconds with Babel) means a fresh checkout works without a
build step and a stale ``.mo`` can never hide an edited ``.po``.
"""

from __future__ import annotations

import gettext
import io
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from domain.languages import LANGUAGES

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"


class CatalogError(Exception):
    pass


class Catalogs:
    """Implements the domain's ``Translations`` port; falls back to the English source text."""

    def __init__(self, locales_dir: Path = LOCALES_DIR, languages: tuple[str, ...] = LANGUAGES):
        self.translations: dict[str, gettext.NullTranslations] = {}
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
