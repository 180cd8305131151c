"""Web UI: cold start to a usable page, and answer latency in the browser against the API and the CLI path.

    make ui-bench
    .venv/bin/python bench/ui_latency.py --asks 20 --cold-starts 3

What it does, in a temporary folder (never `.tutor/` or `corpus/`):

1. copies `corpus/*.md` and builds the index with `tutor ingest` (TUTOR_HOME, TUTOR_CORPUS), then
   copies that home once more for the in-process Tutor (two processes never share one embedded Chroma);
2. cold start, `--cold-starts` times: launches headless Debian chromium first (the learner's browser is
   already open), then starts `python app.py --port P` and takes the wall time from the spawn until
   the first HTTP 200 and until the page shows the question box ready (`#question textarea` visible and
   enabled: the Gradio app has mounted), and the server's CPU time (user+sys) until then, which moves less
   with other load than the wall time. On the last start it asks one question at once, which gives
   "first answer after start" (`tutor serve` checks the corpus behind the page and loads the model once the
   first browser has loaded it, so the answer pays for the model load);
3. answer latency on that last server, after 3 warm-up asks per path, interleaved question by question
   so that every path sees the same load:
   - **browser**: click on Ask → the finished answer (`.tutor-answer.done`) is in the chat, timed in the
     page with `performance.now()` and a MutationObserver; "first words" is when the first streamed
     chunk shows. The chat is cleared ("New conversation") before each ask, so the history is empty,
     as for the CLI;
   - **API**: `gradio_client` `predict(q, "[]", api_name="/ask")` against the same server;
   - **CLI path**: `Tutor.ask(q)` in this process, what `tutor ask` runs once it has started; its query
     cache is emptied before each ask.
   The server's query-embedding cache is keyed by question text, so the browser and the API get
   different questions (alternate eval questions); each is compared with the CLI path on the same ones.

Prints the load average, a table with p50/p95 and the ratios browser/CLI and API/CLI, and writes
`bench/out/ui_latency.json`. No request may leave the machine: the browser aborts any request to
another host and the run fails if there was one. A measuring script, not a timed test.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from common import OUT, child_env, fmt, latency_summary, machine, table, write_json  # noqa: E402
from measure import forget_queries  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--no-first-run", "--disable-quic", "--disable-gpu", "--disable-default-apps", "--disable-extensions",
]
WARM_UP = ["What is IAM for?", "What does CloudFront do?", "What is a VPC?"]
FALLBACK_QUESTIONS = [
    "What is a Spot instance?", "How long are RDS automated backups kept?", "What is S3 Glacier for?",
    "What is the difference between an IAM role and a group?", "How many read replicas can RDS have?",
    "What does an Auto Scaling group do?", "What is Amazon S3?", "What is an edge location?",
]
READY_TIMEOUT_S = 120

# Click Ask and time, in the page, until the first streamed chunk and the finished answer are in the chat.
ASK_JS = """(timeoutMs) => new Promise((resolve, reject) => {
  const chat = document.querySelector('#chat');
  const count = (sel) => document.querySelectorAll(sel).length;
  const before = count('#chat .tutor-answer'), beforeDone = count('#chat .tutor-answer.done');
  let t0 = 0, first = null;
  const check = () => {
    const now = performance.now();
    if (first === null && count('#chat .tutor-answer') > before) first = now - t0;
    if (count('#chat .tutor-answer.done') > beforeDone) { obs.disconnect(); clearTimeout(timer);
      resolve({first_ms: first === null ? now - t0 : first, done_ms: now - t0}); }
    const err = document.querySelector('[data-testid=toast-body]');
    if (err) { obs.disconnect(); clearTimeout(timer); reject(new Error('the UI showed an error: ' + err.innerText)); }
  };
  const obs = new MutationObserver(check);
  obs.observe(document.body, {subtree: true, childList: true, characterData: true, attributes: true});
  const timer = setTimeout(() => { obs.disconnect(); reject(new Error('no answer in time')); }, timeoutMs);
  t0 = performance.now();
  document.querySelector('#ask-btn').click();
})"""


def questions() -> list[str]:
    """Distinct single-turn ask questions from the eval set (covered and not), in file order."""
    path = ROOT / "eval" / "questions.jsonl"
    out: list[str] = []
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            case = json.loads(line) if line.strip() else {}
            q = case.get("question")
            if case.get("kind") == "ask" and not case.get("history") and q and q not in out and q not in WARM_UP:
                out.append(q)
    return out or FALLBACK_QUESTIONS


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def loadavg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


# ---------------------------------------------------------------- the server
class Server:
    """`python app.py --port P` over the temporary home; stdout/stderr go to a log file."""

    def __init__(self, env: dict, log: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.log = log
        self._out = open(log, "wb")
        self.t0 = time.perf_counter()
        self.proc = subprocess.Popen([sys.executable, str(ROOT / "app.py"), "--port", str(self.port)], cwd=ROOT,
                                     env=env, stdout=self._out, stderr=subprocess.STDOUT)

    def wait_http(self) -> float:
        """Seconds from the spawn to the first HTTP 200 on the page's URL."""
        deadline = self.t0 + READY_TIMEOUT_S
        while time.perf_counter() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"app.py exited with {self.proc.returncode}:\n{self.tail()}")
            try:
                with urllib.request.urlopen(self.url, timeout=2) as r:
                    if r.status == 200:
                        return time.perf_counter() - self.t0
            except OSError:
                time.sleep(0.02)
        raise RuntimeError(f"no page after {READY_TIMEOUT_S} s:\n{self.tail()}")

    def cpu_seconds(self) -> float:
        """User + system CPU time of the server process so far: less sensitive to other load than wall time."""
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def tail(self) -> str:
        self._out.flush()
        return self.log.read_text(encoding="utf-8", errors="replace")[-3000:]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._out.close()


