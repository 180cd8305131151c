"""Question, reference and answer → MiniLM encodings → the features the grader's trees read.

The answer, the reference and the question are encoded once by MiniLM (sentence vector plus contextual word
vectors). Features: soft word alignment (reference words covered by answer words, question words demoted),
stemmed/fuzzy lexical overlap, key-point coverage, sentence cosines, negation/number/antonym mismatch and
length (details and numbers in docs/GRADING.md). The word helpers here (stems, negators, antonyms, acronyms,
fuzzy matching) are shared with tutor/grading_feedback.py and tutor/grading_head.py.
"""
from __future__ import annotations

import difflib
import html
import re
from dataclasses import dataclass

import numpy as np

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
    "enabled": "disabled", "lowest": "highest", "frequently": "infrequently", "frequent": "infrequent",
    "single": "multiple", "small": "large", "allow": "deny", "manual": "automatic", "manually": "automatically",
    "flexible": "fixed",
}
ANTONYMS.update({v: k for k, v in list(ANTONYMS.items())})
# Opposites by stem, for the rules (the fitted model's feature keeps the word pairs above): "automatic" against the
# notes' "manually", "synchronized" against "asynchronous"; plus a few opposites of computing ("enforced by the client",
# "random prefixes").
_MORE_OPPOSITES = {"client": "server", "sequential": "random", "minimum": "maximum", "upload": "download",
                   "inbound": "outbound", "encrypted": "unencrypted", "global": "regional", "persistent": "ephemeral"}

ABBREVIATIONS = {"w/": "with", "w/o": "without", "b/c": "because", "&": "and", "approx": "approximately",
                 "info": "information", "prog": "program", "func": "function", "var": "variable",
                 # what learners type in a chat box ("read-only copies of the prod DB, async")
                 "app": "application", "apps": "applications", "prod": "production", "db": "database",
                 "dbs": "databases", "devs": "developers", "async": "asynchronous", "sync": "synchronous",
                 "config": "configuration", "env": "environment", "admin": "administrator", "ppl": "people",
                 "thru": "through", "msg": "message", "req": "request", "reqs": "requests", "perf": "performance",
                 "auth": "authentication", "secs": "seconds", "hr": "hour", "hrs": "hours", "mins": "minutes"}
CLAUSE_WORDS = frozenset("and but because so while which whereas therefore however or".split())

_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?|[&]|w/o|w/|b/c")
# A digit inside a name is no quantity: "S3", "EC2", "gp2", "IPv4" (a unit after the number is fine: "5TB").
_NUM = re.compile(r"(?<![\w.])\d+(?:\.\d+)?")
_TAG = re.compile(r"<[^>]{0,200}>")


# ---- Text helpers ------------------------------------------------------------------------------------------
_RATE = re.compile(r"(?<=[A-Za-z0-9])(?<!http)\s*/\s*(s|secs?|seconds?|min|mins|minutes?|h|hr|hrs|hours?|day|days|mo|month|yr|year)\b",
                   re.I)
_RATE_UNIT = {"s": "second", "sec": "second", "secs": "second", "min": "minute", "mins": "minute", "h": "hour",
              "hr": "hour", "hrs": "hour", "mo": "month", "yr": "year"}


def clean_text(text: str) -> str:
    """Plain text: HTML tags and entities removed, whitespace collapsed, a rate written out ("PUT/s" is PUT per
    second, as the notes say)."""
    text = html.unescape(_TAG.sub(" ", text or "")).replace("\u2019", "'").replace("\u2018", "'")  # "can’t" from a phone
    text = _RATE.sub(lambda m: " per " + _RATE_UNIT.get(m.group(1).lower(), m.group(1).lower().rstrip("s")), text)
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


ANTONYM_STEMS = {stem(a): stem(b) for a, b in {**ANTONYMS, **_MORE_OPPOSITES, **{v: k for k, v in _MORE_OPPOSITES.items()}}.items()
                 if stem(a) != stem(b)}


def plain_numbers(text: str) -> str:
    """"20,000" and "20k" written as the one word "20000", "20 cents" as "$0.2", "1M" and "1 million" as "1000000",
    the way a learner may type it."""
    text = re.sub(r"(?<=\d),(?=\d{3}(?!\d))", "", text)
    # "20 cents" is the notes' "$0.2"
    text = re.sub(r"(?<![\w.])(\d{1,2})\s?(?:cents?\b|¢)", lambda m: f"${int(m.group(1)) / 100:g}", text, flags=re.I)
    text = re.sub(r"(?<![\w.])(\d+)(?:M|\s?[mM]illion)\b", lambda m: m.group(1) + "000000", text)
    return re.sub(r"(?<![\w.])(\d+)\s?[kK]\b", lambda m: m.group(1) + "000", text)


