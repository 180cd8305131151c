"""Browser tests of the web UI: a real Chromium (Debian's, never `playwright install`) drives each tab
as a learner would, against the app started in-process over a copy of the corpus.

Nothing may leave the machine: every request to a host other than 127.0.0.1 is aborted and fails
the test. Screenshots of each tab go to tests/artifacts/ (not committed).
"""
from __future__ import annotations

import json
import os
import re
import shutil
import socket
import time
from pathlib import Path

import pytest

from conftest import CORPUS, make_settings

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).parent / "artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--no-first-run", "--disable-quic", "--disable-gpu", "--disable-default-apps", "--disable-extensions",
]
TIMEOUT_MS = 20_000
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
TABS = ("ask", "quiz", "grade", "progress", "notes")  # one screenshot of each, README links docs/screenshots/
SHOTS: set[str] = set()  # the screenshots this run saved

VOLCANO_NOTES = """# Volcanoes

- Obsidian is volcanic glass that forms when felsic lava cools very quickly.
- Pumice floats on water because its rock is full of gas bubbles.

## Eruptions
- A pyroclastic flow is a fast current of hot gas and volcanic matter, up to 700 km/h.
"""

# Every way notes text could try to run code. The parser keeps code spans and entities as literal text,
# so `<img onerror>` and `<script>` reach the passages and must be escaped by the UI.
EVIL_NOTES = """# Tephra

- Tephra is rock fragments ejected by an eruption. <script>window.__pwned = 1; alert('script')</script>
- Lapilli are tephra stones between 2 and 64 mm <img src=x onerror="window.__pwned = 2; alert('img')">.
- Inline code `<img src=x onerror="window.__pwned=3;alert(3)">` is kept as text in the tephra notes.
- Volcanic bombs &lt;script&gt;window.__pwned=4;alert(4)&lt;/script&gt; are tephra over 64 mm.

<table><tr><th>Kind</th><th>Size</th></tr>
<tr><td>Ash</td><td><a href="javascript:window.__pwned=5">Ash</a> is tephra under 2 mm <svg onload="window.__pwned=6"></svg></td></tr>
</table>
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def ui_tutor(tmp_path_factory, embedding):
    """A Tutor of its own over a writable copy of the corpus (the uploads change it)."""
    from tutor.service import Tutor

    root = tmp_path_factory.mktemp("ui")
    corpus = root / "corpus"
    corpus.mkdir()
    shutil.copy(CORPUS / "aws-notes.md", corpus / "aws-notes.md")
    t = Tutor(make_settings(root / "home", corpus))
    assert not t.ingest().errors
    return t


@pytest.fixture(scope="module")
def no_outside_connections():
    """The server side may not reach beyond the machine either: refuse and record any such connect()."""
    attempts: list[str] = []
    real_connect = socket.socket.connect

    def connect(self, address):
        if self.family in (socket.AF_INET, socket.AF_INET6) and address[0] not in ("127.0.0.1", "::1", "localhost"):
            attempts.append(f"{address[0]}:{address[1]}")
            raise OSError(f"test guard: no connections outside the machine ({address[0]})")
        return real_connect(self, address)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(socket.socket, "connect", connect)
        yield attempts
    assert not attempts, f"the server tried to reach {attempts}"


@pytest.fixture(scope="module")
def app_url(ui_tutor, no_outside_connections):
    from tutor import ui

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GRADIO_ANALYTICS_ENABLED", "False")
        opts = ui.launch_options(ui_tutor.settings)
        opts.update(server_name="127.0.0.1", server_port=_free_port(), prevent_thread_lock=True, quiet=True)
        app = ui.build_app(ui_tutor)
        app.launch(**opts)
        yield f"http://127.0.0.1:{opts['server_port']}/"
        app.close()


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing: run `make browser` (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        # launch() gives every browser a fresh temporary user-data-dir
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


class Session:
    """One learner's browser session: its own context (cookies, storage), page, dialogs, outside requests."""

    def __init__(self, browser, url: str, permissions: list[str] | None = None):
        self.context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True,
                                           permissions=permissions or [])
        self.outside: list[str] = []
        self.dialogs: list[str] = []
        self.context.route(re.compile(r"^(?!(http://127\.0\.0\.1[:/]|data:|blob:)).*"), self._block)
        self.page = self.context.new_page()
        self.page.set_default_timeout(TIMEOUT_MS)
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        t0 = time.perf_counter()
        self.page.goto(url)
        self.page.locator("#question textarea").wait_for()
        self.load_seconds = time.perf_counter() - t0

    def _block(self, route):
        self.outside.append(route.request.url)
        route.abort()

    def tab(self, name: str):
        self.page.get_by_role("tab", name=name).click()

    def set_learner(self, name: str):
        box = self.page.locator("#learner input, #learner textarea").first
        box.fill(name)
        box.press("Tab")

    def ask(self, question: str) -> "Locator":  # noqa: F821
        page = self.page
        before = page.locator("#chat .tutor-answer.done").count()
        page.locator("#question textarea").fill(question)
        page.locator("#ask-btn").click()
        page.wait_for_function(  # the answer, or an error (then fail at once, with its text, not a timeout)
            "n => document.querySelectorAll('#chat .tutor-answer.done').length > n"
            " || document.querySelector('[data-testid=toast-body], #chat .clear-status')", arg=before)
        error = page.locator("[data-testid=toast-body], #chat .clear-status")
        assert error.count() == 0, f"the UI showed an error: {error.first.inner_text()!r} (see the server log)"
        return page.locator("#chat .tutor-answer.done").nth(before)

    def shot(self, name: str):
        """A full-page screenshot into tests/artifacts/<name>.png, taken with the tab it is named after open."""
        tab = name.split("-")[0].capitalize()
        assert self.page.get_by_role("tab", selected=True).inner_text().strip() == tab, f"{name}: not on {tab}"
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        assert path.read_bytes()[:8] == PNG_MAGIC
        SHOTS.add(name)

    def close(self):
        assert not self.outside, f"requests left the machine: {self.outside}"
        assert not self.dialogs, f"a dialog opened: {self.dialogs}"
        self.context.close()


