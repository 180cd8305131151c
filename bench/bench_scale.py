"""`make bench-scale`: Notes Tutor on corpora of about 1×, 10× and 100× the AWS notes' passages.

Each corpus is corpus/*.md (so the eval questions still apply) plus notes from bench/gen_notes.py
(fixed seed) until it holds factor × the real corpus's passages. Two phases:

1. Per size, one child process: ingest (passages/s, CPU ms per passage, split into embedding the
   passages, embedding their units (sentences, items, cells) and the rest), the retriever build (BM25,
   rerank terms, the units' vectors read back), hit@1/hit@5 on the eval questions, peak RSS.
2. One child process opens all the sizes' indexes (one shared model) and times warm `ask`s
   interleaved: each eval question is asked at every size back to back, in rotating order, so the
   sizes share whatever load the machine has at that moment. It reports, per size, ask p50/p95 and
   CPU time, a per-stage breakdown (query embedding, Chroma query, BM25, fusion+support, answer
   composition) and the paired ratio ask(n×)/ask(1×) for the same question asked a moment apart.

Results: tables on stdout and bench/out/bench_scale.json (bench_scale_server.json with a server).

    python bench/bench_scale.py [--factors 1,10,100] [--passes 2] [--chroma-url http://host:8000]
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from pathlib import Path

from common import ROOT, emit, fmt, latency_summary, machine, pct, run_child, table, write_json
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


# ---------------------------------------------------------------- phase 1 child: ingest one size
def ingest_worker(corpus: Path, home: Path, chroma_url: str | None, collection: str | None) -> dict:
    from tutor.service import Tutor

    model_s = load_model()
    tutor = Tutor(tutor_settings(corpus, home, chroma_url, collection))
    store = tutor.store
    embed_s, units_s, in_units = [0.0], [0.0], [False]
    inner, inner_units = store.embed, store._keep_units

    def embed(texts):  # passages and, inside _keep_units, their units: timed apart
        t0 = time.perf_counter()
        try:
            return inner(texts)
        finally:
            (units_s if in_units[0] else embed_s)[0] += time.perf_counter() - t0

    def keep_units(*a, **k):
        in_units[0] = True
        try:
            return inner_units(*a, **k)
        finally:
            in_units[0] = False

    store.embed, store._keep_units = embed, keep_units
    load0 = os.getloadavg()[0]
    t0, c0 = time.perf_counter(), time.process_time()
    rep = tutor.ingest()
    ingest_s, ingest_cpu = time.perf_counter() - t0, time.process_time() - c0
    load1 = os.getloadavg()[0]
    t0 = time.perf_counter()
    _ = tutor.retriever
    build_s = time.perf_counter() - t0
    qual = quality(load_ask_cases(), tutor_ask_fn(tutor))
    return {
        "model_load_s": round(model_s, 2),
        "passages": rep.passages,
        "embedded": rep.embedded,
        "units_embedded": rep.units_embedded,
        "errors": rep.errors,
        "ingest_s": round(ingest_s, 2),
        "ingest_cpu_s": round(ingest_cpu, 2),
        "ingest_cpu_ms_per_passage": round(1000 * ingest_cpu / rep.embedded, 1) if rep.embedded else None,
        "ingest_embed_s": round(embed_s[0], 2),
        "ingest_units_embed_s": round(units_s[0], 2),
        "ingest_other_s": round(ingest_s - embed_s[0] - units_s[0], 2),
        "ingest_passages_per_s": round(rep.embedded / ingest_s, 1) if ingest_s else None,
        "embed_passages_per_s": round(rep.embedded / embed_s[0], 1) if embed_s[0] else None,
        "embed_units_per_s": round(rep.units_embedded / units_s[0], 1) if units_s[0] else None,
        "ingest_loadavg_1min": f"{load0:.1f} → {load1:.1f}",
        "retriever_build_s": round(build_s, 3),
        "retriever_units_embedded": tutor.retriever.units_embedded,
        "hit@1": qual["hit@1"],
        "hit@5": qual["hit@5"],
        "mrr": qual["mrr"],
        "answer_accuracy": qual["answer_accuracy"],
    }


# ---------------------------------------------------------------- phase 2 child: interleaved asks
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
    # questions are embedded through the retriever's vector cache (the notes' units never are, per question)
    r.vectors.embed = clock.wrap("embed_query", r.vectors.embed)
    r.dense_search = clock.wrap("dense", r.dense_search)
    r.bm25.search = clock.wrap("bm25", r.bm25.search)
    r.retrieve = clock.wrap("retrieve", r.retrieve)


def timing_worker(sizes: list[dict], passes: int, chroma_url: str | None) -> dict:
    """sizes: [{factor, corpus, home, collection}]. Every question is asked at each size in turn."""
    from tutor.service import Tutor

    load_model()
    cases = load_ask_cases()
    tutors, clocks, forgets = {}, {}, {}
    for s in sizes:
        t = Tutor(tutor_settings(Path(s["corpus"]), Path(s["home"]), chroma_url, s.get("collection")))
        for c in cases[:20]:  # warm-up: retriever build, Chroma caches, code paths
            t.ask(c["question"], c.get("history") or [])
        clocks[s["factor"]] = StageClock()
        _instrument(t, clocks[s["factor"]])
        tutors[s["factor"]], forgets[s["factor"]] = t, forget_queries(t)
    order = list(tutors)
    wall: dict = defaultdict(list)
    cpu: dict = defaultdict(list)
    stages: dict = defaultdict(lambda: defaultdict(list))
    load0 = os.getloadavg()[0]
    for p in range(passes):
        for i, c in enumerate(cases):
            k = (i + p) % len(order)
            for f in order[k:] + order[:k]:  # rotate who goes first
                tutor, clock = tutors[f], clocks[f]
                forgets[f]()  # every timed ask embeds its question, as a new question would
                clock.now.clear()
                t0, c0 = time.perf_counter(), time.process_time()
                tutor.ask(c["question"], c.get("history") or [])
                wall[f].append(time.perf_counter() - t0)
                cpu[f].append(time.process_time() - c0)
                n, st = clock.now, stages[f]
                st["embed_query"].append(n["embed_query"])
                st["dense"].append(n["dense"])
                st["bm25"].append(n["bm25"])
                st["fuse_support"].append(n["retrieve"] - n["embed_query"] - n["dense"] - n["bm25"])
                st["compose"].append(wall[f][-1] - n["retrieve"])
                st["ask_minus_embed"].append(wall[f][-1] - n["embed_query"])
    load1 = os.getloadavg()[0]
    base = order[0]
    out = {}
    for f in order:
        ratios = [a / b for a, b in zip(wall[f], wall[base]) if b > 0]
        out[str(f)] = {
            "ask": latency_summary(wall[f]),
            "ask_cpu": latency_summary(cpu[f]),
            "stages": {s: latency_summary(stages[f][s]) for s in (*STAGES, "ask_minus_embed")},
            "paired_ratio_vs_first": {"median": round(statistics.median(ratios), 3),
                                      "p95": round(pct(ratios, 95), 3)} if ratios else None,
        }
    return {"per_size": out, "timing_loadavg_1min": f"{load0:.1f} → {load1:.1f}", "asks_per_size": len(wall[base])}


# ---------------------------------------------------------------- parent
ROWS = [
    ("passages indexed", ("passages",), "d"),
    ("generated files", ("corpus", "generated_files"), "d"),
    ("corpus size (MB)", ("corpus", "mb"), ".1f"),
    ("units (sentences, items, cells) embedded at ingest", ("units_embedded",), "d"),
    ("ingest (s)", ("ingest_s",), ".1f"),
    ("ingest passages/s (all of the ingest's time)", ("ingest_passages_per_s",), ".1f"),
    ("  embedding passages/s", ("embed_passages_per_s",), ".1f"),
    ("  unit embedding time (s)", ("ingest_units_embed_s",), ".1f"),
    ("  embedding units/s", ("embed_units_per_s",), ".1f"),
    ("  non-embedding ingest time (s)", ("ingest_other_s",), ".2f"),
    ("ingest CPU ms per passage (all threads)", ("ingest_cpu_ms_per_passage",), ".1f"),
    ("load average (1 min) during ingest", ("ingest_loadavg_1min",), "s"),
    ("retriever build (BM25, unit vectors read) (s)", ("retriever_build_s",), ".2f"),
    ("every passage has unit vectors", ("retriever_units_embedded",), "s"),
    ("peak RSS, ingest+eval child (MiB)", ("peak_rss_mib",), ".0f"),
    ("hit@1 (eval, all gold)", ("hit@1",), ".3f"),
    ("hit@5 (eval, all gold)", ("hit@5",), ".3f"),
    ("ask p50 (ms)", ("timing", "ask", "p50_ms"), ".1f"),
    ("ask p95 (ms)", ("timing", "ask", "p95_ms"), ".1f"),
    ("ask CPU p50 / p95 (ms, all threads)", ("timing", "ask_cpu"), "stage"),
    ("ask without query embedding p50 / p95 (ms)", ("timing", "stages", "ask_minus_embed"), "stage"),
    *[(f"  {s} p50 / p95 (ms)", ("timing", "stages", s), "stage") for s in STAGES],
    ("paired ask time / 1× ask time, median / p95", ("timing", "paired_ratio_vs_first"), "ratio"),
]


def report(result: dict) -> str:
    runs = result["runs"]
    heads = [f"{f}×" for f in runs]
    body = []
    for label, path, spec in ROWS:
        cells = []
        for f in runs:
            v = _dig(runs[f], path)
            if spec == "stage":
                cells.append("n/a" if v is None else f"{fmt(v['p50_ms'], '.1f')} / {fmt(v['p95_ms'], '.1f')}")
            elif spec == "ratio":
                cells.append("n/a" if v is None else f"{fmt(v['median'], '.2f')} / {fmt(v['p95'], '.2f')}")
            else:
                cells.append(fmt(v, spec))
        body.append([label, *cells])
    m = result["machine"]
    out = [f"Notes Tutor at scale ({result['store']}; asks interleaved across sizes, {result['passes']} timed passes "
           f"over {result['cases']} eval questions)",
           f"machine: {m['cpus']} CPUs, load average (1/5/15 min) at start {m['loadavg_1_5_15']}, "
           f"at end {m.get('loadavg_at_end')}; during the timed asks (1 min) {result.get('timing_loadavg_1min')}", ""]
    out += [f"!! {f}×: {r['error']}" for f, r in runs.items() if r.get("error")]
    if result.get("timing_error"):
        out.append(f"!! timing: {result['timing_error']}")
    out.append(table(["metric", *heads], body))
    goal = result.get("goal")
    if goal:
        out += ["", f"goal: ask p95 at {goal['largest']}× ≤ 2 × the 1× figure: {fmt(goal['ratio'], '.2f')}× "
                    f"→ {'MET' if goal['met'] else 'NOT MET'}",
                f"      ask p95 without query embedding {goal['largest']}× / 1×: {fmt(goal.get('ratio_without_embed'), '.2f')}; "
                f"ask CPU p95 {goal['largest']}× / 1×: {fmt(goal.get('cpu_ratio'), '.2f')}",
                f"      ingest passages/s {goal['largest']}× / 1×: {fmt(goal['ingest_ratio'], '.2f')}; "
                f"ingest CPU per passage {goal['largest']}× / 1×: {fmt(goal.get('ingest_cpu_ratio'), '.2f')}"]
    return "\n".join(out)


def _dig(d, path):
    for k in path:
        if not isinstance(d, dict) or d.get(k) is None:
            return None
        d = d[k]
    return d


def _ratio(a, b):
    return (a / b) if a and b else None


def _drop_collection(chroma_url: str, name: str) -> None:
    try:
        import chromadb
        from urllib.parse import urlparse

        u = urlparse(chroma_url)
        chromadb.HttpClient(host=u.hostname or "127.0.0.1", port=u.port or 8000).delete_collection(name)
    except Exception as e:  # a leftover collection on a server is worth a line, not a crash
        print(f"could not delete collection {name}: {e}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--factors", default="1,10,100", help="corpus sizes as multiples of corpus/ (comma-separated)")
    ap.add_argument("--passes", type=int, default=2, help="timed passes over the eval questions")
    ap.add_argument("--chroma-url", default=os.environ.get("TUTOR_CHROMA_URL"), help="use this Chroma server")
    ap.add_argument("--seed", type=int, default=SEED)
    ap.add_argument("--worker", choices=["ingest", "timing"], help=argparse.SUPPRESS)
    ap.add_argument("--corpus", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--home", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--collection", help=argparse.SUPPRESS)
    ap.add_argument("--sizes", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    url = args.chroma_url or None
    if args.worker == "ingest":
        emit(ingest_worker(args.corpus, args.home, url, args.collection))
        return 0
    if args.worker == "timing":
        emit(timing_worker(json.loads(args.sizes), args.passes, url))
        return 0

    factors = [float(f) if "." in f else int(f) for f in args.factors.split(",") if f.strip()]
    result = {"store": f"Chroma server {url}" if url else "embedded Chroma",
              "passes": args.passes, "cases": len(load_ask_cases()), "seed": args.seed,
              "machine": machine(), "runs": {}}
    tmp = Path(tempfile.mkdtemp(prefix="tutor-scale-"))
    me = str(Path(__file__).resolve())
    sizes, collections = [], []
    try:
        for f in factors:  # phase 1: ingest each size in its own process
            corpus, home = tmp / f"corpus-{f}x", tmp / f"home-{f}x"
            info = build_corpus(corpus, f, args.seed)
            info["mb"] = info["bytes"] / 1e6
            print(f"[bench-scale] {f}×: {info['passages_parsed']} passages in {info['generated_files']} generated "
                  f"files + corpus/; ingesting ...", file=sys.stderr, flush=True)
            cmd = [me, "--worker", "ingest", "--corpus", str(corpus), "--home", str(home)]
            collection = None
            if url:
                collection = f"bench_scale_{uuid.uuid4().hex[:8]}"
                collections.append(collection)
                cmd += ["--chroma-url", url, "--collection", collection]
            res, wall, err = run_child(cmd, timeout=3 * 3600)
            res = res or {"error": err}
            res["corpus"], res["wall_s"] = info, round(wall, 1)
            result["runs"][f] = res
            print(f"[bench-scale] {f}×: ingest done in {wall:.0f} s: {res.get('ingest_passages_per_s')} passages/s, "
                  f"hit@1 {res.get('hit@1')}, load {res.get('ingest_loadavg_1min')}"
                  + (f", ERROR {res['error'][-800:]}" if res.get("error") else ""), file=sys.stderr, flush=True)
            if not res.get("error"):
                sizes.append({"factor": f, "corpus": str(corpus), "home": str(home), "collection": collection})
        if sizes:  # phase 2: all sizes' asks interleaved in one process
            print(f"[bench-scale] timing {len(sizes)} sizes interleaved ...", file=sys.stderr, flush=True)
            cmd = [me, "--worker", "timing", "--sizes", json.dumps(sizes), "--passes", str(args.passes)]
            if url:
                cmd += ["--chroma-url", url]
            res, wall, err = run_child(cmd, timeout=3 * 3600)
            if res:
                for f in factors:
                    if str(f) in res["per_size"]:
                        result["runs"][f]["timing"] = res["per_size"][str(f)]
                result["timing_loadavg_1min"] = res["timing_loadavg_1min"]
                result["timing_peak_rss_mib"] = res["peak_rss_mib"]
                result["timing_wall_s"] = round(wall, 1)
            else:
                result["timing_error"] = err
    finally:
        for c in collections:
            _drop_collection(url, c)
        shutil.rmtree(tmp, ignore_errors=True)
    result["machine"]["loadavg_at_end"] = machine()["loadavg_1_5_15"]
    runs = result["runs"]
    first, last = (min(runs), max(runs)) if runs else (None, None)
    a, b = runs.get(first, {}), runs.get(last, {})
    p1, pn = _dig(a, ("timing", "ask", "p95_ms")), _dig(b, ("timing", "ask", "p95_ms"))
    if p1 and pn and first != last:
        result["goal"] = {
            "largest": last, "ratio": pn / p1, "met": pn <= 2 * p1,
            "ratio_without_embed": _ratio(_dig(b, ("timing", "stages", "ask_minus_embed", "p95_ms")),
                                          _dig(a, ("timing", "stages", "ask_minus_embed", "p95_ms"))),
            "cpu_ratio": _ratio(_dig(b, ("timing", "ask_cpu", "p95_ms")), _dig(a, ("timing", "ask_cpu", "p95_ms"))),
            "ingest_ratio": _ratio(b.get("ingest_passages_per_s"), a.get("ingest_passages_per_s")),
            "ingest_cpu_ratio": _ratio(b.get("ingest_cpu_ms_per_passage"), a.get("ingest_cpu_ms_per_passage")),
        }
    path = write_json("bench_scale_server.json" if url else "bench_scale.json", result)  # before the report
    print(report(result))
    print(f"\nwrote {path.relative_to(ROOT)}")
    ok = all(not r.get("error") for r in runs.values()) and not result.get("timing_error")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
