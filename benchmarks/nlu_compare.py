"""``benchmarks/nlu.py --compare`` and ``--tune``: what the cascade saves, and its thresholds.

CPU per text is ``time.process_time_ns`` around one call, this process pinned to one core and
the encoder at one OpenMP thread: it counts this process's work only, so a busy machine changes
it less than wall-clock time (cache and frequency effects remain).
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np


def _nlu() -> Any:
    from bot.settings import load_settings
    from nlu.embedded import EmbeddedNLU

    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core
    nlu = EmbeddedNLU(load_settings().nlu_cache_dir)
    nlu.one_core_in_this_thread()
    for text in ("warm up", "buongiorno a tutti, come state oggi?", "hello"):
        nlu.parse(text)
    nlu._recent.clear()
    return nlu


def _cpu_ms(call: Callable[[str], Any], texts: list[str]) -> list[float]:
    times = []
    for text in texts:
        start = time.process_time_ns()
        call(text)
        times.append((time.process_time_ns() - start) / 1e6)
    return times


def _summary(times: list[float]) -> dict[str, float]:
    ordered = sorted(times)
    return {"median_ms": round(statistics.median(ordered), 2),
            "p95_ms": round(ordered[int(len(ordered) * 0.95) - 1], 2),
            "mean_ms": round(statistics.fmean(ordered), 2)}


def _scores(texts_dir: Path, parse: Callable[[str, str | None], Any]) -> dict[str, Any]:
    from nlu.evaluate import evaluate

    report = evaluate([texts_dir], parse)
    return {k: report[k] for k in ("examples", "accuracy", "macro_f1", "language_accuracy",
                                   "emergency_recall", "emergency_false_alarms")}


def compare(texts_dir: Path, cold: bool = True) -> dict[str, Any]:
    """The headline: the assistant's CPU per unseen text over a raw encoder call's."""
    from nlu.training import read_all

    texts = list(dict.fromkeys(e.text for e in read_all([texts_dir])))
    nlu = _nlu()
    quick = sum(nlu.quick_logits(t, nlu.model.chars.transform(t)) is not None for t in texts)
    parse = _cpu_ms(nlu.parse, texts)
    nlu._recent.clear()
    vectors: dict[str, Any] = {}
    encoder = _cpu_ms(lambda t: vectors.__setitem__(t, nlu.encoder.encode([t])[0]), texts)
    nlu._recent.clear()
    cascade = _scores(texts_dir, nlu.parse)
    config = nlu.config
    nlu.config = replace(config, quick_threshold=1.0)
    nlu._recent = vectors  # encoded above already: the same vectors, no second encoding
    encoder_only = _scores(texts_dir, nlu.parse)
    nlu.config = config
    out: dict[str, Any] = {
        "texts": len(texts),
        "measured": "time.process_time per call, one core, OpenMP 1 thread, each text once",
        "parse_cpu": _summary(parse),
        "raw_encoder_cpu": _summary(encoder),
        "ratio_median": round(statistics.median(parse) / statistics.median(encoder), 3),
        "ratio_mean": round(statistics.fmean(parse) / statistics.fmean(encoder), 3),
        "answered_without_encoder": round(quick / len(texts), 3),
        "dev": cascade,
        "dev_encoder_only": encoder_only,
        "rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "load_average": os.getloadavg(),
    }
    if cold:
        out["first_reply"] = first_reply()
    return out


def first_reply() -> dict[str, Any]:
    """As after a fresh install: `teams-bot shell` with a new database and an empty NLU
    cache (the shipped model), start to the first reply to a free text."""
    from benchmarks.startup import once

    os.sched_setaffinity(0, range(os.cpu_count() or 1))  # the shell gets every core
    with tempfile.TemporaryDirectory() as tmp:
        previous = os.environ.get("TEAMS_NLU_CACHE_DIR")
        os.environ["TEAMS_NLU_CACHE_DIR"] = str(Path(tmp) / "nlu")
        try:
            seconds, rss = once(Path(tmp), "dove si fa il codice fiscale?")
        finally:
            if previous is None:
                os.environ.pop("TEAMS_NLU_CACHE_DIR")
            else:
                os.environ["TEAMS_NLU_CACHE_DIR"] = previous
        trained = (Path(tmp) / "nlu").exists() and any((Path(tmp) / "nlu").glob("model-*"))
    return {"seconds": round(seconds, 2), "peak_rss_mb": round(rss, 1),
            "empty_cache": True, "trained": trained}


def _rows(nlu: Any, texts_dir: Path) -> list[tuple[Any, ...]]:
    """Per dev example: the quick heads' sureness and reading, and the full model's."""
    from nlu.training import read_all

    model, rows = nlu.model, []
    for e in read_all([texts_dir]):
        char = model.chars.transform(e.text)
        logits = nlu.quick_intent_logits(e.text, char)
        probs = np.exp(logits - logits.max())
        probs /= probs.sum()
        p_emergency = float(probs[model.quick_intents.labels.index("emergency")])
        quick = nlu.decide(e.text, logits, model.quick_languages.logits(None, char), e.language)
        embedding = nlu._embed(e.text)
        full = nlu.decide(e.text, model.intents.logits(embedding, char),
                          model.languages.logits(embedding, char), e.language)
        rows.append((float(probs.max()), p_emergency, quick.intent, quick.language,
                     full.intent, full.language, e.intent, e.language))
    return rows


def _score(rows: list[tuple[Any, ...]], threshold: float, doubt: float) -> dict[str, float]:
    right = lang = quick = emergencies = caught = 0
    for top, p_em, q_int, q_lang, f_int, f_lang, gold, gold_lang in rows:
        use_quick = top >= threshold and p_em < doubt
        quick += use_quick
        intent, language = (q_int, q_lang) if use_quick else (f_int, f_lang)
        right += intent == gold
        lang += language == gold_lang
        if gold == "emergency":
            emergencies += 1
            caught += intent == "emergency"
    n = len(rows)
    return {"threshold": threshold, "doubt": doubt, "accuracy": round(right / n, 4),
            "language_accuracy": round(lang / n, 4),
            "emergency_recall": round(caught / max(emergencies, 1), 4),
            "answered_without_encoder": round(quick / n, 3)}


#: Language identification may lose this much (3 texts in 3,000: the quick heads' language
#: guesses differ on romanised texts); intent accuracy and emergency recall may lose nothing.
LANGUAGE_TOLERANCE = 0.001
#: P(emergency) of the quick heads from which the encoder decides (low: safety first; the
#: curated danger keywords flag an emergency on either path).
DOUBTS = (0.02, 0.05, 0.1)


def tune(texts_dir: Path) -> dict[str, Any]:
    """The lowest threshold from which up every higher one keeps dev accuracy and emergency
    recall at the encoder-only figures (language accuracy within LANGUAGE_TOLERANCE), for
    each emergency doubt; the one answering most texts without the encoder wins. Rejected
    choices are listed."""
    saved = Path(os.environ.get("TEAMS_TUNE_ROWS", "/nonexistent"))
    if saved.exists():  # the same rows again (a second look at the figures, no encoding)
        rows = [tuple(r) for r in json.loads(saved.read_text())]
    else:
        rows = _rows(_nlu(), texts_dir)
        if saved.parent.is_dir():
            saved.write_text(json.dumps(rows))
    base = _score(rows, 2.0, 0.0)
    thresholds = [round(x, 2) for x in np.arange(0.99, 0.29, -0.01)]
    candidates = []
    for doubt in DOUBTS:
        chosen = None
        for threshold in thresholds:  # from the top down: stop at the first loss
            s = _score(rows, threshold, doubt)
            if (s["accuracy"] < base["accuracy"] or s["emergency_recall"] < base[
                    "emergency_recall"] or s["language_accuracy"] < base["language_accuracy"]
                    - LANGUAGE_TOLERANCE):
                candidates.append({**s, "rejected": "first threshold that loses"})
                break
            chosen = s
        if chosen:
            candidates.append(chosen)
    best = max((c for c in candidates if "rejected" not in c),
               key=lambda c: (c["answered_without_encoder"], c["threshold"]), default=None)
    halves = {}
    if best:
        for name, part in (("even", rows[0::2]), ("odd", rows[1::2])):
            halves[name] = {"encoder_only": _score(part, 2.0, 0.0),
                            "cascade": _score(part, best["threshold"], best["doubt"])}
    return {"examples": len(rows), "encoder_only": base, "chosen": best,
            "halves_check": halves, "candidates": candidates}
