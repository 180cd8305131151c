"""The web UI: a gr.Blocks app over one Tutor, its layout, its API endpoint and `tutor serve`.

The handlers are in ui_handlers (one class per tab; each calls one Tutor or QuizSession method) and the
HTML they return is built in ui_render, where every piece of notes text is escaped. Per-browser state
(chat, quiz, learner) lives in gr.State, never on the Tutor.
"""
from __future__ import annotations

import functools
import json
import logging
import os
import threading

import gradio as gr

from .errors import TutorError
from .ui_handlers import (ALL_TOPICS, DUE_ONLY, AskHandlers, GradeHandlers, NotesHandlers, ProgressHandlers,
                          QuizHandlers, edge, section_choices, status_html, topic_choices)
from .ui_render import (ATTEMPT_COLUMNS, STREAM_UPDATES, STREAM_WORDS, answer_html, cited_snippets, esc,
                        grade_html, passage_html, question_html, section_html, stream_chunks, turn_html)

__all__ = [  # the rendering and the edge stay importable from tutor.ui
    "build_app", "launch", "launch_options", "warm_up", "CSS", "CITE_JS", "WARM_UP_AFTER_S", "edge",
    "esc", "answer_html", "passage_html", "cited_snippets", "stream_chunks", "grade_html", "turn_html",
    "question_html", "section_html", "STREAM_WORDS", "STREAM_UPDATES",
]

