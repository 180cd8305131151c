"""What the grader tells the learner: its phrases, the contradictions it names, and the feedback text.

Rules on top of the model make it strict where learners notice: a named sibling row, an inserted negation or a
wrong number contradicts the notes (the grader then marks the answer incorrect). `compose_grade` turns a verdict
and its matched, missing and contradicting items into the Grade with its feedback.
"""
from __future__ import annotations

import re

from rapidfuzz.distance import OSA

from tutor.grading_features import (
    ANTONYM_STEMS,
    ANTONYMS,
    NEGATORS,
    Encoded,
    expand_acronyms,
    fuzzy_equal,
    is_content,
    numbers,
    stem,
    words,
)
from tutor.types import Grade, Verdict

# ---- What the grader says (used by code and tests alike) -------------------------------------------------
GRADE_CORRECT = "Correct."
GRADE_PARTIAL = "Partly right."
GRADE_INCORRECT = "Not quite."
GRADE_MATCHED = "You got: {items}."
GRADE_MISSING = "Missing: {items}."
GRADE_MISSING_SOME = "Name {n} more; your notes also list: {items}."  # a long list, of which a few answer it
GRADE_CONTRADICTS = "This contradicts your notes: {items}."
GRADE_SIBLING = '"{said}" where the notes say "{expected}"'
# the answer shares no word with another entry but reads like it: say so, without putting its words in the learner's mouth
GRADE_SIBLING_LIKE = 'it reads like "{other}" (another entry), where the notes say "{expected}"'
GRADE_HEDGE = 'you also name "{said}"; the notes say "{expected}" only'
GRADE_NEGATION = "you negate what the notes state ({phrase})"
GRADE_NUMBER = "{said} where the notes say {expected}"
GRADE_ORDER = 'the blanks in another order: the notes read "{expected}"'
GRADE_EMPTY = "No answer given."
GRADE_NOT_ENGLISH = "This answer does not look like English, so it could not be matched against the notes."
GRADE_TRUNCATED = "Only the first {n} characters of the answer were graded."
GRADE_NOTHING_MATCHED = "Nothing in the answer matches the notes yet."
GRADE_EXPECTED = "The notes say: {reference}"
GRADE_SOURCE = "Source: {source}."


# ---- Contradictions the learner should hear about -----------------------------------------------------------
def _content_stems(ws, drop: set[str] = frozenset()) -> set[str]:
    return {stem(w) for w in ws if is_content(w)} - drop


def _overlap(a: Encoded, b: Encoded, qstems: set[str]) -> float:
    sa, sb = _content_stems(a.words, qstems), _content_stems(b.words, qstems)
    if not sa or not sb:
        return 0.0
    inter = len(sa & sb)
    return 2 * inter / (len(sa) + len(sb))


def _head(text: str) -> str | None:
    """The row key of "Spot: enables you to bid..." (a short head before a colon or dash)."""
    m = re.match(r"\s*([^:–—]{1,60}?)\s*(?::|\s[-–—]\s)", text)
    return m.group(1) if m and len(m.group(1).split()) <= 5 else None


def _name(text: str, distinct: set[str]) -> str:
    """A short, real phrase for a reference or row: itself when short, its head, else its opening words (not its
    distinctive words strung together, which read as word salad: "create assign AWS")."""
    if len(text.split()) <= 4:
        return text
    if _head(text):
        return _head(text)
    return " ".join(text.split()[:6]).rstrip(",;:.") + "…"


SIBLING_LIKE_FLOOR = 0.2  # half MiniLM cosine, half word overlap: below it an answer reads like no row