# ---------------------------------------------------------------- the browser
class Browser:
    def __init__(self, playwright):
        self.browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        self.outside: list[str] = []

    def page(self):
        context = self.browser.new_context(viewport={"width": 1280, "height": 900})
        context.route(lambda url: not url.startswith(("http://127.0.0.1", "data:", "blob:")), self._block)
        page = context.new_page()
        page.set_default_timeout(60_000)
        return page

    def _block(self, route):
        self.outside.append(route.request.url)
        route.abort()


def open_ready(page, url: str) -> None:
    page.goto(url)
    page.locator("#question textarea").wait_for(state="visible")
    page.wait_for_function("() => { const t = document.querySelector('#question textarea'); return t && !t.disabled; }")


def browser_ask(page, question: str) -> dict:
    page.locator("#ask-btn").wait_for(state="visible")
    page.locator("#question textarea").fill(question)
    try:
        return page.evaluate(ASK_JS, 60_000)
    except Exception:
        shot = OUT / "ui_latency_error.png"
        OUT.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(shot), full_page=True)
        print(f"the browser ask of {question!r} failed; the page is in {shot}", file=sys.stderr)
        raise


def new_conversation(page) -> None:
    page.locator("#new-chat").click()
    page.wait_for_function("() => document.querySelectorAll('#chat .tutor-answer').length === 0")


