"""The FAQ content: complete in every language, sourced, and free of invented contacts."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from domain.content import ContentError, check_content, load_content
from domain.languages import FSI, LANGUAGES, PDI, isolate_latin_runs

ROOT = Path(__file__).resolve().parents[1]


def test_content_check_passes_for_every_launch_language(content):
    report = check_content(content)
    assert report.problems == []
    assert all(present == expected for present, expected, _ in report.coverage.values())


def test_the_content_check_command_prints_coverage_and_exits_0():
    result = subprocess.run([sys.executable, "-m", "bot.cli", "content", "check"],
                            capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "content check: ok" in result.stdout
    assert result.stdout.count(" 21/21 ") == len(LANGUAGES)


def _write(tmp_path: Path, text: str) -> Path:
    folder = tmp_path / "faq" / "en"
    folder.mkdir(parents=True)
    (folder / "health.yml").write_text(text, encoding="utf-8")
    return tmp_path / "faq"


def test_a_malformed_file_names_the_file_line_and_field(tmp_path):
    root = _write(tmp_path, (
        "language: en\ngroup: health\nreviewed: false\ntopics:\n  faq_health_care:\n"
        "    title: Health\n    checked: 2026-11-26\n    answer: too short\n"
        "    sources:\n      - {title: ASL, url: 'not a url'}\n"
    ))
    with pytest.raises(ContentError) as caught:
        load_content(root)
    message = str(caught.value)
    assert "health.yml, line 8, field 'topics.faq_health_care.answer'" in message
    assert "line 10, field 'topics.faq_health_care.sources.0.url'" in message


def test_a_phone_number_in_an_answer_is_refused(tmp_path, content):
    answer = "Call the office at +39 055 1234567 to ask. " * 3
    root = _write(tmp_path, (
        "language: en\ngroup: health\nreviewed: false\ntopics:\n  faq_health_care:\n"
        f"    title: Health\n    checked: 2026-11-26\n    answer: '{answer}'\n"
        "    sources:\n      - {title: ASL, url: 'https://www.salute.gov.it/'}\n"
    ))
    report = check_content(load_content(root), ("en",))
    assert any("phone number" in p for p in report.problems)


def test_latin_terms_inside_right_to_left_text_are_isolated():
    text = "اذهب إلى Questura مع codice fiscale"
    out = isolate_latin_runs(text, "ar")
    assert f"{FSI}Questura{PDI}" in out and f"{FSI}codice fiscale{PDI}" in out
    assert isolate_latin_runs(text, "fr") == text


def test_an_isolated_term_keeps_both_its_brackets():
    """A bracket opened inside the Latin run is closed inside it: one bracket in and one out
    of the isolate are laid out apart (and mirrored) in right-to-left text."""
    out = isolate_latin_runs("يمكنك طلب Assegno di Inclusione (ADI). ثم", "ur")
    assert f"{FSI}Assegno di Inclusione (ADI){PDI}." in out
    out = isolate_latin_runs("اسأل المفوضية (UNHCR) أو TEAMS.", "ar")
    assert f"({FSI}UNHCR{PDI})" in out and f"{FSI}TEAMS{PDI}." in out


def test_topic_routes_are_the_intent_catalogues():
    """``TOPIC_ROUTE`` (domain) restates the ``route`` of each faq intent in
    nlu/intents.yml, which the domain may not read: they must not drift apart."""
    import yaml

    from domain.content import TOPIC_ROUTE

    catalogue = yaml.safe_load((Path(__file__).resolve().parents[1] / "nlu" / "intents.yml")
                               .read_text(encoding="utf-8"))["intents"]
    routes = {name: (None if spec["route"] == "none" else spec["route"])
              for name, spec in catalogue.items() if spec["kind"] == "faq"}
    assert TOPIC_ROUTE == routes
