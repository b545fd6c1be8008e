"""Issue 15: the interface strings have review states too. A mediator marks a checked string
with the translator comment ``reviewed: <who> <YYYY-MM-DD>`` (Poedit, Weblate); the progress
counts it; a changed English source comes back from ``pybabel update`` without the mark."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

from bot.i18n import Catalogs, string_reviews

PO = """\
msgid ""
msgstr ""
"Language: fr\\n"
"Plural-Forms: nplurals=2; plural=(n > 1);\\n"
"Content-Type: text/plain; charset=utf-8\\n"

# reviewed: Amal 2026-12-01
msgid "Hello"
msgstr "Bonjour"

# reviewed: Amal 2026-12-01
#, fuzzy
msgid "Good evening"
msgstr "Bonsoir"

# reviewed: Amal 2026-12-01
msgid "Not translated yet"
msgstr ""

msgid "Your appointment"
msgstr "Votre rendez-vous"

# a note for the next translator
# reviewed: Sara Rossi 2026-11-30
msgid "One day"
msgid_plural "{n} days"
msgstr[0] "Un jour"
msgstr[1] "{n} jours"
"""


def _locales(root: Path, po: str) -> Path:
    folder = root / "fr" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    (folder / "messages.po").write_text(po, encoding="utf-8")
    return root


def test_only_a_marked_complete_translation_counts_as_reviewed(tmp_path):
    catalogs = Catalogs(_locales(tmp_path, PO), ("fr",))
    assert catalogs.review_progress("fr") == (2, 5)
    reviews = {r.msgid: r for r in catalogs.reviews["fr"]}
    assert reviews["One day"].reviewer == "Sara Rossi" and reviews["One day"].day == "2026-11-30"
    assert not reviews["Good evening"].reviewed  # fuzzy: a mark does not make it checked
    assert not reviews["Not translated yet"].reviewed
    assert catalogs.gettext("fr", "Hello") == "Bonjour"  # the mark changes nothing else


def test_a_changed_source_string_is_a_draft_again_after_pybabel_update(tmp_path):
    locales = _locales(tmp_path / "locales", PO)
    template = Catalog(locale=None)
    for msgid in ("Hello (changed)", "Good evening", "Not translated yet", "Your appointment"):
        template.add(msgid)
    template.add(("One day", "{n} days"))
    pot = tmp_path / "messages.pot"
    with pot.open("wb") as fh:
        write_po(fh, template)
    subprocess.run([str(Path(sys.executable).parent / "pybabel"), "update", "-i", str(pot),
                    "-d", str(locales), "-D", "messages", "--no-fuzzy-matching"],
                   check=True, capture_output=True)
    text = (locales / "fr" / "LC_MESSAGES" / "messages.po").read_text(encoding="utf-8")
    reviews = {r.msgid: r for r in string_reviews(read_po(io.StringIO(text), locale="fr"))}
    assert not reviews["Hello (changed)"].reviewed  # new source text: to be reviewed again
    assert reviews["One day"].reviewed  # unchanged: the mediator's mark kept


def test_the_shipped_catalogs_report_their_progress():
    catalogs = Catalogs()
    for language, (done, total) in ((lang, catalogs.review_progress(lang))
                                    for lang in catalogs.translations):
        assert total > 200, language
        assert 0 <= done <= total
