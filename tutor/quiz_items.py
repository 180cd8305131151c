"""Question templates and the helpers every question builder shares: terms, key points, subjects, the item.

The Q_* templates are the text the quiz says, kept in one place. `terms`, `answer_terms`, `scrub` and `cloze` are
also what the session's hints use (tutor/session.py): a hint is scrubbed of the answer's key terms. Item ids are a
hash of the passage id, the question kind and what distinguishes it within the passage, so they survive
re-ingests of unchanged notes.
"""
from __future__ import annotations

import hashlib
import re
from functools import lru_cache

from .text import STOPWORDS, content_terms
from .types import Citation, Passage, QuizItem

# ---- Question templates (text the tutor says) ----------------------------------------------------
Q_TERM = "In your notes on {context}, what is {subject}?"
Q_ADVICE = "In your notes on {context}, what do they advise for {subject}?"
Q_TERM_PLURAL = "In your notes on {context}, what are {subject}?"
Q_FIELD = "In your notes on {context}, what is the {label} of {subject}?"
Q_FIELD_PLURAL = "In your notes on {context}, what are the {label} of {subject}?"
Q_FIELD_PREP = "In your notes on {context}, what is {subject} {label}?"
Q_FIELD_PREP_PLURAL = "In your notes on {context}, what are {subject} {label}?"
Q_WHICH = 'In your notes on {context}, which {kind} {relation} "{clue}"?'
Q_TERM_MCQ = "In your notes on {context}, which option describes {subject}?"
Q_WHAT_IS = "What is {subject}?"
Q_DOES = "What does {subject} {verb}?"
Q_ABOUT = 'What do your notes say about "{head}"{where}?'
Q_LIST = 'Which items do your notes list under "{head}"{where}?'
Q_NUMBER = 'In your notes on {context}, what number fills the blank in "{clause}"?'
Q_NUMBERS = 'In your notes on {context}, what numbers fill the blanks in "{clause}"?'
Q_FILL = 'In your notes on {context}, which word fills the blank in "{clause}"?'
Q_FILLS = 'In your notes on {context}, which words fill the blanks in "{clause}"?'
Q_ACRONYM = "What does {acronym} stand for?"
WHERE = " ({subject})"
REL_DESCRIBED = "is described as"
REL_HAS = "has the {label}"
REL_PREP = "is {label}"
BLANK = "___"

PREPOSITIONS = {"for", "with", "to", "of", "in", "on", "at", "by", "from", "about"}
MAX_KEY_POINT_WORDS = 14
KEY_POINT_SLACK = 2  # a clause this many words over is kept whole
MAX_KEY_POINTS = 4

_WORD_RE = re.compile(r"[A-Za-z0-9]+(?:[.\-][A-Za-z0-9]+)*")
_URL = re.compile(r"https?://|www\.|\S+@\S+")
_QUESTION_HEAD = re.compile(r"^(what|how|why|which|who|when|where)\b", re.I)
_WHAT_IS = re.compile(r"^what (?:is|are) (.+?)\??$", re.I)


# ---- Word helpers shared with the session (hints) and the tests ---------------------------------
def norm_numbers(text: str) -> str:
    """'10,000' → '10000' so a number is one term everywhere."""
    return re.sub(r"(?<=\d),(?=\d{3}\b)", "", text)


def terms(text: str) -> set[str]:
    """Stemmed content terms of a text (single letters dropped: they carry no answer)."""
    return set(_terms(text))


@lru_cache(maxsize=65536)
def _terms(text: str) -> frozenset[str]:
    return frozenset(t for t in content_terms(norm_numbers(text)) if len(t) > 1 or t.isdigit())


def answer_terms(item: QuizItem) -> set[str]:
    """The answer's key terms: what the key points say that the question does not."""
    asked = terms(item.question)
    return {t for kp in (item.key_points or [item.reference]) for t in terms(kp)} - asked


def scrub(text: str, banned: set[str], keep_initial: bool = False) -> str:
    """Blank every word whose terms are banned (the answer's key terms): hints point without telling."""
    def repl(m: re.Match) -> str:
        tok = m.group(0)
        if not (terms(tok) & banned):
            return tok
        if keep_initial and tok[0].isalpha():
            return tok[0] + "_" * min(max(len(tok) - 1, 2), 6)
        return BLANK

    return _WORD_RE.sub(repl, norm_numbers(text))


def cloze(text: str, banned: set[str]) -> str:
    """The text with its key terms blanked, first letters kept."""
    return scrub(text, banned, keep_initial=True)


