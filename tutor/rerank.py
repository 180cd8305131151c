"""Rerank the fused candidates with a small logistic model over dense, lexical and structural
evidence (does the question name this row? does one item of the passage answer it?).
Fitted on the dev split only (`make calibrate`), so the test split measures it honestly."""
from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .text import content_terms, sentences
from .types import Passage

RERANK_FILE = Path(__file__).with_name("reranker.json")
FEATURES = ("dense", "dense_rr", "lex_norm", "lex_rr", "fused_rr", "q_cov", "title_cov", "unit_cov", "log_len",
            "unit_dense", "adapted", "adapted_rr")
# Used until a fit is shipped: plain reciprocal-rank fusion.
_DEFAULT = {"weights": {f: (1.0 if f == "fused_rr" else 0.0) for f in FEATURES}, "bias": 0.0}


@dataclass(frozen=True)
class PassageTerms:
    """Term sets of one passage, computed once when the retriever is built."""

    all: frozenset[str]
    title: frozenset[str]
    units: tuple[frozenset[str], ...]
    n_words: int


def passage_terms_of(p: Passage, doc_terms: list[str], acronyms: list[str]) -> PassageTerms:
    """doc_terms: the passage's BM25 terms (its text and section, plus the acronyms of its title)."""
    units = [p.title, *p.items] + [s for part in re.split(r";\s", p.text) for s in sentences(part)]
    return PassageTerms(
        frozenset(doc_terms),
        frozenset(content_terms(p.title)) | frozenset(acronyms),
        tuple(frozenset(content_terms(u)) for u in units if u),
        len(p.text.split()),
    )


@lru_cache(maxsize=1)
def load() -> dict:
    if RERANK_FILE.exists():
        return json.loads(RERANK_FILE.read_text())
    return _DEFAULT


def features(q_terms: dict[str, float], idf, pt: PassageTerms, dense: float | None, d_rank: int | None,
             lex: float | None, l_rank: int | None, max_lex: float, f_rank: int, unit_dense: float = 0.0,
             adapted: float | None = None, a_rank: int | None = None) -> dict[str, float]:
    """q_terms: query term → weight (a follow-up's own words weigh more than its history's)."""
    qw = sum(idf(t) * w for t, w in q_terms.items()) or 1.0

    def cov(terms: frozenset[str]) -> float:
        return sum(idf(t) * w for t, w in q_terms.items() if t in terms) / qw

    title_w = sum(idf(t) for t in pt.title) or 1.0
    return {
        "dense": dense or 0.0,
        "dense_rr": 0.0 if d_rank is None else 1.0 / (1 + d_rank),
        "lex_norm": (lex or 0.0) / max_lex if max_lex else 0.0,
        "lex_rr": 0.0 if l_rank is None else 1.0 / (1 + l_rank),
        "fused_rr": 1.0 / (1 + f_rank),
        "q_cov": cov(pt.all),
        # share of the passage's title (row key, bullet head) that the question names
        "title_cov": sum(idf(t) for t in pt.title if t in q_terms) / title_w,
        "unit_cov": max((cov(u) for u in pt.units), default=0.0),
        "log_len": math.log1p(pt.n_words) / 5,
        # the closest of the passage's sentences / items to the question (a long list dilutes its own embedding)
        "unit_dense": unit_dense,
        # the learned query map's cosine and rank (tutor/query_adapter.py); 0 when there is no adapter or it
        # did not rank the passage
        "adapted": adapted or 0.0,
        "adapted_rr": 0.0 if a_rank is None else 1.0 / (1 + a_rank),
    }


def score(f: dict[str, float]) -> float:
    m = load()
    return m["bias"] + sum(m["weights"].get(k, 0.0) * f[k] for k in FEATURES)


def fit(groups: list[list[tuple[dict, bool]]]) -> dict:
    """Pairwise (RankNet-style) logistic fit: each question's right passages should outrank its
    wrong ones. Ranking is what we use the score for, so that is what is fitted."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    X, y = [], []
    for rows in groups:
        pos = [np.array([f[k] for k in FEATURES]) for f, hit in rows if hit]
        neg = [np.array([f[k] for k in FEATURES]) for f, hit in rows if not hit][:30]
        for p in pos:
            for n in neg:
                X += [p - n, n - p]
                y += [1, 0]
    # C and the 30 negatives per question were chosen by 5-fold cross-validation on the dev split
    model = LogisticRegression(C=10.0, fit_intercept=False, max_iter=3000).fit(np.array(X), np.array(y))
    return {"weights": dict(zip(FEATURES, map(float, model.coef_[0]))), "bias": 0.0,
            "fitted_on": "dev split (pairwise)", "n_pairs": len(X)}
