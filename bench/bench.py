"""`make bench`: Notes Tutor against the stock llama-index recipe on corpus/, in one run (DESIGN §4).

Each system is measured in its own child process (so peak RSS does not mix): ingest after the model
is loaded, re-ingest of unchanged notes, warm latency over the eval questions, and retrieval quality on
the eval cases with gold. Cold start is the wall clock of a further fresh child that imports, loads
the model, opens the existing index and answers one question. Results: a table on stdout and
bench/out/bench.json.

    python bench/bench.py [--passes 3] [--cold-runs 3]
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from common import ROOT, emit, fmt, machine, peak_rss_mib, run_child, table, write_json
from measure import (
    forget_queries,
    load_ask_cases,
    load_model,
    quality,
    time_asks,
    tutor_ask_fn,
    tutor_settings,
)

COLD_QUESTION = "what is the difference between spot and on demand instances?"
STOCK_COLLECTION = "stock"
STOCK_TOP_K = 5


# ====================================================================== Notes Tutor (child side)
def tutor_worker(corpus: Path, home: Path, passes: int) -> dict:
    from tutor.service import Tutor

    model_s = load_model()
    peaks = {"model_loaded": peak_rss_mib()}
    tutor = Tutor(tutor_settings(corpus, home))
    t0, c0 = time.perf_counter(), time.process_time()
    first = tutor.ingest()
    ingest_s, ingest_cpu = time.perf_counter() - t0, time.process_time() - c0
    t0 = time.perf_counter()
    again = tutor.ingest()
    reingest_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    _ = tutor.retriever  # BM25 over the stored passages: built once per process, after an ingest
    build_s = time.perf_counter() - t0
    peaks["ingested"] = peak_rss_mib()

    cases = load_ask_cases()
    qual = quality(cases, tutor_ask_fn(tutor))  # also the warm-up pass: every question once
    peaks["asked"] = peak_rss_mib()
    ask = lambda c: tutor.ask(c["question"], c.get("history") or [])  # noqa: E731
    return {
        "model_load_s": round(model_s, 3),
        "passages": first.passages,
        "ingest_s": round(ingest_s, 3),
        "ingest_cpu_s": round(ingest_cpu, 3),
        "ingest_embedded": first.embedded,
        "reingest_s": round(reingest_s, 3),
        "reingest_embedded": again.embedded,
        "retriever_build_s": round(build_s, 3),
        "ask": time_asks(cases, ask, passes, before=forget_queries(tutor)),
        "ask_repeat": time_asks(cases, ask, passes),
        "quality": qual,
        "peak_rss_mib_after": peaks,
    }


def _phases():
    marks = [("start", time.perf_counter())]

    def mark(name: str) -> dict:
        marks.append((name, time.perf_counter()))
        return {n: round(t - marks[i][1], 3) for i, (n, t) in enumerate(marks[1:])}

    return mark


def tutor_cold(corpus: Path, home: Path) -> dict:
    """What `tutor ask` does (tutor/cli.py `cmd_ask`): the question encoder loads on a thread from the start,
    overlapping the index open and the corpus check; "load_model" is what is left of it afterwards."""
    mark = _phases()
    from tutor.cli import _light_queries
    from tutor.service import Tutor

    mark("import")
    tutor = Tutor(tutor_settings(corpus, home))
    _light_queries(tutor)
    _ = tutor.store
    mark("open_index")
    report = tutor.ensure_index()  # what `tutor ask` does first; embeds nothing on an unchanged corpus
    mark("check_corpus")
    tutor.embedding._thread.join()
    mark("load_model")
    ans = tutor.ask(COLD_QUESTION)
    phases = mark("first_answer")  # includes building BM25 over the stored passages
    return {"in_process_s": round(sum(phases.values()), 3), "phases_s": phases, "embedded": report.embedded,
            "top": ans.to_dict()["passages"][0]["lines"] if ans.passages else None}


# ====================================================================== stock llama-index (child side)
def _stock_store(home: Path, create: bool):
    import chromadb
    from chromadb.config import Settings as ChromaSettings
    from llama_index.vector_stores.chroma import ChromaVectorStore

    client = chromadb.PersistentClient(path=str(home / "chroma"), settings=ChromaSettings(anonymized_telemetry=False))
    coll = client.get_or_create_collection(STOCK_COLLECTION) if create else client.get_collection(STOCK_COLLECTION)
    return ChromaVectorStore(chroma_collection=coll)


def _stock_build(corpus: Path, home: Path):
    from llama_index.core import SimpleDirectoryReader, StorageContext, VectorStoreIndex
    from llama_index.core.node_parser import SentenceSplitter
    from tutor.embedding import load_llama_embedding

    docs = SimpleDirectoryReader(str(corpus)).load_data()
    storage = StorageContext.from_defaults(vector_store=_stock_store(home, create=True))
    return VectorStoreIndex.from_documents(
        docs, storage_context=storage, embed_model=load_llama_embedding(), transformations=[SentenceSplitter()]
    )


class LineMapper:
    """Stock nodes carry char offsets (or nothing): map them back to 1-based line spans of the file."""

    def __init__(self, corpus: Path):
        self.corpus = corpus.resolve()
        self.texts: dict[str, str] = {}

    def _text(self, path: str) -> str:
        if path not in self.texts:
            self.texts[path] = Path(path).read_text(encoding="utf-8")
        return self.texts[path]

    def span(self, node) -> dict:
        path = node.metadata.get("file_path") or str(self.corpus / node.metadata["file_name"])
        text, chunk = self._text(path), node.get_content()
        a, b = node.start_char_idx, node.end_char_idx
        if a is None or b is None or text[a:b] != chunk:
            a = text.find(chunk)
            if a < 0:  # normalised whitespace: anchor on the chunk's first and last 80 characters
                a = max(text.find(chunk.strip()[:80]), 0)
                tail = chunk.strip()[-80:]
                b = text.find(tail, a) + len(tail) if text.find(tail, a) >= 0 else a + len(chunk)
            else:
                b = a + len(chunk)
        start = text.count("\n", 0, a) + 1
        end = text.count("\n", 0, max(a, b - 1)) + 1
        try:
            name = Path(path).resolve().relative_to(self.corpus).as_posix()
        except ValueError:
            name = Path(path).name
        return {"file": name, "lines": [start, end]}


def _stock_ask_fn(retriever, mapper: LineMapper):
    # The stock recipe has no notion of conversation: follow-ups are retrieved on their own words.
    def ask(q, h):
        nodes = retriever.retrieve(q)
        return {"answer": "", "refused": False, "citations": [], "passages": [mapper.span(n.node) for n in nodes]}

    return ask


def stock_worker(corpus: Path, home: Path, passes: int) -> dict:
    model_s = load_model()
    peaks = {"model_loaded": peak_rss_mib()}
    t0, c0 = time.perf_counter(), time.process_time()
    index = _stock_build(corpus, home)
    ingest_s, ingest_cpu = time.perf_counter() - t0, time.process_time() - c0
    peaks["ingested"] = peak_rss_mib()
    retriever = index.as_retriever(similarity_top_k=STOCK_TOP_K)
    n_nodes = index.vector_store._collection.count()  # noqa: SLF001 - the count is only on the collection

    cases = load_ask_cases()
    qual = quality(cases, _stock_ask_fn(retriever, LineMapper(corpus)))  # warm-up pass
    peaks["asked"] = peak_rss_mib()
    return {
        "model_load_s": round(model_s, 3),
        "passages": n_nodes,
        "ingest_s": round(ingest_s, 3),
        "ingest_cpu_s": round(ingest_cpu, 3),
        "ingest_embedded": n_nodes,
        "reingest_s": None,  # from_documents has no change detection: a rerun re-embeds everything
        "reingest_embedded": None,
        "ask": time_asks(cases, lambda c: retriever.retrieve(c["question"]), passes),
        "quality": qual,
        "peak_rss_mib_after": peaks,
    }


def stock_cold(corpus: Path, home: Path) -> dict:
    mark = _phases()
    from llama_index.core import VectorStoreIndex
    from tutor.embedding import load_llama_embedding

    mark("import")
    store = _stock_store(home, create=False)
    mark("open_index")
    embed = load_llama_embedding()
    mark("load_model")
    index = VectorStoreIndex.from_vector_store(store, embed_model=embed)
    nodes = index.as_retriever(similarity_top_k=STOCK_TOP_K).retrieve(COLD_QUESTION)
    phases = mark("first_answer")
    return {"in_process_s": round(sum(phases.values()), 3), "phases_s": phases,
            "top": LineMapper(corpus).span(nodes[0].node)["lines"]}


WORKERS = {"tutor": tutor_worker, "stock": stock_worker}
COLD = {"tutor": tutor_cold, "stock": stock_cold}


# ====================================================================== parent: run, compare, report
def measure_system(name: str, corpus: Path, home: Path, passes: int, cold_runs: int) -> dict:
    script = str(Path(__file__).resolve())
    print(f"[bench] {name}: ingest, quality, warm latency ...", file=sys.stderr, flush=True)
    res, wall, err = run_child([script, "--worker", name, "--corpus", str(corpus), "--home", str(home),
                                "--passes", str(passes)])
    if res is None:
        return {"error": err}
    res["worker_wall_s"] = round(wall, 2)
    colds = []
    for i in range(cold_runs):
        print(f"[bench] {name}: cold start {i + 1}/{cold_runs} ...", file=sys.stderr, flush=True)
        got, wall, err = run_child([script, "--cold", name, "--corpus", str(corpus), "--home", str(home)])
        if got is None:
            res["cold_error"] = err
            break
        colds.append({**got, "wall_s": round(wall, 3)})
    if colds:
        walls = sorted(c["wall_s"] for c in colds)
        median = sorted(colds, key=lambda c: c["wall_s"])[len(colds) // 2]
        res["cold"] = {"runs": colds, "median_wall_s": median["wall_s"], "best_wall_s": walls[0],
                       "median_phases_s": {"interpreter_start_and_exit": round(median["wall_s"] - median["in_process_s"], 3),
                                           **median["phases_s"]},
                       "peak_rss_mib": max(c["peak_rss_mib"] for c in colds)}
    return res


def _get(d: dict, *path):
    for k in path:
        if not isinstance(d, dict) or d.get(k) is None:
            return None
        d = d[k]
    return d


ROWS = [  # label, path into a system's result, format, lower is better
    ("ingest after model load (s)", ("ingest_s",), ".2f"),
    ("ingest CPU time (s, all threads)", ("ingest_cpu_s",), ".2f"),
    ("passages / chunks indexed", ("passages",), "d"),
    ("re-ingest unchanged (s)", ("reingest_s",), ".3f"),
    ("re-ingest: passages embedded", ("reingest_embedded",), "d"),
    ("warm ask p50 (ms)", ("ask", "p50_ms"), ".1f"),
    ("warm ask p95 (ms)", ("ask", "p95_ms"), ".1f"),
    ("warm ask CPU time p50 (ms)", ("ask", "cpu_p50_ms"), ".1f"),
    ("warm ask CPU time p95 (ms)", ("ask", "cpu_p95_ms"), ".1f"),
    ("repeat-question ask p95 (ms)", ("ask_repeat", "p95_ms"), ".1f"),
    ("cold start, median wall (s)", ("cold", "median_wall_s"), ".2f"),
    ("  cold: python start + exit (s)", ("cold", "median_phases_s", "interpreter_start_and_exit"), ".2f"),
    ("  cold: imports (s)", ("cold", "median_phases_s", "import"), ".2f"),
    ("  cold: open index (s)", ("cold", "median_phases_s", "open_index"), ".2f"),
    ("  cold: load model (s)", ("cold", "median_phases_s", "load_model"), ".2f"),
    ("  cold: first answer (s)", ("cold", "median_phases_s", "first_answer"), ".2f"),
    ("peak RSS, ingest+eval child (MiB)", ("peak_rss_mib",), ".0f"),
    ("  peak RSS after model load (MiB)", ("peak_rss_mib_after", "model_loaded"), ".0f"),
    ("  peak RSS after ingest (MiB)", ("peak_rss_mib_after", "ingested"), ".0f"),
    ("peak RSS, cold-start child (MiB)", ("cold", "peak_rss_mib"), ".0f"),
    ("model load in child (s)", ("model_load_s",), ".2f"),
]
QUALITY_KEYS = [("hit@1", ".3f"), ("hit@5", ".3f"), ("mrr", ".3f")]


def comparison_rows(tutor: dict, stock: dict) -> list[list[str]]:
    rows = []

    def add(label, a, b, spec):
        ratio = fmt(a / b, ".2f") if isinstance(a, (int, float)) and isinstance(b, (int, float)) and b else "n/a"
        rows.append([label, fmt(a, spec), fmt(b, spec), ratio])

    for label, path, spec in ROWS:
        add(label, _get(tutor, *path), _get(stock, *path), spec)
    for split in ("dev", "test", "all"):
        for key, spec in QUALITY_KEYS:
            path = ("quality", key) if split == "all" else ("quality", "splits", split, key)
            add(f"{key} ({split})", _get(tutor, *path), _get(stock, *path), spec)
    add("mean span, top-1 passage (lines)", _get(tutor, "quality", "mean_span_top1_lines"),
        _get(stock, "quality", "mean_span_top1_lines"), ".1f")
    add("mean span, top-5 passages (lines)", _get(tutor, "quality", "mean_span_top5_lines"),
        _get(stock, "quality", "mean_span_top5_lines"), ".1f")
    return rows


SPAN_BAR_LINES = 10  # "passages of a few lines, not whole sections": our reading of DESIGN §4


def bar_checks(t: dict) -> list[tuple[str, str, object, bool | None]]:
    """(bar, measured on, value, pass) for the DESIGN §4 bars this bench can see, on Notes Tutor."""
    q = t.get("quality", {})

    def check(v, ok):
        return None if v is None else bool(ok(v))

    items = [
        ("hit@1 ≥ 0.95 (all gold cases)", q.get("hit@1"), lambda v: v >= 0.95),
        ("hit@5 ≥ 0.99 (all gold cases)", q.get("hit@5"), lambda v: v >= 0.99),
        (f"passages of a few lines: mean top-5 span ≤ {SPAN_BAR_LINES}", q.get("mean_span_top5_lines"),
         lambda v: v <= SPAN_BAR_LINES),
        ("answer accuracy ≥ 0.90", q.get("answer_accuracy"), lambda v: v >= 0.90),
        ("mean answer ≤ 60 words", q.get("mean_answer_words"), lambda v: v <= 60),
        ("refusals ≥ 0.90 of uncovered", q.get("refusal_accuracy"), lambda v: v >= 0.90),
        ("false refusals ≤ 0.05", q.get("false_refusal_rate"), lambda v: v <= 0.05),
        ("warm ask p95 ≤ 50 ms", _get(t, "ask", "p95_ms"), lambda v: v <= 50),
        ("cold start to first answer ≤ 5 s", _get(t, "cold", "median_wall_s"), lambda v: v <= 5),
        ("ingest of the notes ≤ 5 s after model load", t.get("ingest_s"), lambda v: v <= 5),
        ("re-ingest of unchanged notes embeds nothing", t.get("reingest_embedded"), lambda v: v == 0),
        ("peak RSS ≤ 1 GiB (ingest+eval child; the UI is not started)", t.get("peak_rss_mib"), lambda v: v <= 1024),
    ]
    return [(label, v, check(v, ok)) for label, v, ok in items]


def report(result: dict) -> str:
    t, s = result["systems"]["tutor"], result["systems"]["stock"]
    out = [f"Notes Tutor vs stock llama-index on {result['corpus']} "
           f"({result['cases']} ask cases, {result['gold_cases']} with gold; {result['passes']} timed passes)",
           f"machine: {result['machine']['cpus']} CPUs, load average at start {result['machine']['loadavg_1_5_15']}", ""]
    for name, r in (("tutor", t), ("stock", s)):
        for key in ("error", "cold_error"):
            if r.get(key):
                out.append(f"!! {name} {key}: {r[key]}")
    out.append(table(["metric", "Notes Tutor", "stock llama-index", "ratio tutor/stock"], comparison_rows(t, s)))
    out += ["", "DESIGN §4 bars (Notes Tutor):"]
    rows = [[label, fmt(v, ".3f") if isinstance(v, float) else fmt(v, "d"), "n/a" if ok is None else ("PASS" if ok else "FAIL")]
            for label, v, ok in result["bars"]]
    out.append(table(["bar", "measured", "result"], rows))
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", type=Path, default=ROOT / "corpus")
    ap.add_argument("--home", type=Path, help="(child) index folder")
    ap.add_argument("--passes", type=int, default=3, help="timed passes over the eval questions")
    ap.add_argument("--cold-runs", type=int, default=3, help="fresh processes timed for cold start")
    ap.add_argument("--worker", choices=sorted(WORKERS), help=argparse.SUPPRESS)
    ap.add_argument("--cold", choices=sorted(COLD), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    corpus = args.corpus.resolve()
    if args.worker:
        emit(WORKERS[args.worker](corpus, args.home, args.passes))
        return 0
    if args.cold:
        emit(COLD[args.cold](corpus, args.home))
        if args.cold == "tutor":  # like `tutor ask` after a read-only run: no interpreter teardown
            sys.stderr.flush()
            os._exit(0)
        return 0

    cases = load_ask_cases()
    result = {"corpus": str(corpus.relative_to(ROOT) if corpus.is_relative_to(ROOT) else corpus),
              "cases": len(cases), "gold_cases": sum(1 for c in cases if c.get("gold")),
              "passes": args.passes, "machine": machine(), "systems": {}}
    tmp = Path(tempfile.mkdtemp(prefix="tutor-bench-"))
    try:
        for name in ("tutor", "stock"):
            result["systems"][name] = measure_system(name, corpus, tmp / name, args.passes, args.cold_runs)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    result["machine"]["loadavg_at_end"] = machine()["loadavg_1_5_15"]
    result["bars"] = bar_checks(result["systems"]["tutor"])
    print(report(result))
    path = write_json("bench.json", result)
    print(f"\nwrote {path.relative_to(ROOT)}")
    return 0 if all(not r.get("error") for r in result["systems"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
