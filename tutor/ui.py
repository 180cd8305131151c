"""The web UI: a gr.Blocks app over one Tutor. Each handler calls one Tutor or QuizSession method and
formats the result; per-browser state (chat, quiz, learner) lives in gr.State, never on the Tutor.

Every piece of notes text reaches the page through `esc` (html.escape) before it is put into HTML;
the Chatbot also sanitises what it renders, as a second line of defence.
"""
from __future__ import annotations

import functools
import html
import inspect
import json
import logging
import os
import re
import secrets
import tempfile
import threading
from collections import Counter
from pathlib import Path

import gradio as gr

from . import phrases
from .errors import TutorError

log = logging.getLogger(__name__)
CITE_RE = re.compile(r"\[(\d+)\]")
WORD_RE = re.compile(r"[a-z0-9]{3,}")
STREAM_WORDS = 6  # words per streamed chunk of an answer, at least
STREAM_UPDATES = 3  # partial updates per answer, at most: each costs a round of diff, send and render
ALL_TOPICS = "All topics"
DUE_ONLY = "What's due"

CSS = """
.tutor-answer p { margin: 0 0 .4em 0; }
a.cite { display:inline-block; padding:0 .35em; margin:0 .1em; border-radius:.6em; font-size:.8em;
         background:var(--color-accent-soft); text-decoration:none; cursor:pointer; }
details.src { margin:.25em 0; border:1px solid var(--border-color-primary); border-radius:6px; padding:.2em .5em; }
details.src > summary { cursor:pointer; font-size:.9em; }
details.src .span { opacity:.7; font-size:.85em; }
.passage { white-space:normal; font-size:.92em; margin:.3em 0; }
.passage mark { padding:0 .1em; }
.choice-chip { display:inline-block; padding:.1em .6em; border-radius:1em; font-weight:600;
               background:var(--color-accent-soft); margin-bottom:.3em; }
.tutor-refusal { font-weight:600; }
.verdict { font-weight:700; } .verdict-correct { color:#15803d; } .verdict-partial { color:#b45309; }
.verdict-incorrect { color:#b91c1c; }
"""

# Clicking an [n] chip opens and shows the cited passage below the answer (our own script, no notes text).
CITE_JS = """() => {
  if (window.__tutorCiteLinks) return; window.__tutorCiteLinks = true;
  document.addEventListener('click', (ev) => {
    const a = ev.target.closest ? ev.target.closest('a.cite') : null;
    if (!a) return;
    const d = document.getElementById((a.getAttribute('href') || '').slice(1));
    if (!d) return;
    ev.preventDefault(); ev.stopPropagation();
    d.open = true; d.scrollIntoView({block: 'nearest'});
  }, true);
}"""


# ---------------------------------------------------------------- formatting (pure)
def esc(text) -> str:
    return html.escape(str(text if text is not None else ""), quote=True)


def _words(text: str) -> set[str]:
    return set(WORD_RE.findall(text.lower()))


def cited_snippets(answer_text: str) -> dict[int, list[str]]:
    """The answer text that each [n] marker follows: what the answer took from passage n."""
    out: dict[int, list[str]] = {}
    pieces = CITE_RE.split(answer_text)  # text, n, text, n, ...
    for i in range(1, len(pieces), 2):
        before = re.split(r"(?<=[.!?;])\s+|\n", pieces[i - 1].strip())[-1]
        out.setdefault(int(pieces[i]), []).append(before)
    return out


def _highlight(text: str, snippets: list[str]) -> str:
    """Escaped passage text, with the lines/sentences the answer quoted wrapped in <mark>."""
    targets = [w for w in (_words(s) for s in snippets) if w]
    parts = []
    for line in text.splitlines() or [text]:
        chunks = re.split(r"(?<=[.!?])\s+", line)
        shown = []
        for chunk in chunks:
            words = _words(chunk)
            hit = words and any(len(words & t) >= max(1, 0.5 * min(len(words), len(t))) for t in targets)
            shown.append(f"<mark>{esc(chunk)}</mark>" if hit else esc(chunk))
        parts.append(" ".join(shown))
    return "<br>".join(parts)


