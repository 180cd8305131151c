"""Bullets, paragraphs and the sentences in any passage → questions.

- bullets with children: their question head ("What is EBS?"), the list under a head, or what the
  notes say about a head;
- single bullets and paragraphs: definitions ("X is a ...", "Is a ..." under "What is X?"),
  verb-led statements ("Allows you to ..."), "term (meaning)" lines, else a fill-in-the-blank;
- numbers anywhere, table cells included (retention 1–35 days, up to 5 copies, 3500 PUT per second), and
  spelled-out acronyms.
"""
from __future__ import annotations

import re
from collections import Counter

from .quiz_items import (
    BLANK,
    PREPOSITIONS,
    Q_ABOUT,
    Q_ACRONYM,
    Q_DOES,
    Q_FILL,
    Q_FILLS,
    Q_LIST,
    Q_NUMBER,
    Q_NUMBERS,
    Q_TERM,
    Q_WHAT_IS,
    MAX_KEY_POINTS,
    WHERE,
    _QUESTION_HEAD,
    _URL,
    _WORD_RE,
    _clean,
    _item,
    _nwords,
    _short,
    _unwrap,
    context_of,
    key_points,
    subject_of,
    terms,
)
from .quiz_tables import _row_fields
from .text import STOPWORDS, english_zipf
from .types import Passage, QuizItem
from .units import nest_groups

# English verbs a notes line often starts with when its subject is the heading above it.
LEAD_VERBS = {"allows": "allow", "allow": "allow", "enables": "enable", "lets": "let", "provides": "provide",
              "supports": "support", "integrates": "integrate", "helps": "help", "offers": "offer",
              "gives": "give", "stores": "store", "runs": "run", "takes": "take", "uses": "use",
              "manages": "manage", "creates": "create", "improves": "improve", "handles": "handle"}
UNITS = {"day", "days", "hour", "hours", "minute", "minutes", "second", "seconds", "week", "weeks", "month",
         "months", "year", "years", "times", "percent", "copies", "gb", "tb", "mb", "kb", "gib", "ms", "iops"}
# Words this common in English are no key term to recall ("either", "order", "number", "ensure"): not blanked.
FILLER_ZIPF = 5.0
FILL_SKIP = {"many", "much", "now", "well", "etc", "even", "however", "always", "never", "often", "several",
             "various", "new", "way", "lot", "lots", "like", "need", "want", "make", "makes",
             "amazon", "aws"}  # the vendor's name is in every line of these notes: no concept to recall
MAX_LIST_ITEM_WORDS = 8

# "10,000" is one number (a thousands separator), not "10" and "000"
_NUM_RE = re.compile(r"(?<![A-Za-z0-9_./\-])(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)(%|[KMGT]i?B\b|ms\b|TB\b)?(?![\d.]?\d)"
                     r"(?![A-Za-z0-9])")
_MONTHS = {"january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
           "november", "december", "in", "since", "year"}


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


def _misspelt(word: str) -> bool:
    """A plain lower-case word English hardly knows is most likely the notes' typo ("guidlines"): no blank for it, a
    learner would have to reproduce the typo."""
    return word.islower() and word.isalpha() and english_zipf(word) < 1.8


def _typo_of_frequent(word: str, df: Counter) -> bool:
    """A name the notes write once, a letter away from one they write often: "ES2" for "EC2" is the notes' typo, a
    learner would have to reproduce it."""
    t = sorted(terms(word))
    if len(t) != 1 or df[t[0]] > 1 or not any(c.isupper() or c.isdigit() for c in word):
        return False
    t = t[0]
    return any(n >= 5 and len(x) == len(t) and sum(a != b for a, b in zip(x, t)) == 1 for x, n in df.items())


