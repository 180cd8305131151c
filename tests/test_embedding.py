"""The light query path (`tutor ask`) must give the very vectors of the llama-index model: same bits."""
from __future__ import annotations

import json
import os
import subprocess
import sys

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


def test_a_one_shot_comparison_from_the_command_line_stays_on_the_light_encoder(tutor):
    # `tutor ask` embeds a comparison's question and both sides; that must not load the full model (seconds of a
    # cold start): the light encoder takes them one by one
    code = ("import sys; from tutor import cli, embedding; cli.main(['ask', sys.argv[1], '--json']); "
            "print('FULL MODEL LOADED' if embedding.full_model_loaded() else 'light only', file=sys.stderr)")
    env = {**os.environ, "TUTOR_HOME": str(tutor.settings.home), "TUTOR_CORPUS": str(tutor.settings.corpus)}
    out = subprocess.run([sys.executable, "-c", code, "alb vs nlb - which one for raw tcp at millions of requests?"],
                         capture_output=True, text=True, env=env, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stderr.strip().endswith("light only"), out.stderr[-2000:]
    assert "Network Load Balancer" in json.loads(out.stdout)["answer"]
