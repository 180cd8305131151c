"""Question + retrieved passages → a short answer made of the notes' own sentences, each cited.

The composer never writes a fact: it picks units (a sentence, a list item, a table cell) from the
retrieved passages, scores them against the question, and joins the best few with `[n]` markers.
"""
from __future__ import annotations

import math
import re
from dataclasses import replace

import numpy as np

from . import phrases
from .calibration import refuse_threshold
from .acronyms import asked_acronym, spelled_out
from .arithmetic import Worked, could_work, limit_checks, worked_figures
from .config import AnswerSettings
from .overview import KIND_WORDS, table_overview
from .parts import numbered
from .retrieval import LIST_REQUEST, SELECTS, SUBJECT_PRONOUN, is_followup, leaned_on, same_table, shape_query
from .spelling import without_asides
from .summary import section_summary
from .text import STOPWORDS, content_terms, english_zipf, negated_terms, plain_terms, sentences
from .types import Answer, Citation, Passage, Retrieval, ScoredPassage
from .units import Unit, nwords, units_of

LIST_CUES = re.compile(r"\b(list|which (are|ones)|which of the|which (\w+ ){0,2}\w+s (are|work|support|do|have)|what are|name (the|all)|all the|types|kinds|engines|languages|options|ways|examples)\b", re.I)
# A question that asks what something is: "what is X?", "what's an X", "define X", "ELI5 X" (not "what is X for").
DEFINE_CUES = re.compile(r"^\s*(?:what(?:'s|s| is| are)|define|meaning of|explain|eli5|tell me about)\b"
                         r"(?!.*\b(?:for|do|does|difference|between|vs)\b)", re.I)
DEFINE_BONUS = 0.1  # a nudge among near-equals; dev answer accuracy was flat from 0 to 0.2
COMPARE_CUES = re.compile(r"\b(differen\w*|compare|comparison|vs\.?|versus|between|the\s+same(?:\s+thing)?\s+as)\b", re.I)
EXPLAIN_CUES = re.compile(r"\b(explain|in detail|elaborate|more about)\b", re.I)
OPTION_LINE = re.compile(r"^\s*\(?([A-Ha-h])[.)]\s+(.+?)\s*$")
META = re.compile(r"^\s*(what did i (just )?ask|what was my (last|previous|first) question|who are you|what can you do|help|hi|hello|thanks?( you)?)\W*$", re.I)
PRIOR_SCALE = 4.0  # reranker-score gap at which a passage's units count e times less
NAMED_WEIGHT = 0.15  # bonus for units of a passage whose key the question names
# weight of a unit's embedding cosine to the question: dev answer accuracy 0.927 → 0.947 (0.953 with comparisons
# left out), flat for weights from 0.3 to 1.5
UNIT_DENSE_WEIGHT = 0.5
# "what's the max for io1?": a unit that states an upper bound ("Can provision up to 20,000 IOPS") answers it rather
# than one that merely has a number ("Use if you need more than 10,000 IOPS"). A nudge among near-equals, a priori the
# same size as DEFINE_BONUS.
_ASKS_MAX = re.compile(r"\b(?:max|maximum|highest|largest|biggest|upper limit|at most|most\s+(?:i|you|we)\s+can)\b", re.I)
_SAYS_MAX = re.compile(r"\bup to\s+[$]?\d|\bmax(?:imum)?\b|\bat most\b|\bhighest\b|\blargest\b", re.I)
MAX_BONUS = 0.1


def split_options(text: str) -> tuple[str, dict[str, str] | None]:
    """A pasted practice question: stem lines, then option lines 'A. ...' / 'B) ...' → (stem, options)."""
    stem, options = [], {}
    for line in text.splitlines():
        m = OPTION_LINE.match(line)
        if m and (options or len(stem) > 0):
            options[m.group(1).upper()] = m.group(2)
        elif options:
            last = list(options)[-1]
            options[last] += " " + line.strip()
        else:
            stem.append(line)
    if len(options) >= 2:
        return "\n".join(stem).strip(), options
    return _inline_options(text) or (text, None)


# Options pasted on one line: "Which TWO are true? A) … B) … C) …" (capitals, consecutive from A)
_INLINE_OPTION = re.compile(r"(?:^|(?<=\s))\(?([A-H])[.)]\s+")


def _inline_options(text: str) -> tuple[str, dict[str, str]] | None:
    marks = list(_INLINE_OPTION.finditer(text))
    first = next((i for i, m in enumerate(marks) if m.group(1) == "A"), None)
    if first is None:
        return None
    run = [marks[first]]
    for m in marks[first + 1:]:
        if ord(m.group(1)) == ord(run[-1].group(1)) + 1:
            run.append(m)
    stem = text[:run[0].start()].strip()
    if len(run) < 2 or not stem:
        return None
    ends = [m.start() for m in run[1:]] + [len(text)]
    options = {m.group(1): text[m.end():end].strip() for m, end in zip(run, ends)}
    return (stem, options) if all(options.values()) else None


# ---------------------------------------------------------------- units
def _names(q_terms: set[str], p: Passage, idf) -> float:
    """IDF share of the passage's key (row key, bullet head) that the question names. A bullet or
    paragraph without children is a statement about its section ('Is a fully managed service…'
    under 'What is API Gateway?'), so its key is the section's name."""
    leaf = p.kind != "table_row" and not p.items and p.section
    key = set(content_terms(p.section[-1] if leaf else p.title))
    total = sum(idf(t) for t in key)
    return sum(idf(t) for t in key & q_terms) / total if total else 0.0


def _score_units(units: list[Unit], q_terms: set[str], idf, results: list[ScoredPassage],
                 closeness: "np.ndarray | None" = None, question: str = "") -> None:
    # Passage prior from the reranker: the best passage 1, the others by how far behind they are.
    # A unit that merely repeats a query word from a weak passage ("… the On-Demand price" in the
    # Dedicated Hosts row) must not beat the row the question is about.
    top = results[0].score if results else 0.0
    prior = {r.passage.id: math.exp(min(0.0, r.score - top) / PRIOR_SCALE) for r in results}
    qw = sum(idf(t) for t in q_terms) or 1.0
    selects = bool(SELECTS.search(question))
    asked = plain_terms(question) if selects else set()  # its own words, said without a "not"
    asks_max = bool(_ASKS_MAX.search(question))
    for u in units:
        # the question's terms this unit says are not so ("Cannot be a boot volume"): no match, and a mark against it
        against = q_terms & asked & negated_terms(u.text)
        lex = (sum(idf(t) for t in q_terms & u.terms - against) - sum(idf(t) for t in against)) / qw
        named = _names(q_terms, u.passage, idf)
        u.named = named
        u.score = 0.45 * lex + 0.4 * prior.get(u.passage.id, 0.0) + NAMED_WEIGHT * named - 0.003 * max(0, nwords(u.text) - 40)
        if asks_max and _SAYS_MAX.search(u.text):
            u.score += MAX_BONUS
    if closeness is not None:
        for u, c in zip(units, closeness):
            u.score += UNIT_DENSE_WEIGHT * float(c)


def _budget(question: str, settings: AnswerSettings) -> tuple[int, int]:
    if LIST_CUES.search(question) or COMPARE_CUES.search(question) or EXPLAIN_CUES.search(question):
        return 4, int(settings.max_words * 1.5)
    return 3, settings.max_words


EVERYDAY_ZIPF = 5.3  # "turn", "need", "make": words too common in English to tie an answer to another topic