# ---------------------------------------------------------------- main
def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--asks", type=int, default=20, help="timed asks per path (browser, API)")
    ap.add_argument("--cold-starts", type=int, default=3, help="cold starts of app.py (the median is reported)")
    args = ap.parse_args(argv)
    if args.asks < 1 or args.cold_starts < 1:
        ap.error("--asks and --cold-starts must be at least 1")
    if not Path(CHROMIUM).exists():
        print(f"{CHROMIUM} is missing: run `make browser`", file=sys.stderr)
        return 2
    from gradio_client import Client
    from playwright.sync_api import sync_playwright

    pool = questions()
    n = min(args.asks, len(pool) // 2)
    ui_qs, api_qs = pool[0:2 * n:2], pool[1:2 * n:2]
    info = machine()
    print(f"{info['time']} · {info['cpus']} CPUs · load average {info['loadavg_1_5_15']} at start", flush=True)

    tmp = Path(tempfile.mkdtemp(prefix="ui-bench-"))
    home, corpus = tmp / "home", tmp / "corpus"
    corpus.mkdir()
    for f in sorted((ROOT / "corpus").glob("*.md")):
        shutil.copy(f, corpus / f.name)
    env = child_env()
    env.update(TUTOR_HOME=str(home), TUTOR_CORPUS=str(corpus), GRADIO_ANALYTICS_ENABLED="False",
               GRADIO_SERVER_NAME="127.0.0.1")
    env.pop("TUTOR_CHROMA_URL", None)
    servers: list[Server] = []
    result: dict = {"machine": info, "asks_per_path": n, "cold_starts": args.cold_starts}
    try:
        t = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import sys; from tutor.cli import main; sys.exit(main(['ingest']))"],
                       cwd=ROOT, env=env, check=True, capture_output=True)
        print(f"index built with `tutor ingest` in {time.perf_counter() - t:.1f} s", flush=True)
        cli_home = tmp / "home-cli"
        shutil.copytree(home, cli_home)

        with sync_playwright() as p:
            browser = Browser(p)
            # ---- cold starts
            http_s, usable_s, cpu_s, first_answer_s = [], [], [], None
            for i in range(args.cold_starts):
                page = browser.page()
                server = Server(env, tmp / f"server-{i}.log")
                servers.append(server)
                http_s.append(server.wait_http())
                open_ready(page, server.url)
                usable_s.append(time.perf_counter() - server.t0)
                cpu_s.append(server.cpu_seconds())
                load_now = loadavg()[0]
                last = i == args.cold_starts - 1
                if last:  # ask at once: the model may still be loading in the background
                    browser_ask(page, WARM_UP[0])
                    first_answer_s = time.perf_counter() - server.t0
                    break
                page.context.close()
                server.stop()
                print(f"cold start {i + 1}: page usable after {usable_s[-1]:.2f} s (server CPU {cpu_s[-1]:.2f} s, "
                      f"load {load_now})", flush=True)
            print(f"cold start {len(usable_s)}: page usable after {usable_s[-1]:.2f} s (server CPU {cpu_s[-1]:.2f} s, "
                  f"load {load_now}), first answer {first_answer_s:.2f} s after the spawn", flush=True)

            # ---- warm latency, interleaved
            from tutor.config import Settings
            from tutor.service import Tutor

            tutor = Tutor(Settings(home=cli_home, corpus=corpus))
            client = Client(server.url, verbose=False, download_files=False)
            forget = forget_queries(tutor)
            for q in WARM_UP:
                new_conversation(page)
                browser_ask(page, q)
                client.predict(q, "[]", api_name="/ask")
                tutor.ask(q)
            load_before = loadavg()
            timings: dict[str, list[float]] = {k: [] for k in ("ui_done", "ui_first", "api", "cli_ui", "cli_api")}
            refused = {"ui": 0, "api": 0}
            for qu, qa in zip(ui_qs, api_qs):
                new_conversation(page)
                r = browser_ask(page, qu)
                timings["ui_done"].append(r["done_ms"] / 1000)
                timings["ui_first"].append(r["first_ms"] / 1000)
                forget()
                t = time.perf_counter()
                refused["ui"] += tutor.ask(qu).refused
                timings["cli_ui"].append(time.perf_counter() - t)

                t = time.perf_counter()
                out = client.predict(qa, "[]", api_name="/ask")
                timings["api"].append(time.perf_counter() - t)
                refused["api"] += bool(out.get("refused"))
                forget()
                t = time.perf_counter()
                tutor.ask(qa)
                timings["cli_api"].append(time.perf_counter() - t)
            load_after = loadavg()
            client.close()
            page.context.close()
            browser.browser.close()
            if browser.outside:
                raise RuntimeError(f"requests left the machine: {browser.outside}")
    finally:
        for s in servers:
            s.stop()
        shutil.rmtree(tmp, ignore_errors=True)

    s = {k: latency_summary(v) for k, v in timings.items()}
    cold = {"http_median_s": round(statistics.median(http_s), 2),
            "usable_median_s": round(statistics.median(usable_s), 2),
            "usable_min_s": round(min(usable_s), 2), "usable_max_s": round(max(usable_s), 2),
            "usable_runs_s": [round(x, 2) for x in usable_s],
            "server_cpu_to_usable_median_s": round(statistics.median(cpu_s), 2),
            "first_answer_s": round(first_answer_s, 2)}
    result.update(cold_start=cold, latency=s, refused=refused, loadavg_timed_start=load_before,
                  loadavg_timed_end=load_after)

    def ratio(a: str, b: str, q: str) -> str:
        return fmt(s[a][q] / s[b][q], ".2f") if s[a][q] and s[b][q] else "n/a"

    print()
    print(table(["cold start of `python app.py` (s)", "median", "min", "max"], [
        ["first HTTP 200", fmt(cold["http_median_s"], ".2f"), fmt(min(http_s), ".2f"), fmt(max(http_s), ".2f")],
        ["page usable (question box ready)", fmt(cold["usable_median_s"], ".2f"), fmt(cold["usable_min_s"], ".2f"),
         fmt(cold["usable_max_s"], ".2f")],
        ["server CPU time (user+sys) until usable", fmt(statistics.median(cpu_s), ".2f"), fmt(min(cpu_s), ".2f"),
         fmt(max(cpu_s), ".2f")],
        ["first answer, asked as soon as usable", fmt(first_answer_s, ".2f"), "", ""],
    ]))
    print()
    rows = [
        ["browser: click → answer done", "ui_done", "cli_ui"],
        ["browser: click → first words", "ui_first", "cli_ui"],
        ["CLI path Tutor.ask, same questions", "cli_ui", "cli_ui"],
        ["API /ask (gradio_client)", "api", "cli_api"],
        ["CLI path Tutor.ask, same questions", "cli_api", "cli_api"],
    ]
    print(table([f"answer latency, {n} asks each (ms)", "p50", "p95", "ratio to CLI p50", "ratio to CLI p95"],
                [[label, fmt(s[k]["p50_ms"], ".1f"), fmt(s[k]["p95_ms"], ".1f"),
                  ratio(k, base, "p50_ms") if k != base else "", ratio(k, base, "p95_ms") if k != base else ""]
                 for label, k, base in rows]))
    print(f"\nrefusals among the timed questions: browser set {refused['ui']}/{n}, API set {refused['api']}/{n}")
    print(f"load average (1, 5, 15 min): {info['loadavg_1_5_15']} at start, {load_before} before the timed asks, "
          f"{load_after} after")
    bar = "PASS" if cold["usable_median_s"] <= 10 else "FAIL"
    print(f"bar: cold start to a usable page ≤ 10 s: {cold['usable_median_s']:.2f} s → {bar}")
    print(f"wrote {write_json('ui_latency.json', result)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
