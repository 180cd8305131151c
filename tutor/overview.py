"""'What EBS volume types are there?': the rows of the table the question is about, one short line each.

Asked for the kinds of something and nothing more, the answer is the whole table (every row key, with the
first words its notes give it), not the three sentences that happen to score best. A question that names a
row ('which volume type for big data?') or asks for more than the kinds ('which families are memory
optimized?') is left to the composer.
"""
from __future__ import annotations

import re

from .acronyms import acronyms
from .text import content_terms
from .types import Answer, Citation, Passage, Retrieval
from .units import reading_sentences

KINDS_CUE = re.compile(r"\b(kinds|types|classes|families|tiers|engines|options|sorts|flavou?rs|ways|terms|terminology)\b"
                       r"|\bkinds? of\b|\btypes? of\b", re.I)
# the kinds words themselves, as stems ("options", "types"): the kinds of something are asked for, not a thing
KIND_WORDS = frozenset(content_terms("kinds types classes families tiers engines options sorts flavours ways"))
# words a learner adds to "what kinds of X are there" that ask for nothing more
_FILLER = set(content_terms(
    "kind kinds type types class classes family families tier tiers engine engines option options sort sorts flavor "
    "flavour different various available exist there choose choice pick offer offers provide provides have has get "
    "use can buy aws amazon main all list name tell way ways key term terms terminology"))
LINE_WORDS = 12  # a row's line: its key, and its first sentence when that is this short …
TOTAL_WORDS = 60  # … or, with few rows, when all of them fit in this many words


def _table_rows(top: Passage, passages) -> list[Passage]:
    labels = [label for label, _ in top.fields]
    rows = [p for p in passages if p.kind == "table_row" and p.file == top.file and p.section[:-1] == top.section[:-1]
            and [label for label, _ in p.fields] == labels]
    return sorted(rows, key=lambda p: p.start)


def _line(p: Passage, max_words: int) -> str:
    cell = next((c for _, c in p.fields[1:] if c.strip()), "")
    first = (p.items[0] if p.items and p.items[0] in cell else (reading_sentences(cell) or [""])[0]).strip().rstrip(".;")
    if not first or first.lower() == p.title.lower():
        return p.title
    ws = first.split()
    # a long first sentence is cut, not dropped: a bare "On Demand" tells the learner nothing
    return f"{p.title}: {first}" if len(ws) <= max_words else f"{p.title}: {' '.join(ws[:max_words]).rstrip(',;:.')} …"


# "what are the different EC2 pricing options?": asks for the kinds themselves, whatever words qualify them
_WHAT_ARE_THE_KINDS = re.compile(
    r"^\s*(?:what|which)\s+(?:are|r)\s+(?:the\s+|all\s+(?:the\s+)?)?(?:different\s+|various\s+|main\s+|available\s+)?"
    r"[\w\s\-]*?\b(kinds|types|options|classes|families|tiers|engines)\b(?:\s+(?:are there|available|that exist))?\s*\??\s*$",
    re.I)


def _lists_the_kinds(question: str, top: Passage, rows: list[Passage], extra: set[str]) -> bool:
    """The question asks for the kinds by the table's own key ("options" of "EC2 Option"), and its other words
    ("pricing") name no row but are words of its rows: they qualify the kinds, they do not pick one."""
    m = _WHAT_ARE_THE_KINDS.match(question)
    if not m or not set(content_terms(m.group(1))) & set(content_terms(top.fields[0][0])):
        return False
    if any(extra & set(content_terms(p.title)) for p in rows):
        return False
    # and the table speaks of them: each is in some row ("price" of the EC2 options; not "server side", whose
    # "side" is in none: it names Server Side Encryption, elsewhere)
    said = set().union(*(set(content_terms(p.text)) for p in rows))
    return extra <= said


def _others_asked(question: str, top: Passage, rows: list[Passage], history: list[str]) -> list[Passage] | None:
    """"what are the other key terms besides that one?" after "what's RTMP in CloudFront?": the rows of the table
    but the one the previous question named; None when that is not what is asked."""
    from .retrieval import asks_another

    if not history or not asks_another(question):
        return None
    before = set(content_terms(history[-1]))
    named = [p for p in rows if set(content_terms(p.title)) & before]
    others = [p for p in rows if p not in named]
    return others if len(named) == 1 and len(others) >= 2 and top in others else None


def table_overview(question: str, retrieval: Retrieval, passages, history: list[str] | None = None) -> Answer | None:
    if not KINDS_CUE.search(question) or not retrieval.results:
        return None
    top = retrieval.results[0].passage
    if top.kind != "table_row":
        return None
    rows = _table_rows(top, passages)
    if len(rows) < 2:
        return None
    others = _others_asked(question, top, rows, history or [])
    if others is not None:
        return _overview(question, retrieval, others)
    asked = set(content_terms(retrieval.query)) - _FILLER
    # what the table is about (its section, its key column) may be named; anything else asks for more
    about = set(content_terms(" ".join([*top.section[:-1], top.fields[0][0]]))) | set(acronyms(" ".join(top.section[:-1])))
    shared = set.intersection(*(set(content_terms(p.title)) for p in rows))  # "Load Balancer" in every row key
    extra = asked - about - shared
    if extra and not _lists_the_kinds(question, top, rows, extra):
        return None
    return _overview(question, retrieval, rows)


def _overview(question: str, retrieval: Retrieval, rows: list[Passage]) -> Answer:
    cites = [Citation(i + 1, p) for i, p in enumerate(rows)]
    per_row = max(LINE_WORDS, TOTAL_WORDS // len(rows))
    text = " ".join(f"{_line(p, per_row)} [{c.n}]." for p, c in zip(rows, cites))
    return Answer(question, text, False, retrieval.support, cites, retrieval.results)