def _select(units: list[Unit], question: str, settings: AnswerSettings, q_terms: set[str],
            followup: bool = False) -> list[Unit]:
    if not units:
        return []
    max_units, max_words = _budget(question, settings)
    ranked = sorted(units, key=lambda u: -u.score)
    best = ranked[0]
    chosen = [best]
    used = nwords(best.text)
    if COMPARE_CUES.search(question) and _ALL_OF.search(question):
        # "compare the three load balancer types": every row of the table asked about, its best unit each
        rows = _each_row(ranked, best, max_units, max_words)
        if len(rows) >= 3:
            return sorted(rows, key=lambda u: u.passage.start)
    if COMPARE_CUES.search(question):
        # Draw on both sides: the best unit from another passage the question names (another row,
        # another bullet), else from any other passage.
        others = [u for u in ranked if u.passage.id != best.passage.id and u.passage.title != best.passage.title]
        # the other side is a passage whose key names something in the question that best's does not
        # ("On Demand" against "Reserved Instances"; not "Reserved" again)
        side = set(content_terms(best.passage.title))
        asked = compared_terms(question) or q_terms  # the compared things, not the scenario around them
        sides = compared_sides(question)

        def names(p: Passage) -> set[str]:  # its key and the heading it sits under ("What is X-Ray?")
            return set(content_terms(" ".join([p.title, *p.section[-1:]])))

        def filed_under(p: Passage) -> set[str]:  # its key and every heading above it ("S3 › CloudFront (CDN)")
            return set(content_terms(" ".join([p.title, *p.section])))

        if sides and all(sides) and not names(best.passage) & (sides[0] | sides[1]):
            # "memcached vs redis?": the best passage names both in passing ("engines: Memcached, Redis"); each side
            # is the best passage whose own key names all of it
            picks = [next((u for u in ranked if want <= names(u.passage)), None) for want in sides]
            if all(picks) and picks[0].passage.id != picks[1].passage.id:
                return _select_sides(units, picks[0].passage, picks[1].passage, max_units, max_words, q_terms)
        row = _side_row_of(sides, best.passage, [u.passage for u in others])
        if row is not None:  # "on demand vs spot": the other row of the table, not a list that mentions it
            return _select_sides(units, best.passage, next(u.passage for u in others if u.passage.id == row),
                                 max_units, max_words, q_terms)
        if sides and all(sides):
            # "cloudwatch vs x-ray": the best passage is X-Ray's, and no passage is CloudWatch's own: its side is the
            # best unit of another passage that says it, an item of a list ("Connect to CloudWatch to log all requests")
            unsaid = [sd for sd in sides if not sd <= names(best.passage)]
            if len(unsaid) == 1 and not any(unsaid[0] & names(u.passage) or unsaid[0] <= filed_under(u.passage)
                                            for u in others):
                said = next((u for u in others if unsaid[0] <= u.terms), None)
                if said is not None and said.score >= 0.3 * best.score:
                    picked = _select_sides(units, best.passage, said.passage, max_units, max_words, q_terms)
                    # of the list, only what says that side ("Expose HTTPS endpoints" says nothing of CloudWatch)
                    return [u for u in picked if u.passage.id != said.passage.id or unsaid[0] <= u.terms] or picked
        inner = _sides_inside(units, best.passage, asked - side)
        if inner:  # "standard vs convertible RIs": both sides are items of one passage, neither is its key
            return _in_notes_order(inner, units)
        # the best unit of a passage whose key names the other side, else of one filed under a heading that names all
        # of a side the best passage does not ("Edge location" under "CloudFront (CDN)"), else of another passage
        unnamed = [sd for sd in sides or () if sd and not sd <= filed_under(best.passage)]
        other = next((u for u in others if u.named > 0 and set(content_terms(u.passage.title)) & asked - side),
                     next((u for u in others if any(sd <= filed_under(u.passage) for sd in unnamed)),
                          others[0] if others else None))
        if other is not None and other.score >= 0.3 * best.score:
            return _select_sides(units, best.passage, other.passage, max_units, max_words, q_terms)
    if (LIST_REQUEST.search(question) or _asks_its_head(question, best.passage)) and best.passage.items and best.named >= 0.5:
        # "list the main features" (or the list's own question, "what does IAM give me?"): the list the best unit
        # belongs to, in the notes' order, as far as it fits, when the question names what that list is about
        own = [u for u in units if u.passage.id == best.passage.id]
        if len(own) >= 3:
            picked, used = [], 0
            for u in own:
                if used + nwords(u.text) > max_words:
                    break
                picked.append(u)
                used += nwords(u.text)
            if len(picked) >= 3:  # one sentence under the list's head, not one per item
                head = best.passage.title.rstrip("?:. ")
                return [u if u.context else replace(u, context=head, text=f"{head}: {u.text}") for u in picked]
    said = best.terms & q_terms
    define = bool(DEFINE_CUES.search(question))
    for u in ranked[1:]:
        if len(chosen) >= max_units:
            break
        if u in chosen or u.score < 0.6 * best.score:
            continue
        if used + nwords(u.text) > max_words:
            u = _clipped(u, (u.terms & q_terms) - said, max_words - used)
            if u is None:
                continue
        if u.passage.section[:1] != best.passage.section[:1] and all(
                t in said or (followup and english_zipf(t) >= EVERYDAY_ZIPF) for t in u.terms & q_terms):
            # another part of the notes, on words already answered ("key" of an S3 object after KMS keys) or, in a
            # follow-up, on everyday words of its own ("how do i turn it on?" after CORS: not read replicas'
            # "backups turned on")
            continue
        if define and u.passage.id != best.passage.id and u.terms & q_terms <= said:
            continue  # "what's ebs?": what EBS is, not the Magnetic volume's "lowest cost of all EBS volume types"
        chosen.append(u)
        used += nwords(u.text)
        said |= u.terms & q_terms
    if _bare_head(best) and not any(u.passage.id == best.passage.id for u in chosen[1:]):
        # "why would i use signed cookies?": the bullet head that names them ("Restrict Viewer Access (Use Signed URLs
        # or Signed Cookies)") says nothing of them alone; its best item does ("… only to users who have paid …"),
        # before another passage's unit
        item = next((u for u in ranked if u.passage.id == best.passage.id and u is not best), None)
        if item is not None:
            rest = chosen[1:]
            while rest and (len(rest) + 2 > max_units or used + nwords(item.text) > max_words):
                used -= nwords(rest.pop().text)
            if used + nwords(item.text) <= max_words:
                chosen = [best, item, *rest]
    return _in_notes_order(_cover_parts(chosen, ranked, question, max_units, max_words), units)


def _bare_head(u: Unit) -> bool:
    """The unit is only its passage's head (a bullet's first line, a heading) and items follow under it."""
    return bool(u.passage.items) and u.text.strip().rstrip(":.") == u.passage.title.strip().rstrip(":.")


# "can we turn on encryption, and what manages the keys?": a second question joined on
_SECOND_PART = re.compile(r"(?:,\s*|\s)(?:and|also|plus)\s+(?=(?:what|which|how|who|where|when|why|can|does|do|is|are)\b)"
                          r"|\?\s+(?=\w)", re.I)


# Where a long item may stop and still say something whole: after a closing bracket, or before a comma or semicolon.
_CLAUSE_END = re.compile(r"\)(?=\s)|(?=[,;]\s)")


def _clipped(u: Unit, new: set[str], room: int, cut_any: bool = False) -> Unit | None:
    """A unit too long for what is left of the answer, cut at the first clause end that still says the question's
    words no chosen unit said: "Convertible RIs (Up to 4% off on-demand cost)" of a 50-word item, when the learner
    asked about convertible RIs. None when there is no such word or no such cut."""
    if not new and not cut_any:
        return None
    start = len(u.context) + 2 if u.context else 0
    for m in _CLAUSE_END.finditer(u.text, start):
        text = u.text[:m.end()].rstrip(",; ")
        if nwords(text) > room:
            return None
        if nwords(text) - nwords(u.text[:start]) >= 3 and new <= set(content_terms(text + " " + u.passage.section_path)):
            return replace(u, text=text)
    return None


def _denying(units: list[Unit], question: str, q_terms: set[str], settings: AnswerSettings) -> list[Unit]:
    """"Which EBS volumes cannot be used as a boot volume?": the things that the notes say cannot, each of them, and
    none that they say can ("Magnetic: … that is bootable" sounds as close). Nothing when the question picks by what
    is so, or no unit says the question's "not"."""
    denied = negated_terms(question) & q_terms if SELECTS.search(question) else set()
    if not denied or not units:
        return []
    top = max(u.score for u in units)
    saying = sorted((u for u in units if denied & negated_terms(u.text) and u.score >= 0.6 * top), key=lambda u: -u.score)
    max_units, max_words = _budget(question, settings)
    picked, used = [], 0
    for u in saying:
        if len(picked) < max_units and used + nwords(u.text) <= max_words:
            picked.append(u)
            used += nwords(u.text)
    return _in_notes_order(picked, units)


# "the three …", "all the …", "each of the …": more than two things compared
_ALL_OF = re.compile(r"\b(?:the (?:three|four|five|3|4|5)|all(?: of)?(?: the)?|each of the|every)\b", re.I)


def _each_row(ranked: list[Unit], best: Unit, max_units: int, max_words: int) -> list[Unit]:
    """The best unit of each row of the table the best unit sits in (as many rows as fit), or nothing when it is
    no table row."""
    if best.passage.kind != "table_row":
        return []
    picked: list[Unit] = []
    for u in ranked:
        if (u.passage.kind == "table_row" and u.passage.section[:-1] == best.passage.section[:-1]
                and all(v.passage.id != u.passage.id for v in picked)):
            picked.append(u)
    picked = picked[:max_units]
    share = max_words // max(1, len(picked))
    return [u if nwords(u.text) <= share else (_clipped(u, set(), share, cut_any=True) or u) for u in picked]


def _cover_parts(chosen: list[Unit], ranked: list[Unit], question: str, max_units: int, max_words: int) -> list[Unit]:
    """Each part of a two-part question gets its answer: when no chosen unit holds a word of the second part that
    a unit of the same passage does, that unit takes the place of the weakest chosen one that answers no part."""
    parts = _SECOND_PART.split(question)
    if len(parts) < 2 or not chosen:
        return chosen
    top = chosen[0].passage.id
    mine = [u for u in ranked if u.passage.id == top]
    # words most of the passage says ("encrypted" all through the RDS encryption bullet) answer no part
    common = {t for u in mine for t in u.terms if sum(t in v.terms for v in mine) * 2 >= max(2, len(mine))}
    terms = [set(content_terms(p)) - common for p in parts]
    own = [t - set().union(*(o for j, o in enumerate(terms) if j != i)) for i, t in enumerate(terms)]
    for want in own:
        if not want or any(2 * len(u.terms & want) >= len(want) for u in chosen):
            continue  # a chosen unit holds at least half of this part's own words
        said = set().union(*(u.terms for u in chosen)) & want
        fits = [u for u in mine if u not in chosen and (u.terms & want) - said and u.score >= 0.6 * chosen[0].score]
        fit = max(fits, key=lambda u: (len(u.terms & want), u.score), default=None)
        if fit is None:
            continue
        spare = [u for u in chosen[1:] if not any(u.terms & w and sum(bool(v.terms & w) for v in chosen) == 1
                                                  for w in own if w)]
        weakest = min(spare, key=lambda v: v.score, default=None)
        keep = chosen if len(chosen) < max_units else [u for u in chosen if u is not weakest]
        if len(keep) < max_units and sum(nwords(u.text) for u in keep) + nwords(fit.text) <= max_words:
            chosen = keep + [fit]
    return chosen