def passage_html(passage, n: int | None = None, anchor: str | None = None, snippets=(), open_=False) -> str:
    """An openable passage: [n], section path and line span as the summary; the text, cited part marked."""
    attrs = (f' id="{esc(anchor)}"' if anchor else "") + (" open" if open_ else "")
    label = f"[{n}] " if n is not None else ""
    span = f"· {passage.file}, lines {passage.start}–{passage.end}"
    return (f'<details class="src"{attrs}><summary>{esc(label)}<b>{esc(passage.section_path or passage.file)}</b> '
            f'<span class="span">{esc(span)}</span></summary>'
            f'<div class="passage">{_highlight(passage.text, list(snippets))}</div></details>')


def _paragraphs(escaped: str) -> str:
    return "".join(f"<p>{line}</p>" for line in escaped.split("\n") if line.strip())


def answer_html(ans, uid: str) -> str:
    """A cited answer: text with clickable [n] chips, the chosen option(s), the openable sources."""
    known = {c.n for c in ans.citations}

    def chip(m: re.Match) -> str:
        n = int(m.group(1))
        return f'<a class="cite" href="#cite-{uid}-{n}">[{n}]</a>' if n in known else m.group(0)

    def linked(text: str) -> str:
        return CITE_RE.sub(chip, esc(text))

    plain, mark, near = ans.answer.partition(phrases.YOU_MIGHT_MEAN)
    if ans.refused:  # the plain "notes don't cover" sentence, then the suggestions, each [n] a chip
        body = f'<p class="tutor-refusal">{linked(plain.strip())}</p>'
        if mark:
            body += f'<p class="you-might-mean">{esc(mark)} {linked(near.strip())}</p>'
    else:
        body = _paragraphs(linked(ans.answer))
    body = f'<div class="tutor-answer-text">{body}</div>'
    head = ""
    if ans.choice:
        head = f'<div class="choice-chip">Answer: {esc(", ".join(ans.choice))}</div>'
    if getattr(ans, "rephrase", None) is not None and ans.rephrase.note:  # the optional LLM step's flag
        body += f'<p class="llm-note"><i>{esc(ans.rephrase.note)}</i></p>'
    snips = {} if ans.refused else cited_snippets(ans.answer)
    sources = "".join(passage_html(c.passage, c.n, f"cite-{uid}-{c.n}", snips.get(c.n, ())) for c in ans.citations)
    if sources and not ans.refused:  # a refusal's own text already says "You might mean: ... [n]"
        sources = f"<p><b>{esc(phrases.SOURCES_HEADER)}</b></p>{sources}"
    return f'<div class="tutor-answer done">{head}{body}<div class="sources">{sources}</div></div>'


