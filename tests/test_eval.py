"""`tutor eval` on the team's eval set, and the eval file contract."""
import json
import subprocess
import sys

import pytest

from tutor.errors import EvalFileError
from tutor.evaluation import evaluate, load_cases

from conftest import ROOT


def test_eval_set_shape():
    cases = load_cases(ROOT / "eval" / "questions.jsonl")
    ask = [c for c in cases if c["kind"] == "ask"]
    assert len(ask) >= 100
    assert sum(bool(c.get("history")) for c in ask) >= 10
    assert sum(bool(c.get("must_refuse")) for c in ask) >= 10
    assert {c["split"] for c in ask} == {"dev", "test"}


def test_retrieval_quality_on_test_split(tutor):
    cases = [c for c in load_cases(ROOT / "eval" / "questions.jsonl") if c.get("split") == "test"]
    report = evaluate(cases, ask=lambda q, h, o: tutor.ask(q, h, o).to_dict())
    m = report["ask"]
    # Regression floor (measured 0.82 / 1.00 when written); the bar itself is reported, not asserted.
    assert m["hit@5"] >= 0.95
    assert m["hit@1"] >= 0.75
    assert m["mean_answer_words"] <= 60


def test_eval_reports_follow_ups_apart_from_first_questions(tmp_path, capsys):
    """The bar "follow-ups answered as well as first questions" is read off `tutor eval` itself: a tutor that loses
    the thread on every follow-up must show it, in all and in each split, not blend it into one accuracy."""
    from types import SimpleNamespace

    from tutor import cli

    gold = [{"file": "aws-notes.md", "lines": [1, 2]}]
    cases = [{"id": f"c{i}", "kind": "ask", "question": "what is iam?", "split": split, "gold": gold,
              "must_contain": [["iam"]], **({"history": ["what is s3?"]} if follow else {})}
             for i, (split, follow) in enumerate([("dev", False), ("dev", True), ("test", False), ("test", True),
                                                  ("test", True)])]

    def ask(question, history, options):  # answers first questions, refuses every follow-up
        if history:
            return {"answer": "Your notes don't cover that.", "refused": True, "passages": [], "citations": []}
        return {"answer": "IAM manages users [1].", "refused": False, "citations": [1],
                "passages": [{"file": "aws-notes.md", "lines": [1, 2]}]}

    turns = evaluate(cases, ask=ask)["ask"]["turns"]
    assert turns["all"]["first"]["n"] == 2 and turns["all"]["follow_up"]["n"] == 3
    assert turns["test"]["first"]["answer_accuracy"] == 1.0 and turns["test"]["follow_up"]["answer_accuracy"] == 0.0
    assert turns["test"]["follow_up"]["false_refusal_rate"] == 1.0 and turns["dev"]["follow_up"]["n"] == 1
    path = tmp_path / "cases.jsonl"
    path.write_text("\n".join(json.dumps(c) for c in cases) + "\n")
    tutor = SimpleNamespace(ensure_index=lambda: None,
                            ask=lambda q, h, o: SimpleNamespace(to_dict=lambda: ask(q, h, o)))
    assert cli.cmd_eval(tutor, SimpleNamespace(file=path, json=False)) == 0
    printed = capsys.readouterr().out
    assert "follow-ups (test): n=2, hit@1=0.0" in printed and "first questions (test): n=1, hit@1=1.0" in printed


def test_notes_the_tutor_was_never_fitted_on(tmp_path, embedding):
    """A second corpus (Kubernetes notes written in the same style, with 50 learner questions, eval/k8s/): the
    reranker, refusal score and query adapter were all fitted on the AWS dev split, so this is how a learner's own,
    different notes fare. Regression floor (measured 0.89 / 1.00 / 0.82 answers when written)."""
    from conftest import make_settings
    from tutor.service import Tutor

    t = Tutor(make_settings(tmp_path / "home", corpus=ROOT / "eval" / "k8s" / "corpus"))
    assert not t.ingest().errors
    assert not any(t.retriever.adapter.covers(p.content_hash) for p in t.retriever.passages.values())
    m = evaluate(load_cases(ROOT / "eval" / "k8s" / "questions.jsonl"), ask=lambda q, h, o: t.ask(q, h, o).to_dict())["ask"]
    assert m["hit@5"] >= 0.95 and m["hit@1"] >= 0.8 and m["answer_accuracy"] >= 0.7, m


def test_bad_eval_line_names_file_line_and_field(tmp_path):
    f = tmp_path / "bad.jsonl"
    f.write_text('{"id": "a", "kind": "ask", "question": "q"}\n{"id": "b", "kind": "ask"}\n')
    with pytest.raises(EvalFileError, match=r"bad.jsonl:2: .*'question'"):
        load_cases(f)
    # a follow-up's history as one string, not a list of earlier questions: named, not read letter by letter
    f.write_text('{"id": "a", "kind": "ask", "question": "q"}\n{"id": "b", "kind": "ask", "question": "and it?", '
                 '"history": "what is s3?"}\n')
    with pytest.raises(EvalFileError, match=r"bad.jsonl:2: field 'history' must be a list"):
        load_cases(f)


def test_cli_eval_bad_input_exit_code(tmp_path):
    f = tmp_path / "bad.jsonl"
    f.write_text("not json\n")
    out = subprocess.run([sys.executable, "-m", "tutor.cli", "eval", str(f), "--json"], capture_output=True, text=True)
    assert out.returncode != 0 and "bad.jsonl:1" in out.stderr and "Traceback" not in out.stderr


def test_cli_output_into_a_closed_pipe_ends_quietly(tmp_path, monkeypatch, capsys):
    # `tutor ask … | head -1` printed a BrokenPipeError traceback once head had closed the pipe
    from tutor import cli

    class ClosedPipe:
        def write(self, _text):
            raise BrokenPipeError(32, "Broken pipe")

        def flush(self):
            raise BrokenPipeError(32, "Broken pipe")

    (tmp_path / "corpus").mkdir()
    monkeypatch.setenv("TUTOR_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("TUTOR_CORPUS", str(tmp_path / "corpus"))
    monkeypatch.setattr(sys, "stdout", ClosedPipe())
    assert cli.main(["ingest", "--json"]) == 141
    assert "Traceback" not in capsys.readouterr().err
