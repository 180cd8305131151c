"""The light query path (`tutor ask`) must give the very vectors of the llama-index model: same bits."""
from __future__ import annotations

import json

from conftest import ROOT


def _texts() -> list[str]:
    qs = [json.loads(line)["question"] for line in (ROOT / "eval" / "questions.jsonl").read_text().splitlines()
          if line.strip()]
    notes = (ROOT / "corpus" / "aws-notes.md").read_text(encoding="utf-8").split("\n\n")
    odd = ["  leading and trailing blanks \t", "Ünïcödé café — naïve 東京", "a", "S3 " * 400,  # past 256 tokens
           "line one\nline two\ttabbed"]
    return qs[:60] + [n for n in notes if n.strip()][:30] + odd


def test_query_encoder_is_bit_identical(embedding):
    from tutor.embedding import QueryEncoder

    enc = QueryEncoder()
    for text in _texts():
        assert enc.embed(text) == embedding.get_text_embedding(text), text[:60]


def test_query_embedding_delegates(embedding):
    from tutor.embedding import QueryEmbedding

    q = QueryEmbedding(16)
    assert q.get_text_embedding("what is S3?") == embedding.get_text_embedding("what is S3?")
    assert q.get_text_embedding_batch(["a", "b"]) == embedding.get_text_embedding_batch(["a", "b"])
    assert q._model is embedding._model  # the grader's model: the one full copy