@pytest.fixture
def learner(browser, app_url):
    s = Session(browser, app_url)
    yield s
    s.close()


# ---------------------------------------------------------------- Ask
def test_ask_opens_citation_and_keeps_history(learner):
    page = learner.page
    t0 = time.perf_counter()
    ans = learner.ask("What is a Spot instance?")
    print(f"\npage ready in {learner.load_seconds:.2f}s; answer shown {time.perf_counter() - t0:.3f}s after Ask")
    assert "Spot" in ans.inner_text()
    chip = ans.locator("a.cite").first
    source = ans.locator("details.src").first
    assert source.get_attribute("open") is None
    chip.click()
    assert source.get_attribute("open") is not None
    passage = source.locator(".passage")
    assert passage.is_visible() and "Spot" in passage.inner_text()
    assert source.locator("mark").count() >= 1, "the cited part is highlighted"
    assert re.search(r"lines \d+–\d+", source.locator("summary").inner_text())
    learner.shot("ask")

    learner.ask("Is it cheaper than On-Demand?")  # a second turn: the history stays in the chat
    assert page.locator("#chat .tutor-answer.done").count() == 2
    assert "What is a Spot instance?" in page.locator("#chat").inner_text()

    page.locator("#new-chat").click()
    page.locator("#chat .tutor-answer").first.wait_for(state="detached")
    assert "Spot" not in page.locator("#chat").inner_text()


def test_copying_an_answer_copies_its_text_not_its_html(browser, app_url):
    # the chat's copy button put '<div class="tutor-answer done"><div …' on the clipboard
    s = Session(browser, app_url, permissions=["clipboard-read", "clipboard-write"])
    try:
        ans = s.ask("What is a Spot instance?")
        s.page.locator("#chat button[aria-label='Copy message']").last.click()
        s.page.wait_for_function("() => navigator.clipboard.readText().then(t => t.includes('Spot'))")
        s.page.wait_for_timeout(300)  # past both writes: Gradio's and the page's own
        copied = s.page.evaluate("navigator.clipboard.readText()")
        assert "<div" not in copied and "class=" not in copied, copied
        assert copied.startswith("Spot") and "[1]" in copied and "lines 58–61" in copied, copied
        assert ans.inner_text().split("\n")[0] in copied
    finally:
        s.close()


REFUSED_QUESTION = "How do I bake sourdough bread?"  # nothing about baking in corpus/aws-notes.md


