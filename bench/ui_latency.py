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

4. memory of the web server (the design's bar: peak RSS ≤ 1 GiB for the web UI with the AWS notes): VmHWM
   (the kernel's peak resident set of the process) and VmRSS of the `python app.py` process, read from
   /proc/PID/status, and the same for every process it spawned (found through /proc/PID/task/*/children;
   a sampler thread also sums VmRSS over the tree every 0.1 s), at these stages of the last server:
   a. page usable after the cold start, then the first answer;
   b. the background corpus check and the warm-up finished (the server's CPU has gone quiet);
   c. after the latency run;
   d. after a learner's other steps in the browser: a 3-question quiz (answer, hint, "I don't know", Why?),
      a grade with the reference found in the notes, the Progress tab, a notes upload and a question on it;
   e. after a practice question with 4 options pasted on the Ask tab (the tutor names an option).
   Then a last server over notes that were never indexed (`tutor serve` indexes them behind the page):
   page usable, indexing finished (the Notes tab reports the ingest), first answer and warm-up finished,
   the latency run's questions again (API, untimed), then the same learner steps (d, e).
   The peak reported is the largest over all servers of the server's VmHWM plus its children's peaks.

Prints the load average, a table with p50/p95 and the ratios browser/CLI and API/CLI, the memory table and
"web UI peak RSS: N MiB (bar 1024 MiB)", and writes `bench/out/ui_latency.json` (memory under "memory").
No request may leave the machine: the browser aborts any request to another host and the run fails if
there was one. A measuring script, not a timed test.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
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


# ---------------------------------------------------------------- the server's memory
def _status_mib(pid: int) -> dict | None:
    """VmHWM (peak resident set so far) and VmRSS (now) of one process, in MiB, from /proc/PID/status."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:  # gone
        return None
    kib = {k: int(v.split()[0]) for k, v in re.findall(r"^(VmHWM|VmRSS):\s*(.+)$", text, re.M)}
    if "VmRSS" not in kib:  # a zombie has no memory lines
        return None
    return {"hwm_mib": round(kib.get("VmHWM", 0) / 1024, 1), "rss_mib": round(kib["VmRSS"] / 1024, 1)}


def descendants(pid: int) -> list[int]:
    """All processes below pid (children of every thread, recursively), from /proc/PID/task/TID/children."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        for task in Path(f"/proc/{p}/task").glob("*"):
            try:
                kids = [int(k) for k in (task / "children").read_text().split()]
            except OSError:
                continue
            out += kids
            todo += kids
    return out


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()[:120]
    except OSError:
        return "?"


class MemoryWatch:
    """The server's memory: its own VmHWM (the kernel's exact peak) and VmRSS, and those of any process it
    spawned, read at named stages; a sampler thread also sums VmRSS over the whole process tree every
    SAMPLE_S, which catches a peak that the server and its children reach together (VmHWM is per process).
    Children seen at any time are kept with the largest VmHWM read from them, even after they exit."""

    SAMPLE_S = 0.1

    def __init__(self, server: "Server", label: str):
        self.server, self.label = server, label
        self.stages: list[dict] = []
        self.children: dict[int, dict] = {}
        self.tree_peak_mib = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, name="rss-sampler", daemon=True)
        self._thread.start()

    def _read(self) -> tuple[dict | None, list[dict]]:
        main = _status_mib(self.server.proc.pid)
        kids = []
        for pid in descendants(self.server.proc.pid):
            m = _status_mib(pid)
            if m is None:
                continue
            seen = self.children.setdefault(pid, {"pid": pid, "cmd": _cmdline(pid), "hwm_mib": 0.0})
            seen["hwm_mib"] = max(seen["hwm_mib"], m["hwm_mib"])
            kids.append({"pid": pid, **m})
        if main is not None:
            self.tree_peak_mib = max(self.tree_peak_mib, main["rss_mib"] + sum(k["rss_mib"] for k in kids))
        return main, kids

    def _sample(self):
        while not self._stop.wait(self.SAMPLE_S):
            if self.server.proc.poll() is not None:
                return
            self._read()

    def stage(self, name: str, **extra) -> dict:
        main, kids = self._read()
        if main is None:
            raise RuntimeError(f"the server is gone at stage {name!r}:\n{self.server.tail()}")
        row = {"stage": name, "server_hwm_mib": main["hwm_mib"], "server_rss_mib": main["rss_mib"],
               "children_now": len(kids), "children_rss_mib": round(sum(k["rss_mib"] for k in kids), 1),
               "children_hwm_sum_mib": round(sum(c["hwm_mib"] for c in self.children.values()), 1),
               "tree_rss_sampled_peak_mib": round(self.tree_peak_mib, 1),
               "server_cpu_s": round(self.server.cpu_seconds(), 2),
               "seconds_since_spawn": round(time.perf_counter() - self.server.t0, 2), "load_1min": loadavg()[0],
               **extra}
        # the peak of the server with everything it spawned: its own exact peak plus each child's peak (an upper
        # bound when they did not peak together), never below the sampled sum
        row["peak_mib"] = round(max(main["hwm_mib"] + row["children_hwm_sum_mib"], self.tree_peak_mib), 1)
        self.stages.append(row)
        kids_note = (f", {len(self.children)} child process(es), their peaks summed "
                     f"{row['children_hwm_sum_mib']:.0f} MiB"
                     if self.children else ", no child processes")
        print(f"  memory [{self.label}] {name}: server VmHWM {main['hwm_mib']:.0f} MiB, VmRSS {main['rss_mib']:.0f} MiB"
              f"{kids_note} (load {row['load_1min']})", flush=True)
        return row

    def close(self) -> dict:
        self._stop.set()
        self._thread.join(2)
        return {"label": self.label, "stages": self.stages, "children": list(self.children.values()),
                "peak_mib": max((r["peak_mib"] for r in self.stages), default=None)}


def wait_quiet(server: "Server", window_s: float = 1.0, max_share: float = 0.05, timeout_s: float = 60) -> float:
    """Wait until the server uses under max_share of a core over window_s (its background work is done);
    → seconds waited. A heuristic, used only to read memory after the warm-up thread has finished."""
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < timeout_s:
        c0 = server.cpu_seconds()
        time.sleep(window_s)
        if server.cpu_seconds() - c0 <= max_share * window_s:
            break
    return round(time.perf_counter() - t0, 2)


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


UPLOAD_NOTES = """# Volcanoes

- Obsidian is volcanic glass that forms when felsic lava cools very quickly.
- Pumice floats on water because its rock is full of gas bubbles.

## Eruptions
- A pyroclastic flow is a fast current of hot gas and volcanic matter, up to 700 km/h.
"""
TOAST = "[data-testid=toast-body]"


def _wait(page, condition: str, arg=None) -> None:
    """Wait for condition(arg) in the page, or for an error toast (then fail with its text at once)."""
    page.wait_for_function(f"a => ({condition})(a) || !!document.querySelector('{TOAST}')", arg=arg)
    toast = page.locator(TOAST)
    if toast.count():
        raise RuntimeError(f"the UI showed an error: {toast.first.inner_text()!r}")


def open_tab(page, name: str) -> None:
    page.get_by_role("tab", name=name).click()


def notes_status(page) -> str:
    """Open the Notes tab (its select event re-reads the index status; it waits while an ingest holds the
    Tutor's lock) and → the status once it reports a finished ingest."""
    open_tab(page, "Notes")
    _wait(page, "() => { const e = document.querySelector('#notes-status'); "
                "return e && /Last ingest: (?!not run)/.test(e.innerText); }")
    return page.locator("#notes-status").inner_text()


def learner_interactions(page, references: dict[str, str]) -> list[str]:
    """What a learner does besides asking, in the browser: a 3-question free-text quiz (a wrong answer, a hint,
    "I don't know", then two answers from the notes with "Why?"), a grade without a reference (the tutor finds
    it), the Progress tab (chart, tables, CSV), a notes upload (embeds the new file) and a question about it.
    → the steps done."""
    steps = []
    box = page.locator("#learner input, #learner textarea").first
    box.fill("bench")
    box.press("Tab")

    open_tab(page, "Quiz")
    page.locator("#quiz-size input").fill("3")
    page.locator("#quiz-start").click()
    _wait(page, "() => !!document.querySelector('#quiz-question .tutor-question')")
    shown = {"text": ""}

    def turn(button: str, text: str | None = None):
        if text is not None:
            page.locator("#quiz-answer textarea").fill(text)
        page.locator(button).click()
        _wait(page, "b => { const e = document.querySelector('#quiz-feedback .tutor-turn'); "
                    "return e && e.innerText !== b; }", shown["text"])
        shown["text"] = page.locator("#quiz-feedback .tutor-turn").inner_text()

    def next_question() -> str:
        before = page.locator("#quiz-question .tutor-question b").inner_text()
        page.locator("#quiz-next").click()
        _wait(page, "b => { const e = document.querySelector('#quiz-question .tutor-question b'); "
                    "return e && e.innerText !== b; }", before)
        shown["text"] = ""  # the feedback is cleared for the new question
        return page.locator("#quiz-question .tutor-question b").inner_text()

    turn("#quiz-submit", "no idea, maybe bananas")
    turn("#quiz-hint")
    turn("#quiz-dont-know")
    for _ in range(2):
        asked = next_question()
        turn("#quiz-submit", references.get(asked, "I am not sure"))
        turn("#quiz-why")
    page.locator("#quiz-next").click()
    _wait(page, "() => document.body.innerText.includes('Quiz finished')")
    steps.append("quiz: 3 free-text questions, 1 hint, 1 reveal, 2 answers with Why?")

    open_tab(page, "Grade")
    page.locator("#grade-question textarea").fill("What is a Spot instance?")
    page.locator("#grade-answer textarea").fill(
        "You bid a price for spare instance capacity; cheap if times are flexible")
    page.locator("#grade-btn").click()
    _wait(page, "() => !!document.querySelector('#grade-result .verdict')")
    steps.append("grade: 1 answer, reference found in the notes")

    open_tab(page, "Progress")
    _wait(page, "() => /recent attempt/.test((document.querySelector('#progress-summary') || {}).innerText || '')")
    steps.append("progress tab: chart, due and attempts tables, CSV")

    open_tab(page, "Notes")
    page.locator("#notes-upload input[type=file]").set_input_files(
        {"name": "volcanoes.md", "mimeType": "text/markdown", "buffer": UPLOAD_NOTES.encode()})
    _wait(page, "() => /volcanoes.md/.test((document.querySelector('#upload-results') || {}).innerText || '')")
    report = page.locator("#upload-results").inner_text()
    if "✓ volcanoes.md" not in report:
        raise RuntimeError(f"the upload was not indexed: {report!r}")
    open_tab(page, "Ask")
    browser_ask(page, "Why does pumice float on water?")
    steps.append("notes upload: 1 file indexed, then asked about")
    return steps


PRACTICE_QUESTION = """A company needs to serve static website content to users worldwide with low latency. Which AWS service should it use?
A. Amazon CloudFront
B. Amazon RDS
C. AWS IAM
D. Amazon EBS"""


def practice_question(page) -> list[str]:
    """A practice question with options pasted on the Ask tab: the tutor names an option (its option scoring
    embeds the retrieved passages' sentences in batches of 64: the largest transient in a learner's session)."""
    open_tab(page, "Ask")
    new_conversation(page)
    browser_ask(page, PRACTICE_QUESTION)
    if not page.locator("#chat .choice-chip").count():
        raise RuntimeError("the practice question got no option named")
    return ["practice question: 1 pasted with 4 options, an option named"]


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
    memory: list[dict] = []  # one MemoryWatch report per server
    interactions_error = None
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
                mem = MemoryWatch(server, f"start {i + 1}")
                http_s.append(server.wait_http())
                open_ready(page, server.url)
                usable_s.append(time.perf_counter() - server.t0)
                cpu_s.append(server.cpu_seconds())
                load_now = loadavg()[0]
                mem.stage("a. cold start: page usable")
                last = i == args.cold_starts - 1
                if last:  # ask at once: the model may still be loading in the background
                    browser_ask(page, WARM_UP[0])
                    first_answer_s = time.perf_counter() - server.t0
                    mem.stage("a. first answer after the cold start")
                    quiet = wait_quiet(server)
                    mem.stage("b. background corpus check and warm-up finished", waited_for_quiet_s=quiet)
                    break
                page.context.close()
                server.stop()
                memory.append(mem.close())
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
            mem.stage(f"c. after the latency run ({len(WARM_UP) + n} asks each in the browser and the API)")
            client.close()
            # ---- the rest of what a learner does: quiz, grade, progress, upload
            references = {getattr(it, "question", ""): getattr(it, "reference", "") for it in tutor.bank}

            def learner_steps(page, mem) -> str | None:
                try:
                    steps = learner_interactions(page, references)
                    mem.stage("d. after quiz, grade, progress and a notes upload", steps=steps)
                    mem.stage("e. after a practice question with options (Ask)", steps=practice_question(page))
                    return None
                except Exception as e:  # keep the figures so far; the run still fails at the end
                    error = f"{type(e).__name__}: {e}"
                    OUT.mkdir(parents=True, exist_ok=True)
                    shot = OUT / f"ui_latency_error_{mem.label.replace(' ', '_')}.png"
                    page.screenshot(path=str(shot), full_page=True)
                    print(f"the quiz/grade/upload steps failed ({error}); the page is in {shot}", file=sys.stderr)
                    mem.stage("d. after the learner steps (failed part way)", error=error)
                    return error

            interactions_error = learner_steps(page, mem)
            page.context.close()
            memory.append(mem.close())
            server.stop()

            # ---- serve over notes that were never indexed: `tutor serve` indexes them behind the page
            fresh_corpus, fresh_home = tmp / "corpus-fresh", tmp / "home-fresh"
            fresh_corpus.mkdir()
            for f in sorted((ROOT / "corpus").glob("*.md")):
                shutil.copy(f, fresh_corpus / f.name)
            fresh_env = dict(env, TUTOR_HOME=str(fresh_home), TUTOR_CORPUS=str(fresh_corpus))
            page = browser.page()
            fresh = Server(fresh_env, tmp / "server-fresh.log")
            servers.append(fresh)
            mem = MemoryWatch(fresh, "empty index")
            fresh.wait_http()
            open_ready(page, fresh.url)
            fresh_usable = time.perf_counter() - fresh.t0
            mem.stage("a. cold start over an empty index: page usable")
            status = notes_status(page)
            fresh_indexed = time.perf_counter() - fresh.t0
            mem.stage("b. background indexing finished (Notes tab status)", status=status.splitlines()[0][:200])
            open_tab(page, "Ask")
            browser_ask(page, WARM_UP[1])
            quiet = wait_quiet(fresh)
            mem.stage("b. first answer and warm-up finished", waited_for_quiet_s=quiet)
            fresh_client = Client(fresh.url, verbose=False, download_files=False)
            for q in ui_qs + api_qs:  # the same questions as the latency run, untimed
                fresh_client.predict(q, "[]", api_name="/ask")
            fresh_client.close()
            mem.stage(f"c. after {len(ui_qs + api_qs)} more asks (API)")
            interactions_error = learner_steps(page, mem) or interactions_error
            page.context.close()
            memory.append(mem.close())
            fresh.stop()
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
    peak = max(m["peak_mib"] for m in memory)
    any_children = any(m["children"] for m in memory)
    result["memory"] = {
        "peak_rss_mib": peak, "bar_mib": 1024, "pass": peak <= 1024,
        "how": "VmHWM of the `python app.py` process (the kernel's peak resident set) read from /proc at each stage, "
               "plus the peaks of any processes it spawned, and a 0.1 s sample of VmRSS summed over the process tree",
        "child_processes_seen": any_children, "servers": memory, "learner_steps_error": interactions_error,
        "empty_index_server": {"page_usable_s": round(fresh_usable, 2), "index_finished_s": round(fresh_indexed, 2)},
    }

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
    print()
    mem_rows = [[m["label"], r["stage"], fmt(r["server_hwm_mib"], ".0f"), fmt(r["server_rss_mib"], ".0f"),
                 fmt(r["children_hwm_sum_mib"], ".0f") if m["children"] else "none",
                 fmt(r["seconds_since_spawn"], ".1f"),
                 fmt(r["load_1min"], ".2f")]
                for m in memory[-2:] for r in m["stages"]]
    print(table(["server", "stage", "peak RSS VmHWM (MiB)", "RSS now (MiB)", "children's peaks (MiB)",
                 "s since spawn", "load 1 min"], mem_rows))
    earlier = [m["peak_mib"] for m in memory[:-2]]
    if earlier:
        print(f"earlier cold starts (page usable, then stopped): peak RSS {', '.join(f'{x:.0f}' for x in earlier)} MiB")
    print(f"the server over an empty index: page usable after {fresh_usable:.2f} s, indexing finished "
          f"{fresh_indexed:.2f} s after the spawn")
    if interactions_error:
        print(f"the quiz/grade/upload steps FAILED: {interactions_error}")
    print(f"web UI peak RSS: {peak:.0f} MiB (bar 1024 MiB) → {'PASS' if peak <= 1024 else 'FAIL'}"
          f"{'' if any_children else '; the server spawned no child processes'}")
    print(f"load average (1, 5, 15 min): {info['loadavg_1_5_15']} at start, {load_before} before the timed asks, "
          f"{load_after} after")
    bar = "PASS" if cold["usable_median_s"] <= 10 else "FAIL"
    print(f"bar: cold start to a usable page ≤ 10 s: {cold['usable_median_s']:.2f} s → {bar}")
    print(f"wrote {write_json('ui_latency.json', result)}")
    return 1 if interactions_error else 0


if __name__ == "__main__":
    sys.exit(main())