def sibling_contradictions(q: Encoded, r: Encoded, a: Encoded, sibs: list[Encoded]) -> list[str]:
    """Naming (or paraphrasing) another row of the same table instead of the right one."""
    qstems = _content_stems(q.words)
    astems = _content_stems(expand_acronyms(list(a.words), list(r.words)))
    sib_stems = set().union(*(_content_stems(s.words) for s in sibs)) if sibs else set()
    d_ref = _content_stems(r.words, qstems | sib_stems)
    sim_ref = 0.5 * float(a.sent @ r.sent) + 0.5 * _overlap(a, r, qstems)
    hits_ref = len(d_ref & astems)
    out = []
    r_key = _head(r.text) or (r.text if len(r.text.split()) <= 4 else None)
    r_key_stems = _content_stems(words(r_key), qstems) if r_key else set()
    for s in sibs:
        s_key = _head(s.text) or (s.text if len(s.text.split()) <= 4 else None)
        s_key_stems = _content_stems(words(s_key), qstems | r_key_stems) if s_key else set()
        # the other row's key said with a typo ("spot" for the notes' "Sport Instances") is still that row's key
        typo_of_key = {x for x in s_key_stems - astems if len(x) >= 4 and x not in r_key_stems
                       and any(len(y) >= 4 and x[0] == y[0] and OSA.distance(x, y) <= 1 for y in astems - r_key_stems)}
        if r_key and s_key_stems and s_key_stems <= astems | typo_of_key:
            r_own = r_key_stems - _content_stems(words(s_key), qstems)  # "Compute" of "Compute Optimized"
            if not r_own & astems:
                out.append((2.0, GRADE_SIBLING.format(said=s_key, expected=r_key)))  # names the other row's key
                continue
            if len(r.text.split()) <= 4:
                # the answer is a name and names two: "Reserved Instances or Spot Instances" hedges, it does not answer
                out.append((2.0, GRADE_HEDGE.format(said=s_key, expected=r_key)))
                continue
        d_sib = _content_stems(s.words, qstems | _content_stems(r.words))
        hits = d_sib & astems
        sim = 0.5 * float(a.sent @ s.sent) + 0.5 * _overlap(a, s, qstems)
        # one shared word ("data") does not make an answer another row's description; one names a short row
        named = len(hits) > hits_ref and (len(hits) >= 2 or len(s.text.split()) <= 4)
        # and reads like it at all: "spot instances" for IAM's "End Users" is nearer the Roles row (0.09 against 0.02)
        # but is no paraphrase of it (those score 0.5 and up)
        closer = sim > sim_ref + 0.05 and hits_ref == 0 and sim >= SIBLING_LIKE_FLOOR
        if named or closer:
            expected, other = _name(r.text, d_ref), _name(s.text, d_sib)
            if hits and (len(s.text.split()) <= 4 or _head(s.text)):  # the learner named the other row
                out.append((sim, GRADE_SIBLING.format(said=other, expected=expected)))
            else:  # it reads like the other row's description: say so, without quoting the learner as saying it
                out.append((sim, GRADE_SIBLING_LIKE.format(other=other, expected=expected)))
    return [m for _, m in sorted(out, reverse=True)[:1]]


_VERSIONED = re.compile(r"([a-z]{1,3})(\d{1,2})")


