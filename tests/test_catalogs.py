"""Every string the bot can say exists in all 12 languages, with the same placeholders."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from domain.languages import LANGUAGES

ROOT = Path(__file__).resolve().parents[1]
LOCALES = ROOT / "locales"
BRACES = re.compile(r"\{(\w+)\}")


def _catalog(path: Path, locale: str | None = None):
    with path.open("rb") as fh:
        return read_po(fh, locale=locale)


def test_the_template_is_up_to_date_with_the_code(tmp_path):
    out = tmp_path / "messages.pot"
    subprocess.run(
        [str(Path(sys.executable).parent / "pybabel"), "extract", "-F", "babel.cfg",
         "-k", "N_", "-k", "_", "-k", "n_:1,2", "--no-location", "--sort-output",
         "-o", str(out), "bot", "domain", "handlers"],
        cwd=ROOT, check=True,
    )
    fresh = {m.id for m in _catalog(out) if m.id}
    committed = {m.id for m in _catalog(LOCALES / "messages.pot") if m.id}
    assert fresh == committed, "run the pybabel extract command of the README"


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_string_is_translated_with_the_same_placeholders(language):
    template = {m.id for m in _catalog(LOCALES / "messages.pot") if m.id}
    catalog = _catalog(LOCALES / language / "LC_MESSAGES" / "messages.po", language)
    messages = {m.id: m for m in catalog if m.id}
    missing = sorted(template - set(messages))
    assert not missing, f"{language}: missing {missing[:3]}"
    for msgid in template:
        message = messages[msgid]
        source = msgid[-1] if isinstance(msgid, tuple) else msgid
        forms = message.string if isinstance(message.string, tuple) else (message.string,)
        assert forms and all(forms), f"{language}: untranslated: {msgid!r}"
        assert "fuzzy" not in message.flags, f"{language}: fuzzy: {msgid!r}"
        for form in forms:
            assert set(BRACES.findall(source)) == set(BRACES.findall(form)), (
                f"{language}: the {{braces}} differ: {msgid!r}")


@pytest.mark.parametrize("language", LANGUAGES)
def test_drafted_catalogs_say_so_in_their_header(language):
    text = (LOCALES / language / "LC_MESSAGES" / "messages.po").read_text(encoding="utf-8")
    status = re.search(r"^# Translation status: ([\w -]+?)[.,]", text, re.MULTILINE)
    assert status is not None, "the header comment must say the translation status"
    expected = {"source language"} if language == "en" else {
        "MACHINE-DRAFTED", "reviewed by a mediator"}
    assert status.group(1) in expected
