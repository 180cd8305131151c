"""Practice-exam questions: which option(s) do the notes support, cited, and why not the others."""
from __future__ import annotations

import re

from . import phrases
from .text import content_terms
from .types import Answer, Citation, Retrieval

_HOW_MANY = {"two": 2, "2": 2, "three": 3, "3": 3}
_CHOOSE = re.compile(r"\b(choose|select|pick)\s+(two|three|2|3)\b", re.I)


def how_many(question: str) -> int:
    m = _CHOOSE.search(question)
    return _HOW_MANY[m.group(2).lower()] if m else 1


def _coverage(terms: set[str], passage_terms: frozenset[str], idf) -> float:
    total = sum(idf(t) for t in terms)
    return sum(idf(t) for t in terms & passage_terms) / total if total else 0.0


def option_support(question: str, option: str, retriever) -> tuple[float, object]:
    """How strongly the notes tie this option to the question: the best passage retrieved for
    question + option, weighted by how much of the option that passage names."""
    r = retriever.retrieve(f"{question} {option}", k=5)
    oterms = set(content_terms(option))
    best, best_p = float("-inf"), None
    for sp in r.results[:5]:
        cov = _coverage(oterms, retriever.terms[sp.passage.id].all, retriever.bm25.idf)
        title_cov = _coverage(oterms, retriever.terms[sp.passage.id].title, retriever.bm25.idf)
        s = sp.score + 3.0 * cov + 2.0 * title_cov
        if s > best:
            best, best_p = s, sp.passage
    return best, best_p


def answer_choice(question: str, options: dict[str, str], retrieval: Retrieval, retriever) -> Answer:
    scored = {letter: option_support(question, text, retriever) for letter, text in options.items()}
    k = min(how_many(question), len(options))
    ranked = sorted(scored, key=lambda L: -scored[L][0])
    chosen = sorted(ranked[:k])
    cites: dict[str, Citation] = {}
    reasons = []
    for letter in chosen:
        p = scored[letter][1]
        if p is None:
            continue
        c = cites.setdefault(p.id, Citation(len(cites) + 1, p))
        snippet = p.text if len(p.text.split()) <= 40 else " ".join(p.text.split()[:40]) + " …"
        reasons.append(f"{letter}. {options[letter]} — {snippet} [{c.n}]")
    if not reasons:
        return Answer(question, phrases.CHOICE_NONE, False, 0.0, [], retrieval.results, choice=[])
    text = phrases.CHOICE_SUPPORTED.format(letters=", ".join(chosen), reason=" ".join(reasons))
    others = [
        phrases.CHOICE_OTHER_REASON.format(letter=L, option=options[L].rstrip("."), why=phrases.CHOICE_WHY_WEAK)
        for L in sorted(options) if L not in chosen
    ]
    if others:
        text += " " + phrases.CHOICE_OTHERS.format(reasons="; ".join(others))
    spread = scored[ranked[0]][0] - (scored[ranked[k]][0] if len(ranked) > k else 0.0)
    confidence = max(0.0, min(1.0, 0.5 + spread / 10))
    return Answer(question, text, False, confidence, list(cites.values()), retrieval.results, choice=chosen)
