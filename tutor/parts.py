"""Two questions in one message: "which engines does it give me, and what apps is it a good fit for?"

One passage rarely answers both, and the composer picks the units closest to the whole message, so the second
question used to go unanswered. Each part is answered on its own, the second as a follow-up of the first ("does
it support …" after "can people log in with …" is about the same thing), and the two answers are joined, the
second's citations renumbered after the first's.
"""
from __future__ import annotations

import re
from dataclasses import replace
from itertools import zip_longest

from .text import content_terms
from .types import Answer, Citation, Passage

# a second question joined on: ", and what …", "? also …", "? how …" (not "our users and what each of them is allowed
# to touch", a clause of the one question)
_SECOND = re.compile(r",\s*(?:and|also|plus)\s+(?=(?:what|which|how|who|where|when|why|can|does|do|is|are)\b)"
                     r"|\?\s+(?=\w)", re.I)
_ASKS = re.compile(r"(?:(?:and|also|plus|so|ok|but)\s+)*(?:what|which|how|who|where|when|why|can|could|does|do|did|is|are|will"
                   r"|would|should)\b", re.I)
_SENTENCE_END = re.compile(r"(?<=\]\.)\s+")  # the composer ends each sentence "… [n]."
_MARKER = re.compile(r"\[(\d+)\]")
_PASSAGE_MARKER = re.compile(r"\[@([0-9a-f]+)\]")  # while two answers are joined, a marker names its passage


def question_parts(question: str) -> tuple[str, str] | None:
    """The two questions a message asks, or None when it asks one (or more than two: those stay whole). Each part
    must name something of its own: "what is S3, and why?" asks one thing."""
    parts = [p.strip(" ,;") for p in _SECOND.split(question.strip()) if p.strip(" ,;?")]
    if len(parts) != 2:
        return None
    first, second = parts
    own = [set(content_terms(p)) for p in parts]
    if not own[0] or not (own[1] - own[0]) or len(second.split()) < 3:
        return None
    if not (second.endswith("?") or _ASKS.match(second)):
        return None  # "… a policy? they both sound like permissions stuff to me" adds a remark, not a question
    return first if first.endswith("?") else first + "?", second


def joined(question: str, first: Answer, second: Answer) -> Answer:
    """One answer from the answers to both parts: the first as it is, then what the second adds. Citations are
    numbered by first use over the joined text (a passage both cite keeps one number). The passages are the two
    rankings interleaved, each passage once."""
    by_passage = {c.passage.id: c.passage for c in [*first.citations, *second.citations]}
    # markers name passages while the two texts are put together, numbers after
    first_text = _MARKER.sub(lambda m: _by_passage(first, m), first.answer)
    added = []
    for s in _SENTENCE_END.split(second.answer):
        s = _unsaid(_MARKER.sub(lambda m: _by_passage(second, m), s), first_text)
        if s:
            added.append(s)
    if not added:  # the second part's answer was all said in the first's
        return replace(first, question=question)
    text, citations = numbered(" ".join([first_text, *added]), by_passage)
    passages, seen = [], set()
    for pair in zip_longest(first.passages, second.passages):
        for sp in pair:
            if sp is not None and sp.passage.id not in seen:
                seen.add(sp.passage.id)
                passages.append(sp)
    return Answer(question, text, False, min(first.confidence, second.confidence), citations,
                  passages[: max(len(first.passages), len(second.passages))])


def numbered(text: str, by_passage: dict[str, Passage]) -> tuple[str, list[Citation]]:
    """`[@passage id]` markers → `[n]`, numbered by first use (a passage keeps one number), with their citations."""
    number: dict[str, int] = {}
    out = _PASSAGE_MARKER.sub(lambda m: f"[{number.setdefault(m.group(1), len(number) + 1)}]", text)
    return out, [Citation(n, by_passage[pid]) for pid, n in number.items()]


def _by_passage(answer: Answer, marker: re.Match) -> str:
    """`[n]` of `answer` as `[@passage id]` (as it was, if `answer` cites no n: brackets in the notes' own text)."""
    n = int(marker.group(1))
    return next((f"[@{c.passage.id}]" for c in answer.citations if c.n == n), marker.group(0))


def _unsaid(sentence: str, said: str) -> str:
    """What of a sentence ("Read Replica: up to 5 copies; own DNS end point [@id].") the first answer did not say
    already, its items cut at "; " (the composer joins the items of one passage that way); "" when nothing."""
    m = re.match(r"(.*?)\s*((?:\[@[0-9a-f]+\])+)\.?$", sentence.strip())
    if not m:
        return "" if sentence.strip() in said else sentence
    body, marks = m.groups()
    head, sep, items = body.partition(": ") if ": " in body else ("", "", body)
    fresh = [i for i in items.split("; ") if i.strip(" .") and i.strip(" .") not in said]
    if not fresh:
        return ""
    return f"{head}{sep}{'; '.join(fresh)} {marks}."
