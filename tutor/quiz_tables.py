"""Table rows → questions: "what is X" / "what is the <column> of X" (forward) and "which X is described as ..."
(reverse); in multiple-choice mode the distractors are the other rows of the same table.
"""
from __future__ import annotations

import hashlib
import re

from .quiz_items import (
    BLANK,
    PREPOSITIONS,
    Q_ADVICE,
    Q_FIELD,
    Q_FIELD_PLURAL,
    Q_FIELD_PREP,
    Q_FIELD_PREP_PLURAL,
    Q_TERM,
    Q_TERM_MCQ,
    Q_TERM_PLURAL,
    Q_WHICH,
    REL_DESCRIBED,
    REL_HAS,
    REL_PREP,
    _QUESTION_HEAD,
    _clean,
    _first_clause,
    _item,
    _nwords,
    _short,
    _unwrap,
    context_of,
    key_points,
    scrub,
    terms,
)
from .types import Passage, QuizItem

DESCRIPTIVE_LABELS = {"", "description", "definition", "meaning", "details", "notes", "explanation", "what it is"}
MAX_CLUE_WORDS = 20
MAX_OPTIONS = 4
MIN_OPTIONS = 3  # two options are a coin toss, and any hint between them gives the answer away
LETTERS = "ABCDEFGH"


def _stable_order(key: str, texts: list[str]) -> list[str]:
    return sorted(texts, key=lambda t: hashlib.sha1(f"{key}\x00{t}".encode()).hexdigest())


# ---- Tables ------------------------------------------------------------------------------------------
def _tables(passages: list[Passage]) -> list[list[Passage]]:
    """Rows of one table: same file, same section above the key, same headers, consecutive lines."""
    tables: list[list[Passage]] = []
    for p in passages:
        if p.kind != "table_row" or len(p.fields) < 2:
            continue
        last = tables[-1][-1] if tables else None
        if (last is not None and last.file == p.file and last.section[:-1] == p.section[:-1]
                and last.fields[0][0] == p.fields[0][0] and 0 <= p.start - last.end <= 3):
            tables[-1].append(p)
        else:
            tables.append([p])
    return tables


def _row_fields(p: Passage) -> list[tuple[str, str]]:
    """The non-key cells; a cell without a header joins the one before it."""
    out: list[tuple[str, str]] = []
    for lab, text in p.fields[1:]:
        if not lab and out:
            out[-1] = (out[-1][0], out[-1][1].rstrip(".") + "; " + text)
        else:
            out.append((lab, text))
    return out


def _field(p: Passage, label: str) -> str:
    return next((t for lab, t in _row_fields(p) if lab == label), "")


def _label_text(label: str) -> str:
    return " ".join(w if (any(c.isdigit() for c in w) or w.isupper()) else w.lower() for w in label.split())


def _plural(noun: str) -> bool:
    """'Critical Terms', 'Types of Elasticache', 'Use cases' (not 'Redis', 'Access', 'Status')."""
    ws = [w for w in re.findall(r"[A-Za-z]+", noun)]
    cands = ws[:1] if len(ws) > 2 and ws[1].lower() == "of" else ws[-1:]
    return any(len(w) > 3 and w.endswith("s") and not w.endswith(("ss", "is", "us", "ics")) for w in cands)


def _kind_noun(p: Passage) -> str:
    cand = _unwrap(p.fields[0][0] or (p.section[-2] if len(p.section) >= 2 else ""))
    if not p.fields[0][0] and not _plural(cand):
        return "entry"  # no header and no plural caption: the level above may be any heading
    if not cand or _nwords(cand) > 4 or _QUESTION_HEAD.match(cand):
        return "entry"
    return f"of the {cand}" if _plural(cand) else cand


def _clue(value: str, parts: list[str], key: str) -> str:
    """A short, self-contained piece of a cell that does not name the row itself."""
    own = terms(_short(key))
    chunks = [c for c in (parts or re.split(r";\s*|(?<=[a-z0-9)])\.\s+(?=[A-Z])", value)) if terms(c)]
    best = next((c for c in chunks if not (terms(c) & own)), chunks[0] if chunks else value)
    clue = _clean(best).rstrip(".")
    if _nwords(clue) > MAX_CLUE_WORDS:
        clue = _first_clause(clue, MAX_CLUE_WORDS)
    return scrub(clue, own)


_ADVICE = re.compile(r"^\s*(?:use|avoid|add|enable|choose|pick|prefer|consider|set|put|keep|store|never|always|don't)\b",
                     re.I)


