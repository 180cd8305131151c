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
"""
from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from functools import lru_cache
from pathlib import Path

from .text import STOPWORDS, content_terms
from .types import Citation, Passage, QuizItem

# ---- Question templates (text the tutor says) ----------------------------------------------------
Q_TERM = "In your notes on {context}, what is {subject}?"
Q_TERM_PLURAL = "In your notes on {context}, what are {subject}?"
Q_FIELD = "In your notes on {context}, what is the {label} of {subject}?"
Q_FIELD_PLURAL = "In your notes on {context}, what are the {label} of {subject}?"
Q_FIELD_PREP = "In your notes on {context}, what is {subject} {label}?"
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

DESCRIPTIVE_LABELS = {"", "description", "definition", "meaning", "details", "notes", "explanation", "what it is"}
PREPOSITIONS = {"for", "with", "to", "of", "in", "on", "at", "by", "from", "about"}
# English verbs a notes line often starts with when its subject is the heading above it.
LEAD_VERBS = {"allows": "allow", "allow": "allow", "enables": "enable", "lets": "let", "provides": "provide",
              "supports": "support", "integrates": "integrate", "helps": "help", "offers": "offer",
              "gives": "give", "stores": "store", "runs": "run", "takes": "take", "uses": "use",
              "manages": "manage", "creates": "create", "improves": "improve", "handles": "handle"}
UNITS = {"day", "days", "hour", "hours", "minute", "minutes", "second", "seconds", "week", "weeks", "month",
         "months", "year", "years", "times", "percent", "copies", "gb", "tb", "mb", "kb", "gib", "ms", "iops"}
FILL_SKIP = {"many", "much", "now", "well", "etc", "even", "however", "always", "never", "often", "several",
             "various", "new", "way", "lot", "lots", "like", "need", "want", "make", "makes"}
MAX_CLUE_WORDS = 20
MAX_KEY_POINT_WORDS = 14
MAX_KEY_POINTS = 4
MAX_LIST_ITEM_WORDS = 8
MAX_OPTIONS = 4
LETTERS = "ABCDEFGH"

_WORD_RE = re.compile(r"[A-Za-z0-9]+(?:[.\-][A-Za-z0-9]+)*")
_NUM_RE = re.compile(r"(?<![A-Za-z0-9_./\-])(\d+(?:\.\d+)?)(%|[KMGT]i?B\b|ms\b|TB\b)?(?![\d.]?\d)(?![A-Za-z0-9])")
_URL = re.compile(r"https?://|www\.|\S+@\S+")
_QUESTION_HEAD = re.compile(r"^(what|how|why|which|who|when|where)\b", re.I)
_WHAT_IS = re.compile(r"^what (?:is|are) (.+?)\??$", re.I)
_MONTHS = {"january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
           "november", "december", "in", "since", "year"}


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


def _first_clause(text: str, max_words: int = MAX_KEY_POINT_WORDS) -> str:
    text = _clean(text).rstrip(".")
    if _nwords(text) <= max_words:
        return text
    for head in re.split(r",\s|\s\(|\s-\s|\.\s", text):
        if _nwords(head) >= 3:
            return " ".join(head.split()[:max_words])
    return " ".join(text.split()[:max_words])


def key_points(text: str, parts: tuple[str, ...] | list[str] = (), limit: int = MAX_KEY_POINTS) -> list[str]:
    """Short phrases a right answer must cover: list items when there are, else clauses of the text."""
    chunks = [p for p in parts if p] or re.split(r";\s*|(?<=[a-z0-9)])\.\s+(?=[A-Z])", text)
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


def _stable_order(key: str, texts: list[str]) -> list[str]:
    return sorted(texts, key=lambda t: hashlib.sha1(f"{key}\x00{t}".encode()).hexdigest())


# ---- Item construction ------------------------------------------------------------------------------
def _item(p: Passage, qtype: str, disc: str, question: str, reference: str, kps: list[str], subject: str,
          siblings=(), names=(), kind: str = "free", options: dict[str, str] | None = None,
          letters: list[str] | None = None) -> QuizItem:
    iid = hashlib.sha1(f"{p.id}\x00{kind}:{qtype}\x00{disc}".encode()).hexdigest()[:16]
    return QuizItem(
        id=iid, topic=p.section_path or p.file, kind=kind, question=_clean(question), reference=_clean(reference),
        key_points=kps, passage_id=p.id, citation=Citation(1, p), options=options, answer_letters=letters,
        qtype=qtype, group=topic_group(p), subject=subject, siblings=list(siblings), sibling_names=list(names),
    )


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


def _field_question(p: Passage, context: str, label: str, subject: str) -> tuple[str, str]:
    lab = _label_text(label)
    if lab in DESCRIPTIVE_LABELS:
        return "term", (Q_TERM_PLURAL if _plural(subject) else Q_TERM).format(context=context, subject=subject)
    if lab.split()[-1] in PREPOSITIONS:
        return "field", Q_FIELD_PREP.format(context=context, subject=subject, label=lab)
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
            qtype, q = _field_question(p, context, label, key)
            parts = [it for it in p.items if it in value]
            groups.append([_item(p, qtype, label, q, value, key_points(value, parts), key, sib_vals, names)])
            if len(rows) < 2 or which_done:
                continue
            clue = _clue(value, parts, key)
            sib_clues = {_clean(v).lower().rstrip(".") for v in sib_vals}
            if not terms(clue) or (BLANK in clue and len(terms(clue)) < 2) or clue.lower() in sib_clues:
                continue  # two rows share this cell ("Memory Optimized"): it cannot tell them apart
            q = Q_WHICH.format(context=context, kind=_kind_noun(p), relation=_relation(label), clue=clue)
            groups.append([_item(p, "which", label, q, short, [short], key, names, names)])
            opts, letters = _options(p.id + label, short, names)
            if len(set(opts.values())) == len(opts):
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
            clues[j] = _clue(v, [it for it in rows[j].items if it in v], rows[j].fields[0][1])
    if i not in clues or len(clues) < 2 or len(set(clues.values())) < len(clues):
        return []
    own = clues.pop(i)
    opts, letters = _options(p.id + "term", own, list(clues.values()))
    key = p.fields[0][1]
    q = Q_TERM_MCQ.format(context=context, subject=key)
    return [[_item(p, "term", label, q, own, [own], key, list(clues.values()),
                   [_short(rows[j].fields[0][1]) for j in clues], "mcq", opts, letters)]]


# ---- Bullets and paragraphs ----------------------------------------------------------------------------
def _is_short_list(items: list[str]) -> bool:
    return len(items) >= 2 and all(_nwords(t) <= MAX_LIST_ITEM_WORDS and not _URL.search(t) for t in items)


def _sub_lists(items: tuple[str, ...]) -> list[tuple[str, list[str]]]:
    """An item ending in ':' or a preposition, followed by short items, heads a list of its own."""
    out = []
    for k, it in enumerate(items):
        if not (it.rstrip().endswith(":") or it.split()[-1].lower() in PREPOSITIONS):
            continue
        run = []
        for nxt in items[k + 1:]:
            if _nwords(nxt) > MAX_LIST_ITEM_WORDS or nxt.rstrip().endswith(":"):
                break
            run.append(nxt)
        if len(run) >= 2:
            out.append((it.rstrip(" :"), run))
    return out


def _where(head: str, subject: str) -> str:
    return "" if not subject or terms(subject) <= terms(head) else WHERE.format(subject=subject)


def _definition(p: Passage, sentence: str, subject: str) -> QuizItem | None:
    """'X is a Y', 'Is a Y' (subject from the heading), 'Allows you to Y', 'X (Y)'."""
    s = sentence.strip().rstrip(".")
    m = re.match(r"^(?:(?:it|they)\s+)?(?:is|are)\s+(.{8,})$", s, re.I)
    if m:
        return _item(p, "define", "is", Q_WHAT_IS.format(subject=subject), m.group(1), key_points(m.group(1)), subject)
    m = re.match(r"^([A-Z][^,;:]{1,60}?)\s+(?:is|are)\s+((?:a|an|the|[\w-]+'s)\s.{4,})$", s)
    if m and _nwords(m.group(1)) <= 6:
        x = _short(m.group(1))
        return _item(p, "define", "x-is", Q_WHAT_IS.format(subject=x), m.group(2), key_points(m.group(2)), x)
    m = re.match(r"^(\w+)\s+(you|users|us)\s+to\s+(.{4,})$", s, re.I)
    if m and m.group(1).lower() in LEAD_VERBS:
        verb = f"{LEAD_VERBS[m.group(1).lower()]} {m.group(2).lower()} to do"
        return _item(p, "define", "does", Q_DOES.format(subject=subject, verb=verb), m.group(3),
                     key_points(m.group(3)), subject)
    m = re.match(r"^(\w+)\s+(with\s+|to\s+)?(.{4,})$", s)
    if m and m.group(1).lower() in LEAD_VERBS and m.group(1).lower() not in ("uses", "runs", "takes"):
        verb = LEAD_VERBS[m.group(1).lower()] + (" " + m.group(2).strip() if m.group(2) else "")
        return _item(p, "define", "does", Q_DOES.format(subject=subject, verb=verb), m.group(3),
                     key_points(m.group(3)), subject)
    m = re.match(r"^([^()]{2,40}?)\s+\(([^()]{3,})\)$", s)
    if (m and _nwords(m.group(2)) >= 2 and not re.fullmatch(r"[A-Z][A-Z0-9 ]+", m.group(2))
            and _nwords(m.group(1)) <= 4 and not set(m.group(1).lower().split()) & {"is", "are", "was", "were"}):
        ctx = context_of(p.section, p.file)
        return _item(p, "term", "paren", Q_TERM.format(context=ctx, subject=m.group(1)), m.group(2),
                     key_points(m.group(2)), m.group(1))
    return None


def _fill(p: Passage, sentence: str, df: Counter) -> QuizItem | None:
    s = _clean(sentence).rstrip(".")
    if _nwords(s) < 6 or _URL.search(s):
        return None
    known = terms(" ".join(p.section))
    toks = [m for m in _WORD_RE.finditer(s) if len(m.group(0)) >= 3 and not m.group(0).isdigit() and m.start() > 0
            and m.group(0).lower() not in STOPWORDS | FILL_SKIP and terms(m.group(0))
            and not terms(m.group(0)) & known and not m.group(0).lower().endswith("ly")
            and s[m.start() - 1] not in "/-" and s[m.end():m.end() + 1] not in ("/", "-")]
    seen = Counter(t for m in _WORD_RE.finditer(s) for t in terms(m.group(0)))
    toks = [m for m in toks if all(seen[t] == 1 for t in terms(m.group(0)))]  # the line must not give it away
    if not toks:
        return None
    n = 1 if _nwords(s) <= 10 else 2

    def salience(m: re.Match) -> tuple:
        w = m.group(0)
        technical = any(c.isupper() or c.isdigit() for c in w) or "-" in w
        return (min(df[t] for t in terms(w)) > 2, not technical, -len(w), m.start())

    chosen: list[re.Match] = []
    for m in sorted(toks, key=salience):
        if len(chosen) < n and not any(terms(m.group(0)) & terms(c.group(0)) for c in chosen):
            chosen.append(m)
    chosen.sort(key=lambda m: m.start())
    clause, last = "", 0
    for m in chosen:
        clause += s[last:m.start()] + BLANK
        last = m.end()
    clause += s[last:]
    tpl = Q_FILL if len(chosen) == 1 else Q_FILLS
    answer = [m.group(0) for m in chosen]
    return _item(p, "fill", "fill:" + s[:40], tpl.format(context=context_of(p.section, p.file), clause=clause),
                 ", ".join(answer), answer, subject_of(p.section, p.file))


def _bullet_items(p: Passage, df: Counter) -> list[list[QuizItem]]:
    subject = subject_of(p.section, p.file)
    head = _clean(p.title or p.text)
    items = [t for t in p.items if t]
    groups: list[list[QuizItem]] = []
    if not items or _nwords(head) > 12:
        cands = [c for c in (_definition(p, head, subject), _fill(p, head, df)) if c]
        groups.append(cands)
        if not items:
            return [g for g in groups if g]
    if all(_URL.search(t) for t in items):
        return [g for g in groups if g]
    h = head.rstrip(" :,;")
    d = _definition(p, h, subject) if not (_QUESTION_HEAD.match(h) or head.endswith(":")) else None
    if d is not None and _nwords(head) <= 12:
        groups.append([d])
    ref = "; ".join(items)
    subs = _sub_lists(tuple(items))
    for sub_head, run in subs:
        q = Q_LIST.format(head=sub_head, where=WHERE.format(subject=_short(_unwrap(h))) if _nwords(h) <= 8 else "")
        groups.append([_item(p, "list", sub_head, q, "; ".join(run), run, sub_head)])
    if len(items) <= 3:  # a few sentences under a head: each can be asked on its own
        for it in items:
            f = _fill(p, it, df)
            if f is not None:
                groups.append([f])
    covered = {t for sh, run in subs for t in [sh, *run]}
    if _nwords(head) > 12 or all(t.rstrip(" :") in covered for t in items):
        pass  # the long head was asked above; the sub-lists already ask everything under it
    elif _QUESTION_HEAD.match(h):
        q = h if h.endswith("?") else h + "?"
        groups.append([_item(p, "define", "head", q, ref, key_points(ref, items), _unwrap(h))])
    elif _is_short_list(items):
        q = Q_LIST.format(head=h, where=_where(h, subject))
        groups.append([_item(p, "list", "head", q, ref, items, h)])
    else:
        q = Q_ABOUT.format(head=h, where=_where(h, subject))
        groups.append([_item(p, "about", "head", q, ref, key_points(ref, items), h)])
    return groups


# ---- Numbers and acronyms ------------------------------------------------------------------------------
def _segments(p: Passage) -> list[tuple[str, str]]:
    """(subject, sentence) pairs: a row's cells under its key, a bullet's lines under its head."""
    if p.kind == "table_row":
        subj = p.fields[0][1] if p.fields else p.title
        parts = [t for lab, v in _row_fields(p) for t in ([i for i in p.items if i in v] or [v])]
    else:
        subj = _clean(p.title) if p.items and _nwords(p.title) <= 8 else subject_of(p.section, p.file)
        parts = [p.title or p.text, *p.items] if p.kind == "bullet" else [p.text]
    out = []
    for part in parts:
        for s in re.split(r"(?<=[a-z0-9)])\.\s+(?=[A-Z])|;\s+", part):
            out.append((_unwrap(subj), _clean(s).rstrip(".")))
    return out


def _is_name_or_year(s: str, m: re.Match) -> bool:
    before = s[:m.start()].split()
    if len(before) == 1 and before[0][:1].isupper() and not m.group(2):
        return True  # "Route 53 ...": a name standing as the subject, not a quantity
    n = float(m.group(1))
    return 1900 <= n <= 2099 and "." not in m.group(1) and bool(before) and before[-1].lower() in _MONTHS


def _number_items(p: Passage) -> list[list[QuizItem]]:
    groups = []
    for k, (subj, s) in enumerate(_segments(p)):
        if _nwords(s) < 4 or _URL.search(s):
            continue
        nums = [m for m in _NUM_RE.finditer(s) if not _is_name_or_year(s, m)]
        if not nums or len(nums) > 2 or len(_NUM_RE.findall(s)) > 2:
            continue
        clause, last = "", 0
        for m in nums:
            clause += s[last:m.start()] + BLANK + (m.group(2) or "")
            last = m.end()
        clause = (clause + s[last:]).rstrip(" :")
        after = s[nums[-1].end():].split()
        tail = after[0].strip(",;:()") if after else ""
        tail = tail if tail.lower() in UNITS or re.fullmatch(r"[a-z]{3,}s", tail) else ""
        ref = _clean(s[nums[0].start():nums[-1].end()] + (" " + tail if tail else "")).strip("()")
        tpl = Q_NUMBER if len(nums) == 1 else Q_NUMBERS
        q = tpl.format(context=subj, clause=clause)
        groups.append([_item(p, "number", f"{k}:{s[:40]}", q, ref, [ref], subj)])
    return groups


def _acronym_items(passages: list[Passage]) -> list[list[QuizItem]]:
    groups, seen = [], set()
    for p in passages:
        for m in re.finditer(r"\(([A-Z][A-Z0-9]{1,7}(?: [A-Z]{2,6})?)\)", p.text):
            acr = m.group(1)
            letters = [c.lower() for c in acr if c.isalpha()]
            before = re.findall(r"[A-Za-z][\w'-]*", p.text[:m.start()])[-10:]
            for j in range(len(before)):
                words = before[j:]
                if [w[0].lower() for w in words] == letters and acr not in seen:
                    seen.add(acr)
                    exp = " ".join(words)
                    groups.append([_item(p, "acronym", acr, Q_ACRONYM.format(acronym=acr), exp, [exp], acr)])
                    break
    return groups


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