def _fill(p: Passage, sentence: str, df: Counter, head: str = "") -> QuizItem | None:
    """`head`: the bullet the sentence is an item of ("What is EBS?"): named in the question, since the section alone
    ("EC2") does not say what "A ___ disk in the cloud" is about."""
    s = _clean(sentence).rstrip(".")
    if _nwords(s) < 6 or _URL.search(s):
        return None
    known = terms(" ".join(p.section)) | terms(head)
    toks = [m for m in _WORD_RE.finditer(s) if len(m.group(0)) >= 3 and not m.group(0).isdigit() and m.start() > 0
            and m.group(0).lower() not in STOPWORDS | FILL_SKIP and terms(m.group(0))
            and not terms(m.group(0)) & known and not m.group(0).lower().endswith("ly")
            and s[m.start() - 1] not in "/-" and s[m.end():m.end() + 1] not in ("/", "-")
            and english_zipf(m.group(0).lower()) < FILLER_ZIPF and not _misspelt(m.group(0))
            and not _typo_of_frequent(m.group(0), df)]
    seen = Counter(t for m in _WORD_RE.finditer(s) for t in terms(m.group(0)))
    toks = [m for m in toks if all(seen[t] == 1 for t in terms(m.group(0)))]  # the line must not give it away
    if not toks:
        return None
    n = 1 if _nwords(s) <= 10 else 2

    def salience(m: re.Match) -> tuple:
        w = m.group(0)
        technical = any(c.isupper() or c.isdigit() for c in w) or "-" in w
        # rare in the notes, technical, then a word of ordinary English rarity: "replication", not a misspelling
        # of the notes' ("pratice guidlines", Zipf < 2) nor filler (excluded above)
        usual = 2.0 <= english_zipf(w.lower()) < FILLER_ZIPF
        return (min(df[t] for t in terms(w)) > 2, not technical, not usual, -len(w), m.start())

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
    context = context_of(p.section, p.file) + (f', in "{head}"' if head else "")
    return _item(p, "fill", "fill:" + s[:40], tpl.format(context=context, clause=clause),
                 ", ".join(answer), answer, subject_of(p.section, p.file))


def _points(ref: str, items: list[str]) -> tuple[list[str], int]:
    """The key points of what a bullet says and how many a right answer makes: each of its items, any MAX_KEY_POINTS
    of a longer list (the first four of "What does IAM give you?" are no more its answer than MFA is). `items`: the
    nested ones folded into their short parent, which is the point ("Granular Permissions", not also "You can enable
    different levels of access …" beside it)."""
    kps = key_points(ref, items, limit=len(items))
    return (kps, MAX_KEY_POINTS) if len(kps) > MAX_KEY_POINTS else (key_points(ref, items), 0)


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
    groups_of = nest_groups(tuple(p.items), p.item_depth) if len(p.item_depth) == len(p.items) else []
    # a short item's nested lines are its detail: one point, read as "Granular Permissions (You can enable …)"
    folded = any(kids for _, kids in groups_of)
    heads = [h for h, _ in groups_of if h] if folded else items
    nested_ref = "; ".join(f"{h} ({'; '.join(k)})" if k else h for h, k in groups_of if h) if folded else ref
    subs = _sub_lists(tuple(items))
    for sub_head, run in subs:
        q = Q_LIST.format(head=sub_head, where=WHERE.format(subject=_short(_unwrap(h))) if _nwords(h) <= 8 else "")
        groups.append([_item(p, "list", sub_head, q, "; ".join(run), run, sub_head)])
    if len(items) <= 3:  # a few sentences under a head: each can be asked on its own
        for it in items:
            f = _fill(p, it, df, h if p.title else "")
            if f is not None:
                groups.append([f])
    covered = {t for sh, run in subs for t in [sh, *run]}
    if _nwords(head) > 12 or all(t.rstrip(" :") in covered for t in items):
        pass  # the long head was asked above; the sub-lists already ask everything under it
    elif _QUESTION_HEAD.match(h):
        q = h if h.endswith("?") else h + "?"
        kps, need = _points(nested_ref, heads)
        groups.append([_item(p, "define", "head", q, nested_ref, kps, _unwrap(h), need=need)])
    elif _is_short_list(items):
        q = Q_LIST.format(head=h, where=_where(h, subject))
        groups.append([_item(p, "list", "head", q, ref, items, h)])
    else:
        q = Q_ABOUT.format(head=h, where=_where(h, subject))
        kps, need = _points(nested_ref, heads)
        groups.append([_item(p, "about", "head", q, nested_ref, kps, h, need=need)])
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
    n = float(m.group(1).replace(",", ""))
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
