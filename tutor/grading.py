"""Reference + learner answer → Grade (verdict, score, feedback naming matches, gaps and contradictions).

Method (details and numbers in docs/GRADING.md): the answer, the reference and the question are encoded once
by MiniLM (sentence vector plus contextual word vectors). Features: soft word alignment (reference words
covered by answer words, question words demoted), stemmed/fuzzy lexical overlap, key-point coverage,
sentence cosines, negation/number/antonym mismatch and length. A small gradient-boosted model and a learned
alignment head over the same word vectors (tutor/grading_head.py), both fitted by `python -m tutor.grading_fit`
and shipped as JSON in `tutor/grading_model.json`, give a probability of "correct" (their logits averaged).
Rules on top make it strict where learners notice: a named sibling row, an inserted negation or a wrong
number contradicts the notes and makes the answer incorrect.

Layout: tutor/grading_features.py (encoding, word helpers, features), tutor/grading_feedback.py (phrases,
contradictions, feedback text), this module (the fitted model, the Grader, key points). The names other code
imports from here are re-exported.
"""
from __future__ import annotations

import difflib
import json
import re
from collections import OrderedDict
from pathlib import Path

import numpy as np
from rapidfuzz.distance import OSA

from tutor.grading_examples import GradedExamples, blend

from tutor.grading_features import (
    Encoded,
    _content_idx,
    clean_text,
    coverage,
    encode_texts,
    features,
    fuzzy_equal,
    is_content,
    looks_english,
    number_words_as_digits,
    stem,
    words,
)
from tutor.grading_feedback import (
    GRADE_EMPTY,
    GRADE_NOT_ENGLISH,
    GRADE_TRUNCATED,
    compose_grade,
    other_contradictions,
    sibling_contradictions,
    swapped_fills,
    swapped_pairs,
)
from tutor.types import Citation, Grade

# Re-exported: the tests import the GRADE_* phrases from here; grading_head, grading_fit and scripts use the helpers.
from tutor.grading_features import (  # noqa: F401
    ABBREVIATIONS,
    ANTONYM_STEMS,
    ANTONYMS,
    CLAUSE_WORDS,
    FOREIGN_WORDS,
    NEGATORS,
    STOP,
    char_cosine,
    expand_acronyms,
    key_point_spans,
    negation_count,
    numbers,
)
from tutor.grading_feedback import (  # noqa: F401
    GRADE_CONTRADICTS,
    GRADE_CORRECT,
    GRADE_EXPECTED,
    GRADE_HEDGE,
    GRADE_INCORRECT,
    GRADE_MATCHED,
    GRADE_MISSING,
    GRADE_NEGATION,
    GRADE_NOTHING_MATCHED,
    GRADE_NUMBER,
    GRADE_ORDER,
    GRADE_PARTIAL,
    GRADE_SIBLING,
    GRADE_SOURCE,
)

# "What does EBS stand for?", "what is KMS short for", "what does PCI DSS mean?" asks for a name spelled out
SPELLS_OUT = re.compile(r"\b(?:stands?|stood)\s+for\b|\bshort\s+for\b|\bacronym\b|\babbreviation\b", re.I)
MAX_ANSWER_CHARS = 2000  # MiniLM reads 256 word pieces; longer answers are cut (and told so)
DEFAULT_MODEL_PATH = Path(__file__).with_name("grading_model.json")


# ---- The fitted model (gradient-boosted trees stored as plain arrays) ------------------------------------
class TreeModel:
    """Sum of regression trees → logistic probability; evaluates sklearn HistGradientBoosting trees dumped as JSON."""

    def __init__(self, data: dict):
        self.features: list[str] = data["features"]
        self.baseline = float(data["baseline"])
        self.trees = [{k: np.asarray(v) for k, v in t.items()} for t in data["trees"]]

    def raw(self, X: np.ndarray) -> np.ndarray:
        out = np.full(X.shape[0], self.baseline)
        for t in self.trees:
            node = np.zeros(X.shape[0], dtype=int)
            for _ in range(64):
                leaf = t["leaf"][node].astype(bool)
                if leaf.all():
                    break
                x = X[np.arange(X.shape[0]), t["feat"][node]]
                go_left = np.where(np.isnan(x), t["nan_left"][node].astype(bool), x <= t["thr"][node])
                node = np.where(leaf, node, np.where(go_left, t["left"][node], t["right"][node]))
            out += t["value"][node]
        return out

    def proba(self, X: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-self.raw(X)))


