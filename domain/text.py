"""Per-turn translation helpers: gettext in the citizen's language, placeholders after."""

from __future__ import annotations

from typing import Protocol

from domain.languages import isolate, isolate_latin_runs


class Translations(Protocol):
    """The port to the interface's catalogs (gettext), per language."""

    def gettext(self, language: str, message: str) -> str: ...
    def ngettext(self, language: str, singular: str, plural: str, n: int) -> str: ...
    def review_progress(self, language: str) -> tuple[int, int]:
        """The interface strings of ``language``: (reviewed by a mediator, total)."""
        ...


def N_(message: str) -> str:
    """Mark a string for extraction; it is translated where it is shown."""
    return message


#: Said under /help and in the privacy notice (issue 15): what the answers are.
GENERAL_INFORMATION = N_("The answers are general information, not advice on your case: for "
                         "your case, talk to a person at TEAMS.")


class Say:
    """Translate into one language; values are filled in after translation."""

    def __init__(self, translations: Translations, language: str) -> None:
        self.translations = translations
        self.language = language

    def _(self, message: str, **values: object) -> str:
        text = self.translations.gettext(self.language, message)
        return self._fill(text, values)

    def n_(self, singular: str, plural: str, n: int, **values: object) -> str:
        text = self.translations.ngettext(self.language, singular, plural, n)
        return self._fill(text, {"n": n, **values})

    def content(self, text: str) -> str:
        """Prepare a content text (FAQ answer) for display in this language."""
        return isolate_latin_runs(text, self.language)

    def _fill(self, text: str, values: dict[str, object]) -> str:
        if not values:
            return text
        return text.format(**{k: isolate(str(v), self.language) for k, v in values.items()})
