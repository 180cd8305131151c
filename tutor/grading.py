"""Reference + learner answer → Grade (verdict, score, feedback naming matches, gaps and contradictions).

Method (details and numbers in docs/GRADING.md): the answer, the reference and the question are encoded once
by MiniLM (sentence vector plus contextual word vectors). Features: soft word alignment (reference words
covered by answer words, question words demoted), stemmed/fuzzy lexical overlap, key-point coverage,
sentence cosines, negation/number/antonym mismatch and length. A small gradient-boosted model and a learned
alignment head over the same word vectors (tutor/grading_head.py), both fitted by `python -m tutor.grading_fit`
and shipped as JSON in `tutor/grading_model.json`, give a probability of "correct" (their logits averaged).
Rules on top make it strict where learners notice: a named sibling row, an inserted negation or a wrong
number contradicts the notes and makes the answer incorrect.
"""
from __future__ import annotations

import difflib
import html
import json
import re
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tutor.types import Citation, Grade, Verdict

# ---- What the grader says (used by code and tests alike) -------------------------------------------------
GRADE_CORRECT = "Correct."
GRADE_PARTIAL = "Partly right."
GRADE_INCORRECT = "Not quite."
GRADE_MATCHED = "You got: {items}."
GRADE_MISSING = "Missing: {items}."
GRADE_CONTRADICTS = "This contradicts your notes: {items}."
GRADE_SIBLING = '"{said}" where the notes say "{expected}"'
GRADE_NEGATION = "you negate what the notes state ({phrase})"
GRADE_NUMBER = "{said} where the notes say {expected}"
GRADE_EMPTY = "No answer given."
GRADE_NOT_ENGLISH = "This answer does not look like English, so it could not be matched against the notes."
GRADE_TRUNCATED = "Only the first {n} characters of the answer were graded."
GRADE_NOTHING_MATCHED = "Nothing in the answer matches the notes yet."
GRADE_EXPECTED = "The notes say: {reference}"
GRADE_SOURCE = "Source: {source}."

MAX_ANSWER_CHARS = 2000  # MiniLM reads 256 word pieces; longer answers are cut (and told so)
DEFAULT_MODEL_PATH = Path(__file__).with_name("grading_model.json")

STOP = frozenset(
    "a an the of to in on at by for with from as is are was were be been being am it its this that these those "
    "there their they them he she his her i me my we our you your and or but if then so than too very can could "
    "will would shall should may might must do does did done have has had having what which who whom whose when "
    "where why how all any both each few more most other some such only own same just also into out up down over "
    "under again further once here about because while until through during before after above below between "
    "get gets got s t".split()
)
NEGATORS = frozenset("not no never none nothing neither nor cannot without nobody nowhere isnt arent wasnt "
                     "werent dont doesnt didnt cant couldnt wont wouldnt shouldnt hasnt havent hadnt".split())
ANTONYMS = {
    "open": "closed", "connected": "separated", "connect": "separate", "increase": "decrease",
    "increases": "decreases", "more": "less", "higher": "lower", "larger": "smaller", "bigger": "smaller",
    "positive": "negative", "true": "false", "same": "different", "inside": "outside", "high": "low",
    "series": "parallel", "cheaper": "expensive", "faster": "slower", "before": "after", "always": "never",
    "complete": "incomplete", "on": "off", "public": "private", "synchronous": "asynchronous",
    "stateful": "stateless", "vertical": "horizontal", "push": "pop", "first": "last", "ascending": "descending",
}
ANTONYMS.update({v: k for k, v in list(ANTONYMS.items())})
ABBREVIATIONS = {"w/": "with", "w/o": "without", "b/c": "because", "&": "and", "approx": "approximately",
                 "info": "information", "prog": "program", "func": "function", "var": "variable"}
CLAUSE_WORDS = frozenset("and but because so while which whereas therefore however or".split())

_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?|[&]|w/o|w/|b/c")
_NUM = re.compile(r"\d+(?:\.\d+)?")
_TAG = re.compile(r"<[^>]{0,200}>")


# ---- Text helpers ------------------------------------------------------------------------------------------
def clean_text(text: str) -> str:
    """Plain text: HTML tags and entities removed, whitespace collapsed."""
    text = html.unescape(_TAG.sub(" ", text or ""))
    return re.sub(r"\s+", " ", text).strip()


