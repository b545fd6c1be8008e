"""Issue 15: review state per topic and language, the content check's new rules, the
database overlay, and ``teams-bot content export`` round-tripping it."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from bot.content_cli import export, write_content
from domain.content import check_content, load_content, text_problems
from domain.languages import LANGUAGES
from domain.review import NEEDS_REVIEW, REVIEWED, Review
from domain.staff import parse_button
from storage.database import create_engine, session_factory, upgrade_async
from storage.repositories import SqlUnitOfWorkFactory

ROOT = Path(__file__).resolve().parents[1]
FAQ = ROOT / "locales" / "faq"
TOPIC = "faq_health_care"


def _review_file(root: Path, lang: str, body: str) -> None:
    (root / lang / "_review.yml").write_text(f"language: {lang}\ntopics:\n{body}",
                                             encoding="utf-8")


def test_a_translation_reviewed_against_an_older_source_fails_the_check(faq):
    version = load_content(faq).answers[("it", TOPIC)].version
    _review_file(faq, "ar", f"  {TOPIC}: {{state: reviewed, reviewed_by: Amal, "
                            f"reviewed_at: 2026-12-01, source_version: {version}}}\n")
    report = check_content(load_content(faq))
    assert report.problems == [] and report.coverage["ar"][2] == 1
    # the Italian source changes: the translation is out of date
    it = faq / "it" / "health.yml"
    it.write_text(it.read_text(encoding="utf-8").replace("Cosa fare", "Cosa devi fare",
                                                         1), encoding="utf-8")
    content = load_content(faq)
    assert content.answers[("ar", TOPIC)].state == NEEDS_REVIEW
    report = check_content(content)
    assert any("older version of its Italian source" in p for p in report.problems)
    assert report.needs_review["ar"] == 1 and report.coverage["ar"][2] == 0
    # marked "needs review", it passes (and citizens get the machine-draft line)
    _review_file(faq, "ar", f"  {TOPIC}: {{state: needs_review, source_version: {version}}}\n")
    assert check_content(load_content(faq)).problems == []
    _review_file(faq, "ar", f"  {TOPIC}: {{state: reviewed, source_version: {version}}}\n")
    assert any("without reviewed_by" in p for p in check_content(load_content(faq)).problems)


def test_a_source_not_https_and_a_missing_topic_fail_the_check(faq):
    path = faq / "fr" / "health.yml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("https://", "http://", 1), encoding="utf-8")
    problems = check_content(load_content(faq)).problems
    assert any("is not https" in p for p in problems)
    path.unlink()
    assert any(f"fr: topic {TOPIC} is missing" in p for p in check_content(
        load_content(faq)).problems)


def test_a_correction_is_held_to_the_content_rules():
    before = "See https://www.salute.gov.it/ for the rules. " * 3
    assert text_problems(before, before) == []
    assert ("short", "80") in text_problems("Too short.", before)
    assert ("link", "https://www.salute.gov.it/") in text_problems("x" * 100, before)
    found = dict(text_problems(before + " Call +39 055 1234567 or http://x.example.org", before))
    assert found["phone"] == "+39 055 1234567" and found["http"] == "http://x.example.org"


def test_review_buttons_are_parsed_strictly():
    assert parse_button(f"stf:rvok.ar.{TOPIC}") == ("rvok", ("ar", TOPIC))
    for data in (f"stf:rvok.xx.{TOPIC}", "stf:rvok.ar.faq_unknown", f"stf:rvzz.ar.{TOPIC}",
                 f"stf:rvok.ar.{TOPIC}.1", f"stf:rvok.AR.{TOPIC}", "stf:rvok.ar."):
        assert parse_button(data) is None, data


async def test_the_overlay_is_exported_as_content_files_that_load_back(tmp_path, faq):
    url = f"sqlite+aiosqlite:///{tmp_path / 'export.db'}"
    await upgrade_async(url)
    content = load_content(faq)
    source = content.answers[("it", TOPIC)]
    corrected = "Testo corretto dalla mediatrice. " + content.answers[("ar", TOPIC)].text
    at = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)
    db = create_engine(url)
    async with SqlUnitOfWorkFactory(session_factory(db))() as uow:
        await uow.reviews.save(Review("ar", TOPIC, REVIEWED, by="Amal", by_id=1, at=at,
                                      source_version=source.version, text=corrected))
        await uow.reviews.save(Review("it", TOPIC, REVIEWED, by="Carla", by_id=2, at=at,
                                      checked=date(2026, 12, 2), checked_by="Carla"))
        await uow.commit()
    await db.dispose()
    out = tmp_path / "out"
    assert await export(url, faq, out) == len(LANGUAGES) * 6  # 5 groups + _review.yml
    back = load_content(out)
    ar, it = back.answers[("ar", TOPIC)], back.answers[("it", TOPIC)]
    assert ar.text == corrected.strip() and ar.reviewed and ar.review.by == "Amal"
    assert it.checked == date(2026, 12, 2) and it.review.checked_by == "Carla"
    assert check_content(back).problems == []
    effective = content.with_overlay([Review("ar", TOPIC, REVIEWED, by="Amal", at=at,
                                             source_version=source.version, text=corrected)])
    for key, answer in effective.answers.items():
        if key != ("it", TOPIC):
            assert (back.answers[key].text, back.answers[key].sources, back.answers[key].state
                    ) == (answer.text, answer.sources, answer.state), key
    again = tmp_path / "again"
    write_content(back, again)
    for path in out.rglob("*.yml"):
        assert (again / path.relative_to(out)).read_bytes() == path.read_bytes(), path
