"""The nlu command line: parse, evaluate, export-rasa."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], capture_output=True,
                          text=True, cwd=cwd)


def test_parse_prints_one_json_object(real_nlu):
    result = cli("nlu", "parse", "Come faccio a chiedere il permesso di soggiorno?")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["intent"]["name"] == "faq_residence_permit"
    assert set(data["language"]) == {"code", "confidence"}


def test_evaluate_reports_json_overall_and_per_file(real_nlu, tmp_path):
    (tmp_path / "it.yml").write_text(
        'version: "3.1"\nnlu:\n- intent: faq_tax_code\n  examples: |\n'
        "    - mi serve il codice fiscale\n    - dove fanno il codice fiscale\n"
        "- intent: emergency\n  examples: |\n    - mio marito mi picchia e ho paura\n",
        encoding="utf-8")
    (tmp_path / "extra_phrases.yml").write_text(
        'version: "3.1"\nnlu:\n- intent: greet\n  examples: |\n    - buongiorno a tutti\n',
        encoding="utf-8")
    result = cli("nlu", "evaluate", str(tmp_path), "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    for key in ("accuracy", "macro_f1", "language_accuracy", "emergency_recall", "files"):
        assert key in report
    assert set(report["files"]) == {"it.yml", "extra_phrases.yml"}
    assert report["files"]["it.yml"]["emergency_recall"] == 1.0
    assert report["files"]["extra_phrases.yml"]["language_accuracy"] is None
    assert report["examples"] == 4


def test_evaluate_names_the_file_and_line_of_a_malformed_file(tmp_path):
    bad = tmp_path / "fr.yml"
    bad.write_text('version: "3.1"\nnlu:\n- intent: greet\n  examples: |\n    - salut\n'
                   "  bad: [\n", encoding="utf-8")
    result = cli("nlu", "evaluate", str(bad))
    assert result.returncode == 2
    assert str(bad) in result.stderr and "line" in result.stderr
    assert "Traceback" not in result.stderr


def test_export_rasa_writes_a_rasa_project(tmp_path):
    result = cli("nlu", "export-rasa", str(tmp_path / "rasa"))
    assert result.returncode == 0, result.stderr
    config = yaml.safe_load((tmp_path / "rasa" / "config.yml").read_text(encoding="utf-8"))
    assert config["pipeline"][-1]["name"] == "FallbackClassifier"
    domain = yaml.safe_load((tmp_path / "rasa" / "domain.yml").read_text(encoding="utf-8"))
    assert "faq_tax_code" in domain["intents"] and len(domain["intents"]) == 35
    nlu = yaml.safe_load((tmp_path / "rasa" / "data" / "nlu.yml").read_text(encoding="utf-8"))
    assert nlu["version"] == "3.1"
    first = nlu["nlu"][0]["examples"][0]
    assert set(first) == {"text", "metadata"} and "language" in first["metadata"]


def test_passages_keeps_what_did_not_change_and_encodes_a_corrected_passage(tmp_path):
    from nlu.passage_store import PASSAGES_FILE, PassageStore

    target = tmp_path / "passages.npz"
    shipped = PassageStore.read(PASSAGES_FILE)
    keys = list(shipped.rows)
    dropped = keys[5]  # as if that passage had been corrected since the file was written
    rows = [n for key, n in shipped.rows.items() if key != dropped]
    PassageStore([k for k in keys if k != dropped], shipped.vectors[rows], shipped.encoder,
                 shipped.fingerprint).write(target)
    result = cli("nlu", "passages", "--output", str(target))
    assert result.returncode == 0, result.stderr
    assert f"{len(keys)} passages, 1 encoded" in result.stdout
    rebuilt = PassageStore.read(target)
    assert set(rebuilt.rows) == set(keys)
    assert float(rebuilt.vectors[rebuilt.rows[dropped]].astype("float32")
                 @ shipped.vectors[shipped.rows[dropped]].astype("float32")) > 0.999
