"""Teacher-graded answers to the same question: a grader that has seen how a teacher graded other learners' answers
to this very question leans on the closest of them.

Question + reference → the graded answers stored for that pair (their MiniLM sentence vectors and scores, 0..1) →
for a new answer, the similarity-weighted score of its K closest graded answers. `Grader.probability` blends that
vote with the model's probability. A question nobody has graded answers for (every question of the notes' quiz bank)
is graded by the model alone, exactly as before.

The shipped store (`grading_examples.npz`, written by `python -m tutor.grading_fit`, or `--examples-only` without a refit) holds the grading
data's training answers: SciEntsBank and Beetle train, Mohler assignments 1–6. The vectors are stored as int8 (cosines
move by under 0.01; the cross-validated accuracy is the same to the third decimal) and no answer text is stored.
"""
from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

DEFAULT_PATH = Path(__file__).with_name("grading_examples.npz")
# Chosen by 5-fold cross-validation over answers (seen questions, unseen answers) on the grading data's training
# splits: 3, 5, 10 or 20 neighbours, temperature 10 or 20 and weight 0.5 all land within a point of each other
# (SciEntsBank 0.78-0.80, Beetle 0.80); weight 0.7 is worse on SciEntsBank. See docs/GRADING.md.
K = 5
TEMPERATURE = 10.0  # softmax over cosines: the closest graded answers count most
WEIGHT = 0.5  # of the vote in the blended probability; the model's probability has the rest
_SCALE = 127.0


def key(question: str, reference: str) -> str:
    """The pair a graded answer belongs to, read case- and space-insensitively."""
    norm = lambda s: re.sub(r"\s+", " ", s).strip().lower()  # noqa: E731
    return hashlib.sha1(f"{norm(question)}\x00{norm(reference)}".encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Vote:
    score: float  # the weighted score of the closest graded answers, 0..1
    n: int  # how many graded answers the pair has
    closest: float  # cosine of the closest one


@dataclass(frozen=True, eq=False)
class GradedExamples:
    keys: tuple[str, ...]  # one per pair
    starts: np.ndarray  # (len(keys) + 1,) row offsets of each pair's answers
    vectors: np.ndarray  # (n, dim) int8, sentence vectors × 127
    scores: np.ndarray  # (n,) float32, 0..1 (two-way labels as 0 / 1)
    _index: dict = field(init=False, repr=False)

    @classmethod
    def build(cls, rows: list[tuple[str, str, np.ndarray, float]]) -> "GradedExamples":
        """rows: (question, reference, normalized answer vector, score 0..1)."""
        by_key: dict[str, list[tuple[np.ndarray, float]]] = {}
        for q, r, v, s in rows:
            by_key.setdefault(key(q, r), []).append((v, s))
        keys = tuple(by_key)
        starts = np.cumsum([0] + [len(by_key[k]) for k in keys])
        vecs = np.asarray([v for k in keys for v, _ in by_key[k]], dtype=np.float32)
        vectors = np.clip(np.round(vecs.reshape(len(vecs), -1) * _SCALE), -127, 127) if len(vecs) else np.zeros((0, 0))
        scores = np.asarray([s for k in keys for _, s in by_key[k]], dtype=np.float32)
        return cls(keys, starts.astype(np.int64), vectors.astype(np.int8), scores)

    def save(self, path: Path = DEFAULT_PATH) -> None:
        np.savez_compressed(path, keys=np.array(self.keys), starts=self.starts, vectors=self.vectors, scores=self.scores)

    @classmethod
    def load(cls, path: Path = DEFAULT_PATH) -> "GradedExamples | None":
        """None when there is no store; an unreadable or inconsistent one is named in a warning and left out (the
        model grades alone)."""
        path = Path(path)
        if not path.exists():
            return None
        try:
            with np.load(path, allow_pickle=False) as z:
                out = cls(tuple(str(k) for k in z["keys"]), z["starts"].astype(np.int64), z["vectors"].astype(np.int8),
                          z["scores"].astype(np.float32))
        except Exception as e:  # a truncated or foreign file must not stop grading
            log.warning("graded examples %s could not be read (%s); grading without them", path, e)
            return None
        n = len(out.scores)
        if len(out.starts) != len(out.keys) + 1 or out.starts[-1] != n or len(out.vectors) != n or out.vectors.ndim != 2:
            log.warning("graded examples %s are inconsistent (%d pairs, %d answers); grading without them", path,
                        len(out.keys), n)
            return None
        return out

    def __post_init__(self):
        object.__setattr__(self, "_index", {k: i for i, k in enumerate(self.keys)})  # frozen: set once, here

    def vote(self, question: str, reference: str, answer_vector: np.ndarray) -> Vote | None:
        """The closest graded answers' weighted score, or None when this pair has none (or the vector does not fit)."""
        i = self._index.get(key(question, reference))
        if i is None or answer_vector.shape != (self.vectors.shape[1],):
            return None
        lo, hi = int(self.starts[i]), int(self.starts[i + 1])
        sims = (self.vectors[lo:hi].astype(np.float32) / _SCALE) @ answer_vector.astype(np.float32)
        top = np.argsort(-sims, kind="stable")[:K]
        w = np.exp(TEMPERATURE * (sims[top] - sims[top[0]]))  # shifted: same weights, no overflow
        return Vote(float(w @ self.scores[lo:hi][top] / w.sum()), hi - lo, float(sims[top[0]]))


def blend(p: float, vote: Vote | None) -> float:
    return p if vote is None else (1 - WEIGHT) * p + WEIGHT * vote.score