def other_contradictions(q: Encoded, r: Encoded, a: Encoded, f: dict[str, float]) -> list[str]:
    """A wrong number, or a restatement of the notes with a negation inserted or a word swapped for its opposite.

    Negation and antonyms only count on near restatements: elsewhere their scope is too uncertain (the model's
    features weigh them instead)."""
    out = []
    aw, rw = list(a.words), list(r.words)
    restates = f["lex_recall"] >= 0.85 and f["lex_precision"] >= 0.85 and f["char_cos"] >= 0.75
    # by stem: "automatically" for the notes' "manual" is swapped too
    r_by_stem = {stem(w): w for w in rw}
    a_stems = {stem(w) for w in aw}
    swapped = [w for w in sorted(set(aw)) if ANTONYM_STEMS.get(stem(w)) in r_by_stem and stem(w) not in r_by_stem
               and ANTONYM_STEMS[stem(w)] not in a_stems]
    if restates and (int(f["neg_mismatch"]) + len(swapped)) % 2 == 1:  # two flips cancel out
        if f["neg_mismatch"]:
            i = next((k for k, w in enumerate(aw) if w in NEGATORS), None)
            phrase = " ".join(aw[max(0, i - 1):i + 3]) if i is not None else "not"
            out.append(GRADE_NEGATION.format(phrase=f'"{phrase}"'))
        out.extend(GRADE_SIBLING.format(said=w, expected=r_by_stem[ANTONYM_STEMS[stem(w)]]) for w in swapped)
    # a name one version off: "C4" where the notes say C5, "gp3" for gp2 (letters, then a digit the notes do not give)
    qw = set(q.words)
    named = {w for w in rw if _VERSIONED.fullmatch(w)}
    for w in dict.fromkeys(aw):
        if _VERSIONED.fullmatch(w) and w not in named and w not in qw:
            near = sorted(x for x in named if _VERSIONED.fullmatch(x).group(1) == _VERSIONED.fullmatch(w).group(1))
            if near:
                out.append(GRADE_SIBLING.format(said=w.upper(), expected=near[0].upper()))
    rn, an, qn = numbers(r.text), numbers(a.text), numbers(q.text)
    moved = misplaced_number(r.text, a.text)
    if moved:
        out.append(GRADE_NUMBER.format(said=moved[0], expected=moved[1]))
    elif rn - an and an - rn - qn:
        out.append(GRADE_NUMBER.format(said=", ".join(sorted(an - rn - qn)), expected=", ".join(sorted(rn - an))))
    elif rn and len(r.text.split()) <= 4 and an - rn - qn:  # "4, 70, 75" for "75%": a list of guesses
        out.append(GRADE_HEDGE.format(said=", ".join(sorted(an - rn - qn)), expected=r.text))
    return out


# Units of one measure, each spelling with its short form: a number the notes give in one unit, said in another
# of the same measure, is another quantity ("3 - 5 days" where the notes say hours)
_UNITS = {
    "time": {"ms": "ms", "millisecond": "ms", "milliseconds": "ms", "s": "s", "sec": "s", "secs": "s", "second": "s",
             "seconds": "s", "min": "min", "mins": "min", "minute": "min", "minutes": "min", "hr": "h", "hrs": "h",
             "hour": "h", "hours": "h", "day": "d", "days": "d", "week": "w", "weeks": "w", "month": "mo",
             "months": "mo", "year": "y", "years": "y"},
    "size": {"b": "b", "byte": "b", "bytes": "b", "kb": "kb", "kib": "kb", "kilobyte": "kb", "kilobytes": "kb",
             "mb": "mb", "mib": "mb", "megabyte": "mb", "megabytes": "mb", "gb": "gb", "gib": "gb", "gigabyte": "gb",
             "gigabytes": "gb", "tb": "tb", "tib": "tb", "terabyte": "tb", "terabytes": "tb", "pb": "pb", "pib": "pb",
             "petabyte": "pb", "petabytes": "pb"},
    "rate": {"iops": "iops", "requests": "req", "request": "req", "reqs": "req", "connections": "conn"},
    "money": {"dollar": "usd", "dollars": "usd", "usd": "usd", "cent": "ct", "cents": "ct", "euro": "eur", "euros": "eur"},
}
_GLUED = re.compile(r"(\d+(?:\.\d+)?)([a-z]+)")  # "5tb", "100ms"


def _measured(u: str) -> bool:
    return any(u in m for m in _UNITS.values())


def _same_measure(u: str, v: str) -> bool:
    return any(u in m and v in m for m in _UNITS.values())


def _other_unit(u: str, v: str) -> bool:
    """Two different units of one measure (not two spellings of one unit: "ms", "milliseconds")."""
    return any(u in m and v in m and m[u] != m[v] for m in _UNITS.values())


def _other_measure(said: str, theirs: str) -> bool:
    """The learner's unit and the notes' are of two measures: "20,000 GB" where they say 20,000 IOPS."""
    return _measured(said) and _measured(theirs) and not _same_measure(said, theirs)


