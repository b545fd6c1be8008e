"""The dev-set report: overall, per file, and romanized and mixed writing apart."""

from __future__ import annotations

from pathlib import Path

from domain.parse import Parse
from nlu.evaluate import evaluate, format_report

BLOCK = 'version: "3.1"\nnlu:\n- intent: {intent}\n  examples: |\n{lines}'


def write(path: Path, intent: str, *texts: str) -> None:
    lines = "".join(f"    - {t}\n" for t in texts)
    path.write_text(BLOCK.format(intent=intent, lines=lines), encoding="utf-8")


def parser(known: dict[str, str]):
    """A stand-in NLU: the intent it was told for each text, else nlu_fallback."""
    def parse(text: str, hint: str | None) -> Parse:
        return Parse.of({"text": text, "intent": {"name": known.get(text, "nlu_fallback"),
                                                  "confidence": 0.9},
                         "intent_ranking": [], "entities": [],
                         "language": {"code": hint or "en", "confidence": 0.9}})
    return parse


def test_romanized_and_mixed_files_are_scored_apart(tmp_path):
    write(tmp_path / "ur.yml", "faq_tax_code", "کوڈ فسکالے کہاں بنتا ہے")
    write(tmp_path / "ur.roman.yml", "faq_tax_code", "codice fiscale kahan banta hai", "xyz")
    write(tmp_path / "it.mixed.yml", "faq_tax_code", "salam, voglio codice fiscale")
    known = {t: "faq_tax_code" for t in ("کوڈ فسکالے کہاں بنتا ہے",
                                         "codice fiscale kahan banta hai",
                                         "salam, voglio codice fiscale")}
    report = evaluate([tmp_path], parser(known))
    groups = report["groups"]
    assert groups["native"]["accuracy"] == 1.0 and groups["native"]["examples"] == 1
    assert groups["roman"]["accuracy"] == 0.5 and groups["mixed"]["accuracy"] == 1.0
    assert groups["roman+mixed"]["examples"] == 3
    assert round(groups["roman+mixed"]["accuracy"], 3) == 0.667
    assert groups["roman"]["language_accuracy"] == 1.0  # ur.roman.yml is Urdu
    assert report["files"]["ur.roman.yml"]["examples"] == 2 and report["examples"] == 4
    assert "[roman+mixed]" in format_report(report)


def test_a_dev_set_without_marked_files_reports_one_group(tmp_path):
    write(tmp_path / "it.yml", "greet", "buongiorno")
    report = evaluate([tmp_path], parser({"buongiorno": "greet"}))
    assert set(report["groups"]) == {"native"}
    assert "[native]" not in format_report(report)