# ---- The grader ------------------------------------------------------------------------------------------------
class Grader:
    """Grades a learner's answer against the reference from the notes. Load once, call `grade` many times."""

    def __init__(self, model: TreeModel, thresholds: dict[str, float], model_loader=None, cache_size: int = 4096,
                 head=None, head_weight: float = 0.0, cross_path: Path | None = None, cross_weight: float = 0.0,
                 examples: GradedExamples | None = None):
        self.model = model
        self.examples = examples  # teacher-graded answers to known questions (tutor/grading_examples.py)
        self.head, self.head_weight = head, float(head_weight)
        self.cross_path, self.cross_weight = cross_path, float(cross_weight) if cross_path else 0.0
        self._cross = None
        self.t_correct = float(thresholds["correct"])
        self.t_partial = float(thresholds["partial"])
        self._model_loader = model_loader
        self._st = None
        self._cache: OrderedDict[str, Encoded] = OrderedDict()
        self._cache_size = cache_size
        # the notes' acronyms, spelled out in an answer ("MFA" → "MFA (Multifactor Authentication)") so that it meets
        # the key point the notes write in full; set by the Tutor from its notes (none in the grading data's fit)
        self.expand_acronyms = None

    @classmethod
    def load(cls, path: str | Path | None = None, model_loader=None) -> "Grader":
        """The shipped parameters (tutor/grading_model.json) or a file written by `python -m tutor.grading_fit`."""
        from tutor.grading_head import HeadModel

        path = Path(path or DEFAULT_MODEL_PATH)
        data = json.loads(path.read_text(encoding="utf-8"))
        head = HeadModel(data["head"]) if data.get("head") else None
        cross = path.with_name(data["cross_file"]) if data.get("cross_file") else None
        examples = GradedExamples.load(path.with_name(data["examples_file"])) if data.get("examples_file") else None
        return cls(TreeModel(data), data["thresholds"], model_loader, head=head,
                   head_weight=data.get("head_weight", 0.0), cross_path=cross,
                   cross_weight=data.get("cross_weight", 0.0), examples=examples)

    def _encode(self, texts: list[str]) -> list[Encoded]:
        todo = [t for t in dict.fromkeys(texts) if t not in self._cache]
        if todo:
            if self._st is None:
                if self._model_loader is None:
                    from tutor.embedding import sentence_model

                    self._model_loader = sentence_model
                self._st = self._model_loader()
            for e in encode_texts(todo, self._st):
                self._cache[e.text] = e
        out = []
        for t in texts:
            self._cache.move_to_end(t)
            out.append(self._cache[t])
        while len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return out

    def probability(self, q: Encoded, r: Encoded, a: Encoded) -> tuple[float, dict[str, float]]:
        from tutor.grading_head import item_arrays

        arrs = item_arrays(q, r, a)
        f = features(q, r, a, arrs)
        z = float(self.model.raw(np.array([[f[n] for n in self.model.features]]))[0])
        if self.head is not None:  # equal say for the trees and the alignment head (logit average)
            z = (1 - self.head_weight) * z + self.head_weight * self.head.logit(arrs)
        if self.cross_weight:  # a fitted cross-encoder, if the model file names one, blended in by its weight
            z = (1 - self.cross_weight) * z + self.cross_weight * self.cross_logit(q.text, r.text, a.text)
        p = 1.0 / (1.0 + np.exp(-z))
        if self.examples is not None:  # how a teacher graded the closest answers to this very question
            p = blend(p, self.examples.vote(q.text, r.text, a.sent))
        if f["char_cos"] >= 0.9 and f["lex_recall"] >= 0.9 and not f["neg_mismatch"] and not f["num_missing"]:
            p = max(p, 0.97)  # the reference itself, or a near copy of it
        return p, f

    def cross_logit(self, question: str, reference: str, answer: str) -> float:
        if self._cross is None:
            from tutor.grading_cross import CrossEncoder

            if self._st is None:
                self._encode([reference])
            self._cross = CrossEncoder.load(self._st, self.cross_path)
        return self._cross.logit(question, reference, answer)

    def grade(self, question: str, reference: str, answer: str, key_points: list[str] | None = None,
              siblings: list[str] | None = None, citation: Citation | None = None, need: int = 0) -> Grade:
        """`need`: how many of the key points a right answer makes (0: all); "What does IAM give you?" lists 13
        things, and any four of them answer it."""
        q_text, r_text = clean_text(question) or "?", clean_text(reference) or "?"
        a_text = clean_text(answer)
        notes = [GRADE_TRUNCATED.format(n=MAX_ANSWER_CHARS)] if len(a_text) > MAX_ANSWER_CHARS else []
        a_text = number_words_as_digits(a_text[:MAX_ANSWER_CHARS], r_text)  # "five" where the notes say 5
        explicit = [clean_text(k) for k in key_points or [] if clean_text(k)]
        kp_texts = explicit or derive_key_points(r_text)
        if not any(c.isalnum() for c in a_text):
            return compose_grade("incorrect", 0.0, [], kp_texts, [], [GRADE_EMPTY], citation)
        if not looks_english(a_text):
            return compose_grade("incorrect", 0.0, [], kp_texts, [], [GRADE_NOT_ENGLISH], citation)
        sib_texts = [s for s in (clean_text(x) for x in siblings or []) if s and s != r_text]
        if not SPELLS_OUT.search(q_text) and _names_it(words(a_text), _name_aliases(r_text, citation, sib_texts)):
            a_text = r_text  # a name written short ("ALB", "gp2"), or with a typo: as good as the name written out
        # for the key points only: the spelled-out words are not the learner's to be graded on ("FPGA" is no answer
        # to "which family is described as 'Field Programmable Gate Array'?")
        spelled = (self.expand_acronyms(a_text) if self.expand_acronyms is not None and not SPELLS_OUT.search(q_text)
                   else a_text)
        encs = self._encode([q_text, r_text, a_text, *kp_texts, *sib_texts])
        q, r, a = encs[:3]
        kps, sibs = encs[3:3 + len(kp_texts)], encs[3 + len(kp_texts):]
        if SPELLS_OUT.search(q_text):  # a name spelled out is right word for word, not by resemblance
            return self._spelled_out(q, r, a, citation)
        p, f = self.probability(q, r, a)
        a_points = self._encode([spelled])[0] if spelled != a_text else a
        matched, missing, flipped = self._key_points(q, a_points, kp_texts, kps, sibs, r, shared_apart=bool(explicit))
        contra = sibling_contradictions(q, r, a, sibs) + other_contradictions(q, r, a, f)
        order = swapped_fills(q_text, r_text, kp_texts, a_text)
        if order:
            contra.append(GRADE_ORDER.format(expected=order))
        paired = swapped_pairs(kp_texts, a_text)
        if paired:
            contra.append(GRADE_SIBLING.format(said=paired[0], expected=paired[1]))
            # neither pair was got: the learner matched their halves the other way round
            matched = [k for k in matched if k not in paired[1:]]
            missing = [*paired[1:], *(k for k in missing if k not in paired[1:])]
        if flipped and not contra:  # "can be a boot volume" against "Cannot be a boot volume"
            contra = [GRADE_NEGATION.format(phrase=f'"{flipped[0]}"')]
        if contra:
            verdict, p = "incorrect", min(p, self.t_partial * 0.5)
            if len(r_text.split()) <= 4:  # a name: "You got: S3 - IA" after "One Zone IA" would give the answer away
                matched = []
            # a point whose number the learner got wrong ("3 - 5 hours" said as days) was not got
            wrong = [k for k in matched if any(n in c for c in contra for n in numbers(k))]
            matched, missing = [k for k in matched if k not in wrong], wrong + [k for k in missing if k not in wrong]
        elif need and explicit and matched:  # some of a long list: enough of it, or part
            verdict = "correct" if len(matched) >= need else "partial"
            p = max(p, self.t_correct) if verdict == "correct" else p
        elif explicit and not matched and "___" in q_text and not _one_part_said(q, r, a, sibs):
            # a blank's words are its key points: "buy, programs" resembles "rent, applications" and fills neither
            verdict, p = "incorrect", min(p, self.t_partial * 0.5)
        elif p >= self.t_correct:
            verdict = "partial" if explicit and missing and matched and not _most_said(matched, missing) else "correct"
        elif explicit and matched and not missing and p >= self.t_partial:
            verdict = "correct"  # every key point the quiz asked for is there
        elif matched and (p >= self.t_partial or explicit):
            verdict = "partial"  # something is right: a key point at least
        elif not notes and _one_part_said(q, r, a, sibs):
            verdict = "partial"  # "pay by the hour" for "pay a fixed rate by the hour … with no commitment"
            matched = [a_text]
        else:
            verdict = "incorrect"
        some = bool(need and explicit and 0 < need < len(kp_texts))
        if verdict == "correct":
            matched, missing = (matched if some and matched else kp_texts), []
        more = max(0, need - len(matched)) if some and verdict == "partial" else 0
        return compose_grade(verdict, p, matched, missing, contra, notes, citation, more=more)

    def _spelled_out(self, q: Encoded, r: Encoded, a: Encoded, citation) -> Grade:
        """"What does EBS stand for?": each word of the name, said (typos allowed), not a look-alike ("Elastic Bucket
        Storage") or the acronym itself."""
        qstems = {stem(w) for w in q.words}
        # the notes' own answer may repeat the acronym ("EBS: Elastic Block Store"): the question says it already;
        # or say more around the name ("IAM supports Payment Card Industry Data Security Standard (PCI DSS)
        # compliance", "AWS Key Management Service"): the name is the words whose initials spell the acronym
        named = expansion_in(_asked_letters(q.text), r.text)
        ref_words = words(named) if named else r.words
        ref = [w for w in ref_words if is_content(w) and stem(w) not in qstems] or list(ref_words)
        said = [w for w in a.words if is_content(w) and stem(w) not in qstems]
        hit = [w for w in ref if any(_same_name_word(w, x) for x in said)]
        share = len(hit) / len(ref) if ref else 0.0
        verdict = "correct" if share == 1.0 else "partial" if share >= 0.5 else "incorrect"
        matched = [r.text] if verdict == "correct" else ([" ".join(hit)] if hit else [])
        missing = [] if verdict == "correct" else [" ".join(w for w in ref if w not in hit)]
        return compose_grade(verdict, share, matched, missing, [], [], citation)

    def _key_points(self, q: Encoded, a: Encoded, kp_texts: list[str], kps: list[Encoded], sibs: list[Encoded] = (),
                    r: Encoded | None = None, shared_apart: bool = False):
        """Which key points the answer meets. With `shared_apart` (a quiz item's own key points), words every other
        point has too need not be said: "centralized control, shared access" meets "Centralized control of your AWS
        account" and "Shared Access to your AWS account"; "your AWS account" tells neither from the other."""
        qstems = {stem(w) for w in q.mwords}
        a_stems = {stem(w) for w in a.words}
        # words every sibling entry has too ("Intensive Apps / DBs") do not tell this entry from the others
        sib_stems = {stem(w) for s in sibs for w in s.mwords}
        matched, missing, flipped = [], [], []
        for text, kp in zip(kp_texts, kps):
            idx = [i for i in _content_idx(kp) if stem(kp.mwords[i]) not in qstems]
            if not idx and _content_idx(kp):
                continue  # the question itself says it ("Spot" for "What is a Spot instance?"): not the learner's to say
            idx = idx or _content_idx(kp)
            cov = coverage(kp, a, idx)
            ok = len(cov) > 0 and float(cov.mean()) >= 0.72 and float((cov >= 0.6).mean()) >= 0.5
            if shared_apart and not ok and len(kps) > 1:
                others = {stem(w) for o in kps if o is not kp for w in o.mwords}
                mine = [k for k, i in enumerate(idx) if stem(kp.mwords[i]) not in others]
                if mine and len(mine) < len(idx):
                    ok = float(cov[mine].mean()) >= 0.72 and bool((cov[mine] >= 0.6).all())
            own = [k for k, i in enumerate(idx) if stem(kp.mwords[i]) not in sib_stems]
            if sibs and own and len(own) < len(idx):  # what tells it apart must be said: "Memory", not "CPU", Intensive
                ok = ok and float((cov[own] >= 0.6).mean()) >= 0.5
            ok = ok and numbers(text) <= numbers(a.text)  # "20,000" is not the key point "10,000 IOPS"
            # nor is "can be a boot volume" the point "Cannot be a boot volume", or "frequently" "infrequently": the
            # point is made the other way round, which contradicts the notes
            copied = _copied_unnegated(kp.words, a.words)
            negated = not copied and _word_negated_differently(kp, a, idx)
            # an opposite word is plain enough that half the point's words suffice, itself counted as met
            # ("storage for frequently accessed data" against "… storage for infrequently accessed workloads")
            kp_stems = {stem(w) for w in set(kp.words) | set(r.words if r else ())}  # "Automatic, manual": no swap
            # by stem: "automatic" is the opposite of the notes' "manually"
            swapped = [ANTONYM_STEMS.get(stem(kp.mwords[i])) in a_stems - kp_stems and stem(kp.mwords[i]) not in a_stems
                       for i in idx]
            met = (cov >= 0.6) | np.array(swapped, dtype=bool)
            opposite = not copied and any(swapped) and float(met.mean()) >= 0.5
            turned = negated or opposite
            if (ok and negated) or opposite:
                flipped.append(text)
            (matched if ok and not turned else missing).append(text)
        return matched, missing, flipped


