"""Load: concurrent `ask` calls against the running web app's API while a quiz session writes progress.

    make load                                   # 8 clients, 120 s
    .venv/bin/python bench/load.py --seconds 30 --clients 8

The web app (tutor.ui.build_app) runs in a child process on a free loopback port, over a copy of the
corpus in a temporary home. In that same process a quiz session (tutor.start_quiz → QuizSession, as
the Quiz tab uses it) answers questions and records progress for the whole run. This process runs
N gradio_client clients calling api_name "/ask" (question, history JSON) for a bounded time, then
stops the writer and checks that every progress row it wrote is in the SQLite database.

Prints throughput, p50/p95/p99 latency, error count, progress rows written/found, and a JSON line;
exits 1 when a request failed or a progress row is missing. A load script, not a timed test.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
WRITER = "load-writer"
FALLBACK_QUESTIONS = [
    "What is a Spot instance?", "How long are RDS automated backups kept?", "What does CloudFront do?",
    "What is the difference between an IAM role and a group?", "How many read replicas can RDS have?",
    "What is S3 Glacier for?", "What does an Auto Scaling group do?", "What is a VPC?",
]


def questions() -> list[str]:
    path = ROOT / "eval" / "questions.jsonl"
    out = []
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            case = json.loads(line) if line.strip() else {}
            if case.get("kind") == "ask" and not case.get("history"):
                out.append(case["question"])
    return out or FALLBACK_QUESTIONS


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(p / 100 * len(s) + 0.5) - 1))]


# ---------------------------------------------------------------- the app process
def quiz_writer(tutor, stop: threading.Event, counts: dict) -> None:
    """Answer quiz questions until told to stop: right, wrong then 'idk', or a skip, in turn."""
    k = 0
    while not stop.is_set():
        session = tutor.start_quiz(WRITER, size=10)
        while not stop.is_set():
            item = session.next_question()
            if item is None:
                break
            style = k % 3
            k += 1
            turn = session.handle(item.reference if style == 0 else "skip" if style == 2 else "no idea, purple")
            if not turn.finished_item:
                turn = session.handle("idk")
            counts["written"] += bool(turn.finished_item)
            counts["turns"] += 1


def serve(port: int, home: Path, corpus: Path) -> None:
    os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
    from tutor.config import Settings
    from tutor.service import Tutor
    from tutor.ui import build_app, launch_options

    settings = Settings(corpus=corpus, home=home)
    tutor = Tutor(settings)
    report = tutor.ingest()
    assert not report.errors, report.errors
    tutor.ask("warm up: what is S3?")
    tutor.bank  # noqa: B018 (built once before the clock starts)
    app = build_app(tutor)
    opts = launch_options(settings)
    opts.update(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    app.launch(**opts)
    stop, counts = threading.Event(), {"written": 0, "turns": 0}
    writer = threading.Thread(target=quiz_writer, args=(tutor, stop, counts), name="quiz-writer")
    print("READY", flush=True)
    sys.stdin.readline()  # the load starts now
    writer.start()
    sys.stdin.readline()  # and is over
    stop.set()
    writer.join(timeout=60)
    print(json.dumps({"written": counts["written"], "turns": counts["turns"], "writer_alive": writer.is_alive()}),
          flush=True)
    app.close()


# ---------------------------------------------------------------- the load
def client_loop(url: str, qs: list[str], offset: int, deadline: float, lat: list, errors: list) -> None:
    from gradio_client import Client

    client = Client(url, verbose=False, download_files=False, analytics_enabled=False,
                    httpx_kwargs={"timeout": 60})
    i = offset
    while time.monotonic() < deadline:
        q = qs[i % len(qs)]
        i += 1
        t0 = time.perf_counter()
        try:
            out = client.predict(q, "[]", api_name="/ask")
            if not isinstance(out, dict) or "answer" not in out:
                raise ValueError(f"unexpected reply {str(out)[:200]}")
            lat.append(time.perf_counter() - t0)
        except Exception as e:  # counted and shown, never fatal to the run
            errors.append(f"{type(e).__name__}: {str(e)[:200]}")


def run(seconds: float, n_clients: int) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="tutor-load-"))
    corpus, home = tmp / "corpus", tmp / "home"
    corpus.mkdir()
    shutil.copy(ROOT / "corpus" / "aws-notes.md", corpus / "aws-notes.md")
    port = free_port()
    env = dict(os.environ, HF_HUB_OFFLINE="1", TOKENIZERS_PARALLELISM="false")
    env.pop("TUTOR_CHROMA_URL", None)
    child = subprocess.Popen(
        [sys.executable, __file__, "--serve", str(port), str(home), str(corpus)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT, env=env,
    )
    try:
        line = child.stdout.readline()
        if line.strip() != "READY":
            raise SystemExit(f"the app did not start (got {line!r})")
        url = f"http://127.0.0.1:{port}/"
        qs, lat, errors = questions(), [], []
        child.stdin.write("go\n")
        child.stdin.flush()
        start = time.monotonic()
        deadline = start + seconds
        threads = [threading.Thread(target=client_loop, args=(url, qs, k * 7, deadline, lat, errors), daemon=True)
                   for k in range(n_clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=max(0.0, deadline - time.monotonic()) + 90)  # bounded even if a call hangs
        stuck = sum(t.is_alive() for t in threads)
        elapsed = time.monotonic() - start
        child.stdin.write("stop\n")
        child.stdin.flush()
        writer = json.loads(child.stdout.readline())
        child.wait(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
    from tutor.progress import ProgressStore

    store = ProgressStore(home / "progress.sqlite3")  # a fresh connection: what is on disk
    found = len(store.attempts(WRITER, limit=10**9))
    store.close()
    shutil.rmtree(tmp, ignore_errors=True)
    return {
        "clients": n_clients, "seconds": round(elapsed, 1), "requests": len(lat), "errors": len(errors) + stuck,
        "throughput_rps": round(len(lat) / elapsed, 2),
        "p50_ms": round(1000 * pct(lat, 50), 1), "p95_ms": round(1000 * pct(lat, 95), 1),
        "p99_ms": round(1000 * pct(lat, 99), 1), "max_ms": round(1000 * max(lat, default=float("nan")), 1),
        "progress_written": writer["written"], "progress_found": found,
        "progress_lost": writer["written"] - found, "error_samples": sorted(set(errors))[:5],
    }


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--serve":
        serve(int(sys.argv[2]), Path(sys.argv[3]), Path(sys.argv[4]))
        return 0
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=float, default=120, help="how long the clients keep asking")
    ap.add_argument("--clients", type=int, default=8, help="concurrent gradio_client clients")
    args = ap.parse_args()
    r = run(args.seconds, args.clients)
    print(f"{r['clients']} clients, {r['seconds']} s: {r['requests']} asks, {r['throughput_rps']} asks/s, "
          f"p50 {r['p50_ms']} ms, p95 {r['p95_ms']} ms, p99 {r['p99_ms']} ms, max {r['max_ms']} ms, "
          f"errors {r['errors']}")
    print(f"progress: {r['progress_written']} attempts written during the run, {r['progress_found']} in the "
          f"database afterwards, {r['progress_lost']} lost")
    for e in r["error_samples"]:
        print(f"  error: {e}")
    print("LOAD_RESULT " + json.dumps(r))
    return 1 if r["errors"] or r["progress_lost"] else 0


if __name__ == "__main__":
    sys.exit(main())
