"""Embeddings of short texts (questions, answer units), computed once and kept.

The composer weighs each candidate sentence or list item by how close it is in meaning to the question, so
the same few hundred units of the notes are embedded again and again across questions: they are kept by
text (bounded, least recently used first out). Questions are kept only briefly, so that one ask's
retrieval and composition share the question's vector; a new question is always embedded afresh."""
from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Callable

import numpy as np

UNITS_LIMIT = 20_000  # texts; 384 float32 each, so at most ~30 MiB
QUESTIONS_LIMIT = 16


class _Lru:
    def __init__(self, limit: int):
        self.limit = limit
        self.items: OrderedDict[str, np.ndarray] = OrderedDict()

    def get(self, text: str) -> np.ndarray | None:
        v = self.items.get(text)
        if v is not None:
            self.items.move_to_end(text)
        return v

    def put(self, text: str, v: np.ndarray) -> None:
        self.items[text] = v
        while len(self.items) > self.limit:
            self.items.popitem(last=False)


class VectorCache:
    def __init__(self, embed: Callable[[str], list[float]], units_limit: int = UNITS_LIMIT,
                 questions_limit: int = QUESTIONS_LIMIT):
        self.embed = embed
        self._units = _Lru(units_limit)
        self._questions = _Lru(questions_limit)
        self._lock = threading.Lock()

    def question(self, text: str) -> np.ndarray:
        return self._get([text], self._questions)[0]

    def units(self, texts: list[str]) -> np.ndarray:
        """One row per text, in order (normalized, as the embedder returns them)."""
        return self._get(texts, self._units)

    def _get(self, texts: list[str], keep: _Lru) -> np.ndarray:
        out: list[np.ndarray | None] = []
        with self._lock:
            for t in texts:
                v = self._questions.get(t)
                out.append(v if v is not None else self._units.get(t))
        for i, t in enumerate(texts):
            if out[i] is None:
                out[i] = np.asarray(self.embed(t), dtype=np.float32)  # outside the lock: embedding is slow
                with self._lock:
                    keep.put(t, out[i])
        return np.stack(out) if out else np.zeros((0, 0), dtype=np.float32)