def _clean(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip(" ;,")


def _nwords(text: str) -> int:
    return len(text.split())


# A clause that only sets the scene for the main one ("When you do a recovery, AWS will first choose …")
_INTRO = re.compile(r"(?:if|when|whenever|once|after|before|although|while|because|since|unless|at the present time"
                    r"|in the event)\b", re.I)


def _balanced(text: str) -> str:
    """Up to the first parenthesis left open: an aside the split cut off ("… prices (Chemical companies")."""
    opened: list[int] = []
    for i, c in enumerate(text):
        if c == "(":
            opened.append(i)
        elif c == ")" and opened:
            opened.pop()
    return (_clean(text[:opened[0]]) or text) if opened else text


def _first_clause(text: str, max_words: int = MAX_KEY_POINT_WORDS) -> str:
    return _balanced(_first_clause_raw(text, max_words))


def _first_clause_raw(text: str, max_words: int) -> str:
    text = _clean(text).rstrip(".")
    if _nwords(text) <= max_words:
        return text
    # an aside in parentheses goes first: cutting at it left "A document that defines one" of "… one (or more)
    # permissions can be attached …"; a clause a few words over the limit is kept whole rather than cut mid-phrase
    bare = _clean(re.sub(r"\s*\([^()]*\)", "", text)) or text
    if _nwords(bare) <= max_words + KEY_POINT_SLACK:
        return bare
    heads = [h for h in re.split(r",\s|\s-\s|\.\s", bare) if _nwords(h) >= 3]
    if heads and _INTRO.match(heads[0]):
        # "At the present time, encrypting an existing DB instance is not supported": the point is the main clause
        heads = [h for h in heads[1:] if _nwords(h) >= 4 and not re.match(r"(?:or|and)\b", h, re.I)] or heads
    head = heads[0] if heads else bare
    if _nwords(head) <= max_words + KEY_POINT_SLACK:
        return head
    ws = head.split()[:max_words]
    while len(ws) > 3 and (ws[-1].lower().strip('"\'') in STOPWORDS or not re.search(r"\w", ws[-1])):
        ws.pop()  # not "… within a"
    return " ".join(ws)


def key_points(text: str, parts: tuple[str, ...] | list[str] = (), limit: int = MAX_KEY_POINTS) -> list[str]:
    """Short phrases a right answer must cover: list items when there are, else clauses of the text."""
    chunks = [p for p in parts if p] or re.split(r";\s*|(?<=[a-z0-9)])\.\s+(?=[A-Z$])", text)
    out = []
    for c in chunks:
        c = _first_clause(c)
        if terms(c) and c not in out and not _URL.search(c):
            out.append(c)
    return out[:limit] or [_first_clause(text)]


def _short(key: str) -> str:
    """'Network Load Balancer (Use for extreme performance)' → 'Network Load Balancer'."""
    s = _clean(re.sub(r"\s*\([^()]*\)", "", key))
    return s if terms(s) else key


def _unwrap(level: str) -> str:
    m = _WHAT_IS.match(level.strip())
    return _clean(m.group(1) if m else level).rstrip(":?,")


def _subject_levels(section: tuple[str, ...]) -> list[str]:
    """Levels that name a subject (questions other than "What is X?" and long lines dropped)."""
    out = []
    for lv in section:
        u = _unwrap(lv)
        if u and not _QUESTION_HEAD.match(u) and _nwords(u) <= 6:
            out.append(u)
    return out


def context_of(section: tuple[str, ...], fallback: str) -> str:
    lv = _subject_levels(section)
    if not lv:
        return fallback
    return lv[-1] if len(lv) == 1 or lv[-1] == lv[0] else f"{lv[-1]} under {lv[0]}"


def subject_of(section: tuple[str, ...], fallback: str) -> str:
    lv = _subject_levels(section)
    return lv[-1] if lv else fallback


def topic_group(p: Passage) -> str:
    """Mastery grouping: the section path without a table row's own key, cut to its first two levels."""
    base = p.section[:-1] if p.kind == "table_row" and p.section else p.section
    return " › ".join(base[:2]) or p.file


# ---- Item construction ------------------------------------------------------------------------------
def _item(p: Passage, qtype: str, disc: str, question: str, reference: str, kps: list[str], subject: str,
          siblings=(), names=(), kind: str = "free", options: dict[str, str] | None = None,
          letters: list[str] | None = None, need: int = 0) -> QuizItem:
    iid = hashlib.sha1(f"{p.id}\x00{kind}:{qtype}\x00{disc}".encode()).hexdigest()[:16]
    return QuizItem(
        id=iid, topic=p.section_path or p.file, kind=kind, question=_clean(question), reference=_clean(reference),
        key_points=kps, passage_id=p.id, citation=Citation(1, p), options=options, answer_letters=letters,
        qtype=qtype, group=topic_group(p), subject=subject, siblings=list(siblings), sibling_names=list(names),
        need=need if 0 < need < len(kps) else 0,
    )


def on_topics(bank: list[QuizItem], wanted: list[str]) -> list[QuizItem]:
    """The items whose section names one of `wanted` (lower-case); when none does, those whose question or subject
    names it: "--topic 'Route 53'" finds the bullets on Route 53, which sit under another heading."""
    if not wanted:
        return list(bank)
    strict = [it for it in bank if any(w in f"{it.topic} {it.group}".lower() for w in wanted)]
    return strict or [it for it in bank if any(w in f"{it.subject} {it.question}".lower() for w in wanted)]
