"""Score the NLU on Rasa NLU YAML files: intents, languages, emergency recall, confusions."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from domain.parse import Parse
from nlu.training import Example, collect, marker_of, read_file

#: The parts of a dev set reported apart: a file ``ur.roman.yml`` is ``roman``, ``it.mixed.yml``
#: ``mixed``, a plain ``ur.yml`` ``native``; ``roman+mixed`` is the two marked parts together.
GROUPS = ("native", "roman", "mixed", "roman+mixed")


def macro_f1(gold: list[str], predicted: list[str]) -> float:
    labels = sorted(set(gold))
    scores = []
    for label in labels:
        tp = sum(1 for g, p in zip(gold, predicted, strict=True) if g == label and p == label)
        fp = sum(1 for g, p in zip(gold, predicted, strict=True) if g != label and p == label)
        fn = sum(1 for g, p in zip(gold, predicted, strict=True) if g == label and p != label)
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        scores.append(2 * precision * recall / (precision + recall) if precision + recall else 0)
    return sum(scores) / len(scores) if scores else 0.0


def _score(examples: list[Example], results: list[Parse],
           unaided: list[Parse] | None = None) -> dict[str, Any]:
    gold = [e.intent for e in examples]
    predicted = [r.intent for r in results]
    n = len(gold)
    emergencies = [i for i, g in enumerate(gold) if g == "emergency"]
    with_lang = [i for i, e in enumerate(examples) if e.language]
    out: dict[str, Any] = {
        "examples": n,
        "accuracy": round(sum(g == p for g, p in zip(gold, predicted, strict=True)) / n, 4)
        if n else None,
        "macro_f1": round(macro_f1(gold, predicted), 4) if n else None,
        "language_accuracy": round(
            sum(results[i].language == examples[i].language for i in with_lang)
            / len(with_lang), 4) if with_lang else None,
        "language_accuracy_unaided": round(
            sum((unaided or results)[i].language == examples[i].language
                for i in with_lang) / len(with_lang), 4) if with_lang else None,
        "emergency_recall": round(
            sum(predicted[i] == "emergency" for i in emergencies) / len(emergencies), 4)
        if emergencies else None,
        "emergency_false_alarms": sum(
            1 for g, p in zip(gold, predicted, strict=True) if p == "emergency" and g != p),
    }
    return out


def evaluate(
    paths: list[Path],
    parse: Callable[[str, str | None], Parse],
    use_hint: bool = True,
) -> dict[str, Any]:
    """Parse every example of every file; report overall, per file, and per group of files
    (``groups``: native writing, romanized, mixed; see :data:`GROUPS`).

    As in the assistant, the file's language is passed as the conversation's language
    (``use_hint``); it only decides one- or two-word texts, which no detector can place
    ("ok", "codice fiscale"). ``language_accuracy_unaided`` gives identification without it.
    """
    all_examples: list[Example] = []
    all_results: list[Parse] = []
    all_unaided: list[Parse] = []
    files: dict[str, Any] = {}
    groups: dict[str, list[int]] = {name: [] for name in GROUPS}
    for path in collect(paths):
        examples = read_file(path)
        marker = marker_of(path) or "native"
        indices = range(len(all_examples), len(all_examples) + len(examples))
        groups.setdefault(marker, []).extend(indices)
        if marker in ("roman", "mixed"):
            groups["roman+mixed"].extend(indices)
        results = [parse(e.text, e.language if use_hint else None) for e in examples]
        unaided = ([parse(e.text, None) if e.language else r
                    for e, r in zip(examples, results, strict=True)] if use_hint else results)
        files[path.name] = _score(examples, results, unaided)
        all_examples += examples
        all_results += results
        all_unaided += unaided
    report = _score(all_examples, all_results, all_unaided)
    confusions = Counter(
        (e.intent, r.intent) for e, r in zip(all_examples, all_results, strict=True)
        if e.intent != r.intent
    )
    report["confusions"] = [
        {"gold": g, "predicted": p, "count": c} for (g, p), c in confusions.most_common(15)
    ]
    report["errors"] = [
        {"file": e.source, "text": e.text, "gold": e.intent, "predicted": r.intent}
        for e, r in zip(all_examples, all_results, strict=True) if e.intent != r.intent
    ]
    report["files"] = files
    report["groups"] = {
        name: _score([all_examples[i] for i in rows], [all_results[i] for i in rows],
                     [all_unaided[i] for i in rows])
        for name, rows in groups.items() if rows
    }
    return report


def format_report(report: dict[str, Any]) -> str:
    def pct(x: Any) -> str:
        return "-" if x is None else f"{x:.3f}"

    lines = [f"{'file':<12} {'n':>5} {'accuracy':>9} {'macro_f1':>9} {'language':>9} "
             f"{'unaided':>9} {'emerg.rec':>9}"]
    rows = [*report["files"].items(), ("overall", report)]
    for name, s in rows:
        lines.append(f"{name:<12} {s['examples']:>5} {pct(s['accuracy']):>9} "
                     f"{pct(s['macro_f1']):>9} {pct(s['language_accuracy']):>9} "
                     f"{pct(s['language_accuracy_unaided']):>9} "
                     f"{pct(s['emergency_recall']):>9}")
    groups = report.get("groups") or {}
    if len(groups) > 1:
        rows = [(f"[{name}]", s) for name, s in groups.items()]
        for name, s in rows:
            lines.append(f"{name:<12} {s['examples']:>5} {pct(s['accuracy']):>9} "
                         f"{pct(s['macro_f1']):>9} {pct(s['language_accuracy']):>9} "
                         f"{pct(s['language_accuracy_unaided']):>9} "
                         f"{pct(s['emergency_recall']):>9}")
    if report["confusions"]:
        lines.append("\nmost frequent confusions (gold -> predicted):")
        for c in report["confusions"][:10]:
            lines.append(f"  {c['count']:>3}  {c['gold']} -> {c['predicted']}")
    return "\n".join(lines)
