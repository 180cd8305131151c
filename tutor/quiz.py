"""Passages → question bank (pure and deterministic; nothing here knows any particular notes file).

Questions come from structure only:
- table rows: "what is X" / "what is the <column> of X" (forward) and "which X is described as ..."
  (reverse); in multiple-choice mode the distractors are the other rows of the same table;
- bullets with children: their question head ("What is EBS?"), the list under a head, or what the
  notes say about a head;
- single bullets and paragraphs: definitions ("X is a ...", "Is a ..." under "What is X?"),
  verb-led statements ("Allows you to ..."), "term (meaning)" lines, else a fill-in-the-blank;
- numbers anywhere (retention 1–35 days, up to 5 copies, 3500 PUT per second) and spelled-out acronyms.
Each item keeps its topic (section path), reference, key points and the passage it cites. Ids are a
hash of the passage id, the question kind and what distinguishes it within the passage, so they
survive re-ingests of unchanged notes.

Layout: tutor/quiz_items.py (templates, shared helpers, the item), tutor/quiz_tables.py (table rows),
tutor/quiz_sentences.py (bullets, paragraphs, numbers, acronyms), this module (the bank: building,
de-duplication, export). The names other code imports from here are re-exported.
"""
from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

from .quiz_items import answer_terms, terms
from .quiz_sentences import _acronym_items, _bullet_items, _number_items
from .quiz_tables import _table_items, _tables
from .types import Passage, QuizItem

# Re-exported: tutor/session.py and the tests import these from here.
from .quiz_items import (  # noqa: F401
    BLANK,
    Q_ABOUT,
    Q_ACRONYM,
    Q_DOES,
    Q_FIELD,
    Q_FIELD_PLURAL,
    Q_FIELD_PREP,
    Q_FIELD_PREP_PLURAL,
    Q_FILL,
    Q_FILLS,
    Q_LIST,
    Q_NUMBER,
    Q_NUMBERS,
    Q_TERM,
    Q_TERM_MCQ,
    Q_TERM_PLURAL,
    Q_WHAT_IS,
    Q_WHICH,
    _short,
    cloze,
    context_of,
    key_points,
    norm_numbers,
    scrub,
    subject_of,
    topic_group,
)
from .quiz_tables import _row_fields  # noqa: F401


# ---- The bank -------------------------------------------------------------------------------------------
def _norm_q(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))


def build_bank(passages: list[Passage]) -> list[QuizItem]:
    """All questions the notes support, in notes order, without duplicates."""
    ps = sorted(passages, key=lambda p: (p.file, p.start, p.end, p.id))
    df = Counter(t for p in ps for t in terms(p.text))
    by_passage: dict[str, list[list[QuizItem]]] = {p.id: [] for p in ps}
    for rows in _tables(ps):
        for g in _table_items(rows):
            by_passage[g[0].passage_id].append(g)
    for p in ps:
        if p.kind in ("bullet", "paragraph"):
            by_passage[p.id] += _bullet_items(p, df)
        by_passage[p.id] += _number_items(p)
    for g in _acronym_items(ps):
        by_passage[g[0].passage_id].append(g)
    bank, seen_q, seen_ids = [], set(), set()
    for p in ps:
        for group in by_passage[p.id]:
            for it in group:
                key = (it.kind, _norm_q(it.question))
                if key in seen_q or it.id in seen_ids or not it.reference or not answer_terms(it):
                    continue
                seen_q.add(key)
                seen_ids.add(it.id)
                bank.append(it)
                break
    return bank


def export_bank(bank: list[QuizItem], path: str | Path) -> int:
    """Write the free-text questions as `grade` eval cases (the reference as a correct answer)."""
    n = 0
    with open(path, "w", encoding="utf-8") as f:
        for it in bank:
            if it.kind != "free":
                continue
            p = it.citation.passage
            case = {"id": it.id, "kind": "grade", "question": it.question, "reference": it.reference,
                    "answer": it.reference, "label": "correct", "topic": it.topic, "group": it.group,
                    "qtype": it.qtype, "key_points": it.key_points,
                    "gold": [{"file": p.file, "lines": [p.start, p.end]}]}
            f.write(json.dumps(case, ensure_ascii=False) + "\n")
            n += 1
    return n


def counts(bank: list[QuizItem], by: str = "group") -> dict[str, int]:
    """Questions per topic group (or per `qtype`, `kind`), in first-seen order."""
    out: dict[str, int] = {}
    for it in bank:
        k = getattr(it, by) or "?"
        out[k] = out.get(k, 0) + 1
    return out
