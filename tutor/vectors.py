"""Embeddings of short texts (questions, answer units), computed once per process and kept.

The composer weighs each candidate sentence or list item by how close it is in meaning to the question, so
the same few hundred units of the notes are embedded again and again across questions: they are cached
by text (bounded, least recently used first out)."""
from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Callable

import numpy as np

LIMIT = 20_000  # texts; 384 float32 each, so at most ~30 MiB


class VectorCache:
    def __init__(self, embed: Callable[[str], list[float]], limit: int = LIMIT):
        self.embed = embed
        self.limit = limit
        self._vecs: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def one(self, text: str) -> list[float]:
        return self.many([text])[0].tolist()

    def many(self, texts: list[str]) -> np.ndarray:
        """One row per text, in order (normalized, as the embedder returns them)."""
        out: list[np.ndarray | None] = []
        with self._lock:
            for t in texts:
                v = self._vecs.get(t)
                if v is not None:
                    self._vecs.move_to_end(t)
                out.append(v)
        for i, t in enumerate(texts):
            if out[i] is None:
                out[i] = np.asarray(self.embed(t), dtype=np.float32)  # outside the lock: embedding is slow
                with self._lock:
                    self._vecs[t] = out[i]
                    while len(self._vecs) > self.limit:
                        self._vecs.popitem(last=False)
        return np.stack(out) if out else np.zeros((0, 0), dtype=np.float32)
