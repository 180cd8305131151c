"""Two questions in one message: "which engines does it give me, and what apps is it a good fit for?"

One passage rarely answers both, and the composer picks the units closest to the whole message, so the second
question used to go unanswered. Each part is answered on its own, the second as a follow-up of the first ("does
it support …" after "can people log in with …" is about the same thing), and the two answers are joined, the
second's citations renumbered after the first's.
"""
from __future__ import annotations

import re
from typing import Callable

from .text import content_terms
from .types import Answer, Citation

# a second question joined on: ", and what …", "? also …", "? how …" (not "our users and what each of them is allowed
# to touch", a clause of the one question)
_SECOND = re.compile(r",\s*(?:and|also|plus)\s+(?=(?:what|which|how|who|where|when|why|can|does|do|is|are)\b)"
                     r"|\?\s+(?=\w)", re.I)
_ASKS = re.compile(r"(?:(?:and|also|plus|so|ok|but)\s+)*(?:what|which|how|who|where|when|why|can|could|does|do|did|is|are|will"
                   r"|would|should)\b", re.I)
_SENTENCE_END = re.compile(r"(?<=\]\.)\s+")
_MARKER = re.compile(r"\[(\d+)\]")


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


def answers_each(answer: str, parts: tuple[str, str], weight: Callable[[str], float]) -> bool:
    """The answer says at least half of each part's own words (those the other part does not have), each word
    weighed by `weight` (its IDF in the notes): "data" in an answer says little of "which one hangs on to my data?"."""
    said = set(content_terms(answer))
    terms = [set(content_terms(p)) for p in parts]
    return all(2 * sum(map(weight, own & said)) >= sum(map(weight, own))
               for own in (terms[0] - terms[1], terms[1] - terms[0]))


def joined(question: str, first: Answer, second: Answer) -> Answer:
    """One answer from the answers to both parts: the first as it is, then what the second adds, its citations
    numbered on from the first's (a passage both cite keeps its number). The passages are the two rankings
    interleaved, each passage once."""
    cites = list(first.citations)
    number = {c.passage.id: c.n for c in cites}
    renumber: dict[int, int] = {}
    for c in second.citations:
        if c.passage.id not in number:
            number[c.passage.id] = len(cites) + 1
            cites.append(Citation(len(cites) + 1, c.passage))
        renumber[c.n] = number[c.passage.id]
    added = []
    for s in _SENTENCE_END.split(second.answer):
        s = _unsaid(_MARKER.sub(lambda m: f"[{renumber.get(int(m.group(1)), int(m.group(1)))}]", s), first.answer)
        if s:
            added.append(s)
    if not added:
        return first
    used = {int(n) for n in _MARKER.findall(first.answer + " ".join(added))}
    passages, seen = [], set()
    for pair in zip(first.passages, second.passages):
        for sp in pair:
            if sp.passage.id not in seen:
                seen.add(sp.passage.id)
                passages.append(sp)
    return Answer(question, " ".join([first.answer, *added]), False, min(first.confidence, second.confidence),
                  [c for c in cites if c.n in used], passages[: max(len(first.passages), len(second.passages))])


def _unsaid(sentence: str, said: str) -> str:
    """What of a sentence ("Read Replica: up to 5 copies; own DNS end point [1].") the first answer did not say
    already, its items cut at "; " (the composer joins the items of one passage that way); "" when nothing."""
    m = re.match(r"(.*?)\s*((?:\[\d+\])+)\.?$", sentence.strip())
    if not m:
        return "" if sentence.strip() in said else sentence
    body, marks = m.groups()
    head, sep, items = body.partition(": ") if ": " in body else ("", "", body)
    fresh = [i for i in items.split("; ") if i.strip(" .") and i.strip(" .") not in said]
    if not fresh:
        return ""
    return f"{head}{sep}{'; '.join(fresh)} {marks}."