def _stemmer():
    from nltk.stem import PorterStemmer

    return PorterStemmer()


_STEM = _stemmer()
_STEM_CACHE: dict[str, str] = {}


def stem(word: str) -> str:
    s = _STEM_CACHE.get(word)
    if s is None:
        s = _STEM_CACHE[word] = _STEM.stem(word) if len(word) > 3 else word
    return s


def words(text: str) -> list[str]:
    out = []
    for w in _WORD.findall(text.lower()):
        w = ABBREVIATIONS.get(w, w)
        if w.endswith("n't"):
            out.extend([w[:-3], "not"])
        else:
            out.extend(w.replace("'", "").split())
    return out


def is_content(word: str) -> bool:
    return word not in STOP and word not in NEGATORS and (len(word) > 1 or word.isdigit())


def expand_acronyms(text_words: list[str], other_words: list[str]) -> list[str]:
    """Replace a short token by the run of `other_words` whose initials spell it (IA ↔ infrequent access)."""
    other = set(other_words)
    out: list[str] = []
    for w in text_words:
        if 2 <= len(w) <= 5 and w.isalpha() and w not in other and w not in STOP:
            run = _initials_run(w, other_words)
            if run:
                out.extend(run)
                continue
        out.append(w)
    return out


def _initials_run(acr: str, ws: list[str]) -> list[str] | None:
    n = len(acr)
    for i in range(len(ws) - n + 1):
        run = ws[i:i + n]
        if all(x and x[0] == c for x, c in zip(run, acr)) and sum(is_content(x) for x in run) >= n - 1:
            return run
    # plural acronyms: RIs ↔ reserved instances
    if acr.endswith("s") and n >= 3:
        return _initials_run(acr[:-1], ws)
    return None


def fuzzy_equal(a: str, b: str) -> bool:
    if a == b or stem(a) == stem(b):
        return True
    if min(len(a), len(b)) < 5 or abs(len(a) - len(b)) > 2 or a[0] != b[0]:
        return False
    return difflib.SequenceMatcher(None, a, b).ratio() >= 0.8


def numbers(text: str) -> set[str]:
    return {n.rstrip("0").rstrip(".") if "." in n else n for n in _NUM.findall(text)}


def negation_count(ws: list[str]) -> int:
    return sum(w in NEGATORS for w in ws)


FOREIGN_WORDS = frozenset("la le les et est un une des du der die das und ist nicht ein eine el los las y es que "
                          "para por con una il che di della non sono est pas je tu ich wir sie het een van".split())


def looks_english(text: str) -> bool:
    """False only on clear signs: mostly non-Latin letters, or many foreign and no English function words."""
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return False
    if sum(c.isascii() for c in letters) / len(letters) < 0.6:
        return False
    ws = words(text)
    if len(ws) < 4:
        return True
    foreign = sum(w in FOREIGN_WORDS for w in ws) / len(ws)
    english = sum(w in STOP or w in NEGATORS for w in ws) / len(ws)
    return not (foreign >= 0.15 and english < foreign)


# ---- Encoding -----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Encoded:
    """A text as the grader sees it: sentence vector, model words with contextual vectors, plain words."""

    text: str
    sent: np.ndarray  # (384,) normalized
    mwords: tuple[str, ...]  # words rebuilt from word pieces ("," kept as clause marks)
    wvecs: np.ndarray  # (len(mwords), 384) normalized
    words: tuple[str, ...]  # regex words, abbreviations expanded