def _field_question(p: Passage, context: str, label: str, subject: str, value: str = "") -> tuple[str, str]:
    lab = _label_text(label)
    if lab in DESCRIPTIVE_LABELS and _ADVICE.match(_clean(value)):
        # "Use CloudFront CDN to get best performance": advice, not what "GET intensive workloads" are
        return "term", Q_ADVICE.format(context=context, subject=subject)
    if lab in DESCRIPTIVE_LABELS:
        return "term", (Q_TERM_PLURAL if _plural(subject) else Q_TERM).format(context=context, subject=subject)
    if lab.split()[-1] in PREPOSITIONS:
        tpl = Q_FIELD_PREP_PLURAL if _plural(subject) else Q_FIELD_PREP  # "what are Dedicated Hosts good for?"
        return "field", tpl.format(context=context, subject=subject, label=lab)
    tpl = Q_FIELD_PLURAL if _plural(label) else Q_FIELD
    return "field", tpl.format(context=context, subject=subject, label=lab)


def _relation(label: str) -> str:
    lab = _label_text(label)
    if lab in DESCRIPTIVE_LABELS:
        return REL_DESCRIBED
    return (REL_PREP if lab.split()[-1] in PREPOSITIONS else REL_HAS).format(label=lab)


def _options(key: str, own: str, others: list[str]) -> tuple[dict[str, str], list[str]]:
    texts = _stable_order(key, [own] + others[: MAX_OPTIONS - 1])
    opts = {LETTERS[i]: t for i, t in enumerate(texts)}
    return opts, [L for L, t in opts.items() if t == own]


def _nearest(rows: list[Passage], i: int) -> list[int]:
    return sorted((j for j in range(len(rows)) if j != i), key=lambda j: (abs(j - i), j))


def _table_items(rows: list[Passage]) -> list[list[QuizItem]]:
    groups: list[list[QuizItem]] = []
    keys = [r.fields[0][1] for r in rows]
    for i, p in enumerate(rows):
        key, short = keys[i], _short(keys[i])
        context = context_of(p.section[:-1], p.file)
        near = _nearest(rows, i)
        names = [_short(keys[j]) for j in near]
        fields = _row_fields(p)
        which_done = False
        for label, value in fields:
            sib_vals = [v for v in (_field(rows[j], label) for j in near) if v]
            qtype, q = _field_question(p, context, label, key, value)
            parts = [it for it in p.items if it in value]
            groups.append([_item(p, qtype, label, q, value, key_points(value, parts), key, sib_vals, names)])
            if len(rows) < 2 or which_done:
                continue
            clue = _clue(value, parts, key)
            sib_clues = {_clean(v).lower().rstrip(".") for v in sib_vals}
            if not terms(clue) or (BLANK in clue and len(terms(clue)) < 2) or clue.lower() in sib_clues:
                continue  # two rows share this cell ("Memory Optimized"): it cannot tell them apart
            left = terms(clue) - terms(" ".join(p.section))
            if BLANK in clue and any(left <= terms(v) for v in sib_vals):
                # the blank took the one word that told it apart: "AWS Lambda runs your code in response to ___" fits
                # the Compute service row's "Run your code in response to HTTP requests …" as well
                continue
            q = Q_WHICH.format(context=context, kind=_kind_noun(p), relation=_relation(label), clue=clue)
            groups.append([_item(p, "which", label, q, short, [short], key, names, names)])
            opts, letters = _options(p.id + label, short, names)
            if len(set(opts.values())) == len(opts) >= MIN_OPTIONS:
                groups.append([_item(p, "which", label, q, short, [short], key, names, names, "mcq", opts, letters)])
            which_done = True
        groups += _term_mcq(rows, i, context)
    return groups


def _term_mcq(rows: list[Passage], i: int, context: str) -> list[list[QuizItem]]:
    """'Which option describes X?' with the other rows' descriptions as the wrong options."""
    p = rows[i]
    fields = _row_fields(p)
    if len(rows) < 2 or not fields:
        return []
    label = fields[0][0]
    clues = {}
    for j in [i] + _nearest(rows, i)[: MAX_OPTIONS - 1]:
        v = _field(rows[j], label)
        if v:
            clue = _clue(v, [it for it in rows[j].items if it in v], rows[j].fields[0][1])
            if BLANK not in clue:  # an option with its row's name blanked ("End ___") reads broken and gives it away
                clues[j] = clue
    if i not in clues or len(clues) < MIN_OPTIONS or len(set(clues.values())) < len(clues):
        return []
    own = clues.pop(i)
    opts, letters = _options(p.id + "term", own, list(clues.values()))
    key = p.fields[0][1]
    q = Q_TERM_MCQ.format(context=context, subject=key)
    return [[_item(p, "term", label, q, own, [own], key, list(clues.values()),
                   [_short(rows[j].fields[0][1]) for j in clues], "mcq", opts, letters)]]
