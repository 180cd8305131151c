"""Measurements that both benches take: retrieval quality on the eval cases, warm latency, Notes Tutor setup.

A "system" is anything with `ask(question, history) -> ask-JSON dict` (DESIGN §3): Notes Tutor's
`Tutor.ask(...).to_dict()`, or the stock recipe's top-5 nodes mapped to `{file, lines}`. Quality is
computed by `tutor.evaluation.evaluate`, the same code as `tutor eval`, so the numbers agree.
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import Callable

from common import ROOT, latency_summary

EVAL_FILE = ROOT / "eval" / "questions.jsonl"
AskFn = Callable[[str, list[str]], dict]


def load_ask_cases(path: Path = EVAL_FILE) -> list[dict]:
    from tutor.evaluation import load_cases

    return [c for c in load_cases(path) if c["kind"] == "ask"]


def quality(cases: list[dict], ask: AskFn) -> dict:
    """hit@1/hit@5/MRR (+ answer metrics when the system answers) per split, and passage spans in lines."""
    from tutor.evaluation import evaluate

    outputs: dict[str, dict] = {}

    def recording(q, h, o):
        out = ask(q, h or [])
        outputs[q + "\x00" + "\x00".join(h or [])] = out
        return out

    report = evaluate(cases, ask=recording)["ask"]
    top1, top5 = [], []
    for c in cases:
        out = outputs.get(c["question"] + "\x00" + "\x00".join(c.get("history") or []))
        if not c.get("gold") or not out or not out["passages"]:
            continue
        spans = [p["lines"][1] - p["lines"][0] + 1 for p in out["passages"][:5]]
        top1.append(spans[0])
        top5.extend(spans)
    report["mean_span_top1_lines"] = round(sum(top1) / len(top1), 2) if top1 else None
    report["mean_span_top5_lines"] = round(sum(top5) / len(top5), 2) if top5 else None
    return report


def time_asks(cases: list[dict], call: Callable[[dict], object], passes: int, before: Callable[[], None] | None = None) -> dict:
    """Time `call(case)` for every case, `passes` times over; `before` runs untimed before each call."""
    wall, cpu = [], []
    for _ in range(passes):
        for c in cases:
            if before:
                before()
            t0, c0 = time.perf_counter(), time.process_time()
            call(c)
            wall.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
    out = latency_summary(wall)
    # CPU seconds of this process (all its threads): what the ask costs, whatever else shares the cores
    cpu_ms = latency_summary(cpu)
    out.update(cpu_p50_ms=cpu_ms["p50_ms"], cpu_p95_ms=cpu_ms["p95_ms"])
    return out


def load_model(batch_size: int = 64) -> float:
    """Load the packaged MiniLM through llama-index and warm it; seconds taken."""
    from tutor.embedding import load_llama_embedding

    t0 = time.perf_counter()
    load_llama_embedding(batch_size).get_text_embedding("warm up")
    return time.perf_counter() - t0


def tutor_settings(corpus: Path, home: Path, chroma_url: str | None = None, collection: str | None = None):
    from tutor.config import IndexSettings, Settings

    index = IndexSettings(collection=collection) if collection else IndexSettings()
    return Settings(corpus=corpus, home=home, chroma_url=chroma_url, index=index)


def tutor_ask_fn(tutor) -> AskFn:
    return lambda q, h: tutor.ask(q, h).to_dict()


def forget_queries(tutor) -> Callable[[], None]:
    """Empty Tutor's query-embedding cache so a timed ask pays for embedding its question, as a new one would."""
    cache = getattr(tutor, "_qcache", None)
    return cache.clear if cache is not None else (lambda: None)
