"""What the notes say around a reference answer, for a grade asked without it (`tutor grade`, the `grade` kind of
`tutor eval`): the key points, the sibling rows and the citation the quiz gives the grader itself.

The grader tells "Reserved Instances" from "Sport Instances" by the siblings it is given: without them, two row
names sharing a word look alike ("Instances"). A quiz item carries its siblings; a bare (question, reference) pair is
matched to the bank item it came from, else to the table cell it quotes, whose siblings are the same column of the
table's other rows.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from .types import Citation, Passage, QuizItem


@dataclass
class GradeContext:
    key_points: list[str] | None = None
    siblings: list[str] = field(default_factory=list)
    citation: Citation | None = None
    need: int = 0  # of the key points, how many a right answer makes (0: all)


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", text or "")).strip().lower().rstrip(" .;:")


def index_bank(bank: list[QuizItem]) -> dict[tuple[str, str], QuizItem]:
    """The bank by (question, reference), normalised: built once per bank, looked up per grade."""
    return {(_norm(i.question), _norm(i.reference)): i for i in reversed(bank)}  # the first of equals wins


def bank_item_asking(question: str, bank: dict[tuple[str, str], QuizItem]) -> QuizItem | None:
    """The free-text bank item that asks exactly this question (a quiz question graded without its reference), when
    only one does."""
    q = _norm(question)
    found = [item for (iq, _), item in bank.items() if iq == q and item.kind == "free"]
    return found[0] if len(found) == 1 else None


def from_bank(question: str, reference: str, bank: dict[tuple[str, str], QuizItem]) -> GradeContext | None:
    """The bank item with this question and reference (an exported item graded from outside)."""
    item = bank.get((_norm(question), _norm(reference)))
    return GradeContext(item.key_points or None, list(item.siblings), item.citation, item.need) if item else None


def from_table(reference: str, passages: list[Passage]) -> GradeContext | None:
    """The table row one of whose cells is the reference: siblings are that column's cells in the other rows."""
    r = _norm(reference)
    if not r:
        return None
    for p in passages:
        if p.kind != "table_row":
            continue
        for col, (_, cell) in enumerate(p.fields):
            if _norm(cell) != r:
                continue
            sibs = []
            for o in passages:
                if o.kind == "table_row" and o.id != p.id and o.file == p.file and o.section[:-1] == p.section[:-1] \
                        and len(o.fields) > col and _norm(o.fields[col][1]) not in ("", r):
                    sibs.append(o.fields[col][1])
            if sibs:
                return GradeContext(None, sibs, Citation(1, p))
    return None


def context_for(question: str, reference: str, bank: dict[tuple[str, str], QuizItem],
                passages: list[Passage]) -> GradeContext:
    return from_bank(question, reference, bank) or from_table(reference, passages) or GradeContext()


# A number as a learner or the notes write it: "35", "20,000", "0.2", "5TB" (its digits)
_NUMBER = re.compile(r"(?<![\w.])\d+(?:[.,]\d+)*")
QUANTITY_ANSWER_WORDS = 6  # beyond its numbers, a short answer to a "how many / how long" question


def quantity_stated(question: str, reference: str, answer: str) -> str | None:
    """A short answer to a quantity question ("how many read replicas can a DB have?" → "5") graded against the notes'
    composed answer: the sentence of it whose numbers are exactly the answer's ("… (up to 5 copies)", "between 1 and
    35 days") and which names what is counted, else None. The grader weighs an answer against the whole composed
    answer, and a bare "5" made none of its points."""
    from .answer import asks_for_number, quantity_head
    from .text import content_terms, sentences

    if not asks_for_number(question):
        return None
    said = {n.replace(",", "") for n in _NUMBER.findall(answer or "")}
    rest = content_terms(_NUMBER.sub(" ", answer or ""))
    if not said or len(rest) > QUANTITY_ANSWER_WORDS:
        return None
    head = quantity_head(question)
    want = set(content_terms(head)) if head else set()
    for s in sentences(reference):
        terms = set(content_terms(s))
        if ({n.replace(",", "") for n in _NUMBER.findall(s)} == said and (not want or want & terms)
                and set(rest) <= terms | set(content_terms(question))):  # no word of its own: "5 days" is no count
            return s.strip()
    return None
