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


class _Now:
    """The ``Understanding`` port over the parser, in this thread (no pool, no event loop):
    what a turn costs in CPU, without the threads' hand-over."""

    def __init__(self, nlu: Any) -> None:
        self.nlu = nlu

    async def parse(self, text: str, language_hint: str | None = None) -> Any:
        return self.nlu.parse(text, language_hint)

    async def similarity(self, text: str, passages: list[str]) -> list[float]:
        scores: list[float] = self.nlu.similarity(text, passages)
        return scores


def _done(coroutine: Any) -> Any:
    """The value of a coroutine that never waits (``_Now``'s), without an event loop."""
    try:
        coroutine.send(None)
    except StopIteration as stop:
        return stop.value
    raise RuntimeError("the coroutine waited")


def turn_cost(nlu: Any, examples: list[tuple[str, str | None]]) -> dict[str, Any]:
    """CPU per free-text turn as the engine spends it before its transaction: the parse,
    then ``Faq.focus`` (the question against its answer's passages, in the client's language
    and the text's). Every answer's passages are ready first (shipped in nlu/passages.npz, any
    others encoded as nlu/warmup.py does after start): the steady state. Each text is new to the
    model's memory of recent texts; the client's language is the example's language."""
    from types import SimpleNamespace

    from bot.i18n import LOCALES_DIR
    from domain.content import load_content
    from domain.faq import Faq
    from domain.turn import EngineConfig
    from nlu.warmup import answer_passages

    content = load_content(LOCALES_DIR / "faq")
    start = time.process_time()
    warmed = nlu.warm_passages(answer_passages(content))
    warm_cpu = time.process_time() - start
    faq = Faq(SimpleNamespace(content=content, config=EngineConfig()), _Now(nlu))
    nlu._recent.clear()
    times, focused = [], 0
    for text, hint in examples:
        begin = time.process_time_ns()
        parsed = nlu.parse(text, hint)
        focus = _done(faq.focus(text, hint, parsed))
        times.append((time.process_time_ns() - begin) / 1e6)
        focused += bool(focus)
    nlu._recent.clear()
    return {"times": times, "focused": focused, "passages_warmed": warmed,
            "warm_up_cpu_s": round(warm_cpu, 1)}


def compare(texts_dir: Path, cold: bool = True) -> dict[str, Any]:
    """The headline: the assistant's CPU per unseen text over a raw encoder call's."""
    from nlu.training import read_all

    examples = list(dict.fromkeys((e.text, e.language) for e in read_all([texts_dir])))
    texts = list(dict.fromkeys(text for text, _ in examples))
    nlu = _nlu()
    turns = turn_cost(nlu, examples)
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
        "turn_cpu": {
            "measured": "parse + Faq.focus (the answer's passages ranked against the text) as "
                        "the engine does before its transaction; passages encoded beforehand "
                        "(the background warm-up), each text new; the example's language as "
                        "the client's",
            "texts": len(turns["times"]),
            "with_focus": turns["focused"],
            **_summary(turns["times"]),
            "ratio_median": round(statistics.median(turns["times"])
                                  / statistics.median(encoder), 3),
            "ratio_mean": round(statistics.fmean(turns["times"]) / statistics.fmean(encoder),
                                3),
            "passages_warmed": turns["passages_warmed"],
            "warm_up_cpu_s": turns["warm_up_cpu_s"],
        },
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


#: A long message: synthetic words of a citizen's question, repeated (Telegram allows 4,096
#: characters; the engine understands the first ``domain.safety.MAX_TEXT``).
LONG_MESSAGE = ("Buongiorno, sono arrivato in Italia da poco con mia moglie e due figli, e "
                "vorrei sapere come si fa il codice fiscale e dove devo andare per la tessera "
                "sanitaria. ")


def truncation(texts_dir: Path, bounds: tuple[int | None, ...]) -> dict[str, Any]:
    """Dev accuracy and parse CPU when texts of more than N encoder tokens are cut to N
    before encoding, for each N in ``bounds`` (None: whole); and the encoder's CPU for a
    message of MAX_TEXT and of 4,000 characters (one call each: see the note for repeated
    figures). The parse CPU is taken inside the evaluation, which parses some texts more
    than once (the memory of recent texts answers those): compare it between bounds only."""
    from domain.safety import MAX_TEXT
    from nlu.training import read_all

    nlu = _nlu()
    encoder = nlu.encoder
    shipped = encoder.max_tokens
    texts = list(dict.fromkeys(e.text for e in read_all([texts_dir])))
    counts = [encoder.model.token_count(t, True) for t in texts]
    longest = (LONG_MESSAGE * 40)[:4000]
    out: dict[str, Any] = {"texts": len(texts),
                           "tokens": {"median": statistics.median(counts),
                                      "p95": sorted(counts)[int(len(counts) * 0.95) - 1],
                                      "max": max(counts)},
                           "bounds": []}
    for bound in bounds:
        encoder.max_tokens = bound
        nlu._recent.clear()
        times: list[float] = []

        def timed(text: str, hint: str | None = None, times: list[float] = times) -> Any:
            start = time.process_time_ns()
            parsed = nlu.parse(text, hint)
            times.append((time.process_time_ns() - start) / 1e6)
            return parsed

        scores = _scores(texts_dir, timed)
        long_cpu = {}
        for name, text in (("max_text_chars", longest[:MAX_TEXT]), ("chars_4000", longest)):
            start = time.process_time_ns()
            encoder.encode([text])
            long_cpu[name] = round((time.process_time_ns() - start) / 1e6, 1)
        cut = sum(c > bound for c in counts) if bound else 0
        out["bounds"].append({"max_tokens": bound, "texts_cut": cut, "dev": scores,
                              "parse_cpu": _summary(times), "encode_long_ms": long_cpu})
    encoder.max_tokens = shipped
    out["rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    out["load_average"] = os.getloadavg()
    return out