def test_refusal_shows_you_might_mean_passages(learner, ui_tutor):
    from tutor import phrases

    expected = ui_tutor.ask(REFUSED_QUESTION)  # what `tutor ask` says for the same notes
    assert expected.refused and expected.citations, "the question must be one the notes do not cover"
    ans = learner.ask(REFUSED_QUESTION)
    text = ans.inner_text()
    assert text.startswith(phrases.NOT_COVERED_MARK), text
    assert phrases.NOT_COVERED.split("{")[0] in text and phrases.YOU_MIGHT_MEAN in text
    assert phrases.SOURCES_HEADER not in text, "a refusal has no sources, only suggestions"
    assert ans.locator(".tutor-refusal").count() == 1
    plain = expected.answer.split(phrases.YOU_MIGHT_MEAN)[0].strip()  # "Your notes don't cover “…”."
    assert ans.locator(".tutor-refusal").inner_text().strip() == plain
    near = ans.locator("details.src")
    assert near.count() == len(expected.citations)
    for c, box in zip(expected.citations, near.all()):
        summary = box.locator("summary").inner_text()
        assert f"[{c.n}]" in summary and c.passage.section_path in summary
        assert re.search(rf"lines {c.passage.start}–{c.passage.end}", summary)
        assert box.get_attribute("open") is None and not box.locator(".passage").is_visible()
    # open the first suggestion from its [n] in the text: its passage text shows
    ans.locator(".tutor-answer-text a.cite").first.click()
    first = near.first
    assert first.get_attribute("open") is not None
    passage = first.locator(".passage")
    assert passage.is_visible()
    shown = " ".join(passage.inner_text().split())
    assert shown and shown[:40] == " ".join(expected.citations[0].passage.text.split())[:40]
    # and another one from its summary, as a learner scanning the list would
    if near.count() > 1:
        near.nth(1).locator("summary").click()
        assert near.nth(1).locator(".passage").is_visible()
    learner.shot("ask-refusal")


def test_practice_question_shows_chosen_option(learner):
    ans = learner.ask(
        "A company runs batch jobs with flexible start and end times and wants the biggest EC2 savings. "
        "Which pricing option fits?\nA. On-Demand\nB. Reserved\nC. Spot\nD. Dedicated Hosts"
    )
    chip = ans.locator(".choice-chip")
    assert chip.count() == 1
    m = re.search(r"Answer: ([A-D])", chip.inner_text())
    assert m  # the UI shows the chosen option; which option is right is tested in test_answer/eval
    assert f"{m.group(1)}." in ans.inner_text() or f"support {m.group(1)}" in ans.inner_text()


# ---------------------------------------------------------------- Quiz and Progress
def _progress(s: Session, bars_before: int | None = None) -> tuple[int, str]:
    """Open Progress, refresh, wait for the chart (to change, when a count is given); → (bars, summary)."""
    s.tab("Progress")
    page = s.page
    page.locator("#progress-refresh").click()
    page.locator("#progress-summary p").wait_for()
    bars = "#mastery-chart svg .mark-rect path"
    if bars_before is not None:
        page.wait_for_function("([sel, n]) => document.querySelectorAll(sel).length > n", arg=[bars, bars_before])
    return page.locator(bars).count(), page.locator("#progress-summary").inner_text()


def _bar_heights(page) -> list[float]:
    paths = page.locator("#mastery-chart svg .mark-rect path").all()
    return [float(m.group(1)) for d in paths if (m := re.search(r"v(-?[\d.]+)", d.get_attribute("d") or ""))]


def _start_quiz(s: Session, questions: int = 3):
    page = s.page
    s.tab("Quiz")
    page.locator("#quiz-start").wait_for()
    page.locator("#quiz-size input").fill(str(questions))
    page.locator("#quiz-start").click()
    page.locator("#quiz-question .tutor-question").wait_for()


def _next_question(page) -> str:
    """Press "Next question" and wait for a different question; → its text."""
    shown = "#quiz-question .tutor-question b"
    before = page.locator(shown).inner_text()
    page.locator("#quiz-next").click()
    page.wait_for_function(
        "([sel, b]) => { const e = document.querySelector(sel); return e && e.innerText !== b; }", arg=[shown, before]
    )
    return page.locator(shown).inner_text()


def _feedback(page, before: str) -> str:
    page.wait_for_function(
        "b => { const e = document.querySelector('#quiz-feedback .tutor-turn'); return e && e.innerText !== b; }",
        arg=before,
    )
    return page.locator("#quiz-feedback .tutor-turn").inner_text()