_ASKED_ACRONYM = re.compile(r"((?:[A-Z][A-Za-z0-9]*\s+){0,2}[A-Z][A-Za-z0-9]*)\s+(?:stands?|stood|is\s+short)\s+for\b")
_JOINING = {"and", "of", "for", "the", "to", "&"}


def _asked_letters(question: str) -> str:
    """The letters the asked acronym stands for: "PCI DSS" → PCIDSS, "EC2" → ECC, "S3" → SSS."""
    m = _ASKED_ACRONYM.search(question)
    if not m:
        return ""
    toks = [t for t in m.group(1).split() if t.lower() not in {"does", "do", "what", "whats", "is"}]
    out = ""
    for t in toks:
        for ch, n in re.findall(r"([A-Za-z])(\d?)", t):
            out += ch.upper() * (int(n) if n else 1)
    return out


def expansion_in(letters: str, text: str) -> str:
    """The run of words in `text` whose initials spell `letters` ("and", "of" may sit between; a compound gives both
    its initials, as the acronym map reads it: "Multifactor Authentication" is MFA), else ""."""
    from .acronyms import initials

    want = letters.lower()
    if len(want) < 2:
        return ""
    ws = re.findall(r"[A-Za-z][\w\-]*|&", text)
    for i in range(len(ws)):
        got, j = "", i
        while j < len(ws) and len(got) < len(want):
            if ws[j].lower() in _JOINING and j > i:
                j += 1
                continue
            nxt = got + initials(ws[j])
            if not want.startswith(nxt):
                nxt = got + ws[j][0].lower()  # a compound read as one word
                if not want.startswith(nxt):
                    break
            got, j = nxt, j + 1
        if got == want:
            return " ".join(ws[i:j])
    return ""