def stream_chunks(text: str):
    """Growing prefixes of the answer text, a few words at a time (plain, escaped). The answer is composed
    before the first chunk, so every partial update (a diff, a message, a render) only delays the finished
    one: long answers come in bigger chunks, never more than STREAM_UPDATES of them."""
    words = text.split(" ")
    step = max(STREAM_WORDS, -(-len(words) // (STREAM_UPDATES + 1)))
    for i in range(step, len(words), step):
        yield f'<div class="tutor-answer">{_paragraphs(esc(" ".join(words[:i])))}</div>'


def _points(title: str, items) -> str:
    items = [i for i in (items or []) if str(i).strip()]
    if not items:
        return ""
    return f"<p><b>{esc(title)}</b></p><ul>" + "".join(f"<li>{esc(i)}</li>" for i in items) + "</ul>"


def _verdict(grade) -> str:
    return (f'<p><span class="verdict verdict-{esc(grade.verdict)}">{esc(grade.verdict.capitalize())}</span>'
            f" · score {grade.score:.2f}</p>")


def _grade_lists(grade) -> str:
    return (_points("What matched", grade.matched) + _points("What is missing", grade.missing)
            + _points("What contradicts your notes", grade.contradictions))


def grade_html(grade) -> str:
    out = _verdict(grade) + _paragraphs(esc(grade.feedback)) + _grade_lists(grade)
    if grade.citation is not None:
        out += passage_html(grade.citation.passage, grade.citation.n, open_=True)
    return f'<div class="tutor-grade">{out}</div>'


def turn_html(turn) -> str:
    """One Socratic turn. Before the item is settled only the session's own message is shown (it never
    gives the answer away); once settled, also the full matched/missing lists and the cited passage."""
    g = turn.grade
    out = _verdict(g) if g is not None else ""
    out += _paragraphs(esc(turn.message))
    if turn.finished_item and g is not None:
        out += _grade_lists(g)
    if turn.citation is not None:
        out += passage_html(turn.citation.passage, turn.citation.n, open_=True)
    state = "settled" if turn.finished_item else "open"
    return f'<div class="tutor-turn {state}">{out}</div>'


def question_html(item, number: int, total: int, hints_used: int = 0) -> str:
    head = f"Question {number} of {total} · {item.topic}" + (f" · hints used: {hints_used}" if hints_used else "")
    return (f'<div class="tutor-question"><p class="span">{esc(head)}</p>'
            f"<p><b>{esc(item.question)}</b></p></div>")


def section_html(passages) -> str:
    return "".join(passage_html(p, open_=True) for p in passages) or "<p>No passages.</p>"


# ---------------------------------------------------------------- the edge: TutorError → gr.Error
def edge(fn):
    """Translate the learner-readable TutorError family into gr.Error, once, for every handler."""
    if inspect.isgeneratorfunction(fn):

        @functools.wraps(fn)
        def gen(*args, **kwargs):
            try:
                yield from fn(*args, **kwargs)
            except TutorError as e:
                raise gr.Error(str(e)) from e

        return gen

    @functools.wraps(fn)
    def call(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except TutorError as e:
            raise gr.Error(str(e)) from e

    return call


def _learner(name: str | None) -> str:
    name = (name or "").strip()
    if not name:
        raise gr.Error("Type your name (top of the page) so your progress is kept under it.")
    return name[:80]


# ---------------------------------------------------------------- Ask
def _ask_tab(tutor):
    from .answer import split_options

    chat_state = gr.State([])  # list of message dicts, this browser session only
    history = gr.State([])  # earlier learner questions, oldest first
    chatbot = gr.Chatbot(elem_id="chat", height=460, render_markdown=False, sanitize_html=True,
                         feedback_options=None, buttons=["copy"], label="Ask your notes")
    with gr.Row():
        box = gr.Textbox(elem_id="question", show_label=False, lines=2, max_lines=12, scale=6,
                         placeholder="Ask about your notes, or paste a practice question with options A. B. C. …")
        send = gr.Button("Ask", variant="primary", elem_id="ask-btn", scale=1)
    new = gr.Button("New conversation", size="sm", elem_id="new-chat")

    @edge
    def chat_turn(message, chat, hist):
        stem, options = split_options(message or "")
        ans = tutor.ask(stem, hist, options)
        chat = chat + [{"role": "user", "content": _paragraphs(esc(message.strip()))}]
        for partial in stream_chunks(ans.answer):  # a new list each time: Gradio diffs against the last one
            shown = chat + [{"role": "assistant", "content": partial}]
            yield shown, shown, hist, ""
        chat = chat + [{"role": "assistant", "content": answer_html(ans, secrets.token_hex(4))}]
        yield chat, chat, hist + [stem], ""

    outs = [chatbot, chat_state, history, box]
    send.click(chat_turn, [box, chat_state, history], outs, api_visibility="private")
    box.submit(chat_turn, [box, chat_state, history], outs, api_visibility="private")
    new.click(lambda: ([], [], [], ""), None, outs, api_visibility="private")
    chatbot.clear(lambda: ([], [], [], ""), None, outs, api_visibility="private")


# ---------------------------------------------------------------- Quiz
def _topics(tutor) -> list[str]:
    seen: dict[str, None] = {}
    for p in tutor.passages():
        if p.section:
            seen.setdefault(p.section[0], None)
    return list(seen)


def _quiz_tab(tutor, learner):
    session = gr.State(None)  # this browser's QuizSession
    with gr.Row():
        topics = gr.Dropdown([ALL_TOPICS, DUE_ONLY] + _topics(tutor), value=[ALL_TOPICS], multiselect=True,
                             label="Topics", elem_id="quiz-topics", scale=4)
        mode = gr.Radio(["Free text", "Multiple choice"], value="Free text", label="Answer as", scale=2,
                        elem_id="quiz-mode")
        size = gr.Number(5, minimum=1, maximum=50, precision=0, label="Questions", scale=1, elem_id="quiz-size")
        start = gr.Button("Start quiz", variant="primary", elem_id="quiz-start", scale=1)
    question = gr.HTML("<p>Type your name at the top, pick topics and start a quiz.</p>", elem_id="quiz-question")
    choice = gr.Radio([], label="Your choice", visible=False, elem_id="quiz-choice")
    answer = gr.Textbox(label="Your answer", lines=2, elem_id="quiz-answer")
    with gr.Row():
        submit = gr.Button("Answer", variant="primary", elem_id="quiz-submit")
        hint = gr.Button("Hint", elem_id="quiz-hint")
        dont_know = gr.Button("I don't know", elem_id="quiz-dont-know")
        why = gr.Button("Why?", elem_id="quiz-why")
        nxt = gr.Button("Next question", elem_id="quiz-next")
    feedback = gr.HTML("", elem_id="quiz-feedback")

    def show(s, item, note=""):
        if item is None:
            done = f"<p><b>Quiz finished.</b> {esc(note)} Your progress is in the Progress tab.</p>"
            return s, done, gr.update(visible=False, choices=[], value=None), gr.update(visible=True, value=""), ""
        mcq = item.kind == "mcq" and bool(item.options)
        options = [(f"{k}. {v}", k) for k, v in (item.options or {}).items()]
        return (s, question_html(item, len(s.asked), s.size, s.hints_used),
                gr.update(visible=mcq, choices=options, value=None), gr.update(visible=not mcq, value=""),
                f"<p>{esc(note)}</p>" if note else "")

    @edge
    def begin(name, picked, mode_label, n):
        name, picked = _learner(name), [t for t in (picked or []) if t != ALL_TOPICS]
        size = max(1, int(n or 5))
        if DUE_ONLY in picked:  # the session serves due items first; size the quiz to what is due
            due = len(tutor.progress.due(name, tutor.bank))
            if not due:
                raise gr.Error("Nothing is due for review yet: pick topics instead.")
            size = min(size, due)
        chosen = [t for t in picked if t != DUE_ONLY] or None
        s = tutor.start_quiz(name, chosen, "mcq" if mode_label == "Multiple choice" else "free", size)
        return show(s, s.next_question(), "" if s.pool else "No questions for these topics.")

    @edge
    def act(action, s, text, picked):
        if s is None:
            raise gr.Error("Start a quiz first.")
        if action == "answer":
            mcq = s.current is not None and s.current.kind == "mcq" and s.current.options
            reply = s.answer((picked or "") if mcq else (text or ""))
        else:
            reply = getattr(s, action)()
        heading = question_html(s.current, len(s.asked), s.size, s.hints_used) if s.current else gr.update()
        return s, turn_html(reply), heading

    @edge
    def advance(s):
        if s is None:
            raise gr.Error("Start a quiz first.")
        s.skip()  # records a skip only when the question is still open
        return show(s, s.next_question())

    outs = [session, question, choice, answer, feedback]
    start.click(begin, [learner, topics, mode, size], outs, api_visibility="private")
    nxt.click(advance, [session], outs, api_visibility="private")
    for button, action in ((submit, "answer"), (hint, "hint"), (dont_know, "dont_know"), (why, "why")):
        button.click(functools.partial(act, action), [session, answer, choice], [session, feedback, question],
                     api_visibility="private")
    answer.submit(functools.partial(act, "answer"), [session, answer, choice], [session, feedback, question],
                  api_visibility="private")
    return topics


# ---------------------------------------------------------------- Grade
def _grade_tab(tutor):
    q = gr.Textbox(label="Question", lines=2, elem_id="grade-question")
    a = gr.Textbox(label="Your answer", lines=3, elem_id="grade-answer")
    ref = gr.Textbox(label="Reference answer (optional: leave empty and the tutor finds it in your notes)",
                     lines=2, elem_id="grade-reference")
    go = gr.Button("Grade my answer", variant="primary", elem_id="grade-btn")
    out = gr.HTML("", elem_id="grade-result")

    @edge
    def grade(question, answer, reference):
        return grade_html(tutor.grade(question, answer, reference=reference or None))

    go.click(grade, [q, a, ref], out, api_visibility="private")


# ---------------------------------------------------------------- Progress
ATTEMPT_COLUMNS = ["when", "topic", "question", "verdict", "score", "hints"]


def _attempt_rows(attempts: list[dict]) -> list[list]:
    """Table cells are plain text in gr.Dataframe (datatype "str"): no HTML, so no escaping here."""
    rows = []
    for a in attempts:
        score = a.get("score")
        rows.append([str(a.get("at", ""))[:16].replace("T", " "), a.get("topic", ""), a.get("question", ""),
                     a.get("verdict", ""), "" if score is None else round(float(score), 2), a.get("hints_used", 0)])
    return rows


def _progress_tab(tutor, learner):
    import pandas as pd

    exports = Path(tempfile.mkdtemp(prefix="tutor-csv-"))  # one folder per app; Gradio serves copies

    refresh = gr.Button("Refresh", size="sm", elem_id="progress-refresh")
    summary = gr.HTML("", elem_id="progress-summary")
    empty = pd.DataFrame({"topic": pd.Series([], dtype=str), "mastery": pd.Series([], dtype=float)})
    chart = gr.BarPlot(empty, x="topic", y="mastery", y_lim=[0, 1], title="Mastery per topic", x_label_angle=-30,
                       elem_id="mastery-chart", height=320)
    due = gr.Dataframe(headers=["question", "topic"], datatype="str", label="Due for review", elem_id="due-table",
                       interactive=False, wrap=True, max_height=300)
    attempts = gr.Dataframe(headers=ATTEMPT_COLUMNS, datatype="str", label="Recent attempts", interactive=False,
                            elem_id="attempts-table", wrap=True, max_height=400,
                            column_widths=["15%", "25%", "38%", "9%", "7%", "6%"])
    export = gr.DownloadButton("Export attempts (CSV)", elem_id="export-csv", size="sm")

    @edge
    def load(name):
        name = _learner(name)
        store = tutor.progress
        mastery = store.mastery(name)
        frame = pd.DataFrame({"topic": pd.Series(list(mastery), dtype=str),
                              "mastery": pd.Series(list(mastery.values()), dtype=float)})
        due_rows = [[i.question, i.topic] for i in store.due(name, tutor.bank)]
        recent = store.attempts(name, 20)
        csv_path = exports / f"attempts-{re.sub(r'[^A-Za-z0-9_-]', '_', name)[:40]}.csv"
        csv_path.write_text(store.attempts_csv(name), encoding="utf-8")
        text = (f"<p><b>{esc(name)}</b>: {len(recent)} recent attempt(s), {len(due_rows)} question(s) due, "
                f"{len(mastery)} topic(s) practised.</p>")
        return text, frame, due_rows or None, _attempt_rows(recent) or None, str(csv_path)

    outs = [summary, chart, due, attempts, export]
    refresh.click(load, [learner], outs, api_visibility="private")
    return load, outs


# ---------------------------------------------------------------- Notes
def _sections(tutor) -> list[str]:
    seen: dict[str, None] = {}
    for p in tutor.passages():
        seen.setdefault(f"{p.file} › {p.section[0]}" if p.section else p.file, None)
    return list(seen)


def _status_html(tutor) -> str:
    passages = tutor.passages()
    files = sorted({p.file for p in passages})
    r = tutor.last_ingest
    last = "not run since the app started"
    if r is not None:
        last = (f"{len(r.indexed)} file(s) indexed, {len(r.unchanged)} unchanged, {len(r.removed)} removed, "
                f"{r.embedded} passage(s) embedded")
        when = getattr(tutor, "last_ingest_at", None)  # a datetime, when the Tutor records one
        if when is not None:
            last = f"{when:%Y-%m-%d %H:%M:%S}: {last}"
    return (f"<p><b>{len(files)}</b> file(s), <b>{len(passages)}</b> passages in the index. "
            f"Last ingest: {esc(last)}.</p><p>Files: {esc(', '.join(files))}</p>")


def _notes_tab(tutor):
    from .uploads import UPLOAD_SUFFIXES, save_upload

    status = gr.HTML(_status_html(tutor), elem_id="notes-status")
    with gr.Row():
        section = gr.Dropdown(_sections(tutor), label="Browse a section", elem_id="notes-section", scale=4)
        reload_ = gr.Button("Refresh", size="sm", scale=1, elem_id="notes-refresh")
    shown = gr.HTML("", elem_id="notes-passages")
    limit = tutor.settings.ui.max_upload_bytes
    upload = gr.File(label=f"Add notes files (.md, .markdown, .txt; up to {limit:,} bytes each)",
                     file_count="multiple", file_types=list(UPLOAD_SUFFIXES), elem_id="notes-upload")
    results = gr.HTML("", elem_id="upload-results")

    @edge
    def browse(choice):
        if not choice:
            return ""
        file, _, top = choice.partition(" › ")
        return section_html([p for p in tutor.passages() if p.file == file and (not top or p.section[:1] == (top,))])

    @edge
    def add(paths):
        lines, saved = [], []
        for path in paths or []:
            name = Path(path).name
            try:
                data = Path(path).read_bytes()
                saved.append(save_upload(Path(tutor.settings.corpus), name, data, limit).name)
            except TutorError as e:
                lines.append(f'<li class="upload-error">✗ {esc(e)}</li>')
        if saved:
            report = tutor.ingest(saved)
            bad = " ".join(report.errors)
            counts = Counter(p.file for p in tutor.passages())
            for name in saved:
                if name in bad:
                    lines.append(f'<li class="upload-error">✗ {esc(name)}: not indexed</li>')
                else:
                    lines.append(f'<li class="upload-ok">✓ {esc(name)}: indexed, {counts[name]} passage(s)</li>')
            lines += [f'<li class="upload-error">✗ {esc(e)}</li>' for e in report.errors]
            lines += [f'<li class="upload-warning">! {esc(w)}</li>' for w in report.warnings]
        report_html = f'<ul class="upload-report">{"".join(lines)}</ul>'
        return report_html, None, _status_html(tutor), gr.update(choices=_sections(tutor))

    section.change(browse, section, shown, api_visibility="private")
    upload.upload(add, upload, [results, upload, status, section], api_visibility="private")
    reload_.click(lambda: (_status_html(tutor), gr.update(choices=_sections(tutor))), None, [status, section],
                  api_visibility="private")
    return status, section


# ---------------------------------------------------------------- app
def build_app(tutor) -> gr.Blocks:
    # delete_cache: uploads and CSV exports copied into Gradio's cache are dropped after an hour
    with gr.Blocks(title="Notes Tutor", analytics_enabled=False, delete_cache=(3600, 3600)) as app:
        _api(tutor)  # first, so that it owns the name "ask"
        with gr.Row():
            gr.Markdown("## Notes Tutor\nAnswers, quizzes and feedback from your own notes, with sources.")
            learner = gr.Textbox(label="Your name (keys your quiz progress)", value="", elem_id="learner",
                                 placeholder="e.g. sam", max_length=80, scale=0, min_width=240)
            remembered = gr.BrowserState("", storage_key="notes-tutor-learner")
        with gr.Tabs():
            with gr.Tab("Ask", id="ask"):
                _ask_tab(tutor)
            with gr.Tab("Quiz", id="quiz") as quiz_tab:
                topics = _quiz_tab(tutor, learner)
            with gr.Tab("Grade", id="grade"):
                _grade_tab(tutor)
            with gr.Tab("Progress", id="progress") as progress_tab:
                load_progress, progress_outs = _progress_tab(tutor, learner)
            with gr.Tab("Notes", id="notes") as notes_tab:
                status, section = _notes_tab(tutor)
        progress_tab.select(_quiet(load_progress), learner, progress_outs, api_visibility="private")
        quiz_tab.select(lambda: gr.update(choices=[ALL_TOPICS, DUE_ONLY] + _topics(tutor)), None, topics,
                        api_visibility="private")
        notes_tab.select(lambda: (_status_html(tutor), gr.update(choices=_sections(tutor))), None, [status, section],
                         api_visibility="private")
        learner.change(lambda n: n, learner, remembered, api_visibility="private")
        app.load(lambda saved: saved or gr.update(), remembered, learner, api_visibility="private")
        app.load(None, None, None, js=CITE_JS, api_visibility="private")
    return app


def _api(tutor):
    """POST /gradio_api/call/ask for gradio_client: (question, history as a JSON list) → the ask JSON."""

    def ask(question: str, history: str = "[]") -> dict:
        """Answer a question from the notes: the same object as `tutor ask --json`."""
        try:
            past = json.loads(history or "[]")
        except json.JSONDecodeError as e:
            raise gr.Error(f"history must be a JSON list of strings: {e}") from e
        if not isinstance(past, list) or not all(isinstance(h, str) for h in past):
            raise gr.Error("history must be a JSON list of strings")
        return edge(tutor.ask)(question, past).to_dict()

    gr.api(ask, api_name="ask", concurrency_limit=4)


def _quiet(load):
    """Refresh on tab select without a toast when no name is typed yet."""

    def run(name):
        if not (name or "").strip():
            return (gr.update(),) * 5
        return load(name)

    return run


def launch_options(settings) -> dict:
    """Arguments for Blocks.launch that come from settings: bind address, auth, limits, look."""
    ui = settings.ui
    opts: dict = {"server_name": ui.host, "server_port": ui.port, "max_file_size": 4 * ui.max_upload_bytes,
                  "css": CSS, "ssr_mode": False, "footer_links": ["api"]}
    if ui.auth:
        user, sep, password = ui.auth.partition(":")
        if not sep or not user or not password:
            raise TutorError("TUTOR_UI__AUTH must be 'user:password'")
        opts["auth"] = (user, password)
    return opts


def warm_up(tutor) -> threading.Thread:
    """Load the embedding model, the retrieval state and the question bank in the background, so the page
    is up before they are and the first learner rarely waits for them (a question asked sooner just waits)."""

    def run():
        try:
            tutor.embed_query("warm up")
            tutor.retriever
            tutor.bank
        except Exception:  # the learner sees the same failure, translated, on the first question
            log.warning("warm-up failed", exc_info=True)

    thread = threading.Thread(target=run, name="tutor-warm-up", daemon=True)
    thread.start()
    return thread


WARM_UP_AFTER_S = 5.0  # with no browser on the page by then, warm up anyway


def launch(tutor, host: str | None = None, port: int | None = None, check_corpus: bool = False):
    """`tutor serve`: bind 127.0.0.1 unless told otherwise; analytics off; nothing leaves the machine.

    The page comes first. check_corpus: bring the index up to date with the corpus (`ensure_index`) behind
    the page instead of before it; it holds the Tutor's lock from the start, so a question asked meanwhile
    waits for it and is answered from the checked index. The warm-up (model, question bank) starts once the
    first browser has loaded the page (or after WARM_UP_AFTER_S), so that it does not compete with it."""
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    opts = launch_options(tutor.settings)
    if host:
        opts["server_name"] = host
    if port:
        opts["server_port"] = port
    app = build_app(tutor)  # opens the index (an unreachable one fails here, before the server starts)
    visited = threading.Event()

    def check():
        try:
            if check_corpus:
                tutor.ensure_index()  # unchanged notes: a few ms; changed ones: the model loads and embeds
        except Exception:  # the learner sees the same failure, translated, on the first question
            log.warning("corpus check failed", exc_info=True)
        visited.wait(WARM_UP_AFTER_S)
        warm_up(tutor)

    with app:
        app.load(visited.set, None, None, queue=False, api_visibility="private")
    threading.Thread(target=check, name="tutor-corpus-check", daemon=True).start()  # before the server is up
    app.launch(prevent_thread_lock=True, **opts)
    app.block_thread()