def test_quiz_three_questions_with_hint_and_reveal_moves_progress(learner, ui_tutor):
    from tutor.session import REVEAL, WHY

    page = learner.page
    learner.set_learner("ana")
    bars_before, summary_before = _progress(learner)
    assert "0 recent attempt" in summary_before

    _start_quiz(learner, 3)
    # question 1: a wrong answer, a hint, then "I don't know" reveals the answer and its source
    page.locator("#quiz-answer textarea").fill("no idea, maybe bananas")
    page.locator("#quiz-submit").click()
    text = _feedback(page, "")
    assert re.search(r"Correct|Partial|Incorrect", text)
    page.locator("#quiz-hint").click()
    text = _feedback(page, text)
    assert "Hint" in text
    page.locator("#quiz-dont-know").click()
    text = _feedback(page, text)
    assert REVEAL.split("{")[0] in text and page.locator("#quiz-feedback details.src").count() >= 1
    learner.shot("quiz")
    # questions 2 and 3: a learner who knows the notes answers, then asks why
    references = {it.question: it.reference for it in ui_tutor.bank}
    for _ in range(2):
        asked = _next_question(page)
        page.locator("#quiz-answer textarea").fill(references[asked])
        page.locator("#quiz-submit").click()
        text = _feedback(page, text)
        assert "Correct" in text, text
        page.locator("#quiz-why").click()
        text = _feedback(page, text)
        assert WHY.split("{")[0] in text
    page.locator("#quiz-next").click()
    page.get_by_text("Quiz finished").wait_for()
    # the session's tally, and no answer box left to type into
    assert ("2 right at the first try, 0 right after a hint or another try, 0 partly right, 1 wrong or revealed"
            in page.locator("#quiz-question").inner_text())
    assert not page.locator("#quiz-answer textarea").is_visible()

    bars_after, summary_after = _progress(learner, bars_before)
    assert bars_after > bars_before, "the mastery chart gained bars"
    assert max(_bar_heights(page)) > 0, "some topic has mastery above zero"
    assert re.search(r"([3-9]|\d\d+) recent attempt", summary_after), summary_after
    assert page.locator("#attempts-table").get_by_text("correct", exact=True).count() >= 1
    with page.expect_download() as dl:
        page.locator("#export-csv").click()
    csv_text = Path(dl.value.path()).read_text(encoding="utf-8")
    assert len(csv_text.strip().splitlines()) >= 4  # header + three attempts
    learner.shot("progress")


# ---------------------------------------------------------------- Grade
def test_grade_finds_reference_and_gives_feedback(learner):
    page = learner.page
    learner.tab("Grade")
    page.locator("#grade-question textarea").fill("What is a Spot instance?")
    page.locator("#grade-answer textarea").fill(
        "You bid whatever price you want for spare instance capacity; big savings if start and end times are flexible"
    )
    page.locator("#grade-btn").click()
    verdict = page.locator("#grade-result .verdict")
    verdict.wait_for()
    assert verdict.inner_text() in ("Correct", "Partial", "Incorrect")
    result = page.locator("#grade-result").inner_text()
    assert "score" in result and "Spot" in result
    assert page.locator("#grade-result details.src[open]").count() == 1
    learner.shot("grade")


# ---------------------------------------------------------------- Notes: browse, upload, escape
def _upload(s: Session, name: str, text: str | bytes, mime: str = "text/markdown") -> str:
    page = s.page
    s.tab("Notes")
    results = page.locator("#upload-results ul.upload-report")
    before = results.inner_text() if results.count() else ""
    data = text.encode("utf-8") if isinstance(text, str) else text
    page.locator("#notes-upload input[type=file]").set_input_files({"name": name, "mimeType": mime, "buffer": data})
    page.wait_for_function(
        "b => { const e = document.querySelector('#upload-results ul.upload-report'); return e && e.innerText !== b; }",
        arg=before,
    )
    return results.inner_text()


def test_upload_notes_then_ask_about_them(learner, ui_tutor):
    page = learner.page
    result = _upload(learner, "volcanoes.md", VOLCANO_NOTES)
    assert "✓ volcanoes.md" in result, result
    assert "volcanoes.md" in page.locator("#notes-status").inner_text()
    page.locator("#notes-section input").click()
    page.get_by_role("option", name="volcanoes.md › Volcanoes").click()
    page.locator("#notes-passages details.src").first.wait_for()
    assert "Obsidian" in page.locator("#notes-passages").inner_text()
    page.locator("#notes-section [role=listbox]").wait_for(state="detached")  # the option list has faded out
    learner.shot("notes")

    too_big = _upload(learner, "huge.md", "# Big\n\n" + "- filler line\n" * 200_000)
    assert "✗" in too_big and "limit" in too_big

    learner.tab("Ask")
    ans = learner.ask("Why does pumice float on water?")
    assert "bubbles" in ans.inner_text()
    assert "volcanoes.md" in ans.locator("details.src summary").first.inner_text()

    # an upload of another file with the same name replaces it, says so, and keeps the earlier one (a learner's
    # main notes were silently overwritten by a three-line file that happened to share their name)
    again = _upload(learner, "volcanoes.md", VOLCANO_NOTES + "\n- Tuff is rock made of volcanic ash.\n")
    assert "replaced the notes file of the same name" in again, again
    kept = list((Path(ui_tutor.settings.home) / "replaced").glob("volcanoes.md.*"))
    assert len(kept) == 1 and kept[0].read_text(encoding="utf-8") == VOLCANO_NOTES, kept


