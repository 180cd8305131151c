"""Eval cases (JSONL, DESIGN §3) → a flat metrics dict, usable from `tutor eval` and pytest alike."""
from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Callable

from .errors import EvalFileError, TutorError

KINDS = ("ask", "mcq", "grade")
LABELS = ("correct", "partial", "incorrect")


def load_cases(path: Path) -> list[dict]:
    """Parse and check an eval file; a bad line raises EvalFileError naming file, line and field."""
    path = Path(path)
    try:
        raw = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise EvalFileError(f"{path}: cannot read the eval file ({e})") from e
    cases = []
    for n, line in enumerate(raw.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            case = json.loads(line)
        except json.JSONDecodeError as e:
            raise EvalFileError(f"{path}:{n}: not valid JSON ({e.msg})") from e
        _check_case(case, f"{path}:{n}")
        cases.append(case)
    return cases


def _check_case(case: object, where: str) -> None:
    if not isinstance(case, dict):
        raise EvalFileError(f"{where}: each line must be a JSON object")
    for fld in ("id", "kind"):
        if fld not in case:
            raise EvalFileError(f"{where}: missing field '{fld}'")
    kind = case["kind"]
    if kind not in KINDS:
        raise EvalFileError(f"{where}: field 'kind' is '{kind}', expected one of {', '.join(KINDS)}")
    need = {"ask": ["question"], "mcq": ["question", "options", "answer"], "grade": ["question", "reference", "answer"]}
    for fld in need[kind]:
        if fld not in case:
            raise EvalFileError(f"{where}: {kind} case '{case['id']}' is missing field '{fld}'")
    if kind == "grade" and "label" not in case and "score" not in case:
        raise EvalFileError(f"{where}: grade case '{case['id']}' needs 'label' or 'score'")
    if kind == "grade" and "label" in case and case["label"] not in LABELS:
        raise EvalFileError(f"{where}: field 'label' is '{case['label']}', expected one of {', '.join(LABELS)}")
    if kind == "mcq" and not isinstance(case["options"], dict):
        raise EvalFileError(f"{where}: field 'options' must be an object of letter → text")
    history = case.get("history")
    if history is not None and not (isinstance(history, list) and all(isinstance(h, str) for h in history)):
        # a bare string would be read letter by letter as earlier questions, and every follow-up figure with it
        raise EvalFileError(f"{where}: field 'history' must be a list of earlier questions (strings)")
    for g in case.get("gold") or []:
        if not isinstance(g, dict) or "file" not in g or "lines" not in g or len(g["lines"]) != 2:
            raise EvalFileError(f"{where}: field 'gold' entries need 'file' and 'lines': [start, end]")


# ---------------------------------------------------------------- ask
def _hits(passages: list[dict], gold: list[dict]) -> list[bool]:
    def overlap(p: dict, g: dict) -> bool:
        same = Path(p["file"]).name == Path(g["file"]).name or p["file"] == g["file"]
        return same and p["lines"][0] <= g["lines"][1] and g["lines"][0] <= p["lines"][1]

    return [any(overlap(p, g) for g in gold) for p in passages]


def _contains_all(answer: str, groups: list[list[str]]) -> bool:
    a = answer.lower()
    return all(any(alt.lower() in a for alt in group) for group in groups)


def _ask_item(case: dict, ask: Callable[..., dict]) -> dict:
    try:
        out = ask(case["question"], case.get("history") or [], None)
    except TutorError as e:
        out = {"answer": "", "refused": True, "passages": [], "citations": [], "error": str(e)}
    item = {"id": case["id"], "kind": "ask", "split": case.get("split"), "follow_up": bool(case.get("history")),
            "refused": out["refused"]}
    item["answer_words"] = len(re.findall(r"\w+", re.sub(r"\[\d+\]", "", out["answer"])))
    if case.get("gold"):
        hits = _hits(out["passages"], case["gold"])
        first = next((i for i, h in enumerate(hits) if h), None)
        item.update({"hit@1": bool(hits[:1] and hits[0]), "hit@5": any(hits[:5]), "rr": 0.0 if first is None else 1 / (first + 1)})
    if case.get("must_refuse"):
        item["refusal_correct"] = out["refused"]
    else:
        item["false_refusal"] = out["refused"]
        if case.get("must_contain"):
            item["answer_correct"] = (not out["refused"]) and _contains_all(out["answer"], case["must_contain"])
    item["answer"] = out["answer"]
    return item


def _mean(xs: list[float]) -> float | None:
    return round(sum(xs) / len(xs), 4) if xs else None


def ask_metrics(items: list[dict]) -> dict:
    def vals(key):
        return [float(i[key]) for i in items if key in i]

    return {
        "n": len(items),
        "hit@1": _mean(vals("hit@1")),
        "hit@5": _mean(vals("hit@5")),
        "mrr": _mean(vals("rr")),
        "answer_accuracy": _mean(vals("answer_correct")),
        "refusal_accuracy": _mean(vals("refusal_correct")),
        "false_refusal_rate": _mean(vals("false_refusal")),
        "mean_answer_words": _mean([float(i["answer_words"]) for i in items if not i["refused"]]),
    }


def turn_metrics(items: list[dict], splits: list[str]) -> dict:
    """First questions and follow-ups (cases with a history) apart, over all items and in each split: a follow-up
    should be answered as well as a first question (a bar of the answers issue); one number for both hides it."""
    out = {}
    for name in ["all", *splits]:
        part = [i for i in items if name == "all" or i.get("split") == name]
        out[name] = {turn: ask_metrics([i for i in part if i["follow_up"] == (turn == "follow_up")])
                     for turn in ("first", "follow_up")}
    return out


# ---------------------------------------------------------------- mcq
def _mcq_item(case: dict, ask: Callable[..., dict]) -> dict:
    try:
        out = ask(case["question"], [], case["options"])
        choice = sorted(out.get("choice") or [])
    except TutorError:
        out, choice = {"citations": []}, []
    gold = sorted(case["answer"])
    return {"id": case["id"], "kind": "mcq", "choice": choice, "gold": gold, "correct": choice == gold,
            "cited": bool(out.get("citations"))}


# ---------------------------------------------------------------- grade
def _pearson(xs: list[float], ys: list[float]) -> float | None:
    if len(xs) < 3:
        return None
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    sx = math.sqrt(sum((x - mx) ** 2 for x in xs))
    sy = math.sqrt(sum((y - my) ** 2 for y in ys))
    if sx == 0 or sy == 0:
        return None
    return round(sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / (sx * sy), 4)


def _macro_f1(gold: list[str], pred: list[str]) -> float | None:
    labels = sorted(set(gold))
    if not labels:
        return None
    f1s = []
    for lab in labels:
        tp = sum(g == lab and p == lab for g, p in zip(gold, pred))
        fp = sum(g != lab and p == lab for g, p in zip(gold, pred))
        fn = sum(g == lab and p != lab for g, p in zip(gold, pred))
        f1s.append(0.0 if tp == 0 else 2 * tp / (2 * tp + fp + fn))
    return round(sum(f1s) / len(f1s), 4)


def _grade_item(case: dict, grade: Callable[..., dict]) -> dict:
    out = grade(case["question"], case["reference"], case["answer"])
    item = {"id": case["id"], "kind": "grade", "verdict": out["verdict"], "score": out["score"]}
    if "label" in case:
        item["label"] = case["label"]
    if "score" in case:
        item["gold_score"] = case["score"]
    return item


def grade_metrics(items: list[dict]) -> dict:
    labeled = [i for i in items if "label" in i]
    two_way = labeled and not any(i["label"] == "partial" for i in labeled)
    gold, pred = [], []
    for i in labeled:
        p = i["verdict"]
        if two_way and p == "partial":
            p = "incorrect"  # two-way data: partial is not correct
        gold.append(i["label"])
        pred.append(p)
    scored = [i for i in items if "gold_score" in i]
    return {
        "n": len(items),
        "accuracy": _mean([float(g == p) for g, p in zip(gold, pred)]),
        "macro_f1": _macro_f1(gold, pred),
        "pearson": _pearson([i["score"] for i in scored], [i["gold_score"] for i in scored]),
    }


# ---------------------------------------------------------------- driver
def evaluate(cases: list[dict], ask: Callable[..., dict] | None = None, grade: Callable[..., dict] | None = None) -> dict:
    """ask(question, history, options) → ask-JSON dict; grade(question, reference, answer) → grade dict."""
    items: list[dict] = []
    report: dict = {}
    by_kind = {k: [c for c in cases if c["kind"] == k] for k in KINDS}
    if by_kind["ask"]:
        ask_items = [_ask_item(c, ask) for c in by_kind["ask"]]
        report["ask"] = ask_metrics(ask_items)
        splits = sorted({i["split"] for i in ask_items if i.get("split")})
        if splits:
            report["ask"]["splits"] = {s: ask_metrics([i for i in ask_items if i.get("split") == s]) for s in splits}
        report["ask"]["turns"] = turn_metrics(ask_items, splits)
        items += ask_items
    if by_kind["mcq"]:
        mcq_items = [_mcq_item(c, ask) for c in by_kind["mcq"]]
        report["mcq"] = {"n": len(mcq_items), "accuracy": _mean([float(i["correct"]) for i in mcq_items]),
                         "cited": _mean([float(i["cited"]) for i in mcq_items])}
        items += mcq_items
    if by_kind["grade"]:
        grade_items = [_grade_item(c, grade) for c in by_kind["grade"]]
        report["grade"] = grade_metrics(grade_items)
        items += grade_items
    report["items"] = items
    return report
