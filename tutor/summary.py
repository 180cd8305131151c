"""'Summarize my notes on RDS': the section of the notes the learner names, one short line per passage under it.

A summary is asked of a heading, not of a fact: no passage holds "summarize" or "RDS" together with much else,
so the support score reads it as uncovered ("summarize RDS" scored 0.15). It is answered when, and only when, the
question is a summary request and the thing it names is a heading of the notes; otherwise the composer goes on as
usual.
"""
from __future__ import annotations

import re

from .text import content_terms
from .types import Answer, Citation, Passage, Retrieval
from .units import nwords, units_of

# "summarize the notes on API Gateway", "give me an overview of S3", "what do my notes say about cloudfront?",
# "recap elasticache for me"
SUMMARY_CUE = re.compile(
    r"^\s*(?:(?:can|could) you\s+|please\s+)?"
    r"(?:summari[sz]e|recap|sum up|go over|run me through|run through"
    r"|(?:give|show) me (?:a |an )?(?:quick |short |brief )?(?:summary|overview|recap|rundown) of"
    r"|(?:a |an )?(?:quick |short |brief )?(?:summary|overview|recap|rundown) of"
    r"|what do (?:my|the|our) notes (?:say|cover|have) (?:about|on)"
    r"|what(?:'s| is) in (?:my|the|our) notes (?:about|on))"
    r"\s+(?:(?:what )?(?:my|the|our) notes (?:say )?(?:on|about|for)\s+)?(?P<subject>.+?)"
    r"(?:\s+for me)?(?:\s+please)?\s*[?.!]*\s*$",
    re.I)
_NOT_SUBJECT = set(content_terms("notes note section topic chapter everything all whole"))
MAX_LINES = 6
LINE_WORDS = 16
TOTAL_WORDS = 90


def _headings(subject: set[str], passages: list[Passage]) -> list[tuple[str, ...]]:
    """The section paths of the headings that name the subject (all its words), none inside another: RDS has
    "Amazon Relational Database Service (RDS)" and "RDS - Back Ups, Multi-AZ & Read Replicas"."""
    found: set[tuple[str, ...]] = set()
    for p in passages:
        for k in range(len(p.section)):
            if subject <= set(content_terms(p.section[k])):
                found.add(p.section[:k + 1])
                break
    return [h for h in found if not any(len(o) < len(h) and h[:len(o)] == o for o in found)]


_VERB_FIRST = {"Is", "Are", "Allows", "Provides", "Can", "Lets", "Runs", "Supports", "Enables", "Helps"}
_URL = re.compile(r"https?://\S+")
_WHAT_IS = re.compile(r"^\s*what (?:is|are)\s+(?:an?\s+|the\s+)?|\?\s*$", re.I)


def _line(p: Passage, words: int, head: str) -> str:
    units = units_of(p)
    text = units[0].text if units else p.title or p.text
    if text.split()[0] in _VERB_FIRST:  # a bare statement under its heading: "Is a fully managed service …"
        text = f"{_WHAT_IS.sub('', head).strip()}: {text[0].lower()}{text[1:]}"
    ws = text.split()
    return text.rstrip(".;") if len(ws) <= words else " ".join(ws[:words]).rstrip(",;:.") + " …"


def _spread(under: list[tuple[Passage, tuple[str, ...]]]) -> list[tuple[Passage, tuple[str, ...]]]:
    """Up to MAX_LINES passages, the first of each subsection before a second of any: a summary of RDS names its
    backups and its read replicas, not only the first six lines under its heading."""
    groups: dict[object, list] = {}
    for p, h in under:
        groups.setdefault((h, p.section[len(h)]) if len(p.section) > len(h) else (h, p.start), []).append((p, h))
    picked: list = []
    rank = 0
    while len(picked) < MAX_LINES and any(len(g) > rank for g in groups.values()):
        picked += [g[rank] for g in groups.values() if len(g) > rank][:MAX_LINES - len(picked)]
        rank += 1
    return sorted(picked, key=lambda ph: ph[0].start)


def _last_cell(p: Passage) -> str:
    """What the passage says past its key ("https://…" of a row that is only a link)."""
    return (p.fields[-1][1] if p.fields else (p.items[-1] if p.items else p.text)).strip()


def section_summary(question: str, retrieval: Retrieval, passages, expand=lambda s: s) -> Answer | None:
    """The heading's passages in the notes' order, each cited, as many as fit; None when the question asks no
    summary or names no heading of the notes."""
    m = SUMMARY_CUE.match(question)
    if not m:
        return None
    ps = sorted(passages, key=lambda p: (p.file, p.start))
    said = m.group("subject")
    heads = []
    for subject in (set(content_terms(said)) - _NOT_SUBJECT, set(content_terms(expand(said))) - _NOT_SUBJECT):
        heads = _headings(subject, ps) if subject else []
        # a list headed by the question itself ("What is Elasticache" and its items) belongs to the summary too
        named = [p for p in ps if p.items and set(content_terms(_WHAT_IS.sub("", p.title))) == subject]
        if heads or named:
            break
    if not heads and not named:
        return None
    under = [(p, h) for p in ps for h in heads if p.section[:len(h)] == h and not _URL.fullmatch(_last_cell(p))]
    under += [(p, (p.title,)) for p in named if all(p.id != q.id for q, _ in under)]
    under = _spread(under)
    per = max(LINE_WORDS // 2, min(LINE_WORDS, TOTAL_WORDS // max(1, len(under))))
    lines, cites, used = [], [], 0
    for p, head in under:
        line = _line(p, per, head[-1])
        if used + nwords(line) > TOTAL_WORDS and lines:
            break
        cites.append(Citation(len(cites) + 1, p))
        lines.append(f"{line} [{cites[-1].n}].")
        used += nwords(line)
    return Answer(question, " ".join(lines), False, retrieval.support, cites, retrieval.results)
