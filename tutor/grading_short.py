"""A grade asked without a reference (`tutor grade` with no `--reference`): the notes' answer is the sentence that
answers the question, not the whole passage the tutor's `ask` composes around it.

"Can ST1 be a boot volume?" is answered by the ST1 row's "Cannot be a boot volume", not by the row's other items and
the Cold HDD row beside it: graded against all of those, a right "No" made none of their points. Here:
- `answering_part`: the sentence(s) of the composed answer that answer the question, under a row key or bullet head
  the question names;
- `grade_yes_no`: "yes"/"no" (with a short reason, or none) against the polarity of that sentence;
- `grade_slot`: "asynchronous" for "What replication does a read replica use?", the word the notes put before the
  thing asked about ("Asynchronous replication").
Each returns None when it cannot tell, and the usual grader takes the answer.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .grading_feedback import GRADE_EXPECTED, GRADE_NEGATION, compose_grade
from .grading_features import ANTONYM_STEMS, NEGATORS, STOP, fuzzy_equal, stem, words
from .text import content_terms
from .types import Citation, Grade


@dataclass
class AnsweringPart:
    text: str  # the notes' sentence(s) that answer the question, without the row key in front
    n: int  # the composed answer's citation number it carries
    head: str  # the row key or bullet head it sits under ("Throughput Optimized HDD (ST1)")
    sentences: list[str]
    composed: str = ""  # the whole composed answer, without its [n] markers


# "Head: item; item [1]. Other head: item [2]." as tutor/answer.py renders an answer
_CITED = re.compile(r"(.+?)\s*\[(\d+)\]\.?(?=\s|$)", re.S)
_HEAD_WORDS = 10  # longer than this before ": " is a sentence with a colon in it, not a row key
_SENTENCE_END = re.compile(r";\s+|(?<=[.!?])\s+(?=[A-Z(])")


def _units(composed: str) -> list[tuple[str, str, int]]:
    out = []
    for m in _CITED.finditer(composed):
        text = m.group(1).strip()
        head, sep, body = text.partition(": ")
        if not sep or len(head.split()) > _HEAD_WORDS:
            head, body = "", text
        out.append((head.strip(), body.strip(), int(m.group(2))))
    return out


def _unmarked(composed: str) -> str:
    return re.sub(r"\s*\[\d+\]", "", composed)


def _names(q_terms: set[str], head: str) -> bool:
    """The question names the head: all its words ("read replicas" for "Read Replica (for Scaling, Performance)"), or
    its short name in brackets ("ST1" for "Throughput Optimized HDD (ST1)"). One word of it is not enough: "Which
    backups are done manually?" asks for the row ("Snapshots"), not about "Automated Backups"."""
    bare = set(content_terms(re.sub(r"\s*\([^()]*\)", "", head)))
    if bare and bare <= q_terms:
        return True
    return any(len(p.split()) <= 2 and set(content_terms(p)) and set(content_terms(p)) <= q_terms
               for p in re.findall(r"\(([^()]*)\)", head))


def answering_part(question: str, composed: str) -> AnsweringPart | None:
    """The sentence(s) of the composed answer that say most of what the question asks beyond the head it names; the
    head's whole text when none does ("What is S3 - One Zone IA?" asks for all of it). None when the question names
    no head: then the head may be what it asks for ("which volume is best for big data?"), and the whole answer stays."""
    from .answer import asks_for_number

    q = set(content_terms(question))
    named = [(h, b, n) for h, b, n in _units(composed) if h and b and _names(q, h)]
    if not named:
        return None
    counted = asks_for_number(question)
    best, found = 0, None
    for head, body, n in named:
        own = set(content_terms(head))
        sents = [s.strip(" .") for s in _SENTENCE_END.split(body) if s.strip(" .")]
        hits = [len((set(content_terms(s)) - own) & q) for s in sents]
        if counted and any(re.search(r"\d", s) for s in sents):  # "how many?" is answered where the number is
            hits = [h + 1 if re.search(r"\d", s) else 0 for s, h in zip(sents, hits)]
        if max(hits, default=0) > best:  # the first head that says it best; its equally good sentences too
            best = max(hits)
            chosen = [s for s, h in zip(sents, hits) if h == best]
            found = AnsweringPart("; ".join(chosen), n, head, chosen, _unmarked(composed))
    if found is None:  # a definition: the first named head's own text
        head, body, n = named[0]
        found = AnsweringPart(body.rstrip(" ."), n, head, [body.rstrip(" .")], _unmarked(composed))
    return found


# ---- yes / no ------------------------------------------------------------------------------------------------
_ASKS_YES_NO = re.compile(r"^(?:can|could|is|are|was|were|do|does|did|will|would|should|has|have|had|may|must)\b", re.I)
_REPLY = re.compile(r"^\s*(yes|yeah|yep|yup|no|nope)\b[\s,.;:!\-]*(.*)$", re.I | re.S)
_YES = {"yes", "yeah", "yep", "yup"}
REASON_WORDS = 12  # a reason after "yes"/"no" longer than this is an answer of its own, for the usual grader
RESTATED_EXTRA = 1  # words of its own a clause may add to the question's and still restate it ("backup data")
_NEGATION_REACH = 3  # "Cannot be a boot volume": the negator this many words before a word of the question


