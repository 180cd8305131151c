"""The web UI's event handlers, one class per tab. Each handler calls one Tutor or QuizSession method and
formats the result with ui_render; per-browser state (chat, quiz, learner) comes in and goes out through
gr.State and the page's components, never onto the Tutor or a handler object (they hold only the Tutor)."""
from __future__ import annotations

import functools
import inspect
import re
import secrets
import tempfile
from collections import Counter
from pathlib import Path

import gradio as gr

from . import phrases
from .errors import TutorError
from .session import NO_CHOICES, NO_QUESTION
from .ui_render import (answer_html, attempt_rows, esc, grade_html, paragraphs, question_html, section_html,
                        stream_chunks, turn_html)

ALL_TOPICS = "All topics"
BLANK_ANSWER = "Type an answer first, or ask for a hint."
DUE_ONLY = "What's due"


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


# ---------------------------------------------------------------- what the tabs list from the index
def topic_choices(tutor) -> list[str]:
    seen: dict[str, None] = {}
    for p in tutor.passages():
        if p.section:
            seen.setdefault(p.section[0], None)
    return list(seen)


def section_choices(tutor) -> list[str]:
    seen: dict[str, None] = {}
    for p in tutor.passages():
        seen.setdefault(f"{p.file} › {p.section[0]}" if p.section else p.file, None)
    return list(seen)


def status_html(tutor) -> str:
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


# ---------------------------------------------------------------- Ask
class AskHandlers:
    def __init__(self, tutor):
        self.tutor = tutor

    @edge
    def chat_turn(self, message, chat, hist):
        from .answer import split_options

        if not re.search(r"\w", message or ""):
            # a click on Ask with nothing typed: a note, not an error over the conversation and the question box
            gr.Warning(phrases.EMPTY_QUESTION)
            yield chat, chat, hist, message or ""
            return
        stem, options = split_options(message or "")
        ans = self.tutor.ask(stem, hist, options)
        chat = chat + [{"role": "user", "content": paragraphs(esc(message.strip()))}]
        cleared = False
        for partial in stream_chunks(ans.answer):  # a new list each time: Gradio diffs against the last one
            shown = chat + [{"role": "assistant", "content": partial}]
            # the box is cleared once: what the learner types meanwhile (the next question) is kept
            yield shown, shown, hist, gr.update() if cleared else ""
            cleared = True
        chat = chat + [{"role": "assistant", "content": answer_html(ans, secrets.token_hex(4))}]
        yield chat, chat, hist + [stem], gr.update() if cleared else ""


# ---------------------------------------------------------------- Quiz
class QuizHandlers:
    """Outputs of begin and advance: session, question, choice, answer, feedback; of act: session,
    feedback, question."""

    def __init__(self, tutor):
        self.tutor = tutor

    def show(self, s, item, note=""):
        if item is None:
            from .quiz_cli import SUMMARY

            tally = SUMMARY.strip().format(**s.tally()) if s.results else ""
            done = f"<p><b>Quiz finished.</b> {esc(tally)} {esc(note)} Your progress is in the Progress tab.</p>"
            # nothing left to answer: the answer box goes until the next quiz starts
            return s, done, gr.update(visible=False, choices=[], value=None), gr.update(visible=False, value=""), ""
        mcq = item.kind == "mcq" and bool(item.options)
        options = [(f"{k}. {v}", k) for k, v in (item.options or {}).items()]
        return (s, question_html(item, len(s.asked), s.size, s.hints_used, NO_CHOICES if s.without_choices(item) else ""),
                gr.update(visible=mcq, choices=options, value=None), gr.update(visible=not mcq, value=""),
                f"<p>{esc(note)}</p>" if note else "")

    @edge
    def begin(self, name, picked, mode_label, n):
        tutor = self.tutor
        name, picked = _learner(name), [t for t in (picked or []) if t != ALL_TOPICS]
        size = max(1, int(n or 5))
        if DUE_ONLY in picked:  # the session serves due items first; size the quiz to what is due
            due = len(tutor.progress.due(name, tutor.bank))
            if not due:
                raise gr.Error("Nothing is due for review yet: pick topics instead.")
            size = min(size, due)
        chosen = [t for t in picked if t != DUE_ONLY] or None
        s = tutor.start_quiz(name, chosen, "mcq" if mode_label == "Multiple choice" else "free", size)
        return self.show(s, s.next_question(), "" if s.pool else "No questions for these topics.")

    @edge
    def act(self, action, s, text, picked):
        if s is None:
            raise gr.Error("Start a quiz first.")
        if action != "why" and not s.is_open:
            # the question is settled and its feedback (the reveal, the source) stays on screen
            gr.Info(NO_QUESTION)
            return s, gr.update(), gr.update()
        mcq = s.current is not None and s.current.kind == "mcq" and s.current.options
        if action == "answer" and not mcq and not (text or "").strip():
            gr.Info(BLANK_ANSWER)  # a click with nothing typed is no attempt: nothing graded, no hint spent
            return s, gr.update(), gr.update()
        if action == "answer":
            reply = s.answer((picked or "") if mcq else (text or ""))
        else:
            reply = getattr(s, action)()
        heading = question_html(s.current, len(s.asked), s.size, s.hints_used,
                                NO_CHOICES if s.without_choices(s.current) else "") if s.current else gr.update()
        return s, turn_html(reply), heading

    @edge
    def advance(self, s):
        if s is None:
            raise gr.Error("Start a quiz first.")
        s.skip()  # records a skip only when the question is still open
        return self.show(s, s.next_question())