def _asks_its_head(question: str, p: Passage) -> bool:
    """"what does IAM give me?" against the bullet "What does IAM give you?": the learner asks the notes' own
    question, whose answer is the list under it (in the notes' order), not its three most word-alike items."""
    head = set(content_terms(p.title)) if p.kind == "bullet" and p.title.rstrip().endswith("?") else set()
    asked = set(content_terms(question))
    return bool(head) and head <= asked and len(asked - head) <= 1  # its own question, give or take a word


def _sides_inside(units: list[Unit], passage: Passage, asked: set[str]) -> list[Unit]:
    """The best unit for each of two compared things when both are items inside `passage` (each named at
    the start of a different unit of it) and the passage's own key is neither; else nothing."""
    mine = sorted((u for u in units if u.passage.id == passage.id), key=lambda u: -u.score)

    def opens_with(u: Unit, term: str) -> bool:  # "Standard RIs (Up to 75% …)": the item's name comes first
        body = u.text[len(u.context):].lstrip(" :") if u.context and u.text.startswith(u.context) else u.text
        return term in content_terms(" ".join(body.split()[:4]))

    # each term's best unit that opens with it, the strongest first (not in the set's order, which changes with the
    # process's hash seed: the same question got "S3 uses the key name …" in one run and "The use of sequential key
    # names …" in the next)
    opening = {t: next((u for u in mine if opens_with(u, t)), None) for t in asked}
    picks: list[Unit] = []
    for term in sorted(asked, key=lambda t: (-(opening[t].score if opening[t] else -1.0), t)):
        u = opening[term]
        if u is not None and u not in picks and not any(term in p.terms for p in picks):
            picks.append(u)
    return picks if len(picks) >= 2 else []


_SIDE_END = re.compile(r"[?,;:.!]|\s[-–—]+\s|\s(?:for|if|when|in|to|with|where|which|because|so|and|or)\s", re.I)


_DIFFER = re.compile(r"\b(differen\w*|differ|compare|comparison)\b", re.I)
_BOTH = re.compile(r"(?:^|[?,;:.!]\s*|\b(?:do|does|are|is|if|how)\s+)((?:[\w\-/]+\s+){0,2}?[\w\-/]+)\s+and\s+"
                   r"((?:[\w\-/]+\s+){0,2}?[\w\-/]+)\s+(?:are|both|differ|compare)\b", re.I)


# "how is X different from Y", "how does X differ from Y", "X compared to Y"
_DIFFERENT_FROM = re.compile(r"(.*?\w)\s+(?:(?:is|are)\s+)?(?:(?:different|differs?|compared?|compares)\s+(?:from|to|with|than)"
                             r"|(?:not\s+)?the\s+same(?:\s+thing)?\s+as)\s+(.*)", re.I)
# a side named by pointing back: "how's an edge location different from that?", "how is that not the same as a policy?"
_POINTING_SIDE = re.compile(r"(\b(?:from|with|than|to|as)\s+)(?:that|this|it|them|those|these)\b"
                            r"|()\b(?:that|this|it|they|those|these)\b(?=\s+(?:not\s+)?(?:the\s+same|differ|different|compare))",
                            re.I)


def naming_sides(question: str, history: list[str], retriever) -> str:
    """The question with a side it points back to written out: "how's an edge location different from that?" after
    "what's an origin in cloudfront?" compares edge locations with the origin, the earlier question's most specific
    word the notes have (its rarest in them)."""
    if not history or not _POINTING_SIDE.search(question):
        return question
    words_before = [w for w in re.findall(r"[\w\-/]+", history[-1]) if w.lower() not in STOPWORDS]
    known = [w for w in words_before if any(t in retriever.bm25.vocab for t in content_terms(w))]
    if not known:
        return question
    key = max(known, key=lambda w: max(retriever.bm25.idf(t) for t in content_terms(w) if t in retriever.bm25.vocab))
    named = _POINTING_SIDE.sub(lambda m: (m.group(1) or "") + key, question, count=1)
    return named if compared_phrases(named) else question


def compared_sides(question: str) -> tuple[set[str], set[str]] | None:
    """The terms of each of the two things a comparison names: "st1 vs sc1 for an old file server …" compares st1
    and sc1 (not "file" and "server"); "difference between Multi-AZ and read replicas". None when no sides are
    written."""
    sides = compared_phrases(question)
    return (set(content_terms(sides[0])), set(content_terms(sides[1]))) if sides else None


def compared_phrases(question: str) -> tuple[str, str] | None:
    """The words of each side of a comparison, as written ("lambda", "api gateway")."""
    m = re.search(r"(.*?)\b(?:vs\.?|versus)\s+(.*)", question, re.I)
    if m:
        left, right = m.group(1), m.group(2)
        left = re.split(r"[?,;:.!]\s*|\s[-–—]+\s", left)[-1]
        left = " ".join(left.split()[-3:])
    else:
        m = re.search(r"\b(?:between|compare)\s+(.+?)\s+(?:and|with|to)\s+(.*)", question, re.I)
        if not m:
            m = _DIFFERENT_FROM.search(question)
            if m:  # "how is redis different from memcached in elasticache?"
                left = re.split(r"[?,;:.!]\s*|\s[-–—]+\s", m.group(1))[-1].split()[-3:]
                while len(left) > 1 and left[0].lower() in STOPWORDS:  # "how is redis"
                    left = left[1:]
                right = _SIDE_END.split(" " + m.group(2) + " ", maxsplit=1)[0]
                left, right = " ".join(left), " ".join(right.split()[:3])
                # "what is different from before?" names no two things
                return (left, right) if content_terms(left) and content_terms(right) else None
        if not m:
            # "cloudfront and elasticache are both caches right? what's the difference …", "how do multi-az and read
            # replicas differ?": two things joined by "and" before what they share or how they differ
            m = _BOTH.search(question) if _DIFFER.search(question) else None
            if not m:
                return None
            left = m.group(1).split()
            while len(left) > 1 and left[0].lower() in STOPWORDS:  # "how do multi-az", "i know lambda"
                left = left[1:]
            return " ".join(left), m.group(2).strip()
        left, right = m.group(1), m.group(2)
    right = _SIDE_END.split(" " + right + " ", maxsplit=1)[0]
    right = " ".join(right.split()[:3])
    return left.strip(), right.strip()


def compared_terms(question: str) -> set[str]:
    """Both sides' terms together (empty when no sides are written)."""
    sides = compared_sides(question)
    return sides[0] | sides[1] if sides else set()


def _side_row_of(sides: tuple[set[str], set[str]] | None, best: Passage, passages) -> str | None:
    """"s3 standard vs glacier", "on demand vs spot": the best passage is a table row that names one side, and the
    other side is another row of its table whose key is all of it or part of it ("S3" for "s3 standard"; the longest
    such key: "S3 - IA" for "s3 ia", not "S3"). The rows of one table are the things the notes set side by side."""
    if not sides or not all(sides) or best.kind != "table_row":
        return None
    key = set(content_terms(best.title))
    # what tells the sides apart: "s3 standard vs s3 ia" is "standard" against "ia" (both say "s3")
    apart = (sides[0] - sides[1], sides[1] - sides[0])
    unsaid = [i for i, d in enumerate(apart) if d and not key & d]
    if len(unsaid) != 1:
        return None
    side, said = sides[unsaid[0]], apart[1 - unsaid[0]]
    fits = [(len(k), p.id) for p in passages if same_table(p, best) and (k := set(content_terms(p.title)))
            and k <= side and k != key and not k & said]
    return max(fits)[1] if fits else None


def side_row(question: str, results: list[ScoredPassage], passages) -> Passage | None:
    """The other side's row (see `_side_row_of`) when it is not among `results`."""
    if not results or not COMPARE_CUES.search(question):
        return None
    pid = _side_row_of(compared_sides(question), results[0].passage, passages)
    if pid is None or any(r.passage.id == pid for r in results):
        return None
    return next(p for p in passages if p.id == pid)