def _as_written(reference: str, number: str, unit: str) -> str:
    """The notes' quantity as they write it: "4%" rather than "4 off"."""
    if re.search(rf"(?<![\d.]){re.escape(number)}\s*%", reference.replace(",", "")):
        return f"{number}%"
    return f"{number} {unit}".strip()


def _number_contexts(text: str) -> list[tuple[str, str, set[str]]]:
    """Each number with the word right after it (its unit: "IOPS", "put"; none before another number: "1-35 days")
    and the content words around it."""
    out = []
    for clause in re.split(r"[;.](?:\s|$)|,\s", text):
        ws = []
        for w in words(clause):
            glued = _GLUED.fullmatch(w)
            ws.extend(glued.groups() if glued else [w])
        at = [i for i, w in enumerate(ws) if numbers(w) == {w}]
        for k, i in enumerate(at):
            nxt = ws[i + 1] if i + 1 < len(ws) else ""
            unit = nxt if nxt.isalpha() and is_content(nxt) else ""
            # its words: up to three either side, not reaching the number before (nor its unit) or the one after
            lo, hi = max(i - 3, at[k - 1] + 2 if k else 0), min(i + 4, at[k + 1] if k + 1 < len(at) else len(ws))
            near = {stem(x) for x in ws[lo:hi] if x.isalpha() and is_content(x)}
            out.append((ws[i], unit, near))
    return out


def misplaced_number(reference: str, answer: str) -> tuple[str, str] | None:
    """A number the notes give for one thing, said of another: "5500 PUT" where the notes say 3500 put requests;
    "up to 10,000 IOPS per volume" where they say 20,000 (10,000 is the notes' number for something else).
    Numbers the notes never give are left to the plain number check."""
    ref = _number_contexts(reference)
    for m, unit, near in _number_contexts(answer):
        mine = [(u, c) for n, u, c in ref if n == m]
        if not mine:
            continue
        if unit and not any(stem(u) == stem(unit) for u, _ in mine):
            swapped = [(n, u) for n, u, _ in ref if n != m and u and stem(u) == stem(unit)]
            if swapped:
                return f"{m} {unit}", f"{swapped[0][0]} {swapped[0][1]}"
            other = next((u for u, _ in mine if u and (_other_unit(u, unit) or _other_measure(unit, u))), None)
            if other:  # "3 - 5 days" where the notes say hours, "5 GB" where they say 5TB, "20,000 GB" for IOPS
                return f"{m} {unit}", f"{m} {other}"
            priced = _same_measure(unit, "usd") and re.search(r"[$€£]", reference)  # "$0.20": dollars already
            if _measured(unit) and not priced and not any(stem(unit) in c or _same_measure(u, unit) for u, c in mine):
                # a unit where the notes count something else: "4 hours" for "4% off", "5 GB" for "5 copies"
                return f"{m} {unit}", _as_written(reference, m, mine[0][0])
        own = max(len(c & near) for _, c in mine)
        rival = sorted(((len(c & near), n) for n, _, c in ref if n != m), reverse=True)
        if rival and rival[0][0] >= 2 and rival[0][0] > own + 1:
            return m, rival[0][1]
    return None


BLANK = "___"