def _hover_all(page, selector: str, limit: int = 12):
    """Mouse over what is shown: markup with onmouseover/onerror handlers would fire now."""
    for el in page.locator(selector).all()[:limit]:
        if el.is_visible():
            el.hover()


def test_notes_with_script_tags_run_nothing(learner):
    page = learner.page
    result = _upload(learner, "tephra.md", EVIL_NOTES)
    assert "✓ tephra.md" in result, result
    odd = _upload(learner, '<img src=x onerror="alert(9)">.md', "# Odd\n\n- A file whose name is markup.\n")
    assert "onerror" in odd, "the file name (Gradio drops its angle brackets) is shown as text"
    page.locator("#notes-section input").click()
    page.get_by_role("option", name="tephra.md › Tephra").click()
    page.locator("#notes-passages details.src").first.wait_for()
    shown = page.locator("#notes-passages").inner_text()
    assert "<img src=x onerror=" in shown, "tag-like notes text is shown as text, not markup"

    learner.tab("Ask")
    for question in ("What are lapilli?", "What does the inline code in the tephra notes show?",
                     "What are volcanic bombs?"):
        ans = learner.ask(question)
        ans.locator("a.cite").first.click()
    _hover_all(page, "#chat mark, #chat summary b, #chat li")
    # quiz on the new notes: questions, reveals and the attempts table all carry the notes' text
    learner.set_learner("eve")
    learner.tab("Quiz")
    page.locator("#quiz-topics input").click()
    page.get_by_role("option", name="Tephra", exact=True).click()
    page.keyboard.press("Escape")
    page.locator("#quiz-size input").fill("3")
    page.locator("#quiz-start").click()
    page.locator("#quiz-question .tutor-question").wait_for()
    page.locator("#quiz-dont-know").click()
    _feedback(page, "")
    _hover_all(page, "#quiz-feedback p, #quiz-feedback summary")
    _progress(learner)
    _hover_all(page, "#attempts-table td")
    assert page.locator("#chat img, #chat script, #chat svg[onload], #notes-passages img, "
                        "#quiz-feedback img, #attempts-table img, #upload-results img").count() == 0
    assert page.evaluate("typeof window.__pwned") == "undefined"
    # `learner.close()` asserts that no dialog opened


# ---------------------------------------------------------------- sessions, API, settings
def test_two_sessions_keep_separate_chats_and_quizzes(browser, app_url):
    a, b = Session(browser, app_url), Session(browser, app_url)
    try:
        a.ask("What is a Spot instance?")
        b.ask("What is Amazon S3?")
        assert "What is Amazon S3?" not in a.page.locator("#chat").inner_text()
        assert "What is a Spot instance?" not in b.page.locator("#chat").inner_text()

        a.set_learner("amy")
        b.set_learner("bob")
        _start_quiz(a, 2)
        _start_quiz(b, 2)
        b_question = b.page.locator("#quiz-question").inner_text()
        a.page.locator("#quiz-dont-know").click()
        _feedback(a.page, "")
        _next_question(a.page)
        assert "Question 2 of 2" in a.page.locator("#quiz-question").inner_text()
        assert b.page.locator("#quiz-question").inner_text() == b_question
        assert "Question 1 of 2" in b_question
        assert b.page.locator("#quiz-feedback .tutor-turn").count() == 0
        _, summary_a = _progress(a)
        _, summary_b = _progress(b)
        assert "amy" in summary_a and re.search(r"[1-9]\d* recent attempt", summary_a)
        assert "bob" in summary_b and "0 recent attempt" in summary_b
    finally:
        a.close()
        b.close()


