"""The support score: does the corpus cover this question? A logistic model over dense and lexical
evidence, fitted on the dev split only (`python -m tutor.calibration eval/questions.jsonl`)."""
from __future__ import annotations

import json
import math
from functools import lru_cache
from pathlib import Path

import numpy as np

from . import query_adapter

CALIBRATION_FILE = Path(__file__).with_name("calibration.json")
FEATURES = ("dense", "coverage", "overlap", "n_terms", "best_unit", "unknown_name", "unit_close", "long", "follow")
# Used until a fit is shipped: cosine and term coverage both matter, coverage most.
_DEFAULT = {"weights": {"dense": 6.0, "coverage": 5.0, "overlap": 3.0, "n_terms": 0.0, "best_unit": 0.0}, "bias": -6.5, "threshold": 0.5}


@lru_cache(maxsize=1)
def load() -> dict:
    if CALIBRATION_FILE.exists():
        return json.loads(CALIBRATION_FILE.read_text())
    return _DEFAULT


def support_score(features: dict) -> float:
    if not features.get("has_words", 1.0):
        return 0.0
    cal = load()
    z = cal["bias"] + sum(cal["weights"].get(f, 0.0) * features.get(f, 0.0) for f in FEATURES)
    return 1.0 / (1.0 + math.exp(-z))


def refuse_threshold() -> float:
    return float(load()["threshold"])


# The refusal threshold keeps false refusals under this rate on held-out dev folds, a standard error
# (about 0.015 with ~130 covered dev questions) under the 0.05 bar: refusing a covered question costs
# the learner more than a weak "closest passages" answer, and blind new questions showed more false
# refusals than dev (0.07 on their first run).
MAX_FALSE_REFUSAL = 0.03