def encode_texts(texts: list[str], model, batch_size: int = 64) -> list[Encoded]:
    """One MiniLM pass gives the sentence vector and the word vectors (mean of their word pieces)."""
    if not texts:
        return []
    outs = model.encode(texts, batch_size=batch_size, output_value=None, convert_to_numpy=False,
                        show_progress_bar=False)
    tok = model.tokenizer
    result = []
    for text, o in zip(texts, outs):
        pieces = tok.convert_ids_to_tokens(o["input_ids"].tolist())
        vecs = o["token_embeddings"].float().cpu().numpy()
        mwords, groups = [], []
        for p, v in zip(pieces, vecs):
            if p in ("[CLS]", "[SEP]", "[PAD]"):
                continue
            if p.startswith("##") and groups:
                mwords[-1] += p[2:]
                groups[-1].append(v)
            else:
                mwords.append(p)
                groups.append([v])
        wv = np.array([np.mean(g, axis=0) for g in groups], dtype=np.float32).reshape(-1, vecs.shape[1])
        wv /= np.linalg.norm(wv, axis=1, keepdims=True) + 1e-9
        sent = o["sentence_embedding"].float().cpu().numpy().astype(np.float32)
        sent /= np.linalg.norm(sent) + 1e-9
        result.append(Encoded(text, sent, tuple(mwords), wv, tuple(words(text))))
    return result


# ---- Features -----------------------------------------------------------------------------------------------
def key_point_spans(ref: Encoded) -> list[list[int]]:
    """Derived key points: content-word indices of the reference split at clause marks and clause words."""
    spans, cur = [], []
    for i, w in enumerate(ref.mwords):
        if w in ",;.:()" or w in CLAUSE_WORDS:
            if cur:
                spans.append(cur)
            cur = []
        elif w.isalnum() and is_content(w):
            cur.append(i)
    if cur:
        spans.append(cur)
    return spans or [[i for i, w in enumerate(ref.mwords) if w.isalnum()]]


def _content_idx(e: Encoded) -> list[int]:
    return [i for i, w in enumerate(e.mwords) if w.isalnum() and is_content(w)]


def coverage(ref: Encoded, ans: Encoded, ref_idx: list[int]) -> np.ndarray:
    """For each reference word, its best match among the answer's content words (cosine, 1 for same stem)."""
    a_idx = _content_idx(ans)
    if not ref_idx:
        return np.zeros(0, dtype=np.float32)
    if not a_idx:
        return np.zeros(len(ref_idx), dtype=np.float32)
    sims = ref.wvecs[ref_idx] @ ans.wvecs[a_idx].T
    expanded = {stem(w) for w in expand_acronyms(list(ans.words), list(ref.words))}
    for r, i in enumerate(ref_idx):
        rw = ref.mwords[i]
        if stem(rw) in expanded:
            sims[r, :] = 1.0
            continue
        for c, j in enumerate(a_idx):
            if fuzzy_equal(rw, ans.mwords[j]):
                sims[r, c] = 1.0
    return np.clip(sims.max(axis=1), 0.0, 1.0)


def _lexical(q: Encoded, r: Encoded, a: Encoded) -> dict[str, float]:
    rw = [w for w in r.words if is_content(w)]
    aw = [w for w in expand_acronyms(list(a.words), list(r.words)) if is_content(w)]
    rw = [w for w in expand_acronyms(rw, list(a.words)) if is_content(w)]
    qs = {stem(w) for w in q.words}
    rs, as_ = {stem(w) for w in rw}, {stem(w) for w in aw}
    r_new = [w for w in set(rw) if stem(w) not in qs]

    def hit(w, pool):
        return stem(w) in as_ or any(fuzzy_equal(w, x) for x in pool)

    rec_new = np.mean([hit(w, aw) for w in r_new]) if r_new else 1.0
    rec_all = np.mean([hit(w, aw) for w in set(rw)]) if rw else 0.0
    prec = np.mean([stem(w) in rs or stem(w) in qs for w in set(aw)]) if aw else 0.0
    novel = np.mean([stem(w) not in rs and stem(w) not in qs for w in set(aw)]) if aw else 1.0
    f1 = 2 * rec_all * prec / (rec_all + prec) if rec_all + prec else 0.0
    return {"lex_recall_new": rec_new, "lex_recall": rec_all, "lex_precision": prec, "lex_f1": f1,
            "lex_novel": novel, "n_ref_new": float(len(r_new))}


def _char_ngrams(text: str, n: int = 3) -> dict[str, int]:
    t = " " + " ".join(w for w in words(text) if is_content(w)) + " "
    grams: dict[str, int] = {}
    for i in range(len(t) - n + 1):
        grams[t[i:i + n]] = grams.get(t[i:i + n], 0) + 1
    return grams