# Number words a learner types for the notes' digits ("five" for "up to 5 copies", "twenty-five", "two hundred").
_UNIT_WORDS = ("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
               "seventeen eighteen nineteen").split()
_TEN_WORDS = "twenty thirty forty fifty sixty seventy eighty ninety".split()
_SCALE_WORDS = {"hundred": 100, "thousand": 1000, "million": 1000000}
_NUMBER_WORD = re.compile(
    r"\b(?:(?:%s)(?:[\s-]+(?:%s))?|%s)(?:\s+(?:%s))?\b" % (
        "|".join(_TEN_WORDS), "|".join(_UNIT_WORDS[1:10]), "|".join(_UNIT_WORDS), "|".join(_SCALE_WORDS)), re.I)


def _number_word_value(phrase: str) -> int:
    parts = [w.lower() for w in re.split(r"[\s-]+", phrase)]
    n = sum(_TEN_WORDS.index(w) * 10 + 20 if w in _TEN_WORDS else _UNIT_WORDS.index(w)
            for w in parts if w not in _SCALE_WORDS)
    return n * _SCALE_WORDS.get(parts[-1], 1)


def number_words_as_digits(answer: str, reference: str = "") -> str:
    """An answer's number words written as digits ("five" → "5"), so that they meet the notes' digits. Only where
    the reference gives digits and not the word itself ("One Zone IA" stays words), and "one" only as a bare answer:
    in a sentence it is mostly no count ("the one that …")."""
    if reference and not _NUM.search(reference):
        return answer
    ref_words = set(words(reference)) if reference else set()
    bare = len(answer.split()) <= 2

    def digits(m: re.Match) -> str:
        phrase = m.group(0)
        if phrase.lower() in ref_words or (phrase.lower() == "one" and not bare):
            return phrase
        return str(_number_word_value(phrase))

    return _NUMBER_WORD.sub(digits, answer)


_NOT_STEMS = {"can't": "can", "won't": "will", "shan't": "shall"}  # not "ca not", "wo not"


def words(text: str) -> list[str]:
    out = []
    for w in _WORD.findall(plain_numbers(text).lower()):
        w = ABBREVIATIONS.get(w, w)
        if w.endswith("n't"):
            out.extend([_NOT_STEMS.get(w, w[:-3]), "not"])
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


def spelled_in(text_words, ref_words: list[str], before: int = 8) -> set[str]:
    """Stems of what the reference spells out for an acronym the text shares with it: the reference's "Payment Card
    Industry Data Security Standard (PCI DSS) compliance" is met by "PCI DSS compliance". The spelled-out run must
    come just before the acronym, as notes write it."""
    out: set[str] = set()
    ref_words = list(ref_words)
    for k, w in enumerate(ref_words):
        if 2 <= len(w) <= 5 and w.isalpha() and w not in STOP and w in text_words:
            run = _initials_run(w, ref_words[max(0, k - before):k])
            if run:
                out |= {stem(x) for x in run}
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
    text = plain_numbers(text)  # "10,000" is 10000, not 10 and 000; "10k" is 10000 too
    return {n.rstrip("0").rstrip(".") if "." in n else n for n in _NUM.findall(text)}


def negation_count(ws: list[str]) -> int:
    return sum(w in NEGATORS for w in ws)


FOREIGN_WORDS = frozenset("la le les et est un une des du der die das und ist nicht ein eine el los las y es que "
                          "para por con una il che di della non sono est pas je tu ich wir sie het een van".split())


def looks_english(text: str) -> bool:
    """False only on clear signs: mostly non-Latin letters, or many foreign and no English function words."""
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return any(c.isdigit() for c in text)  # "10,000" answers "what number fills the blank" in any language
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
    outs = model.encode([plain_numbers(t) for t in texts], batch_size=batch_size, output_value=None, convert_to_numpy=False,
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
    expanded = {stem(w) for w in expand_acronyms(list(ans.words), list(ref.words))} | spelled_in(ans.words, ref.words)
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