log = logging.getLogger(__name__)

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
  // The chat's copy button copies a message's HTML; the learner wants what they read: the answer, its sources.
  // Gradio's own copy runs on the same click; this one writes after it.
  document.addEventListener('click', (ev) => {
    const b = ev.target.closest ? ev.target.closest('#chat button') : null;
    if (!b || !/copy/i.test(b.getAttribute('aria-label') || b.title || '')) return;
    const bar = b.closest('.message-buttons');
    const row = bar ? bar.previousElementSibling : null;
    if (!row || !navigator.clipboard) return;
    const text = row.innerText.replace(/\\n{3,}/g, '\\n\\n').trim();
    setTimeout(() => navigator.clipboard.writeText(text).catch(() => {}), 150);
  }, true);
}"""


# ---------------------------------------------------------------- Ask
def _ask_tab(tutor):
    h = AskHandlers(tutor)
    chat_state = gr.State([])  # list of message dicts, this browser session only
    history = gr.State([])  # earlier learner questions, oldest first
    chatbot = gr.Chatbot(elem_id="chat", height=460, render_markdown=False, sanitize_html=True,
                         feedback_options=None, buttons=["copy"], label="Ask your notes")
    with gr.Row():
        box = gr.Textbox(elem_id="question", show_label=False, lines=2, max_lines=12, scale=6,
                         placeholder="Ask about your notes, or paste a practice question with options A. B. C. … "
                                     "(Shift+Enter sends; Enter starts a new line)")
        send = gr.Button("Ask", variant="primary", elem_id="ask-btn", scale=1)
    new = gr.Button("New conversation", size="sm", elem_id="new-chat")

    outs = [chatbot, chat_state, history, box]
    send.click(h.chat_turn, [box, chat_state, history], outs, api_visibility="private")
    box.submit(h.chat_turn, [box, chat_state, history], outs, api_visibility="private")
    new.click(lambda: ([], [], [], ""), None, outs, api_visibility="private")
    chatbot.clear(lambda: ([], [], [], ""), None, outs, api_visibility="private")


# ---------------------------------------------------------------- Quiz
def _quiz_tab(tutor, learner):
    h = QuizHandlers(tutor)
    session = gr.State(None)  # this browser's QuizSession
    with gr.Row():
        topics = gr.Dropdown([ALL_TOPICS, DUE_ONLY] + topic_choices(tutor), value=[ALL_TOPICS], multiselect=True,
                             label="Topics", elem_id="quiz-topics", scale=4)
        mode = gr.Radio(["Free text", "Multiple choice"], value="Free text", label="Answer as", scale=2,
                        elem_id="quiz-mode")
        size = gr.Number(5, minimum=1, maximum=50, precision=0, label="Questions", scale=1, elem_id="quiz-size")
        start = gr.Button("Start quiz", variant="primary", elem_id="quiz-start", scale=1)
    question = gr.HTML("<p>Type your name at the top, pick topics and start a quiz.</p>", elem_id="quiz-question")
    choice = gr.Radio([], label="Your choice", visible=False, elem_id="quiz-choice")
    answer = gr.Textbox(label="Your answer", lines=2, elem_id="quiz-answer",
                        placeholder="Shift+Enter sends; Enter starts a new line")
    with gr.Row():
        submit = gr.Button("Answer", variant="primary", elem_id="quiz-submit")
        hint = gr.Button("Hint", elem_id="quiz-hint")
        dont_know = gr.Button("I don't know", elem_id="quiz-dont-know")
        why = gr.Button("Why?", elem_id="quiz-why")
        nxt = gr.Button("Next question", elem_id="quiz-next")
    feedback = gr.HTML("", elem_id="quiz-feedback")

    outs = [session, question, choice, answer, feedback]
    start.click(h.begin, [learner, topics, mode, size], outs, api_visibility="private")
    nxt.click(h.advance, [session], outs, api_visibility="private")
    for button, action in ((submit, "answer"), (hint, "hint"), (dont_know, "dont_know"), (why, "why")):
        button.click(functools.partial(h.act, action), [session, answer, choice], [session, feedback, question],
                     api_visibility="private")
    answer.submit(functools.partial(h.act, "answer"), [session, answer, choice], [session, feedback, question],
                  api_visibility="private")
    return topics


# ---------------------------------------------------------------- Grade
def _grade_tab(tutor):
    h = GradeHandlers(tutor)
    q = gr.Textbox(label="Question", lines=2, elem_id="grade-question")
    a = gr.Textbox(label="Your answer", lines=3, elem_id="grade-answer")
    ref = gr.Textbox(label="Reference answer (optional: leave empty and the tutor finds it in your notes)",
                     lines=2, elem_id="grade-reference")
    go = gr.Button("Grade my answer", variant="primary", elem_id="grade-btn")
    out = gr.HTML("", elem_id="grade-result")
    go.click(h.grade, [q, a, ref], out, api_visibility="private")


# ---------------------------------------------------------------- Progress
def _progress_tab(tutor, learner):
    import pandas as pd

    h = ProgressHandlers(tutor)
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

    outs = [summary, chart, due, attempts, export]
    refresh.click(h.load, [learner], outs, api_visibility="private")
    return h.load, outs


# ---------------------------------------------------------------- Notes
def _notes_tab(tutor):
    from .uploads import UPLOAD_SUFFIXES

    h = NotesHandlers(tutor)
    status = gr.HTML(status_html(tutor), elem_id="notes-status")
    with gr.Row():
        section = gr.Dropdown(section_choices(tutor), label="Browse a section", elem_id="notes-section", scale=4)
        reload_ = gr.Button("Refresh", size="sm", scale=1, elem_id="notes-refresh")
    shown = gr.HTML("", elem_id="notes-passages")
    upload = gr.File(label=f"Add notes files (.md, .markdown, .txt; up to {h.limit:,} bytes each)",
                     file_count="multiple", file_types=list(UPLOAD_SUFFIXES), elem_id="notes-upload")
    results = gr.HTML("", elem_id="upload-results")

    section.change(h.browse, section, shown, api_visibility="private")
    upload.upload(h.add, upload, [results, upload, status, section], api_visibility="private")
    reload_.click(lambda: (status_html(tutor), gr.update(choices=section_choices(tutor))), None, [status, section],
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
        quiz_tab.select(lambda: gr.update(choices=[ALL_TOPICS, DUE_ONLY] + topic_choices(tutor)), None, topics,
                        api_visibility="private")
        notes_tab.select(lambda: (status_html(tutor), gr.update(choices=section_choices(tutor))), None,
                         [status, section], api_visibility="private")
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


# ---------------------------------------------------------------- launch
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