def char_cosine(a: str, b: str) -> float:
    ga, gb = _char_ngrams(a), _char_ngrams(b)
    if not ga or not gb:
        return 0.0
    dot = sum(v * gb.get(k, 0) for k, v in ga.items())
    return dot / (np.sqrt(sum(v * v for v in ga.values())) * np.sqrt(sum(v * v for v in gb.values())))


def features(q: Encoded, r: Encoded, a: Encoded, arrs: dict | None = None) -> dict[str, float]:
    """Everything the trees see about one (question, reference, answer); `arrs` = `head_arrays(q, r, a)`."""
    from tutor import grading_head

    arrs = arrs if arrs is not None else grading_head.item_arrays(q, r, a)
    qstems = {stem(w) for w in q.mwords}
    r_idx = _content_idx(r)
    weights = np.array([0.25 if stem(r.mwords[i]) in qstems else 1.0 for i in r_idx], dtype=np.float32)
    cov = coverage(r, a, r_idx)
    soft_recall = float((cov * weights).sum() / weights.sum()) if len(r_idx) else 0.0
    a_idx = _content_idx(a)
    back = coverage(a, r, a_idx) if a_idx else np.zeros(0)
    back_q = coverage(a, q, a_idx) if a_idx else np.zeros(0)
    kps = [coverage(r, a, span) for span in key_point_spans(r)]
    kp_means = [float(k.mean()) for k in kps if len(k)] or [0.0]
    aw, rw = list(a.words), list(r.words)
    ra_nums, rr_nums, rq_nums = numbers(a.text), numbers(r.text), numbers(q.text)
    ant = sum(1 for w in set(aw) if w in ANTONYMS and ANTONYMS[w] in rw and w not in rw)
    f = {
        "cos_ar": float(a.sent @ r.sent), "cos_aq": float(a.sent @ q.sent), "cos_rq": float(r.sent @ q.sent),
        "soft_recall": soft_recall,
        "soft_recall_min": float(cov.min()) if len(cov) else 0.0,
        "hard_recall": float(((cov >= 0.75) * weights).sum() / weights.sum()) if len(r_idx) else 0.0,
        "soft_precision": float(back.mean()) if len(back) else 0.0,
        "off_topic": float(np.mean(np.maximum(back, back_q) < 0.5)) if len(back) else 1.0,
        "kp_min": min(kp_means), "kp_mean": float(np.mean(kp_means)), "n_kp": float(len(kp_means)),
        "char_cos": char_cosine(a.text, r.text),
        "neg_a": float(negation_count(aw)), "neg_r": float(negation_count(rw)),
        "neg_mismatch": float((negation_count(aw) % 2) != (negation_count(rw) % 2)),
        "num_missing": float(len(rr_nums - ra_nums)), "num_extra": float(len(ra_nums - rr_nums - rq_nums)),
        "antonym": float(ant),
        "len_a": float(np.log1p(len(aw))), "len_ratio": float(np.log((len(aw) + 1) / (len(rw) + 1))),
    }
    f.update(_lexical(q, r, a))
    f["one2one"] = grading_head.one_to_one(arrs)
    return f


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


# ---- Contradictions the learner should hear about -----------------------------------------------------------
def _content_stems(ws, drop: set[str] = frozenset()) -> set[str]:
    return {stem(w) for w in ws if is_content(w)} - drop


def _overlap(a: Encoded, b: Encoded, qstems: set[str]) -> float:
    sa, sb = _content_stems(a.words, qstems), _content_stems(b.words, qstems)
    if not sa or not sb:
        return 0.0
    inter = len(sa & sb)
    return 2 * inter / (len(sa) + len(sb))


def _surface(text: str, stems: set[str], limit: int = 3) -> str:
    """The original words of `text` whose stems are in `stems`, in order (for naming them in feedback)."""
    found: list[str] = []
    for w in re.findall(r"[A-Za-z0-9][\w\-]*", text):
        if stem(w.lower()) in stems and w not in found:
            found.append(w)
    return " ".join(found[:limit])


def _head(text: str) -> str | None:
    """The row key of "Spot: enables you to bid..." (a short head before a colon or dash)."""
    m = re.match(r"\s*([^:–—]{1,60}?)\s*(?::|\s[-–—]\s)", text)
    return m.group(1) if m and len(m.group(1).split()) <= 5 else None


