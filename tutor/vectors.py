"""Embeddings of short texts (questions, answer units), computed once and kept.

The composer weighs each candidate sentence or list item by how close it is in meaning to the question, so
the same few hundred units of the notes are embedded again and again across questions: they are kept by
text (bounded, least recently used first out). Questions are kept only briefly, so that one ask's
retrieval and composition share the question's vector; a new question is always embedded afresh."""
from __future__ import annotations

import os
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Callable

import numpy as np

UNITS_LIMIT = 50_000  # texts; 384 float32 each, so at most ~75 MiB (these notes: 258)
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


_LOCK = threading.Lock()
# Units' vectors depend only on their text (one model everywhere), so every retriever of a process shares them.
SHARED_UNITS = _Lru(UNITS_LIMIT)


class VectorCache:
    def __init__(self, embed: Callable[[str], list[float]], units_limit: int = UNITS_LIMIT,
                 questions_limit: int = QUESTIONS_LIMIT, shared: bool = False,
                 embed_many: Callable[[list[str]], list[list[float]]] | None = None):
        self.embed = embed
        self.embed_many = embed_many  # batches: many units at start-up
        self._units = SHARED_UNITS if shared else _Lru(units_limit)
        self._questions = _Lru(questions_limit)
        self._lock = _LOCK if shared else threading.Lock()

    def load(self, path: Path) -> None:
        """Vectors saved by an earlier process (a missing or unreadable file is no error: they are recomputed)."""
        try:
            with np.load(path, allow_pickle=False) as z:
                texts, vecs = z["texts"], z["vectors"]
            if vecs.ndim != 2 or len(texts) != len(vecs):
                return
        except Exception:  # noqa: BLE001 (a cache: any unreadable file is simply recomputed)
            return
        with self._lock:
            for t, v in zip(texts.tolist(), vecs):
                self._units.put(t, v.astype(np.float32))

    def save(self, path: Path, texts: list[str]) -> None:
        """These texts' vectors, written atomically (two processes may save at once)."""
        vecs = self.units(texts)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp.npz")
        np.savez(tmp, texts=np.array(texts, dtype=str), vectors=vecs)
        os.replace(tmp, path)

    def known(self, texts: list[str]) -> set[str]:
        with self._lock:
            return {t for t in texts if self._units.get(t) is not None}

    def _missing(self, texts: list[str]) -> list[str]:
        with self._lock:
            return [t for t in dict.fromkeys(texts) if self._units.get(t) is None and self._questions.get(t) is None]

    def missing(self, texts: list[str]) -> int:
        return len(self._missing(texts))

    def question(self, text: str) -> np.ndarray:
        return self._get([text], self._questions)[0]

    def units(self, texts: list[str], batch: bool = False) -> np.ndarray:
        """One row per text, in order (normalized, as the embedder returns them). `batch`: embed the
        missing ones together (start-up), if a batch embedder was given."""
        if batch and self.embed_many is not None:
            missing = self._missing(texts)
            if missing:
                new = np.asarray(self.embed_many(missing), dtype=np.float32)
                with self._lock:
                    for t, v in zip(missing, new):
                        self._units.put(t, v)
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