def _clause_polarity(clause: str, q_stems: set[str]) -> bool | None:
    """True for a clause that says it, False for one that denies it (a negator just before a word of the question),
    None when a negator stands elsewhere and what it denies is unclear."""
    ws = words(clause)
    negs = [i for i, w in enumerate(ws) if w in NEGATORS or w == "t"]
    if not negs:
        return True
    asked = [i for i, w in enumerate(ws) if stem(w) in q_stems]
    if all(any(0 < j - i <= _NEGATION_REACH for j in asked) for i in negs):
        return False
    return None


def yes_no_polarity(question: str, part: AnsweringPart) -> tuple[bool, str] | None:
    """(True for "yes", the clause that says so) for a yes/no question the part answers, else None. Conservative: the
    question has no negation of its own, one clause holds every word it asks about beyond the head, and every such
    clause reads the same way."""
    if not _ASKS_YES_NO.match(question.strip()) or any(w in NEGATORS or w == "t" for w in words(question)):
        return None
    asked = set(content_terms(question)) - set(content_terms(part.head))
    if not asked:
        return None
    clauses = [c.strip() for s in part.sentences for c in re.split(r",\s+", s) if c.strip()]
    # a clause that restates the question: all of its words, and hardly any other ("They are stored even after you
    # delete the original RDS instance" holds "deleted … RDS instance" but says something else of it)
    known = set(content_terms(question)) | set(content_terms(part.head))
    holding = [c for c in clauses if asked <= set(content_terms(c))
               and len(set(content_terms(c)) - known) <= RESTATED_EXTRA]
    q_stems = {stem(w) for w in words(question) if w not in STOP}
    said = {_clause_polarity(c, q_stems) for c in holding}
    if len(said) != 1 or None in said:
        return None
    return said.pop(), holding[0]


def grade_yes_no(grader, question: str, part: AnsweringPart, answer: str, citation: Citation | None) -> Grade | None:
    """"No" to "Can ST1 be a boot volume?" where the notes say "Cannot be a boot volume"; a short reason after it is
    graded too, and one that contradicts the notes makes it wrong."""
    m = _REPLY.match(answer or "")
    polarity = yes_no_polarity(question, part) if m else None
    if polarity is None:
        return None
    says, clause = polarity
    if (m.group(1).lower() in _YES) != says:
        return compose_grade("incorrect", 0.05, [], [clause], [GRADE_NEGATION.format(phrase=f'"{clause}"')], [],
                             citation)
    reason = m.group(2).strip()
    if len(reason.split()) > REASON_WORDS:
        return None
    if reason and any(w not in STOP for w in words(reason)):
        g = grader.grade(question, clause, reason, citation=citation)
        if g.contradictions:
            return g
    return compose_grade("correct", 1.0, [clause], [], [], [GRADE_EXPECTED.format(reference=clause) + "."], citation)


# ---- the word before the thing asked about ---------------------------------------------------------------------
_ASKS_WHICH = re.compile(r"^(?:what|which)\s+(?:(?:kind|type|sort)s?\s+of\s+)?((?:[\w-]+\s+){0,2}?[\w-]+)\s+"
                         r"(?:does|do|did|is|are|was|were|can|will|would|should)\b", re.I)
SLOT_WORDS = 3  # the words before the asked noun that name its kind ("Asynchronous replication")


def asked_slot(question: str, sentence: str) -> list[str]:
    """"What replication does a read replica use?" against "… using Asynchronous replication from …" → ["asynchronous"]:
    the content words right before the asked noun, none of them the question's; [] when there are none."""
    m = _ASKS_WHICH.match(question.strip())
    if not m:
        return []
    noun = stem(words(m.group(1))[-1])
    q_stems = {stem(w) for w in words(question)}
    ws = words(sentence)
    for j, w in enumerate(ws):
        if stem(w) != noun:
            continue
        slot = []
        for k in range(j - 1, max(-1, j - 1 - SLOT_WORDS), -1):
            if ws[k] in STOP or ws[k] in NEGATORS or stem(ws[k]) in q_stems:
                break
            slot.insert(0, ws[k])
        if slot:
            return slot
    return []


def _same_word(a: str, b: str) -> bool:
    return fuzzy_equal(a, b) and ANTONYM_STEMS.get(stem(a)) != stem(b)


def grade_slot(question: str, part: AnsweringPart, answer: str, citation: Citation | None) -> Grade | None:
    """Correct when the answer's own words (beyond the question's) are exactly the slot's; else None."""
    q_stems = {stem(w) for w in words(question)}
    said = [w for w in words(answer) if w not in STOP and stem(w) not in q_stems]
    if not said or any(w in NEGATORS or w == "t" for w in words(answer)):
        return None
    for sentence in part.sentences:
        slot = asked_slot(question, sentence)
        if slot and all(any(_same_word(w, s) for s in slot) for w in said) \
                and all(any(_same_word(w, s) for w in said) for s in slot):
            return compose_grade("correct", 1.0, [sentence], [], [], [GRADE_EXPECTED.format(reference=sentence) + "."],
                                 citation)
    return None