def _name(text: str, distinct: set[str]) -> str:
    if len(text.split()) <= 4:
        return text
    if _head(text):
        return _head(text)
    return _surface(text, distinct) or " ".join(text.split()[:6]) + "…"


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
        if r_key and s_key_stems and s_key_stems <= astems and not (r_key_stems - s_key_stems) & astems:
            out.append((2.0, GRADE_SIBLING.format(said=s_key, expected=r_key)))  # names the other row's key
            continue
        d_sib = _content_stems(s.words, qstems | _content_stems(r.words))
        hits = d_sib & astems
        sim = 0.5 * float(a.sent @ s.sent) + 0.5 * _overlap(a, s, qstems)
        named = len(hits) > hits_ref
        closer = sim > sim_ref + 0.05 and hits_ref == 0
        if named or closer:
            long = len(s.text.split()) > 4 and not _head(s.text)
            said = _surface(a.text, hits) if long and hits else _name(s.text, d_sib)
            out.append((sim, GRADE_SIBLING.format(said=said, expected=_name(r.text, d_ref))))
    return [m for _, m in sorted(out, reverse=True)[:1]]


def other_contradictions(q: Encoded, r: Encoded, a: Encoded, f: dict[str, float]) -> list[str]:
    """A wrong number, or a restatement of the notes with a negation inserted or a word swapped for its opposite.

    Negation and antonyms only count on near restatements: elsewhere their scope is too uncertain (the model's
    features weigh them instead)."""
    out = []
    aw, rw = list(a.words), list(r.words)
    restates = f["lex_recall"] >= 0.85 and f["lex_precision"] >= 0.85 and f["char_cos"] >= 0.75
    swapped = [w for w in sorted(set(aw)) if w in ANTONYMS and ANTONYMS[w] in rw and w not in rw
               and ANTONYMS[w] not in aw]
    if restates and (int(f["neg_mismatch"]) + len(swapped)) % 2 == 1:  # two flips cancel out
        if f["neg_mismatch"]:
            i = next((k for k, w in enumerate(aw) if w in NEGATORS), None)
            phrase = " ".join(aw[max(0, i - 1):i + 3]) if i is not None else "not"
            out.append(GRADE_NEGATION.format(phrase=f'"{phrase}"'))
        out.extend(GRADE_SIBLING.format(said=w, expected=ANTONYMS[w]) for w in swapped)
    rn, an, qn = numbers(r.text), numbers(a.text), numbers(q.text)
    if rn - an and an - rn - qn:
        out.append(GRADE_NUMBER.format(said=", ".join(sorted(an - rn - qn)), expected=", ".join(sorted(rn - an))))
    return out


# ---- The grader ------------------------------------------------------------------------------------------------
def _join(items: list[str]) -> str:
    return "; ".join(items)