def _copied_unnegated(point: tuple[str, ...] | list[str], answer: tuple[str, ...] | list[str]) -> bool:
    """The point's words, in order, in the answer, and not right after a negator: "they are not enabled by default"
    holds "enabled by default" and says the opposite."""
    n = len(point)
    for k in range(len(answer) - n + 1):
        if list(answer[k:k + n]) == list(point):
            before = answer[max(0, k - 2):k]
            if not any(w in NEGATORS or w == "t" for w in before):
                return True
    return False


def _one_part_said(q: Encoded, r: Encoded, a: Encoded, sibs: list[Encoded] = ()) -> bool:
    """A short answer that says part of the notes' answer and nothing else: two or more of its words (beyond the
    question's), every one of them the notes' own, one at least not shared by every sibling row ("Intensive Apps"
    is every family's). A wrong answer brings words of its own ("a DNS service" for EC2); a right but short one
    does not ("pay by the hour", "use a bucket policy")."""
    qs = {stem(w) for w in q.words}
    said = {stem(w) for w in a.words if is_content(w) and w.isalnum()} - qs
    ref = {stem(w) for w in r.words if is_content(w)}
    if len(said) < 2 or not said <= ref:
        return False
    if negation_count(list(a.words)) > negation_count(list(r.words)):
        return False  # "you cannot recover your database to any point in time": the notes' words, turned round
    shared = set.intersection(*({stem(w) for w in s.words} for s in sibs)) if sibs else set()
    return bool(said - shared)