def test_api_ask_endpoint_for_gradio_client(app_url):
    from gradio_client import Client

    client = Client(app_url, verbose=False, download_files=False)
    out = client.predict("What is a Spot instance?", json.dumps([]), api_name="/ask")
    assert out["refused"] is False and out["citations"] and "Spot" in out["answer"]
    follow = client.predict("how is it priced?", json.dumps(["What is a Spot instance?"]), api_name="/ask")
    assert {"answer", "refused", "confidence", "citations", "passages"} <= set(follow)


def test_launch_options_bind_loopback_and_auth(tmp_path):
    from tutor.errors import TutorError
    from tutor.ui import launch_options

    opts = launch_options(make_settings(tmp_path))
    assert opts["server_name"] == "127.0.0.1" and "auth" not in opts
    opts = launch_options(make_settings(tmp_path, ui={"auth": "sam:s3cret:x"}))
    assert opts["auth"] == ("sam", "s3cret:x")
    with pytest.raises(TutorError):
        launch_options(make_settings(tmp_path, ui={"auth": "nopassword"}))


# ---------------------------------------------------------------- screenshots (keep last: the tests above take them)
SHOT_TESTS = ("test_ask_opens_citation_and_keeps_history",
              "test_quiz_three_questions_with_hint_and_reveal_moves_progress",
              "test_grade_finds_reference_and_gives_feedback", "test_upload_notes_then_ask_about_them")


def test_screenshots_of_each_tab_saved_and_linked_from_readme(request):
    root = Path(__file__).resolve().parents[1]
    readme = (root / "README.md").read_text(encoding="utf-8")
    for tab in TABS:
        committed = root / "docs" / "screenshots" / f"{tab}.png"
        assert committed.is_file() and committed.read_bytes()[:8] == PNG_MAGIC, f"{committed} is missing"
        assert f"](docs/screenshots/{tab}.png)" in readme, f"README does not link docs/screenshots/{tab}.png"
    ran = {item.originalname for item in request.session.items}
    if not set(SHOT_TESTS) <= ran:
        pytest.skip("the tests that take the screenshots were deselected")
    assert set(TABS) <= SHOTS, f"this run saved no screenshot of {sorted(set(TABS) - SHOTS)}"
    for tab in TABS:
        assert (ARTIFACTS / f"{tab}.png").is_file()


# ---------------------------------------------------------------- handlers without a browser
def test_an_empty_ask_leaves_the_conversation_and_the_box_alone(ui_tutor):
    from tutor.ui_handlers import AskHandlers

    h = AskHandlers(ui_tutor)
    chat = [{"role": "user", "content": "<p>hi</p>"}]
    assert list(h.chat_turn("   ", chat, ["hi"])) == [(chat, chat, ["hi"], "   ")]  # no error, nothing lost
    # the box is cleared once when the answer starts; what is typed while it streams is not wiped
    boxes = [out[3] for out in h.chat_turn("what is a spot instance?", [], [])]
    assert boxes[0] == "" and all(b != "" for b in boxes[1:]), boxes


def test_quiz_clicks_that_are_no_attempt_change_nothing(ui_tutor):
    from tutor.ui_handlers import QuizHandlers

    h = QuizHandlers(ui_tutor)
    s = h.begin("clicker", [], "Free text", 2)[0]
    _, feedback, _ = h.act("answer", s, "   ", None)  # Answer with nothing typed: not graded, no hint spent
    assert s.is_open and s.hints_used == 0 and not isinstance(feedback, str)
    _, revealed, _ = h.act("dont_know", s, "", None)
    assert "The answer from your notes" in revealed and not s.is_open
    for action in ("hint", "answer", "dont_know"):  # the reveal stays on screen: nothing replaces it
        _, feedback, _ = h.act(action, s, "something", None)
        assert not isinstance(feedback, str), (action, feedback)
    _, why, _ = h.act("why", s, "", None)  # "why?" still shows the cited passage
    assert isinstance(why, str) and s.current.citation.passage.text[:30] in why


def test_a_grade_that_cannot_be_made_replaces_the_previous_one(ui_tutor):
    from tutor.ui_handlers import GradeHandlers

    h = GradeHandlers(ui_tutor)
    first = h.grade("How long can RDS keep automated backups?", "between 1 and 35 days", "")
    assert "tutor-grade" in first and "grade-error" not in first
    # a question the notes do not cover, then an empty one: each says why where the grade was, nothing stale stays
    for question in ("How do I bake bread?", ""):
        out = h.grade(question, "with flour and water", "")
        assert "grade-error" in out and "35 days" not in out, out