class Grader:
    """Grades a learner's answer against the reference from the notes. Load once, call `grade` many times."""

    def __init__(self, model: TreeModel, thresholds: dict[str, float], model_loader=None, cache_size: int = 4096,
                 head=None, head_weight: float = 0.0):
        self.model = model
        self.head, self.head_weight = head, float(head_weight)
        self.t_correct = float(thresholds["correct"])
        self.t_partial = float(thresholds["partial"])
        self._model_loader = model_loader
        self._st = None
        self._cache: OrderedDict[str, Encoded] = OrderedDict()
        self._cache_size = cache_size

    @classmethod
    def load(cls, path: str | Path | None = None, model_loader=None) -> "Grader":
        """The shipped parameters (tutor/grading_model.json) or a file written by `python -m tutor.grading_fit`."""
        from tutor.grading_head import HeadModel

        data = json.loads(Path(path or DEFAULT_MODEL_PATH).read_text(encoding="utf-8"))
        head = HeadModel(data["head"]) if data.get("head") else None
        return cls(TreeModel(data), data["thresholds"], model_loader, head=head,
                   head_weight=data.get("head_weight", 0.0))

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
        p = 1.0 / (1.0 + np.exp(-z))
        if f["char_cos"] >= 0.9 and f["lex_recall"] >= 0.9 and not f["neg_mismatch"] and not f["num_missing"]:
            p = max(p, 0.97)  # the reference itself, or a near copy of it
        return p, f

    def grade(self, question: str, reference: str, answer: str, key_points: list[str] | None = None,
              siblings: list[str] | None = None, citation: Citation | None = None) -> Grade:
        q_text, r_text = clean_text(question) or "?", clean_text(reference) or "?"
        a_text = clean_text(answer)
        notes = [GRADE_TRUNCATED.format(n=MAX_ANSWER_CHARS)] if len(a_text) > MAX_ANSWER_CHARS else []
        a_text = a_text[:MAX_ANSWER_CHARS]
        explicit = [clean_text(k) for k in key_points or [] if clean_text(k)]
        kp_texts = explicit or derive_key_points(r_text)
        if not any(c.isalnum() for c in a_text):
            return self._make("incorrect", 0.0, [], kp_texts, [], [GRADE_EMPTY], citation)
        if not looks_english(a_text):
            return self._make("incorrect", 0.0, [], kp_texts, [], [GRADE_NOT_ENGLISH], citation)
        sib_texts = [s for s in (clean_text(x) for x in siblings or []) if s and s != r_text]
        encs = self._encode([q_text, r_text, a_text, *kp_texts, *sib_texts])
        q, r, a = encs[:3]
        kps, sibs = encs[3:3 + len(kp_texts)], encs[3 + len(kp_texts):]
        p, f = self.probability(q, r, a)
        matched, missing = self._key_points(q, a, kp_texts, kps)
        contra = sibling_contradictions(q, r, a, sibs) + other_contradictions(q, r, a, f)
        if contra:
            verdict, p = "incorrect", min(p, self.t_partial * 0.5)
        elif p >= self.t_correct:
            verdict = "partial" if explicit and missing and matched else "correct"
        elif explicit and matched and not missing and p >= self.t_partial:
            verdict = "correct"  # every key point the quiz asked for is there
        elif matched and (p >= self.t_partial or explicit):
            verdict = "partial"  # something is right: a key point at least
        else:
            verdict = "incorrect"
        if verdict == "correct":
            matched, missing = kp_texts, []
        return self._make(verdict, p, matched, missing, contra, notes, citation)

    def _key_points(self, q: Encoded, a: Encoded, kp_texts: list[str], kps: list[Encoded]):
        qstems = {stem(w) for w in q.mwords}
        matched, missing = [], []
        for text, kp in zip(kp_texts, kps):
            idx = [i for i in _content_idx(kp) if stem(kp.mwords[i]) not in qstems] or _content_idx(kp)
            cov = coverage(kp, a, idx)
            ok = len(cov) > 0 and float(cov.mean()) >= 0.72 and float((cov >= 0.6).mean()) >= 0.5
            (matched if ok else missing).append(text)
        return matched, missing

    def _make(self, verdict: Verdict, score: float, matched, missing, contra, notes, citation) -> Grade:
        head = {"correct": GRADE_CORRECT, "partial": GRADE_PARTIAL, "incorrect": GRADE_INCORRECT}[verdict]
        parts = [head, *notes]
        if matched and verdict != "correct":
            parts.append(GRADE_MATCHED.format(items=_join(matched)))
        if contra:
            parts.append(GRADE_CONTRADICTS.format(items=_join(contra)))
        if missing and verdict != "correct" and GRADE_EMPTY not in notes:
            parts.append(GRADE_MISSING.format(items=_join(missing)))
        elif verdict == "incorrect" and not matched and not contra and not notes:
            parts.append(GRADE_NOTHING_MATCHED)
        if citation is not None:
            parts.append(GRADE_SOURCE.format(source=citation.passage.name))
        return Grade(verdict=verdict, score=round(float(score), 4), matched=list(matched), missing=list(missing),
                     contradictions=list(contra), feedback=" ".join(parts), citation=citation)


def derive_key_points(reference: str) -> list[str]:
    """Content phrases of the reference: clauses split at punctuation and clause words, each with a content word."""
    chunks = re.split(r"[;:()]|[.!?](?:\s|$)|,\s|\s(?:but|because|whereas|therefore|however)\s", reference)
    out = [c.strip(" ,-") for c in chunks if c and any(is_content(w) for w in words(c))]
    return out or [reference]
