"""The web UI's formatting: answers, citations, passages, grades and quiz turns as HTML (pure functions).

Every piece of notes text reaches the page through `esc` (html.escape) before it is put into HTML;
the Chatbot also sanitises what it renders, as a second line of defence.
"""
from __future__ import annotations

import html
import re

from . import phrases

CITE_RE = re.compile(r"\[(\d+)\]")
WORD_RE = re.compile(r"[a-z0-9]{3,}")
STREAM_WORDS = 6  # words per streamed chunk of an answer, at least
STREAM_UPDATES = 3  # partial updates per answer, at most: each costs a round of diff, send and render
ATTEMPT_COLUMNS = ["when", "topic", "question", "verdict", "score", "hints"]


def esc(text) -> str:
    return html.escape(str(text if text is not None else ""), quote=True)


def _words(text: str) -> set[str]:
    return set(WORD_RE.findall(text.lower()))


def paragraphs(escaped: str) -> str:
    return "".join(f"<p>{line}</p>" for line in escaped.split("\n") if line.strip())


# ---------------------------------------------------------------- answers, citations, passages
def cited_snippets(answer_text: str) -> dict[int, list[str]]:
    """The answer text that each [n] marker follows: what the answer took from passage n."""
    out: dict[int, list[str]] = {}
    pieces = CITE_RE.split(answer_text)  # text, n, text, n, ...
    for i in range(1, len(pieces), 2):
        before = re.split(r"(?<=[.!?])\s+|\n", pieces[i - 1].strip())[-1]
        # one sentence may join several items of a passage: "Key: first item; second item [1]."
        out.setdefault(int(pieces[i]), []).extend(p for p in before.split("; ") if p.strip())
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
        body = paragraphs(linked(ans.answer))
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
        yield f'<div class="tutor-answer">{paragraphs(esc(" ".join(words[:i])))}</div>'


def section_html(passages) -> str:
    return "".join(passage_html(p, open_=True) for p in passages) or "<p>No passages.</p>"


# ---------------------------------------------------------------- grades and quiz turns
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
    out = _verdict(grade) + paragraphs(esc(grade.feedback)) + _grade_lists(grade)
    if grade.citation is not None:
        out += passage_html(grade.citation.passage, grade.citation.n, open_=True)
    return f'<div class="tutor-grade">{out}</div>'


def turn_html(turn) -> str:
    """One Socratic turn. Before the item is settled only the session's own message is shown (it never
    gives the answer away); once settled, also the full matched/missing lists and the cited passage."""
    g = turn.grade
    out = _verdict(g) if g is not None else ""
    out += paragraphs(esc(turn.message))
    if turn.finished_item and g is not None:
        out += _grade_lists(g)
    if turn.citation is not None:
        out += passage_html(turn.citation.passage, turn.citation.n, open_=True)
    state = "settled" if turn.finished_item else "open"
    return f'<div class="tutor-turn {state}">{out}</div>'


def question_html(item, number: int, total: int, hints_used: int = 0, note: str = "") -> str:
    """`note`: a line under the question ("No choices for this one …")."""
    head = f"Question {number} of {total} · {item.shown_topic}" + (f" · hints used: {hints_used}" if hints_used else "")
    return (f'<div class="tutor-question"><p class="span">{esc(head)}</p>'
            f"<p><b>{esc(item.question)}</b></p>" + (f"<p><i>{esc(note)}</i></p>" if note else "") + "</div>")


# ---------------------------------------------------------------- progress table
def attempt_rows(attempts: list[dict]) -> list[list]:
    """Table cells are plain text in gr.Dataframe (datatype "str"): no HTML, so no escaping here."""
    rows = []
    for a in attempts:
        score = a.get("score")
        rows.append([str(a.get("at", ""))[:16].replace("T", " "), a.get("topic", ""), a.get("question", ""),
                     a.get("verdict", ""), "" if score is None else round(float(score), 2), a.get("hints_used", 0)])
    return rows