def _same_name_word(a: str, b: str) -> bool:
    """The same word of a name, typos allowed ("blok" for "block"), look-alikes not ("bucket")."""
    if fuzzy_equal(a, b):
        return True
    return min(len(a), len(b)) >= 4 and a[0] == b[0] and difflib.SequenceMatcher(None, a, b).ratio() >= 0.85


def name_aliases(reference: str) -> set[str]:
    """Short ways to write a name of up to six words: without its parenthesis ("Magnetic"), the parenthesis alone
    ("GP2", "Standard"), its initials ("ALB" for "Application Load Balancer", "RIs" for "Reserved Instances")."""
    if not 1 <= len(reference.split()) <= 6:
        return set()
    bare = re.sub(r"\s*\([^()]*\)", "", reference)
    out = {" ".join(words(bare))} | {" ".join(words(x)) for x in re.findall(r"\(([^()]*)\)", reference)}
    ws = words(bare)
    if len(ws) >= 2 and all(w.isalpha() for w in ws):
        out |= {"".join(w[0] for w in ws), "".join(w[0] for w in ws) + "s"}
    return {x for x in out if x}


MOST_SAID = 0.5  # of the key points, with the model sure: a summary that leaves out a descriptive clause or two
DESCRIPTIVE_WORDS = 4  # a key point this long describes; a shorter one is an item a list question asks for


