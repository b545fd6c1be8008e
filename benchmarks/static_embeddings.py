"""Issue 18: static token embeddings distilled from the encoder (the Model2Vec method) as
features of the cascade's quick heads. Prints JSON. Development-time experiment:

    python benchmarks/static_embeddings.py embed   # distil the pieces' vectors (~5 min CPU)
    python benchmarks/static_embeddings.py tune [--dims 256] [--scale 2] [--sif 1e-4]
    python benchmarks/static_embeddings.py answers [--ranking quick|all]  # passages ranked
                                                   # by the shipped nlu/static.npz

``embed`` runs each vocabulary piece that matters (every piece of the training data and of
the FAQ answers, plus the 30,000 most probable) alone through the encoder, ``<s> piece </s>``,
with the numpy forward pass of :mod:`nlu.e5file`, and keeps the mean of the three outputs.
``tune`` reduces them by PCA, weights each piece by SIF (a / (a + p(piece)), p from the
unigram scores), makes a text's vector as the mean of its pieces' (L2-normalised), fits the
quick intent head on [static vector × scale, char n-grams] and chooses the threshold on the
dev set as ``benchmarks/nlu.py --tune`` does (accuracy and emergency recall at the
encoder-only figures). The full model's dev readings come from the shipped model.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
WORK = Path(os.environ.get("STATIC_WORK", "/tmp/static"))
TOP_PIECES = 30_000


def corpora() -> tuple[list[str], list[str]]:
    """Training texts and the FAQ answers' lines (no dev text)."""
    from nlu.training import DATA_DIR, read_all

    faq = []
    for path in sorted((ROOT / "locales" / "faq").rglob("*.yml")):
        faq += [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [e.text for e in read_all([DATA_DIR])], faq


def tokenizer(pieces: list[int] | None = None) -> Any:
    from nlu.e5file import E5File
    from nlu.pieces import PieceTokenizer

    v = E5File().vocabulary
    if pieces is None:
        return PieceTokenizer(v.pieces, v.scores, v.unk, v.normalisation), v
    keep = sorted(set(pieces) | {v.unk})
    return PieceTokenizer([v.pieces[i] for i in keep], v.scores[keep], keep.index(v.unk),
                          v.normalisation), keep


def embed() -> dict[str, Any]:
    from nlu.e5file import E5File, Forward

    tok, v = tokenizer()
    train, faq = corpora()
    seen = {i for t in [*train, *faq] for i in tok.ids(t)}
    order = np.argsort(-v.scores, kind="stable")
    chosen = sorted(seen | set(order[:TOP_PIECES].tolist()) - {v.bos, v.eos, v.pad})
    forward = Forward(E5File())
    start = time.process_time()
    means = np.zeros((len(chosen), forward.file.hidden), np.float32)
    for s in range(0, len(chosen), 1024):
        ids = np.array([[v.bos, i, v.eos] for i in chosen[s:s + 1024]])
        means[s:s + 1024] = forward.hidden(ids).mean(1)
    cpu = time.process_time() - start
    np.savez(WORK / "pieces_raw.npz", ids=np.array(chosen), means=means)
    return {"pieces": len(chosen), "seen_in_training_and_faq": len(seen), "cpu_s": round(cpu)}


class Static:
    """Piece vectors (PCA, SIF) and a text's vector: the mean of its pieces', normalised."""

    def __init__(self, dims: int, sif: float, runtime_vocabulary: bool = True) -> None:
        from nlu.e5file import E5File

        raw = np.load(WORK / "pieces_raw.npz")
        ids, means = raw["ids"], raw["means"]
        scores = E5File().vocabulary.scores[ids]
        centred = means - means.mean(0)
        _, _, vt = np.linalg.svd(centred, full_matrices=False)
        reduced = centred @ vt[:dims].T
        weight = sif / (sif + np.exp(scores)) if sif else np.ones(len(ids))
        table = (reduced * weight[:, None]).astype(np.float16)
        if runtime_vocabulary:  # segment with the shipped pieces only
            self.tok, keep = tokenizer(list(map(int, ids)))
            row = {int(p): r for r, p in enumerate(ids)}
            self.rows = np.array([row.get(p, -1) for p in keep])
        else:
            self.tok, _ = tokenizer()
            self.rows = np.full(len(E5File().vocabulary.pieces), -1)
            self.rows[ids] = np.arange(len(ids))
        self.table = np.vstack([table, np.zeros((1, dims), np.float16)])  # -1: no vector
        self.dims = dims

    def vector(self, text: str) -> np.ndarray:
        rows = self.rows[self.tok.ids(text)]
        v = self.table[rows].astype(np.float32).mean(0)
        n = float(np.linalg.norm(v))
        return v / n if n > 0 else v

    def matrix(self, texts: list[str]) -> np.ndarray:
        return np.stack([self.vector(t) for t in texts])


def full_readings(nlu: Any, examples: list[Any]) -> list[tuple[str, str | None]]:
    """The encoder model's (intent, language) per dev example, cached across runs."""
    path = WORK / "full_rows.json"
    if path.exists():
        return [tuple(r) for r in json.loads(path.read_text())]
    out = []
    for e in examples:
        char = nlu.model.chars.transform(e.text)
        embedding = nlu._embed(e.text)
        p = nlu.decide(e.text, nlu.model.intents.logits(embedding, char),
                       nlu.model.languages.logits(embedding, char), e.language)
        out.append((p.intent, p.language))
    path.write_text(json.dumps(out))
    return out


def search(rows: list[tuple[Any, ...]]) -> dict[str, Any]:
    from benchmarks.nlu_compare import DOUBTS, LANGUAGE_TOLERANCE, _score

    base = _score(rows, 2.0, 0.0)
    best, curve, per_doubt = None, [], {}
    for doubt in DOUBTS:
        for threshold in [round(x, 2) for x in np.arange(0.99, 0.29, -0.01)]:
            s = _score(rows, threshold, doubt)
            if threshold in (0.95, 0.9, 0.85, 0.8, 0.7, 0.6, 0.5) and doubt == 0.05:
                curve.append(s)
            if (s["accuracy"] < base["accuracy"] or s["emergency_recall"]
                    < base["emergency_recall"] or s["language_accuracy"]
                    < base["language_accuracy"] - LANGUAGE_TOLERANCE):
                break
            per_doubt[doubt] = s  # the lowest threshold holding so far
            if best is None or s["answered_without_encoder"] > best["answered_without_encoder"]:
                best = s
    return {"encoder_only": base, "chosen": best, "lowest_holding_per_doubt": per_doubt,
            "curve_doubt_0.05": curve}


def frontier(rows: list[tuple[Any, ...]]) -> list[dict[str, float]]:
    """Accuracy and emergency recall when a given share of dev texts skips the encoder
    (doubt 0.05): the quick heads' surest texts first."""
    from benchmarks.nlu_compare import _score

    ranked = sorted((r[0] for r in rows if r[1] < 0.05), reverse=True)
    out = []
    for share in (0.4, 0.5, 0.6, 0.65, 0.7, 0.75, 0.8):
        k = int(share * len(rows))
        if k < len(ranked):
            out.append({"share": share, **_score(rows, ranked[k - 1], 0.05)})
    return out


def tune(dims: int, scale: float, sif: float, c: float, runtime_vocabulary: bool,
         char_only: bool) -> dict[str, Any]:
    from scipy.sparse import csr_matrix, hstack

    from bot.settings import load_settings
    from nlu.embedded import EmbeddedNLU
    from nlu.features import fit_char_features
    from nlu.model import _fit
    from nlu.training import DATA_DIR, DEV_DIR, read_all

    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    nlu = EmbeddedNLU(load_settings().nlu_cache_dir)
    nlu.one_core_in_this_thread()
    config = replace(nlu.config, regularisation_c=c)
    examples = read_all([DATA_DIR])
    dev = read_all([DEV_DIR])
    full = full_readings(nlu, dev)
    start = time.process_time()
    static = Static(dims, sif, runtime_vocabulary)
    built = time.process_time() - start
    texts = [e.text for e in examples]
    chars, char_matrix = fit_char_features(texts)
    assert chars.vocabulary == nlu.model.chars.vocabulary
    parts = [char_matrix * config.char_weight]
    if not char_only:
        parts.insert(0, csr_matrix(static.matrix(texts) * scale))
    start = time.process_time()
    head = _fit(hstack(parts).tocsr(), [e.intent for e in examples], config,
                0 if char_only else dims)
    fit_s = time.process_time() - start
    if head.dense_w is not None:
        head.dense_w = head.dense_w / config.embedding_scale * scale  # _fit scales by config
    qlang = nlu.model.quick_languages
    rows, times = [], []
    for e, (f_int, f_lang) in zip(dev, full, strict=True):
        t0 = time.process_time_ns()
        char = nlu.model.chars.transform(e.text)
        vector = static.vector(e.text) if not char_only else None
        logits = head.logits(vector, char)
        times.append((time.process_time_ns() - t0) / 1e6)
        probs = np.exp(logits - logits.max())
        probs /= probs.sum()
        p_em = float(probs[head.labels.index("emergency")])
        quick = nlu.decide(e.text, logits, qlang.logits(None, char), e.language)
        rows.append((float(probs.max()), p_em, quick.intent, quick.language, f_int, f_lang,
                     e.intent, e.language))
    name = "char" if char_only else f"d{dims}-s{scale}-sif{sif}-c{c}"
    (WORK / f"rows-{name}.json").write_text(json.dumps(rows))
    result = search(rows)
    result["frontier"] = frontier(rows)
    chosen = result["chosen"]
    halves = {}
    if chosen:
        from benchmarks.nlu_compare import _score
        for name, part in (("even", rows[0::2]), ("odd", rows[1::2])):
            halves[name] = {"encoder_only": _score(part, 2.0, 0.0)["accuracy"],
                            "cascade": _score(part, chosen["threshold"], chosen["doubt"])[
                                "accuracy"]}
    return {"dims": dims, "scale": scale, "sif": sif, "c": c, "char_only": char_only,
            "runtime_vocabulary": runtime_vocabulary,
            "pieces": int(len(static.table) - 1), "table_mb": round(static.table.nbytes / 1e6, 1),
            "static_build_cpu_s": round(built, 1), "fit_cpu_s": round(fit_s, 1),
            "quick_cpu_ms": {"median": round(statistics.median(times), 3),
                             "p95": round(sorted(times)[int(len(times) * .95)], 3)},
            **result, "halves_accuracy": halves, "load_average": os.getloadavg()}


def answers(mode: str) -> dict[str, Any]:
    """``benchmarks/answers.py`` with the answer's passages ranked by the shipped static
    vectors (nlu/static.npz): for every question (``all``) or only for those the quick heads
    answer alone (``quick``); the encoder for the others."""
    import asyncio

    import nlu.embedded
    from benchmarks import answers as bench
    from domain.passages import lexical_similarity
    from nlu.static import load_static

    static = load_static()
    assert static is not None
    base = nlu.embedded.EmbeddedNLU
    used: collections.Counter[str] = collections.Counter()

    class StaticRanking(base):  # type: ignore[misc, valid-type]
        def similarity(self, text: str, passages: list[str]) -> list[float]:
            quick = self.quick_logits(text, self.model.chars.transform(text)) is not None
            if mode == "all" or quick:
                used["static"] += 1
                cosine = static.matrix(passages) @ static.vector(text)
                lexical = lexical_similarity(text, passages)
                return [float(c) + nlu.embedded.LEXICAL_WEIGHT * w
                        for c, w in zip(cosine, lexical, strict=True)]
            used["encoder"] += 1
            return list(super().similarity(text, passages))

    nlu.embedded.EmbeddedNLU = StaticRanking  # type: ignore[misc]
    try:
        out = asyncio.run(bench.run(False))
    finally:
        nlu.embedded.EmbeddedNLU = base  # type: ignore[misc]
    return {"mode": mode, "rankings": dict(used),
            **{k: out[k] for k in ("questions", "fact_in_first_400_chars", "by_language")}}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("step", choices=("embed", "tune", "answers"))
    parser.add_argument("--dims", type=int, default=256)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--sif", type=float, default=1e-4)
    parser.add_argument("--c", type=float, default=10.0)
    parser.add_argument("--full-vocabulary", action="store_true")
    parser.add_argument("--char-only", action="store_true")
    parser.add_argument("--ranking", choices=("all", "quick"), default="quick")
    args = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    if args.step == "embed":
        out = embed()
    elif args.step == "answers":
        out = answers(args.ranking)
    else:
        out = tune(args.dims, args.scale, args.sif, args.c, not args.full_vocabulary,
                   args.char_only)
    print(json.dumps(out, indent=1, default=str))


if __name__ == "__main__":
    main()