def swapped_fills(question: str, reference: str, key_points: list[str], answer: str) -> str | None:
    """Two blanks answered the other way round, where that changes what is said: two numbers that belong to
    different things ("300 and 100" for "> ___ PUT/LIST/DELETE or > ___ GET"), or two opposites ("manual, automatic"
    for "an ___ Backup or ___ Snapshot"). A range said backwards ("35 and 1" for "between ___ and ___ days") or two
    words that only fit their own blank ("applications, rent") are still right. Returns the notes' order, or None."""
    if question.count(BLANK) != 2:
        return None
    nums = re.findall(r"\d+(?:\.\d+)?", reference.replace(",", ""))
    if len(key_points) == 2 and all(len(words(k)) == 1 for k in key_points):
        fills = [words(k)[0] for k in key_points]
        if ANTONYMS.get(fills[0]) != fills[1]:
            return None
    elif len(nums) == 2 and nums[0] != nums[1]:
        between = question.split(BLANK)[1]
        if len(words(between)) <= 2:  # a range: "___ and ___", "___ - ___", "___ bytes to ___"
            return None
        fills = nums
    else:
        return None
    aw = [w.replace(",", "") for w in words(answer)]
    if not all(f in aw for f in fills):
        return None
    first, second = aw.index(fills[0]), aw.index(fills[1])
    return ", ".join(fills) if second < first else None


# "Collection = Table", "Bucket polices - Applied at a bucket level": a key point that pairs a thing with what it is
_PAIR = re.compile(r"^\s*(.+?)\s*(?:=|\s[-–]\s|:)\s*(.+?)\s*$")
_CLAUSES = re.compile(r"[,;.]|\b(?:and|while|but|whereas)\b")


def _content(text: str) -> list[str]:
    return [w for w in words(text) if is_content(w)]


def swapped_pairs(key_points: list[str], answer: str) -> tuple[str, str, str] | None:
    """Two pairs of the notes said the other way round: "collection = row, document = table" where they say
    Collection = Table and Document = Row; "bucket policies apply at the object level" where bucket policies are
    applied at a bucket level and ACLs at an object level. Returns (what the learner paired, the notes' pair)."""
    pairs = []
    for k in key_points:
        m = _PAIR.match(k)
        if m:
            subj, pred = _content(m.group(1)), _content(m.group(2))
            if subj and pred and len(subj) <= 4 and len(pred) <= 6:
                pairs.append((k, subj, set(pred)))
    if len(pairs) < 2:
        return None
    for clause in _CLAUSES.split(answer.lower()):
        cw = _content(clause)
        for k, subj, pred in pairs:
            if not all(any(fuzzy_equal(x, y) for y in cw) for x in subj):
                continue
            rest = {stem(w) for w in cw if not any(fuzzy_equal(w, x) for x in subj)}
            mine = {stem(w) for w in pred}
            for k2, subj2, pred2 in pairs:
                theirs = {stem(w) for w in pred2}
                if k2 == k or not theirs - mine or not mine - theirs:
                    continue
                if rest & (theirs - mine) and not rest & (mine - theirs):
                    return clause.strip(), k, k2
    return None


# ---- The feedback text ----------------------------------------------------------------------------------------
def _join(items: list[str]) -> str:
    return "; ".join(items)


def compose_grade(verdict: Verdict, score: float, matched, missing, contra, notes, citation, more: int = 0) -> Grade:
    """The Grade with its feedback: verdict first, then what was right, what contradicts, what is missing. `more`:
    how many of `missing` a right answer still needs, when a few of a long list answer it (0: all of them)."""
    head = {"correct": GRADE_CORRECT, "partial": GRADE_PARTIAL, "incorrect": GRADE_INCORRECT}[verdict]
    parts = [head, *notes]
    if matched and verdict != "correct":
        parts.append(GRADE_MATCHED.format(items=_join(matched)))
    if contra:
        parts.append(GRADE_CONTRADICTS.format(items=_join(contra)))
    if missing and verdict != "correct" and GRADE_EMPTY not in notes:
        parts.append(GRADE_MISSING_SOME.format(n=more, items=_join(missing)) if more else
                     GRADE_MISSING.format(items=_join(missing)))
    elif verdict == "incorrect" and not matched and not contra and not notes:
        parts.append(GRADE_NOTHING_MATCHED)
    if citation is not None:
        parts.append(GRADE_SOURCE.format(source=citation.passage.name))
    return Grade(verdict=verdict, score=round(float(score), 4), matched=list(matched), missing=list(missing),
                 contradictions=list(contra), feedback=" ".join(parts), citation=citation)
