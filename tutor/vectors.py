"""The question's embedding, kept briefly so that one ask's retrieval and composition share it.

A new question is always embedded afresh. The notes' units (sentences, list items) are not embedded here: the
ingest embeds them with their passages and keeps them on disk (tutor/unit_cache.py), and the retriever holds
them per passage."""
from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Callable

import numpy as np

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
    def __init__(self, embed: Callable[[str], list[float]], questions_limit: int = QUESTIONS_LIMIT,
                 embed_many: Callable[[list[str]], list[list[float]]] | None = None):
        self.embed = embed
        self.embed_many = embed_many
        self._questions = _Lru(questions_limit)
        self._lock = threading.Lock()

    def question(self, text: str) -> np.ndarray:
        """The text's vector (normalized, as the embedder returns it)."""
        with self._lock:
            v = self._questions.get(text)
        if v is None:
            v = np.asarray(self.embed(text), dtype=np.float32)  # outside the lock: embedding is slow
            with self._lock:
                self._questions.put(text, v)
        return v

    def prefetch(self, texts: list[str]) -> None:
        """Embed in one batch the texts an ask will need: a comparison embeds the question and each side, a
        follow-up its query and the learner's own words. One forward pass over three short texts takes about 60% of
        three passes (the model's fixed cost per call is most of a short text's)."""
        with self._lock:
            missing = [t for t in dict.fromkeys(texts) if t and self._questions.get(t) is None]
        if len(missing) < 2 or self.embed_many is None:
            return  # one text is embedded when first asked for, as before
        vs = self.embed_many(missing)
        with self._lock:
            for t, v in zip(missing, vs):
                self._questions.put(t, np.asarray(v, dtype=np.float32))