def _most_said(matched: list[str], missing: list[str]) -> bool:
    """"cheapest storage for infrequently accessed workloads, file servers, not bootable": a summary that makes at
    least half the points (two or more) and leaves out only descriptive clauses is right. An item of a list ("Load
    Balancers" of "EC2 instances; Load Balancers; S3 Buckets") left out still makes it partial."""
    return (len(matched) >= 2 and len(matched) >= MOST_SAID * (len(matched) + len(missing))
            and all(len(m.split()) >= DESCRIPTIVE_WORDS for m in missing))


def _name_aliases(reference: str, citation: Citation | None, siblings: list[str] = ()) -> set[str]:
    """The reference's short forms, and those of the cited passage's own name when the reference is that name
    without its parenthesis ("gp2" for "General Purpose SSD", whose row is "General Purpose SSD (GP2)"). A last word
    the sibling names share says nothing of which one it is: "Sport" for "Sport Instances" beside "Reserved
    Instances"."""
    out = name_aliases(reference)
    title = clean_text(citation.passage.title or "") if citation is not None else ""
    if title and title != reference and words(re.sub(r"\s*\([^()]*\)", "", title)) == words(reference):
        out |= name_aliases(title)
    ws = words(reference)
    sib_words = [words(s) for s in siblings]
    short = ws[:-1]
    # ... unless a sibling's name starts so too ("S3" is a sibling of "S3 - IA", not its short form)
    if 2 <= len(ws) <= 4 and any(ws[-1] in sw and len(sw) <= 4 for sw in sib_words) \
            and not any(sw[:len(short)] == short for sw in sib_words):
        out.add(" ".join(short))
    return out


