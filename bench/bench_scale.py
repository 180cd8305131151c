"""`make bench-scale`: Notes Tutor on corpora of about 1×, 10× and 100× the AWS notes' passages.

Each corpus is corpus/*.md (so the eval questions still apply) plus notes from bench/gen_notes.py
(fixed seed) until it holds factor × the real corpus's passages. Each size runs in its own child
process: ingest (passages/s, split into embedding and the rest), BM25/retriever build, hit@1 on the
eval questions, warm `ask` p50/p95 with a per-stage breakdown (query embedding, Chroma query, BM25,
fusion+support, answer composition) and peak RSS. Results: tables on stdout and bench/out/bench_scale.json (bench_scale_server.json with a server).

    python bench/bench_scale.py [--factors 1,10,100] [--passes 2] [--chroma-url http://host:8000]
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from pathlib import Path

from common import ROOT, emit, fmt, latency_summary, machine, run_child, table, write_json
from gen_notes import generate_file
from measure import forget_queries, load_ask_cases, load_model, quality, tutor_ask_fn, tutor_settings

SEED = 20240601
STAGES = ("embed_query", "dense", "bm25", "fuse_support", "compose")


# ---------------------------------------------------------------- corpus
def build_corpus(dest: Path, factor: float, seed: int = SEED) -> dict:
    """corpus/*.md plus generated files until the passage count reaches factor × the real corpus's."""
    from tutor.index import list_notes
    from tutor.notes import parse_notes

    dest.mkdir(parents=True, exist_ok=True)
    base = 0
    for name, path in list_notes(ROOT / "corpus").items():
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
        base += len(parse_notes(name, path.read_text(encoding="utf-8")).passages)
    total, i = base, 0
    while total < factor * base:
        name, text = generate_file(i, seed)
        (dest / name).write_text(text, encoding="utf-8")
        total += len(parse_notes(name, text).passages)
        i += 1
    return {"real_passages": base, "generated_files": i, "passages_parsed": total,
            "bytes": sum(p.stat().st_size for p in dest.rglob("*.md"))}


# ---------------------------------------------------------------- child: one corpus size
class StageClock:
    """Wraps retriever callables to add their wall time to the current ask's stage totals."""

    def __init__(self):
        self.now: dict[str, float] = defaultdict(float)

    def wrap(self, stage: str, fn):
        def timed(*a, **k):
            t0 = time.perf_counter()
            try:
                return fn(*a, **k)
            finally:
                self.now[stage] += time.perf_counter() - t0

        return timed


def _instrument(tutor, clock: StageClock):
    r = tutor.retriever
    r.embed_query = clock.wrap("embed_query", r.embed_query)
    r.dense_search = clock.wrap("dense", r.dense_search)
    r.bm25.search = clock.wrap("bm25", r.bm25.search)
    r.retrieve = clock.wrap("retrieve", r.retrieve)


def timed_passes(tutor, cases: list[dict], passes: int) -> dict:
    clock, forget = StageClock(), forget_queries(tutor)
    _instrument(tutor, clock)
    total: list[float] = []
    stages: dict[str, list[float]] = defaultdict(list)
    for _ in range(passes):
        for c in cases:
            forget()  # every timed ask embeds its question, as a new question would
            clock.now.clear()
            t0 = time.perf_counter()
            tutor.ask(c["question"], c.get("history") or [])
            total.append(time.perf_counter() - t0)
            n = clock.now
            stages["embed_query"].append(n["embed_query"])
            stages["dense"].append(n["dense"])
            stages["bm25"].append(n["bm25"])
            stages["fuse_support"].append(n["retrieve"] - n["embed_query"] - n["dense"] - n["bm25"])
            stages["compose"].append(total[-1] - n["retrieve"])
    return {"ask": latency_summary(total), "stages": {s: latency_summary(stages[s]) for s in STAGES}}


def scale_worker(corpus: Path, home: Path, passes: int, chroma_url: str | None) -> dict:
    from tutor.service import Tutor

    model_s = load_model()
    collection = f"bench_scale_{uuid.uuid4().hex[:8]}" if chroma_url else None
    tutor = Tutor(tutor_settings(corpus, home, chroma_url, collection))
    store = tutor.store
    embed_s = [0.0]
    inner = store.embed

    def embed(texts):
        t0 = time.perf_counter()
        try:
            return inner(texts)
        finally:
            embed_s[0] += time.perf_counter() - t0

    store.embed = embed
    try:
        t0, c0 = time.perf_counter(), time.process_time()
        rep = tutor.ingest()
        ingest_s, ingest_cpu = time.perf_counter() - t0, time.process_time() - c0
        t0 = time.perf_counter()
        _ = tutor.retriever
        build_s = time.perf_counter() - t0
        cases = load_ask_cases()
        qual = quality(cases, tutor_ask_fn(tutor))  # also the warm-up pass
        timing = timed_passes(tutor, cases, passes)
    finally:
        if collection:
            try:
                store.client.delete_collection(collection)
            except Exception as e:  # a leftover collection on a server is worth a line, not a crash
                print(f"could not delete collection {collection}: {e}", file=sys.stderr)
    return {
        "model_load_s": round(model_s, 2),
        "passages": rep.passages,
        "embedded": rep.embedded,
        "errors": rep.errors,
        "ingest_s": round(ingest_s, 2),
        "ingest_cpu_s": round(ingest_cpu, 2),
        "ingest_embed_s": round(embed_s[0], 2),
        "ingest_other_s": round(ingest_s - embed_s[0], 2),
        "ingest_passages_per_s": round(rep.embedded / ingest_s, 1) if ingest_s else None,
        "embed_passages_per_s": round(rep.embedded / embed_s[0], 1) if embed_s[0] else None,
        "retriever_build_s": round(build_s, 3),
        "hit@1": qual["hit@1"],
        "hit@5": qual["hit@5"],
        "mrr": qual["mrr"],
        "answer_accuracy": qual["answer_accuracy"],
        **timing,
    }


# ---------------------------------------------------------------- parent
def report(result: dict) -> str:
    runs = result["runs"]
    heads = [f"{f}×" for f in runs]
    get = lambda f, *path: _dig(runs[f], path)  # noqa: E731
    rows = [
        ("passages indexed", ("passages",), "d"),
        ("generated files", ("corpus", "generated_files"), "d"),
        ("corpus size (MB)", ("corpus", "mb"), ".1f"),
        ("ingest (s)", ("ingest_s",), ".1f"),
        ("ingest passages/s", ("ingest_passages_per_s",), ".1f"),
        ("  embedding passages/s", ("embed_passages_per_s",), ".1f"),
        ("  non-embedding ingest time (s)", ("ingest_other_s",), ".2f"),
        ("retriever (BM25) build (s)", ("retriever_build_s",), ".2f"),
        ("ask p50 (ms)", ("ask", "p50_ms"), ".1f"),
        ("ask p95 (ms)", ("ask", "p95_ms"), ".1f"),
        *[(f"  {s} p50 / p95 (ms)", ("stages", s), "stage") for s in STAGES],
        ("peak RSS (MiB)", ("peak_rss_mib",), ".0f"),
        ("hit@1 (eval, all gold)", ("hit@1",), ".3f"),
        ("hit@5 (eval, all gold)", ("hit@5",), ".3f"),
    ]
    body = []
    for label, path, spec in rows:
        cells = []
        for f in runs:
            v = get(f, *path)
            if spec == "stage":
                cells.append("n/a" if v is None else f"{fmt(v['p50_ms'], '.1f')} / {fmt(v['p95_ms'], '.1f')}")
            else:
                cells.append(fmt(v, spec))
        body.append([label, *cells])
    out = [f"Notes Tutor at scale ({result['store']}; {result['passes']} timed passes over {result['cases']} eval questions)",
           f"machine: {result['machine']['cpus']} CPUs, load average at start {result['machine']['loadavg_1_5_15']}", ""]
    out += [f"!! {f}×: {r['error']}" for f, r in runs.items() if r.get("error")]
    out.append(table(["metric", *heads], body))
    goal = result.get("goal")
    if goal:
        out += ["", f"goal: ask p95 at {goal['largest']}× ≤ 2 × the 1× figure: {fmt(goal['ratio'], '.2f')}× "
                    f"→ {'MET' if goal['met'] else 'NOT MET'}; ingest passages/s {goal['largest']}× / 1×: "
                    f"{fmt(goal['ingest_ratio'], '.2f')}"]
    return "\n".join(out)


def _dig(d, path):
    for k in path:
        if not isinstance(d, dict) or d.get(k) is None:
            return None
        d = d[k]
    return d


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--factors", default="1,10,100", help="corpus sizes as multiples of corpus/ (comma-separated)")
    ap.add_argument("--passes", type=int, default=2, help="timed passes over the eval questions")
    ap.add_argument("--chroma-url", default=os.environ.get("TUTOR_CHROMA_URL"), help="use this Chroma server")
    ap.add_argument("--seed", type=int, default=SEED)
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--corpus", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--home", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        emit(scale_worker(args.corpus, args.home, args.passes, args.chroma_url or None))
        return 0

    factors = [float(f) if "." in f else int(f) for f in args.factors.split(",") if f.strip()]
    result = {"store": f"Chroma server {args.chroma_url}" if args.chroma_url else "embedded Chroma",
              "passes": args.passes, "cases": len(load_ask_cases()), "seed": args.seed,
              "machine": machine(), "runs": {}}
    tmp = Path(tempfile.mkdtemp(prefix="tutor-scale-"))
    try:
        for f in factors:
            corpus = tmp / f"corpus-{f}x"
            info = build_corpus(corpus, f, args.seed)
            info["mb"] = info["bytes"] / 1e6
            print(f"[bench-scale] {f}×: {info['passages_parsed']} passages in {info['generated_files']} generated "
                  f"files + corpus/ ...", file=sys.stderr, flush=True)
            cmd = [str(Path(__file__).resolve()), "--worker", "--corpus", str(corpus), "--home", str(tmp / f"home-{f}x"),
                   "--passes", str(args.passes)]
            if args.chroma_url:
                cmd += ["--chroma-url", args.chroma_url]
            res, wall, err = run_child(cmd, timeout=3 * 3600)
            res = res or {"error": err}
            res["corpus"], res["wall_s"] = info, round(wall, 1)
            result["runs"][f] = res
            shutil.rmtree(corpus, ignore_errors=True)
            shutil.rmtree(tmp / f"home-{f}x", ignore_errors=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    result["machine"]["loadavg_at_end"] = machine()["loadavg_1_5_15"]
    runs = result["runs"]
    first, last = (min(runs), max(runs)) if runs else (None, None)
    p1, pn = _dig(runs.get(first, {}), ("ask", "p95_ms")), _dig(runs.get(last, {}), ("ask", "p95_ms"))
    i1, i_n = _dig(runs.get(first, {}), ("ingest_passages_per_s",)), _dig(runs.get(last, {}), ("ingest_passages_per_s",))
    if p1 and pn and first != last:
        result["goal"] = {"largest": last, "ratio": pn / p1, "met": pn <= 2 * p1,
                          "ingest_ratio": (i_n / i1) if i1 and i_n else None}
    print(report(result))
    path = write_json("bench_scale_server.json" if args.chroma_url else "bench_scale.json", result)
    print(f"\nwrote {path.relative_to(ROOT)}")
    return 0 if all(not r.get("error") for r in runs.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