def fit(rows: list[tuple[dict, bool]], repeats: int = 10, folds: int = 5) -> dict:
    """rows: (support features, covered?) → logistic weights, and the highest threshold whose false
    refusal rate on out-of-fold probabilities stays within MAX_FALSE_REFUSAL. Out-of-fold, because a
    threshold read off the fitted rows themselves is optimistic (it moved a lot between refits)."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold

    X = np.array([[f[k] for k in FEATURES] for f, _ in rows])
    y = np.array([int(c) for _, c in rows])

    def model():
        return LogisticRegression(C=1.0, class_weight="balanced", max_iter=1000)

    grid = np.round(np.linspace(0.05, 0.95, 91), 3)
    false_ref = np.zeros(len(grid))
    refused = np.zeros(len(grid))
    for seed in range(repeats):
        oof = np.zeros(len(y))
        for tr, te in StratifiedKFold(folds, shuffle=True, random_state=seed).split(X, y):
            oof[te] = model().fit(X[tr], y[tr]).predict_proba(X[te])[:, 1]
        for i, t in enumerate(grid):
            false_ref[i] += ((oof < t) & (y == 1)).sum() / max(1, (y == 1).sum()) / repeats
            refused[i] += ((oof < t) & (y == 0)).sum() / max(1, (y == 0).sum()) / repeats
    ok = [i for i in range(len(grid)) if false_ref[i] <= MAX_FALSE_REFUSAL]
    best = max(ok) if ok else 0
    final = model().fit(X, y)
    return {
        "weights": dict(zip(FEATURES, map(float, final.coef_[0]))),
        "bias": float(final.intercept_[0]),
        "threshold": float(grid[best]),
        "cv": {"false_refusal": round(float(false_ref[best]), 4), "refusal": round(float(refused[best]), 4),
               "folds": folds, "repeats": repeats},
        "fitted_on": "dev split",
        "n": len(rows),
    }


def fit_adapters(retriever, dev: list[dict], folds: int = 5):
    """The query adapter fitted on every dev question with gold passages plus the question bank, and for each dev
    question (by position) the adapter fitted without its fold. The bank (generated from the notes) is in every fit."""
    from .evaluation import _hits
    from .quiz import build_bank
    from .retrieval import shape_query

    passages = list(retriever.passages.values())
    spans = [{"file": p.file, "lines": [p.start, p.end]} for p in passages]
    embed = retriever.vectors.embed_many or (lambda texts: [retriever.embed_query(t) for t in texts])
    if retriever.stored_vectors is not None:  # the index holds the passages' vectors: read, not embedded again
        ids, m = retriever.stored_vectors()
        row = {pid: i for i, pid in enumerate(ids)}
        pv = m[[row[p.id] for p in passages]]
    else:
        pv = np.asarray(embed([p.embed_text for p in passages]), dtype=np.float32)

    def gold_rows(gold: list[dict]) -> list[int]:
        return [j for j, hit in enumerate(_hits(spans, gold)) if hit]

    bank = build_bank(passages)
    bank_q = np.asarray(embed([b.question for b in bank]), dtype=np.float32)
    row_of = {p.id: j for j, p in enumerate(passages)}
    bank_g = [[row_of[b.passage_id]] if b.passage_id in row_of else [] for b in bank]
    dev_q = np.asarray(embed([shape_query(c["question"], c.get("history") or []) for c in dev]), dtype=np.float32)
    dev_g = [gold_rows(c["gold"]) if c.get("gold") else [] for c in dev]

    def fit_on(keep: list[int]) -> "query_adapter.QueryAdapter":
        return query_adapter.fit(np.concatenate([dev_q[keep], bank_q]), [dev_g[i] for i in keep] + bank_g, pv,
                                 passage_keys=[p.content_hash for p in passages])

    fold_of = [i % folds for i in range(len(dev))]
    by_fold = {k: fit_on([i for i in range(len(dev)) if fold_of[i] != k]) for k in range(folds)}
    return fit_on(list(range(len(dev)))), {i: by_fold[fold_of[i]] for i in range(len(dev))}


def main(argv: list[str] | None = None) -> None:
    import argparse

    from .config import Settings
    from .evaluation import load_cases
    from .retrieval import support_features
    from .service import Tutor

    ap = argparse.ArgumentParser(description="Fit the support score on the dev split of an eval file.")
    ap.add_argument("file", type=Path)
    ap.add_argument("--keep-reranker", action="store_true", help="refit the support score only")
    ap.add_argument("--keep-support", action="store_true", help="refit the query adapter and the reranker only")
    args = ap.parse_args(argv)
    tutor = Tutor(Settings())
    tutor.ensure_index()
    dev = [c for c in load_cases(args.file) if c.get("kind") == "ask" and c.get("split", "dev") == "dev"]
    # 1. the reranker, on dev questions with gold spans
    from . import rerank
    from .evaluation import _hits
    from .retrieval import query_weights, shape_query

    rr_rows = []
    retriever = tutor.retriever
    # 0. the query adapter, and for each dev question one fitted without its fold: the reranker must learn how
    # far to trust the adapter on questions it has not seen, as it will be at run time
    oof = {}
    full = None
    if not args.keep_reranker:
        full, oof = fit_adapters(retriever, dev)
        full.save()
        print(f"query adapter: fitted on {len(dev)} dev questions and the question bank")
    for i, case in enumerate([] if args.keep_reranker else dev):
        if not case.get("gold"):
            continue
        q, hist = case["question"], case.get("history") or []
        retriever.adapter = oof[i]
        cands = retriever.candidates(shape_query(q, hist), query_weights(q, hist))
        hits = _hits([{"file": sp.passage.file, "lines": [sp.passage.start, sp.passage.end]} for sp, _ in cands], case["gold"])
        rr_rows.append([(f, h) for (_, f), h in zip(cands, hits)])
    if full is not None:
        retriever.adapter = full
    if rr_rows:
        model = rerank.fit(rr_rows)
        rerank.RERANK_FILE.write_text(json.dumps(model, indent=2) + "\n")
        rerank.load.cache_clear()
        print("reranker:", json.dumps(model, indent=2))
    if args.keep_support:
        return
    # 2. the support score, on the reranked results
    rows = []
    for case in dev:
        r = tutor.retriever.retrieve(case["question"], case.get("history"))
        rows.append((support_features(tutor.retriever, case["question"], r.query, r.results), not case.get("must_refuse")))
    cal = fit(rows)
    CALIBRATION_FILE.write_text(json.dumps(cal, indent=2) + "\n")
    load.cache_clear()
    print(json.dumps(cal, indent=2))


if __name__ == "__main__":
    main()