def _names_it(said: list[str], aliases: set[str]) -> bool:
    """The answer is one of the name's forms, word for word, a word of five letters or more allowed one typo ("spot"
    for the notes' "Sport", "dedicted")."""
    for alias in aliases:
        ws = alias.split()
        if len(ws) == len(said) and all(a == b or (a.isalpha() and b.isalpha() and min(len(a), len(b)) >= 4
                                                  and max(len(a), len(b)) >= 5 and a[0] == b[0]
                                                  and OSA.distance(a, b) <= 1)
                                        for a, b in zip(said, ws)):
            return True
    return False


_DO_NOT = {"don", "doesn", "didn", "do", "does", "did"}  # "you don't manage servers": whose doing is unclear


def _negated_right_before(e: Encoded, i: int, do_counts: bool = True, reach: int = 2) -> bool:
    """A negator up to `reach` words before word i, in its clause: "no persistence", "cannot be written"."""
    before = list(e.mwords[max(0, i - reach - 1):i])
    marks = [k for k, w in enumerate(before) if not w.isalnum() and w not in ("'", "’")]
    if marks:
        before = before[marks[-1] + 1:]
    before = [w for w in before if w not in ("'", "’")][-reach:]  # "can ' t be": the apostrophe is no word
    if not do_counts and any(w in _DO_NOT for w in before):
        return False
    return any(w in NEGATORS or w == "t" for w in before)


_COPULA = {"is", "are", "was", "were", "be", "can", "will", "does", "do", "may"}


def _negated_around(e: Encoded, i: int) -> bool:
    """Word i negated where it stands: a negator just before it ("no commitment", "does not support multi-tenancy"),
    or just after, on its own predicate ("an existing DB instance is not supported")."""
    if _negated_right_before(e, i, reach=3):  # "Cannot be a boot volume"
        return True
    after = [w for w in e.mwords[i + 1:i + 4] if w not in ("'", "’")]
    if after and after[0] in NEGATORS:
        return True
    return len(after) >= 2 and after[0] in _COPULA and (after[1] in NEGATORS or after[1] == "t")


def _clause_negated(e: Encoded, i: int) -> bool:
    """A negator anywhere in word i's clause (between punctuation marks)."""
    lo = i
    while lo > 0 and e.mwords[lo - 1] not in ",;:.()!?":
        lo -= 1
    hi = i
    while hi + 1 < len(e.mwords) and e.mwords[hi + 1] not in ",;:.()!?":
        hi += 1
    return any(w in NEGATORS or (w == "t" and k > lo) for k, w in enumerate(e.mwords[lo:hi + 1], start=lo))


def _word_negated_differently(kp: Encoded, a: Encoded, idx: list[int]) -> bool:
    """The same word (same stem) negated on one side and not the other: the notes negate it ("with no commitment",
    "does not support multi-tenancy", "… is not supported") and the learner's clause has no negation at all ("a 1 or
    3 year commitment", "supports multi-tenancy"); or the learner negates right before it ("cannot be written")
    where the notes' clause has none ("can also be written"). A learner's negation elsewhere in the clause ("you do
    not need to commit") or on a verb of doing ("you don't manage the servers", where the notes say AWS does) is
    no contradiction."""
    a_idx = _content_idx(a)
    for i in idx:
        s = stem(kp.mwords[i])
        same = [j for j in a_idx if stem(a.mwords[j]) == s]
        if not same:
            continue
        if _negated_around(kp, i) and not any(_clause_negated(a, j) for j in same):
            return True
        if not _clause_negated(kp, i) and all(_negated_right_before(a, j, do_counts=False) for j in same):
            return True
    return False


# Words that join clauses and say nothing of their own: "However" split off "However, data is stored …" is no point
CONNECTIVES = CLAUSE_WORDS | frozenset("also moreover furthermore thus hence although though yet still instead "
                                       "otherwise besides then".split())


def derive_key_points(reference: str) -> list[str]:
    """Content phrases of the reference: clauses split at punctuation and clause words, each with a content word
    that is not a connective."""
    chunks = re.split(r"[;:()]|[.!?](?:\s|$)|,\s|\s(?:but|because|whereas|therefore|however)\s", reference)
    out = [c.strip(" ,-") for c in chunks
           if c and any(is_content(w) and w not in CONNECTIVES for w in words(c))]
    return out or [reference]