def _select_sides(units: list[Unit], a: Passage, b: Passage, max_units: int, max_words: int,
                  q_terms: set[str]) -> list[Unit]:
    """A comparison: each side gets an equal share of the answer, from its own passage only, and
    says what that side is rather than how it relates to the other ('Read replicas: a read-only
    copy…', not 'can have read replicas that have Multi-AZ'): units naming the other side's key, as the question
    names it, count half ("Multi-AZ", not "RDS" of "Multi-AZ RDS": "Asynchronous replication from the primary RDS
    instance" says what a read replica is)."""
    chosen: list[Unit] = []
    for side, other in ((a, b), (b, a)):
        own_key = set(content_terms(side.title))
        other_key = (set(content_terms(other.title)) - own_key) & q_terms
        mine = sorted((u for u in units if u.passage.id == side.id),
                      key=lambda u: -u.score * (0.5 if u.terms & other_key else 1.0))
        budget = max_words // 2
        for u in mine[: max(1, max_units // 2)]:
            if chosen and chosen[-1].passage.id == side.id and nwords(u.text) > budget:
                break
            chosen.append(u)
            budget -= nwords(u.text)
    return _in_notes_order(chosen, units)


def _in_notes_order(chosen: list[Unit], units: list[Unit]) -> list[Unit]:
    # Keep the notes' order within a passage, passages in the order first chosen.
    order = {id(u): i for i, u in enumerate(units)}
    first_seen: dict[str, int] = {}
    for u in chosen:
        first_seen.setdefault(u.passage.id, len(first_seen))

    def place(u: Unit) -> int:  # a clipped unit sits where the one it was cut from does
        return order.get(id(u), next((i for i, v in enumerate(units) if v.passage.id == u.passage.id
                                      and v.text.startswith(u.text)), len(units)))

    return sorted(chosen, key=lambda u: (first_seen[u.passage.id], place(u)))


def _trim(text: str, max_words: int) -> str:
    ws = text.split()
    if len(ws) <= max_words:
        return text
    return " ".join(ws[:max_words]).rstrip(",;:") + " …"


# A sentence of the notes that opens on its verb ("Is a compute service where you can upload your code") leaves its
# subject to the heading above it; the answer names it ("Lambda: is a compute service …"), since the learner reads the
# sentence away from that heading.
_VERB_FIRST = re.compile(r"(?:Is|Are|Allows?|Provides?|Can|Enables?|Helps?|Designed|Supports?|Integrates?|Lets?|Gives?|"
                         r"Makes?|Runs?|Creates?|Offers?|Stores?)\b")
_ASKS_OF = re.compile(r"^what (?:is|are|does|do|can) (?:an? |the )?(.+?)(?: give you| do)?\?$", re.I)
_STATES_OF = re.compile(r"^(.{2,40}?) (?:is|are) ")


def _subject(p: Passage) -> str:
    """What a passage is about, from its head ("What does IAM give you?" → IAM; "Route 53 (buy domain name) is
    Amazon's DNS service" → Route 53), else from the heading it sits under ("What is X-Ray?" → X-Ray)."""
    m = _ASKS_OF.match(p.title.strip()) or _STATES_OF.match(p.title.strip())
    if m is None and p.section:
        m = _ASKS_OF.match(p.section[-1].strip())
        if m is None and not p.section[-1].strip().endswith("?"):
            return p.section[-1].strip()
    return re.sub(r"\s*\([^()]*\)", "", m.group(1)).strip() if m else ""


def _render(chosen: list[Unit], max_words: int) -> tuple[str, list[Citation]]:
    cites: dict[str, Citation] = {}
    parts = []
    # Units of one passage under the same row key / head read as one sentence: "Reserved Instances (good
    # for): Standard RIs …; Convertible RIs … [1]." rather than the key repeated before each.
    runs: list[list[Unit]] = []
    for u in chosen:
        prev = runs[-1][-1] if runs else None
        if prev is not None and u.context and prev.context == u.context and prev.passage.id == u.passage.id:
            runs[-1].append(u)
        else:
            runs.append([u])
    for run in runs:
        c = cites.get(run[0].passage.id)
        if c is None:
            c = cites[run[0].passage.id] = Citation(len(cites) + 1, run[0].passage)
        if len(run) == 1:
            body = _trim(run[0].text, max_words).rstrip(".")
        else:
            body = f"{run[0].context}: " + "; ".join(
                _trim(u.body, max_words).rstrip(".") for u in run)
        # a head that opens on its verb too: "X-Ray: integrates with the following languages: Java, …" (not Lambda's)
        subject = _subject(run[0].passage) if _VERB_FIRST.match(body) else ""
        if subject:
            body = f"{subject}: {body[0].lower()}{body[1:]}"
        body = body[0].upper() + body[1:] if body else body
        parts.append(f"{body} [{c.n}].")
    return " ".join(parts), list(cites.values())


# ---------------------------------------------------------------- refusal
# A question that opens by asking for a quantity ("how many …", "roughly how long …", "what's the
# maximum …"); "how can I limit how much …" asks for a method, so the cue must open a clause, unless it is one
# no method is asked with ("… how long until everyone sees it?", "is there a cap on how many buckets …").
_ASKS_NUMBER = re.compile(
    r"(?:^|[.?!;,]\s*|\b(?:and|so|roughly|approximately|about|exactly|ok)\s+)how (?:many|much|long|big|large|often|fast)\b"
    r"|\bhow (?:many|much|long|often)(?: \w+)? (?:does|do|did|is|are|can|could|will|would|should)\b"
    r"|\bhow long (?:until|till|before|after)\b|\bon how many\b"
    r"|\bwhat(?:'s|s| is| are)? (?:the )?(?:max|maximum|min|minimum|default|largest|smallest|biggest|highest|lowest"
    r"|most|least|fewest)\b|\bwhat (?:percent|percentage|%)"
    r"|\bwhat(?:'s|s| is| are)? (?:the |its |their )?(?:[\w\-]+ ){0,2}(?:limit|cap|quota|ceiling)s?\b"
    r"|\bwhat(?:'s|s| is| are)? (?:the )?(?:price|cost|fee)s? (?:of|for)\b",
    re.I,
)
# What the quantity is of: "how many read replicas", "the maximum execution timeout for …" → the words up to
# the first function word; the last of them is the head noun ("replicas", "timeout").
_FOCUS = re.compile(
    r"\bhow many ([\w\-/ ]+)|\b(?:max|maximum|min|minimum|default|largest|smallest|biggest|highest|lowest|most|least"
    r"|fewest) ([\w\-/ ]+)",
    re.I,
)
_FOCUS_STOP = {"of", "for", "on", "in", "at", "to", "per", "i", "you", "we", "can", "could", "do", "does", "is", "are",
               "that", "which", "when", "before", "with", "my", "a", "an", "the", "it", "they", "allowed", "there",
               "should", "will", "would", "s3", "ec2", "one", "each", "every"}
_MEASURE_WORDS = {"number", "amount", "count", "quantity", "total"}
# "one" is a count only where it is said as one: "one (or more) permissions", "only one", "up to one"; "users under
# one set of permissions" gives no number of groups.
_NUMBER = re.compile(
    r"\bone\s*\(?\s*or (?:more|two)\b|\b(?:only|just|exactly|at (?:least|most)|up to|max(?:imum)?|min(?:imum)?) one\b"
    r"|(?<![A-Za-z])\d|\b(?:two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|hundreds?|thousands?|"
    r"millions?|billions?|dozens?|single|once|twice|daily|hourly|weekly|monthly|yearly|annually|unlimited)\b",
    re.I,
)


# "what's the biggest ebs volume type for throughput?": asks which type, not a number
_WHICH_KIND = re.compile(r"^(?!.*\bhow (?:many|much|long)\b).*\b(?:max|maximum|min|minimum|biggest|largest|smallest|highest"
                         r"|lowest)\s+(?:[\w\-]+\s+){0,2}(?:types?|class(?:es)?|famil(?:y|ies)|options?|kinds?|sorts?)\b",
                         re.I | re.S)


# "how much they can do once they're in", "how much each user can access": how far someone's rights go, no number
_EXTENT = re.compile(r"\bhow much (?:(?:they|you|we|i|he|she|users?|people|each \w+|every \w+) )?(?:can|could|may|are allowed to|is "
                     r"allowed to|get to) (?:do|access|see|touch|change)\b", re.I)


def asks_for_number(question: str) -> bool:
    q = question.strip()
    return bool(_ASKS_NUMBER.search(q)) and not _EXTENT.search(q) and not _WHICH_KIND.search(q)


def quantity_head(question: str) -> str | None:
    """The noun a quantity question asks about ("timeout" in "what's the max execution timeout for Lambda?")."""
    m = _FOCUS.search(question)
    if not m:
        return None
    phrase, ws = [], (m.group(1) or m.group(2)).split()
    for w in ws:
        if w.lower() == "of" and phrase and phrase[-1].lower() in _MEASURE_WORDS:
            phrase = []  # "the maximum number of read replicas": what is counted comes after "of"
            continue
        if w.lower() in _FOCUS_STOP:
            break
        phrase.append(w)
    return phrase[-1] if phrase and content_terms(phrase[-1]) else None


# "how much does an ALB cost per hour?", "what's the price of …": asks for a price, which only an amount answers (a
# sum, "free", or a share off another price); "Layer 7" or "1 Year or 3 Year Terms" is no price.
_ASKS_PRICE = re.compile(
    r"\bhow much (?:does|do|is|are|would|will|did|should)\b[^?.!]*\b(?:cost|charge|pay|bill|price|fee)"
    r"|\b(?:price|cost|fee)s? (?:of|for)\b|\bwhat (?:does|do|would|will) [^?.!]*\bcost\b", re.I)
_AMOUNT = re.compile(r"[$€£]\s?\d|\d\s?(?:%|cents?\b|usd\b|dollars?\b)|\bfree\b|\bper cent\b", re.I)


# A code the question is about: "a 503 error", "HTTP 429", "port 22". Notes that never write the number do not say
# what it means, however close their own codes are ("504 error means the gateway has timed out").
_CODE = re.compile(r"\b(\d{2,5})\s*(?:errors?|status|codes?|responses?)\b|\b(?:errors?|status|code|port|http)\s*(\d{2,5})\b",
                   re.I)


# "what port does ssh use?": a port number answers it, and notes whose passages give none ("port 22", "on 443") do not
_ASKS_PORT = re.compile(r"\b(?:what|which)\s+port\b|\bport\s+number\b", re.I)
_GIVES_PORT = re.compile(r"\bports?\s*:?\s*\d+|\d+\s*/\s*(?:tcp|udp)\b|\bon\s+\d{2,5}\b", re.I)


def unknown_port(question: str, retrieval: Retrieval) -> bool:
    """Asks which port, and the best passages give no port number."""
    if not _ASKS_PORT.search(question):
        return False
    return not _GIVES_PORT.search(" ".join(r.passage.text for r in retrieval.results[:5]))


def unknown_code(question: str, vocab) -> str:
    """The error code or port the question asks about when the notes never mention that number, else ""."""
    for m in _CODE.finditer(question):
        code = m.group(1) or m.group(2)
        if code not in vocab:
            return code
    return ""


def asks_price(question: str) -> bool:
    return bool(_ASKS_PRICE.search(question))


# "does route 53 bill per dns query?", "do i pay for the partial hour?", "am i charged for a stopped instance?": a yes/no
# on billing. A sentence that says what is charged answers it, with an amount or without ("you will not be charged for
# a partial hour"); what the thing is does not.
_ASKS_BILLING = re.compile(r"\b(?:do|does|will|would|am|are|is|did)\b[^?.!]{0,100}?\b(?:bill(?:s|ed)?|charg(?:e|es|ed)|pay|paid)\b",
                           re.I)
_SAYS_BILLING = re.compile(r"\b(?:charg\w*|bill\w*|pay\w*|paid|free|pric\w*|costs?|cheap\w*|expensive)\b|[$€£]\s?\d|\d\s?%", re.I)


# "how do i turn on cross-zone load balancing?", "how do i set up cross-region replication?": asks for the steps to
# switch something on or set it up. Notes that name the feature without saying how ("Cross Region Replication") do not
# answer it; a unit that says what to do does ("use puTTY Key Generator", "kubectl rollout undo", "by using …"), not one
# that says what a thing is for ("Version ID (Can use to rollback previous version)").
_ASKS_SETUP = re.compile(r"\bhow (?:do|can|would|should|could|to)\s+(?:(?:i|we|you)\s+)?(?:actually\s+)?(?:set\s*up|setup|set|"
                         r"turn\s+(?:\w+\s+)?on|enable|configure|activate|switch\s+(?:\w+\s+)?on|install)\b", re.I)
_GIVES_STEPS = re.compile(r"\b(?:use(?!\s+to\b)|using|create|enable|run|click|select|choose|attach|add|generate|apply|install|"
                          r"configure|type|upload|put|set|specify|go to|via)\b|`|\b\w+ctl\b|\s--\w", re.I)


def asks_setup(question: str) -> bool:
    return bool(_ASKS_SETUP.search(question))


def gives_steps(u: "Unit") -> bool:
    return bool(_GIVES_STEPS.search(u.body))


# "is versioning on by default?", "what's the default retention period?": asks what holds when nothing is set ("why
# bother with snapshots when backups are on by default?" states it).
_ASKS_DEFAULT = re.compile(r"\bby default\b|\bwhat(?:'s|s| is| are)? (?:the|its|their) default\b", re.I)
_SAYS_DEFAULT = re.compile(r"\bdefault\b", re.I)


_ASKS_WHY = re.compile(r"\bwhy\b", re.I)  # asks for a reason: "why bother … when backups are on by default?"


def asks_default(question: str) -> bool:
    return bool(_ASKS_DEFAULT.search(question)) and not _ASKS_WHY.search(question)


def asks_billing(question: str) -> bool:
    # "why would anyone pay for io1 when gp2 is an ssd?" asks for a reason, not whether it is billed
    return bool(_ASKS_BILLING.search(question)) and not _ASKS_WHY.search(question)


def _states(u: "Unit", head: str | None, price: bool) -> bool:
    """The unit gives an amount (a price question), or a number of the thing counted, sentence by sentence: "504
    error means … timed out. This means … the idle timeout period" has no timeout value."""
    if price:
        return bool(_AMOUNT.search(u.text))
    want = set(content_terms(head)) if head else set()
    return any(_NUMBER.search(s) and (not want or want & set(content_terms(s))) for s in _clauses(u.text))


def _clauses(text: str) -> list[str]:
    """A unit's sentences, each cut at "; " (a cell's items are joined that way): where a number and its unit must
    stand together."""
    return [c for s in sentences(text) for c in re.split(r";\s", s)]


def states_price(units: list["Unit"]) -> bool:
    return any(_states(u, None, True) for u in units)


def anothers_number(units: list["Unit"], question_terms: set[str], head: str | None, price: bool) -> bool:
    """"what % cheaper are spot instances than on-demand?" answered with "Standard RIs (Up to 75% off on-demand cost)":
    the question names rows of a table (Spot, On Demand), and every number the answer gives sits in another row of
    that table (Reserved Instances). The notes give no number for what was asked."""
    rows = [u for u in units if u.passage.kind == "table_row"]
    named = {u.passage.section[:-1] for u in rows if set(content_terms(u.passage.title)) <= question_terms}
    if not named:
        return False
    giving = [u for u in units if _states(u, head, price)]
    return bool(giving) and all(u.passage.kind == "table_row" and u.passage.section[:-1] in named
                                and not set(content_terms(u.passage.title)) <= question_terms for u in giving)


# Words that ask for an amount and name no subject: "how much does Lambda cost" is about Lambda.
_AMOUNT_WORDS = {"cost", "costs", "price", "prices", "priced", "pricing", "pay", "charge", "charged", "fee", "fees", "bill",
                 "billed", "much", "many", "number", "amount", "max", "maximum", "min", "minimum", "default", "limit"}


def _about(u: "Unit", q_terms: set[str], every: bool = True) -> bool:
    """The unit's key and section path name all that the question asks the amount of (`every`), or the unit says some
    of it."""
    subject = {t for t in q_terms if t not in _AMOUNT_WORDS}
    if not every:  # its own words count too: "Standard RIs (Up to 75% off on-demand cost)"
        return bool(subject & u.terms)
    return bool(subject) and subject <= set(content_terms(" ".join([u.passage.title, *u.passage.section])))


def amount_instead(units: list["Unit"], q_terms: set[str], head: str | None, price: bool) -> list["Unit"]:
    """Asked for a price or a number, and the best-scored units give none: the units that do, of the best-scored
    passage among those retrieved whose key and section path name all the question's subject ("How much does a Dedicated
    Host cost?": "Can be purchased as a Reservation for up to 70% off the On-Demand price", not the row's first line;
    "How much does Lambda cost?": the rows under "How is Lambda priced?"). None: the notes give no amount for it."""
    giving = sorted((u for u in units if _states(u, head, price) and _about(u, q_terms)), key=lambda u: -u.score)
    if not giving:
        return []
    first = giving[0].passage
    # the same passage, or (a table) the rows beside it: "Number of requests" and "Duration" both price Lambda
    return [_amount_part(u, head, price) for u in giving if u.passage.id == first.id
            or (u.passage.kind == first.kind == "table_row" and u.passage.section[:-1] == first.section[:-1])][:2]


def _amount_part(u: "Unit", head: str | None, price: bool) -> "Unit":
    """Of a long cell, the sentences that give the amount: Lambda's "Duration" cell opens on how it is measured and
    ends on "You are charged $0.00001667 for every GB/second used", which a trimmed answer would lose."""
    said = sentences(u.body)
    kept = [x for x in said if _states(replace(u, text=x), head, price)]
    if not kept or len(kept) == len(said):
        return u
    text = " ".join(kept)
    return replace(u, text=f"{u.context}: {text}" if u.context else text)


def states_quantity(units: list["Unit"], head: str | None) -> bool:
    """Some chosen unit holds a number, and (when the question names what it counts) that thing too."""
    return any(_states(u, head, False) for u in units)


_HOW_MUCH_MORE = re.compile(r"\bhow much (?:\w+er|more|less|fewer)\b", re.I)
_A_FIGURE = re.compile(r"(?<![A-Za-z\d])\d")  # a figure, not the "3" of "S3"


def _number_kind(question: str) -> re.Pattern | None:
    """The kind of number a question asks for, when it says: a count ("how many") or a duration ("how long")."""
    if re.search(r"\bhow many\b", question, re.I):
        return _A_COUNT  # "up to 5 copies", not "3 - 5 hours"
    if re.search(r"\bhow long\b", question, re.I):
        return _A_DURATION
    if _HOW_MUCH_MORE.search(question):
        return _A_FIGURE  # "how much cheaper is it?": a figure ("Up to 75% off"), not "a single availability zone"
    if _ASKS_SIZE.search(question):
        return _A_SIZE
    return None


def fits_kind(units: list["Unit"], question: str) -> bool:
    """"how many can i have?" that names nothing it counts is not answered by "3 - 5 hours", nor "how long …?" by a
    count: some unit gives a number of the asked kind. Questions that name what they count are checked by it."""
    kind = _number_kind(question)
    if kind is _A_SIZE:  # "the biggest io1 volume, size-wise": a size, whatever it names ("20,000 IOPS per volume")
        return any(kind.search(u.text) for u in units)
    return bool(quantity_head(question)) or kind is None or any(kind.search(u.text) for u in units)


def counted_in_subject(units: list["Unit"], retrieval: Retrieval, question: str, history: list[str]) -> list["Unit"]:
    """The best unit of the best passage that gives a number of the asked kind, for a follow-up whose quantity names
    no thing; else none."""
    kind = _number_kind(question)
    if kind is None or quantity_head(question) or not is_followup(question, history):
        return []
    return best_of_best_passage(units, retrieval, lambda u: bool(kind.search(u.text)))


_SIZE_UNITS = r"bytes?|kb|mb|gb|tb|pb|kib|mib|gib|tib|kilobytes?|megabytes?|gigabytes?|terabytes?"
_A_SIZE = re.compile(r"\d[\d,.]*\s*(?:" + _SIZE_UNITS + r")\b", re.I)
# asks how big something is: "how big can …", "size-wise", "what size", "the largest object" (not "how big is the gap")
_ASKS_SIZE = re.compile(
    r"\bhow (?:big|large)\b(?!(?:\s+\w+){0,2}\s+(?:gap|difference|discount|saving|savings|deal)\b)"
    r"|\bsize[- ]?wise\b|\bwhat size\b"
    r"|\b(?:max|maximum|min|minimum|biggest|largest|smallest)\s+(?:\w+\s+){0,2}?(?:size|file|object|volume|disk)s?\b"
    r"(?!\s+(?:types?|class(?:es)?|famil(?:y|ies)|options?|kinds?|sorts?)\b)",  # "the biggest volume type for …"
    re.I,
)
_TIME_UNITS = r"ms|milliseconds?|seconds?|secs?|minutes?|mins?|hours?|hrs?|days?|weeks?|months?|years?"
_A_DURATION = re.compile(r"\d[\d,.]*\s*(?:-\s*\d[\d,.]*\s*)?(?:" + _TIME_UNITS + r")\b", re.I)
# a number that counts things: no time, size or share after it, not part of a range or an amount
_A_COUNT = re.compile(r"(?<![\d.,$])\d[\d,]*(?![\d.,]|\s*-\s*\d|\s*%|\s*(?:gb|tb|mb|kb|gib|bytes?|" + _TIME_UNITS
                      + r")\b)", re.I)


# A rate asked for, "per GB", "per second", "/month": the forms the notes may write its unit in ("3 IOPS per GB",
# "$0.00001667 for every GB/second", "millions of requests per second", "hourly").
_RATE_FORMS = {"gb": r"gb|gib|gigabytes?", "tb": r"tb|tib|terabytes?", "second": r"seconds?|secs?",
               "minute": r"minutes?|mins?", "hour": r"hours?|hrs?", "day": r"days?", "month": r"months?", "year": r"years?"}
_RATE_WORDS = {"hour": "hourly", "day": "daily", "month": "monthly", "year": r"yearly|annually"}
_ASKS_RATE = re.compile(r"(?:\bper\s+|/\s*)(" + "|".join(_RATE_FORMS.values()) + r")\b", re.I)
# each rate as the notes may give it: "per GB", "every GB", "/GB", "hourly"
_GIVES_RATE = {k: re.compile(r"(?:\b(?:per|every|each|a|an)\s+|/\s*)(?:" + forms + r")\b"
                             + (r"|\b(?:" + _RATE_WORDS[k] + r")\b" if k in _RATE_WORDS else ""), re.I)
               for k, forms in _RATE_FORMS.items()}


def asked_rate(question: str) -> str | None:
    """The unit a quantity is asked per ("gb" for "how many IOPS per GB", "second" for "per sec"), else None."""
    m = _ASKS_RATE.search(question)
    if not m:
        return None
    said = m.group(1).lower()
    return next(k for k, forms in _RATE_FORMS.items() if re.fullmatch(forms, said))


def gives_rate(units: list["Unit"], question: str) -> bool:
    """No rate asked, or some sentence of the units gives a number per that unit."""
    rate = asked_rate(question)
    if rate is None:
        return True
    return any(_NUMBER.search(c) and _GIVES_RATE[rate].search(c) for u in units for c in _clauses(u.text))


def quantity_instead(units: list["Unit"], retrieval: Retrieval, question: str) -> list["Unit"]:
    """Asked for a quantity, and the best-scored units give none: the best unit of the best passage that gives one of
    the asked kind ("what's the biggest file i can keep in s3?": "… store your files (Can be from 0 bytes to 5TB)", which
    the words "keep" and "file" ranked below "When you upload a file to S3"). Only the best passage: a number of the
    next one is another thing's (the limit of io1 for a question on gp2)."""
    head = quantity_head(question)
    return best_of_best_passage(units, retrieval, lambda u: _states(u, head, False) and fits_kind([u], question))


def best_of_best_passage(units: list["Unit"], retrieval: Retrieval, keep) -> list["Unit"]:
    """The best-scored unit of the best passage that `keep` accepts, as a one-unit answer; none when there is none."""
    if not retrieval.results:
        return []
    top = retrieval.results[0].passage.id
    return next(([u] for u in sorted(units, key=lambda u: -u.score) if u.passage.id == top and keep(u)), [])


def lost_subject(question: str, history: list[str], retrieval: Retrieval, retriever) -> str:
    """"how is it priced?" after "what is S3?": a follow-up about "it" that names nothing else, answered from a
    passage that names nothing the previous question did, answers another thing's question (Lambda's pricing).
    The notes do not cover it. Returns that previous question, or "" when the subject is not lost."""
    history = [h for h in history if h and h.strip()]
    if not history or not retrieval.results or not SUBJECT_PRONOUN.search(question) or not is_followup(question, history):
        return ""
    if len(content_terms(question)) > 2:  # "which of those is Amazon's DNS service?" names what it asks about
        return ""
    # the previous question as it was asked: itself a follow-up ("which one is the cheapest?"), it carries its own
    # previous question's subject (the EBS volume types)
    previous = shape_query(retriever.speller.fix(history[-1]), [retriever.speller.fix(h) for h in history[:-1]])
    before = set(content_terms(retriever.acronym_map.expand(previous)))
    before &= retriever.bm25.vocab.keys()
    lost = bool(before) and not before & retriever.terms[retrieval.results[0].passage.id].all
    return history[-1] if lost else ""


# Words a follow-up uses to point, not to ask: "is there another one besides that?"
_POINTING = {"anoth", "one", "besid", "els", "other"}
_ANOTHER = re.compile(r"\b(?:another|other|else|besides)\b", re.I)


def continues_covered(question: str, history: list[str], retrieval: Retrieval, retriever, threshold: float) -> bool:
    """"can I boot from it?" after a covered question about the cheapest EBS volume: a follow-up has few words of its
    own, so its support score is low. It is covered when it stays with what was just answered (its best passage is
    among the previous question's best five, or, when it asks for another one, a row of the same table) and that
    passage holds every word it asks with."""
    history = [h for h in history if h and h.strip()]
    if not history or not retrieval.results or not is_followup(question, history):
        return False
    own = set(content_terms(retriever.acronym_map.expand(retriever.speller.fix(question)))) - _POINTING
    top = retrieval.results[0].passage
    if not own or not own <= retriever.terms[top.id].all:
        return False
    prev = retriever.retrieve(history[-1], history[:-1])
    if prev.support < threshold:
        return False
    if top.id in {r.passage.id for r in prev.results[:5]}:
        return True
    # "is there another graphics one besides that?" after the ML instance family: another row of the same table
    was = prev.results[0].passage
    return bool(_ANOTHER.search(question)) and top.kind == was.kind == "table_row" and top.section[:-1] == was.section[:-1]


def names_both_sides(question: str, retrieval: Retrieval, retriever) -> bool:
    """"f1 vs p3 - what's each one for?", "gp2 vs sc1": a comparison whose two sides are each the title of a different
    passage among the first five (a row or heading of the notes) is covered, whatever its other words; its support
    score is low because half its words are about the other side. A side the notes do not title ("io1 vs io2",
    "trust policy vs permissions policy") leaves the decision to the score."""
    sides = compared_phrases(retriever.speller.fix(question))
    if not sides:
        return False
    titled = []
    for side in sides:
        terms = set(content_terms(side))
        if not terms:
            return False
        hit = next((r.passage.id for r in retrieval.results[:5] if terms <= retriever.terms[r.passage.id].title), None)
        if hit is None:
            return False
        titled.append(hit)
    return titled[0] != titled[1]


# The thing a "what is X?" question asks about: X, up to a clause word or punctuation ("what is aws direct connect
# and when would a company need it?" → "aws direct connect").
_DEFINED = re.compile(
    r"^\s*(?:what(?:'s|s| is| are)|define|meaning of|explain|eli5|tell me about)\s+(?:an?\s+|the\s+)?(.*?)"
    r"(?=\s+(?:and|in|on|for|used|actually|exactly|really|like|vs|or|when|if|that|which)\b|[,?.!;:(]|$)", re.I)
# Words that name no thing: "what is the max …" asks for a quantity, "what are the key terms" for a list, "what are the
# lambda pricing components?" for the parts of what the notes call "How is Lambda priced?".
_NOT_A_NAME = {"servic", "thing", "featur", "concept", "max", "maximum", "min", "minimum", "default",
               "biggest", "smallest", "cheapest", "largest", "fastest", "most", "least", "best", "name", "differ",
               "key", "main"} | set(content_terms("components parts pieces elements factors aspects limit cap quota ceiling "
                                                  "rule rules behaviour behavior deal catch story idea purpose"))


_COUNT_WORDS = set(content_terms("one two three four five six seven eight nine ten both"))


def undefined_subject(question: str, history: list[str], retrieval: Retrieval, retriever) -> str:
    """"what is AWS Direct Connect?": a definition question whose subject none of the best passages' heads names in
    full and whose words no single passage holds together. The notes do not define it, however well its words match
    elsewhere ("direct", "connect"). Returns the subject, or "" when the notes may well define it."""
    if not DEFINE_CUES.search(question) or asks_for_number(question) or is_followup(question, history):
        return ""  # in a follow-up, "what is it used for?" is about the previous question's subject
    m = _DEFINED.search(question)
    terms = content_terms(retriever.acronym_map.expand(m.group(1))) if m else []
    if not terms or len(terms) > 4 or set(terms) & _NOT_A_NAME:
        return ""
    # "what are the server side options?": the kinds of something are asked for, not a thing called "options"
    terms = [t for t in terms if t not in {"aw", "amazon"} and t not in KIND_WORDS]
    # "what are the two ways lambda can be used?": how many there are names nothing ("two" is no part of the subject)
    terms = [t for t in terms if t not in _COUNT_WORDS and not t.isdigit()]
    # named by one of the best passages' own heads (its key and the sections it sits in); one shared word is not
    # enough: "EC2 placement group" is not IAM's "Group" row
    for r in retrieval.results[:3]:
        heads = retriever.terms[r.passage.id].title | set(content_terms(retriever.acronym_map.expand(" ".join(r.passage.section))))
        if set(terms) <= heads:
            return ""
    vocab = retriever.bm25.vocab
    terms.sort(key=lambda t: -retriever.bm25.idf(t))  # rarest first: most passages fail on the first test
    if all(t in vocab for t in terms) and any(all(t in pt.all for t in terms) for pt in retriever.terms.values()):
        return ""
    if len(terms) >= 3 and all(t in vocab for t in terms) and retrieval.results:
        # "the Dedicated Host reservation discount": a thing's attribute, said in a word the notes use elsewhere;
        # the best passage names all the rest ("Can be purchased as a Reservation for up to 70% off")
        best = retriever.terms[retrieval.results[0].passage.id].all
        if sum(t not in best for t in terms) == 1:
            return ""
    return m.group(1)


def stands_for(acr: str, question: str, retrieval: Retrieval, retriever) -> Answer | None:
    """"What does RDS stand for?": the notes' own spelling-out, cited where they write it."""
    ps = sorted(retriever.passages.values(), key=lambda p: (p.file, p.start))
    found = spelled_out(acr, [p.text for p in ps] + [p.section_path for p in ps], retriever.acronym_map.phrases)
    if found is None:
        return None
    phrase, i = found
    c = Citation(1, ps[i % len(ps)])
    return Answer(question, phrases.STANDS_FOR.format(acronym=acr.upper(), phrase=phrase, n=c.n), False, retrieval.support,
                  [c], retrieval.results)


TOPIC_WORDS = 10


def _topic(question: str) -> str:
    """The learner's own words, quoted as they wrote them (words only: no markup or punctuation is echoed), cut after
    TOPIC_WORDS: "my app on ec2 needs s3 access shuld i put access …", not its content words run together."""
    ws = [w.strip(".-'") for w in re.findall(r"[\w.\-']+", without_asides(question)) if any(c.isalnum() for c in w)]
    ws = [w for w in ws if w]
    if not any(w.lower() not in STOPWORDS for w in ws):
        return "that"
    return "“" + " ".join(ws[:TOPIC_WORDS]) + (" …" if len(ws) > TOPIC_WORDS else "") + "”"


def suggestion_label(p: Passage, max_words: int = 8) -> str:
    """A near passage named so the learner can tell it from its neighbours: its section path, then its own head
    unless the path already ends with it ("EC2 › Route 53 (buy domain name) is Amazon's DNS service", not "EC2")."""
    path = p.section_path
    head = re.sub(r"\s+", " ", p.title or p.text).strip().rstrip(":;,. ")
    if not head or (p.section and head.lower() in p.section[-1].lower()):
        return path or p.file
    ws = head.split()
    head = " ".join(ws[:max_words]) + (" …" if len(ws) > max_words else "")
    return f"{path} › {head}" if path else head


# A refusal whose support score is at least this share of the threshold quotes the closest sentence of its best
# passage: near the notes (a default they never state, a question worded far from them), that sentence is what the
# learner would look up next, and often what they asked. Below it the notes are too far off to quote ("how do I fold
# a fitted sheet?"). A priori, not fitted: it changes no refusal, only what a refusal shows.
QUOTE_FLOOR = 0.5


def closest_said(question: str, retrieval: Retrieval, retriever, max_words: int) -> str:
    """The best passage's unit closest to the question, rendered and cited [1] as in an answer ("" if none)."""
    if not retrieval.results:
        return ""
    units = units_of(retrieval.results[0].passage, 0)
    if not units:
        return ""
    closeness = None
    if retriever.units_embedded:
        asked = retriever.acronym_map.expand(without_asides(question))
        closeness = retriever.units_matrix(units) @ retriever.vectors.question(asked)
    _score_units(units, set(content_terms(retrieval.query)), retriever.bm25.idf, retrieval.results, closeness, question)
    text, _ = _render([max(units, key=lambda u: u.score)], max_words)
    return text


def refusal(question: str, retrieval: Retrieval, confidence: float, about: str = "", closest: str = "",
            unsure: bool = False) -> Answer:
    """`about`: the previous question, when the refused one is a follow-up on it ("how is it priced?"); `closest`: a
    sentence of the first passage to quote, cited [1]; `unsure`: the support score alone refused it, near the bar."""
    near = retrieval.results[:3]
    cites = [Citation(i + 1, r.passage) for i, r in enumerate(near)]
    topic = _topic(question) + (f" {phrases.FOLLOWING.format(previous=_topic(about))}" if about else "")
    # In the eval, 30 of the 113 refusals that quote were answerable, and 18 of the 26 in a learner's conversations:
    # near the bar, the tutor says it is unsure rather than that the notes are silent. A subject the notes never
    # define ("what is AWS Global Accelerator?") is refused plainly, quote or not.
    text = (phrases.MAY_NOT_COVER if closest and cites and unsure else phrases.NOT_COVERED).format(topic=topic)
    if closest and cites:
        text += " " + phrases.CLOSEST.format(quote=closest)
    if cites:
        text += " " + phrases.YOU_MIGHT_MEAN + " " + "; ".join(f"{suggestion_label(c.passage)} [{c.n}]" for c in cites) + "."
    return Answer(question, text, True, confidence, cites, retrieval.results)


# ---------------------------------------------------------------- entry point
def own_words(question: str, retriever) -> str | None:
    """The learner's own words, as the composer weighs the notes' sentences by closeness to them ("MFA" spelled out
    as the notes write it); None when it does not (a comparison, a quantity, sentences without vectors)."""
    fixed = retriever.speller.fix(question)
    if COMPARE_CUES.search(fixed) or asks_for_number(fixed) or not retriever.units_embedded:
        return None
    return retriever.acronym_map.expand(without_asides(question))


def compose(
    question: str,
    retrieval: Retrieval,
    retriever,
    settings: AnswerSettings,
    history: list[str],
    options: dict[str, str] | None = None,
    own: str | None | object = ...,
) -> Answer:
    """`own`: the learner's own words as `own_words` gives them, when the caller already has them (they were embedded
    with the query); computed here otherwise."""
    if options:
        from .choice import answer_choice

        return answer_choice(question, options, retrieval, retriever)
    threshold = settings.refuse_below if settings.refuse_below is not None else refuse_threshold()
    support = retrieval.support

    def refuse(unsure: bool = False, quote_ok: bool = True) -> Answer:
        near = quote_ok and support >= QUOTE_FLOOR * threshold
        quote = closest_said(question, retrieval, retriever, settings.max_words) if near else ""
        return refusal(question, retrieval, support, closest=quote, unsure=unsure)

    if META.match(question):
        return Answer(question, phrases.META_REPLY, False, 0.0, [], retrieval.results)
    summary = section_summary(question, retrieval, retriever.passages.values(), retriever.acronym_map.expand)
    if summary is not None:  # "summarize my notes on RDS": the heading it names, whatever the support score
        return summary
    acr = asked_acronym(question)
    if acr:
        spelled = stands_for(acr, question, retrieval, retriever)
        if spelled is not None:
            return spelled
    # "list the instance families": the rows of the table it names, whatever the support score says of its words
    overview = table_overview(question, retrieval, retriever.passages.values(), history)
    if overview is not None:
        return overview
    if not retrieval.results or (support < threshold and not continues_covered(question, history, retrieval, retriever,
                                                                                  threshold)
                                 and not (not history and names_both_sides(question, retrieval, retriever))
                                 and not settled_by_numbers(question, history, retrieval, retriever)):
        # a follow-up's own words ("and if i kill it myself?") name too little: say what it followed
        # (the question that named the subject: "how do I force encryption?" after "are new S3 buckets public?" and
        # "what's the difference between the two?" followed the buckets, not "between two")
        chain = leaned_on(question, [h for h in history if h and h.strip()])
        asked_after = chain[-1] if chain else ""
        if asked_after:
            return refusal(question, retrieval, support, about=asked_after)
        plain = without_asides(question)
        # near the bar the score may be wrong; not when the question asks what a thing is that the notes never define
        sure = (undefined_subject(retriever.speller.fix(plain), history, retrieval, retriever)
                or unknown_code(question, retriever.bm25.vocab)) if retrieval.results else True
        return refuse(unsure=not sure)
    previous = lost_subject(question, history, retrieval, retriever)
    if previous:
        return refusal(question, retrieval, support, about=previous)
    fixed = retriever.speller.fix(question)  # "how many GET reqs" asks for requests
    plain = without_asides(question)  # "what is EC2 in simple terms?" asks what EC2 is
    if undefined_subject(retriever.speller.fix(plain), history, retrieval, retriever):
        return refuse()
    if unknown_code(question, retriever.bm25.vocab) or unknown_port(fixed, retrieval):
        return refuse()
    q_terms = set(content_terms(retrieval.query))
    units = [u for i, r in enumerate(retrieval.results[:5]) for u in units_of(r.passage, i)]
    row = side_row(fixed, retrieval.results[:5], retriever.passages.values())
    if row is not None:  # "s3 standard vs glacier": the "S3" row answers for "s3 standard"
        units += units_of(row, 5)
    # Closeness in meaning of each unit to the learner's own words (not the history's). Not for a comparison:
    # "difference between X and Y" is closest to whatever sounds like a difference, not to what each side is;
    # nor for a quantity: "how many read replicas" is closest to every sentence about read replicas, and the
    # one with the number ("up to 5 copies") lost its place.
    quantity = asks_for_number(fixed)
    closeness = None
    if own is ...:
        own = own_words(question, retriever)
    if units and own:
        closeness = retriever.units_matrix(units) @ retriever.vectors.question(own)
    _score_units(units, q_terms, retriever.bm25.idf, retrieval.results, closeness, question)
    if DEFINE_CUES.search(fixed) or DEFINE_CUES.search(plain):
        # "what is a read replica?": notes open on what a thing is, so the first unit of a passage the question
        # names is its definition ("Allow you to have a read-only copy …"), not "Can have read replicas of …"
        first: set[str] = set()
        for u in units:
            if u.passage.id not in first:
                first.add(u.passage.id)
                if u.named >= 0.5:
                    u.score += DEFINE_BONUS
    # the cues read as meant: "waht is teh differnce betwen …" asks for a comparison
    chosen = _denying(units, fixed, q_terms, settings) or _select(units, naming_sides(fixed, history, retriever),
                                                                 settings, q_terms, is_followup(fixed, history))
    price = asks_price(fixed)
    if quantity and not price and not (states_quantity(chosen, quantity_head(fixed)) and fits_kind(chosen, fixed)):
        # asked for a quantity, and what the notes say about it holds none (or none of that thing): not given, unless
        # a follow-up that names nothing it counts ("how many can i have?" after "and read replicas?") is answered by
        # the number its subject's passage gives ("up to 5 copies"), which the history's words outscored, or the best
        # passage gives one in a unit its words ranked lower
        chosen = counted_in_subject(units, retrieval, fixed, history) or quantity_instead(units, retrieval, fixed)
        if not chosen:
            return refuse()
    asked = set(content_terms(retriever.acronym_map.expand(" ".join([fixed, *history[-1:]]))))
    if price and not states_price([u for u in chosen if _about(u, asked, every=False)]):
        # asked for a price, and the chosen units give none of it ("what is the price of S3?" answered with Lambda's
        # price per request): those that do, of a passage about all that was asked, else the notes give none for it
        chosen = amount_instead(units, asked, None, True)
        if not chosen:
            return refuse(quote_ok=False)  # the closest sentence would be another thing's price
    elif price:
        # the chosen units give a price: the other prices of the same thing come before what it is ("How much does
        # Lambda cost?": the Duration row's price beside the one per request, not "Lambda is a compute service")
        priced = amount_instead(units, asked, None, True)
        pricing = {u.passage.id for u in priced}
        if len(priced) > 1 and any(u.passage.id in pricing for u in chosen):
            chosen = priced + [u for u in chosen if _states(u, None, True) and u.passage.id not in pricing]
    elif asks_billing(fixed) and not any(_SAYS_BILLING.search(u.text) for u in chosen if _about(u, asked, every=False)):
        # asked whether something is billed, and the chosen units say nothing of what is charged: the units that do,
        # of a passage about all that was asked, else the notes do not say
        chosen = [u for u in sorted(units, key=lambda u: -u.score) if _SAYS_BILLING.search(u.text) and _about(u, asked)][:2]
        if not chosen:
            return refuse(quote_ok=False)
    if asks_default(fixed) and not any(_SAYS_DEFAULT.search(u.text) for u in chosen):
        # "is versioning on by default?": only what the notes say is so by default answers it ("Enabled by default")
        chosen = best_of_best_passage(units, retrieval, lambda u: bool(_SAYS_DEFAULT.search(u.text)))
        if not chosen:
            return refuse(quote_ok=False)
    if asks_setup(fixed) and not any(gives_steps(u) for u in chosen):
        # the steps asked for, and the chosen units only name the thing: the notes do not say how (what they say of it
        # is quoted as the closest they come)
        return refuse(unsure=True)
    if (quantity or price) and not gives_rate(chosen, fixed):
        return refuse()  # "max IOPS per GB" answered with IOPS per volume: no number per GB
    if (quantity or price) and anothers_number(chosen, set(content_terms(retriever.acronym_map.expand(fixed))),
                                               quantity_head(fixed), price and not quantity):
        return refuse()  # the numbers given are another row's
    text, cites = _render(chosen, _budget(fixed, settings)[1])
    # the learner's own numbers through a rate a cited passage gives: "1,500 GB × 3 IOPS per GB = 4,500 IOPS"; or
    # another row of its table ("50 million calls, 100ms each, 128mb": the Number of requests row and Duration's)
    cited = list({u.passage.id: u.passage for u in chosen}.values())
    ids = {c.id for c in cited}
    context = " ".join(leaned_on(fixed, history))  # a follow-up's subject may be named only before it
    worked = []
    if could_work(fixed):
        rows = [p for p in retriever.passages.values() if p.id not in ids and any(same_table(p, c) for c in cited)]
        worked = worked_figures(fixed, cited, rows, context=context)
    if not worked:
        # "can i put a 7TB dump into s3 as one file?": the quantity held against a limit the notes give ("from 0 bytes
        # to 5TB"), in a cited passage or one the question retrieved
        worked = limit_checks(fixed, cited + [r.passage for r in retrieval.results[:5] if r.passage.id not in ids],
                              context=context)
    if worked:
        text, cites = _with_worked(worked, text, cites)
    return Answer(question, text, False, support, cites, retrieval.results)


def settled_by_numbers(question: str, history: list[str], retrieval: Retrieval, retriever) -> bool:
    """The learner's own numbers go through a rate, or fall outside a limit, that a top passage gives for what the
    question names ("600k invocations a month, does the per-request part cost anything?" and "First 1 million requests
    are free"): the notes answer it, whatever the support score says of its words."""
    fixed = retriever.speller.fix(question)
    top = [r.passage for r in retrieval.results[:3]]
    context = " ".join(leaned_on(fixed, history))
    return bool(could_work(fixed) and worked_figures(fixed, top, context=context)) or bool(
        limit_checks(fixed, top, context=context))


def _with_worked(worked: list[Worked], text: str, cites: list[Citation]) -> tuple[str, list[Citation]]:
    """The calculations first, then the answer; markers renumbered by first use (a passage keeps one number)."""
    by_n = {c.n: c.passage for c in cites}
    passages = {p.id: p for p in [w.passage for w in worked] + list(by_n.values())}
    sentences = [(phrases.CHECKED if w.check else phrases.WORKED if i == 0 else phrases.WORKED_MORE)
                 .format(steps=w.text, n=f"@{w.passage.id}") for i, w in enumerate(worked)]
    # a marker names its passage while the texts are put together (brackets of the notes' own text stay as they are)
    body = re.sub(r"\[(\d+)\]", lambda m: f"[@{by_n[int(m.group(1))].id}]" if int(m.group(1)) in by_n else m.group(0),
                  text)
    return numbered(" ".join([*sentences, body]), passages)