# ---------------------------------------------------------------- Grade
class GradeHandlers:
    def __init__(self, tutor):
        self.tutor = tutor

    def grade(self, question, answer, reference):
        try:
            return grade_html(self.tutor.grade(question, answer, reference=reference or None))
        except TutorError as e:
            # said where the grade would be: an error toast left the previous question's grade on screen below it
            return f'<div class="tutor-grade grade-error"><p>{esc(e)}</p></div>'



# ---------------------------------------------------------------- Progress
class ProgressHandlers:
    def __init__(self, tutor):
        self.tutor = tutor
        self.exports = Path(tempfile.mkdtemp(prefix="tutor-csv-"))  # one folder per app; Gradio serves copies

    @edge
    def load(self, name):
        """→ summary, mastery chart, due table, attempts table, CSV export."""
        import pandas as pd

        tutor = self.tutor
        name = _learner(name)
        store = tutor.progress
        mastery = store.mastery(name)
        answered = store.answered(name, tutor.bank)
        # "EC2 › EC2 Option (1/12)": how much of the topic the figure rests on
        labels = [f"{g} ({answered.get(g, (0, 0))[0]}/{answered.get(g, (0, 0))[1]})" for g in mastery]
        frame = pd.DataFrame({"topic": pd.Series(labels, dtype=str),
                              "mastery": pd.Series(list(mastery.values()), dtype=float)})
        due_rows = [[i.question, i.topic] for i in store.due(name, tutor.bank)]
        recent = store.attempts(name, 20)
        csv_path = self.exports / f"attempts-{re.sub(r'[^A-Za-z0-9_-]', '_', name)[:40]}.csv"
        csv_path.write_text(store.attempts_csv(name), encoding="utf-8")
        text = (f"<p><b>{esc(name)}</b>: {len(recent)} recent attempt(s), {len(due_rows)} question(s) due, "
                f"{len(mastery)} topic(s) practised.</p>")
        return text, frame, due_rows or None, attempt_rows(recent) or None, str(csv_path)


# ---------------------------------------------------------------- Notes
class NotesHandlers:
    def __init__(self, tutor):
        self.tutor = tutor
        self.limit = tutor.settings.ui.max_upload_bytes

    @edge
    def browse(self, choice):
        if not choice:
            return ""
        file, _, top = choice.partition(" › ")
        passages = self.tutor.passages()
        return section_html([p for p in passages if p.file == file and (not top or p.section[:1] == (top,))])

    @edge
    def add(self, paths):
        """→ upload report, cleared upload box, notes status, section choices."""
        from .uploads import keep_replaced, save_upload

        tutor = self.tutor
        lines, saved, replaced = [], [], {}
        before = Counter(p.file for p in tutor.passages())
        corpus = Path(tutor.settings.corpus)
        for path in paths or []:
            name = Path(path).name
            try:
                data = Path(path).read_bytes()
                kept = keep_replaced(corpus, name, data, Path(tutor.settings.home) / "replaced", self.limit)
                saved.append(save_upload(corpus, name, data, self.limit).name)
                if kept is not None:
                    replaced[name] = kept
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
                if name in replaced:  # said plainly, with where the earlier file went
                    lines.append(f'<li class="upload-warning">! {esc(name)} replaced the notes file of the same name '
                                 f'({before[name]} passage(s)); the earlier file is kept as {esc(replaced[name])}</li>')
            lines += [f'<li class="upload-error">✗ {esc(e)}</li>' for e in report.errors]
            lines += [f'<li class="upload-warning">! {esc(w)}</li>' for w in report.warnings]
        report_html = f'<ul class="upload-report">{"".join(lines)}</ul>'
        return report_html, None, status_html(tutor), gr.update(choices=section_choices(tutor))
