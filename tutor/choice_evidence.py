"""Evidence for practice-exam options: which sentences of the notes tie an option to the question.

A passage supports an option when one of its units (a sentence, a list item, a pair of adjacent
items) is about what the question asks AND names or describes the option. Both sides are measured
lexically (IDF-weighted share of the terms, the passage's row key or bullet head counting as part
of every unit) and densely (cosine of the embeddings of the unit and the question / option).
"""
from __future__ import annotations

import os
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .acronyms import text_acronyms
from .text import STOPWORDS, content_terms, sentences, stem, words
from .types import Passage

# Terms an option shares with most other options ("instances" in "Spot instances", "On-Demand
# instances") or with the question itself say nothing about which option fits: they count this much.
SHARED_WEIGHT = 0.2
CONTEXT_WEIGHT = 0.3
UNIT_MAX_WORDS = 60
QUESTION_K = 15  # the question's own passages
OPTION_K = 8  # each option's passages (with the question; by its own words)
MENTIONED = 0.5  # an option whose best unit names less than this share of it is "not in your notes"


@dataclass(frozen=True)
class Unit:
    passage: Passage
    text: str  # the notes' own words, shown when this unit is cited
    head: str  # what the unit is about: the row key or bullet head, then the section it sits in
    body_terms: frozenset[str]
    title_terms: frozenset[str]  # the row key / bullet head: the unit speaks about this
    context_terms: frozenset[str]  # the enclosing section or table: shared by many units
    # a pair of adjacent list items: each item's terms (empty for a single piece)
    part_terms: tuple[frozenset[str], ...] = ()

    @property
    def head_terms(self) -> frozenset[str]:
        return self.title_terms | self.context_terms

    @property
    def terms(self) -> frozenset[str]:
        return self.body_terms | self.title_terms | self.context_terms

    @property
    def embed_text(self) -> str:
        hs = [h for h in self.head.split(" — ") if h and h.lower() not in self.text.lower()]
        return f"{' — '.join(hs)}: {self.text}" if hs else self.text


@dataclass
class OptionEvidence:
    letter: str
    text: str
    weights: dict[str, float]  # option term → weight (IDF, shared terms discounted)
    rows: np.ndarray = field(default_factory=lambda: np.zeros((0, len(COLS))))


# one row per unit of the candidate passages
COLS = ("q_lex", "o_lex", "oh_lex", "qb_dense", "o_dense", "qo_dense")
C = {name: i for i, name in enumerate(COLS)}


# ---------------------------------------------------------------- units
_UNIT_CACHE: dict[str, tuple[Unit, ...]] = {}


def _split(text: str) -> list[str]:
    return [s for part in re.split(r";\s", text) for s in sentences(part)]


def _unit_texts(p: Passage) -> list[tuple[str, tuple[str, ...]]]:
    """A passage's readable pieces, each with the items it pairs (none for a single piece): list items (and adjacent
    pairs, since a nested list loses its nesting: "Identity Federation" / "Active Directory, …"), cell sentences,
    the bullet head."""
    parts: list[str | tuple[str, str]] = []
    items = [it for it in p.items if it.strip()]
    if p.kind == "table_row" and len(p.fields) > 1:
        for _, cell in p.fields[1:]:
            cell_items = [it for it in items if it in cell]
            rest = cell
            for it in cell_items:
                rest = rest.replace(it, " ")
            parts += [s for s in _split(rest) if len(content_terms(s)) > 1]
            parts += cell_items
            parts += list(zip(cell_items, cell_items[1:]))
    elif items:
        parts.append(p.title)
        parts += items
        parts += list(zip(items, items[1:]))
    elif len(p.text.split()) <= UNIT_MAX_WORDS:
        parts.append(p.text)
    else:
        parts += _split(p.text)
    seen, out = set(), []
    for piece in parts:
        pair = piece if isinstance(piece, tuple) else ()
        t = "; ".join(pair) if pair else piece
        ws = t.split()
        t = " ".join(ws[:UNIT_MAX_WORDS]).strip(" ;:") + (" …" if len(ws) > UNIT_MAX_WORDS else "")  # cut: say so
        if t and re.search(r"\w", t) and t.lower() not in seen:
            seen.add(t.lower())
            out.append((t, pair))
    return out or [(p.text, ())]


_NEGATORS = frozenset("no not cannot never without nor non".split())


def negated_terms(text: str) -> set[str]:
    """Terms a unit says are absent: the first two content words after a negator, in its clause ("pure caching
    solution with no persistence": persistence; "Cannot be a boot volume": boot, volume)."""
    return set().union(*(negated for negated, _, _ in negated_clauses(text)))


def negated_clauses(text: str) -> list[tuple[set[str], set[str], str]]:
    """(terms negated, the clause's other terms, the clause) for each negation in the text, as `negated_terms` reads
    it."""
    out = []
    for clause in re.split(r"[,;:.()]|\bbut\b", text, flags=re.I):
        ws = words(clause.lower())
        for i, w in enumerate(ws):
            if w in _NEGATORS or (w == "t" and i and ws[i - 1] in {"can", "don", "doesn", "isn", "aren", "won"}):
                after = [x for x in ws[i + 1:i + 5] if x not in STOPWORDS]
                negated = {stem(x) for x in after[:2]}
                if negated:
                    out.append((negated, set(content_terms(clause)) - negated, clause.strip()))
    return out


# an option that says a "no" in its own way ("the partial hour is free" for "not charged") may agree with the notes
_OPTION_DENIES = _NEGATORS | {"free", "disable", "disabled", "prevent", "avoid"}


def claims(option: str) -> frozenset[str]:
    """The terms an option says are so; none when it negates something itself."""
    if set(words(option.lower())) & _OPTION_DENIES:
        return frozenset()
    return frozenset(content_terms(option))


def denial(negations: list[tuple[set[str], set[str], str]], claimed: frozenset[str]) -> str:
    """The clause of the notes (of `negated_clauses`) that says an option's claim is not so ("Cannot split traffic
    with $latest" against "Configure $LATEST to split traffic between versions"): the option holds the words the
    clause negates and another of its words. "" when none does."""
    for negated, rest, clause in negations:
        if claimed and negated <= claimed and rest & claimed:
            return clause
    return ""


def units_of(p: Passage) -> tuple[Unit, ...]:
    hit = _UNIT_CACHE.get(p.id)
    if hit is not None:
        return hit
    if p.kind == "table_row":
        title = p.title or (p.section[-1] if p.section else "")
        context = [h for h in p.section[-3:-1]]
    else:
        title = p.title if p.items else ""
        context = list(p.section[-1:])
    title_terms = frozenset(content_terms(title))
    context_terms = frozenset(content_terms(" ".join(context))) - title_terms
    head = " — ".join([h for h in [title, *reversed(context)] if h])
    units = []
    for t, pair in _unit_texts(p):
        # an option the unit says is absent is not met by it ("no persistence" is no evidence for "Persistence")
        body = frozenset(content_terms(t) + text_acronyms(t)) - negated_terms(t)
        parts = tuple(frozenset(content_terms(x) + text_acronyms(x)) - negated_terms(x) for x in pair)
        units.append(Unit(p, t, head, body, title_terms, context_terms, parts))
    out = tuple(units)
    if len(_UNIT_CACHE) > 50_000:
        _UNIT_CACHE.clear()
    _UNIT_CACHE[p.id] = out
    return out


# ---------------------------------------------------------------- embeddings
class _EmbedCache:
    """Normalized vectors by text; units are embedded once per process, in batches. Kept on disk too once attached
    to a TUTOR_HOME (`keep_vectors_in`): a practice question embeds a few hundred units the first time (about 6 s
    on 2 cores), and each `tutor ask` from the command line is a new process. A cache: written to a temporary
    name and renamed, read with allow_pickle=False, and a missing or damaged file is recomputed, never an error."""

    def __init__(self, limit: int = 20_000):
        self.vecs: OrderedDict[str, np.ndarray] = OrderedDict()
        self.limit = limit
        self.lock = threading.Lock()
        self.path: Path | None = None

    def attach(self, path: Path) -> None:
        with self.lock:
            if self.path == path:
                return
            self.path = path
            try:
                with np.load(path, allow_pickle=False) as z:
                    texts, vecs = z["texts"], z["vectors"]
            except Exception:  # noqa: BLE001 (missing, damaged or foreign: recomputed)
                return
            if texts.ndim != 1 or vecs.ndim != 2 or len(texts) != len(vecs) or vecs.dtype != np.float32:
                return
            for t, v in zip(texts.tolist(), vecs):
                self.vecs.setdefault(t, v)

    def _save(self) -> None:
        path = self.path
        if path is None or not self.vecs:
            return
        tmp = path.with_name(f".{path.stem}.{os.getpid()}.{threading.get_ident()}.tmp.npz")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            np.savez(tmp, texts=np.array(list(self.vecs), dtype=str), vectors=np.stack(list(self.vecs.values())))
            os.replace(tmp, path)
        except OSError:  # a read-only home still answers; the next process embeds again
            pass
        finally:
            tmp.unlink(missing_ok=True)

    def get(self, texts: list[str], encode) -> np.ndarray:
        with self.lock:
            missing = list(dict.fromkeys(t for t in texts if t not in self.vecs))
        if missing:
            new = encode(missing)
            with self.lock:
                for t, v in zip(missing, new):
                    self.vecs[t] = np.asarray(v, dtype=np.float32)
                while len(self.vecs) > self.limit:
                    self.vecs.popitem(last=False)
                if len(missing) > LIGHT_TEXTS:  # units were embedded; a question and its options are cheap again
                    self._save()
        with self.lock:
            return np.stack([self.vecs[t] for t in texts]) if texts else np.zeros((0, 384), np.float32)


_EMB = _EmbedCache()
CACHE_FILE = "choice_vectors.npz"


def keep_vectors_in(home: Path) -> None:
    """Keep the practice-question unit vectors under this TUTOR_HOME (read now, written when new ones are made)."""
    _EMB.attach(Path(home) / CACHE_FILE)


# Batches of 16, not encode's 64: a practice question embeds a few hundred units at once, and in the
# web server a 64-text batch's activations were its largest memory step (~+100 MiB vs ~+60 MiB).
OPTION_BATCH = 16


# Up to this many new texts (a question and its options, once the units are cached) go through the light query
# encoder one by one when the full model is not loaded: loading it costs a `tutor ask` about 4 s.
LIGHT_TEXTS = 16


def default_encoder(embed_one=None):
    """Batches through the full model; a few texts through `embed_one` (the Tutor's query embedding) while the full
    model is not loaded, as in a short-lived `tutor ask`."""
    from .embedding import encode, full_model_loaded

    def enc(texts: list[str]) -> np.ndarray:
        if embed_one is not None and len(texts) <= LIGHT_TEXTS and not full_model_loaded():
            return np.asarray([embed_one(t) for t in texts], dtype=np.float32)
        return encode(texts, batch_size=OPTION_BATCH)

    return enc


# ---------------------------------------------------------------- option terms
def term_alternates(text: str) -> dict[str, frozenset[str]]:
    """Stemmed content terms of a question or option, each with the forms that also meet it.
    A compound counts as its parts, each met by the part itself, the whole compound, or the
    compound written as one word ('multi-factor' ~ 'multifactor'; 'on-demand' ~ 'demand')."""
    out: dict[str, set[str]] = {}
    # a name that opens on an acronym ("SSE-KMS", "SSE-C", "SSE-Lambda") is one thing: its pieces alone do not meet
    # it, or an invented "SSE-RDS" would be met by any sentence on RDS next to one on server-side encryption
    names = {m.group().lower() for m in re.finditer(r"(?<![\w\-])[A-Z][A-Z0-9]+(?:-[A-Za-z0-9]+)+(?![\w\-])", text)}
    for w in words(text):
        if w in STOPWORDS:
            continue
        if w in names:
            out.setdefault(stem(w), set()).add(stem(w.replace("-", "")))
            continue
        pieces = [x for x in re.split(r"[.\-]", w) if x and x not in STOPWORDS]
        if len(pieces) <= 1 and ("-" not in w and "." not in w) or re.fullmatch(r"[\d.]+", w):
            # "10.0.0.0" is one number: its "10" does not meet "top 10"
            out.setdefault(stem(w), set())
            continue
        whole = {stem(w), stem(re.sub(r"[.\-]", "", w))}
        for x in pieces or [w]:
            out.setdefault(stem(x), set()).update(whole)
    return {t: frozenset(a) for t, a in out.items()}


def option_weights(options: dict[str, str], question: str, idf) -> dict[str, dict[str, float]]:
    """Each option's terms weighted by IDF; terms most options share, or the question already
    says, are discounted (unless that would leave the option with nothing of its own)."""
    terms = {L: set(term_alternates(t)) for L, t in options.items()}
    q = set(term_alternates(question))
    n = len(options)
    df: dict[str, int] = {}
    for ts in terms.values():
        for t in ts:
            df[t] = df.get(t, 0) + 1
    out = {}
    for L, ts in terms.items():
        shared = {t for t in ts if (n > 2 and df[t] * 2 > n) or t in q}
        own = ts - shared
        out[L] = {t: idf(t) * (SHARED_WEIGHT if (t in shared and own) else 1.0) for t in ts}
    return out


def _cov(weights: dict[str, float], alts: dict[str, frozenset[str]], terms: frozenset[str]) -> float:
    tot = sum(weights.values())
    if not tot:
        return 0.0
    return sum(w for t, w in weights.items() if t in terms or not alts.get(t, frozenset()).isdisjoint(terms)) / tot


# ---------------------------------------------------------------- gathering
def candidate_passages(question: str, options: dict[str, str], retrieval, retriever, oweights) -> list[Passage]:
    """The question's own passages, each option's passages with the question, and the passages
    that name each option at all (its row, its bullet)."""
    seen: dict[str, Passage] = {sp.passage.id: sp.passage for sp in retrieval.results}
    for sp in retriever.retrieve(question, k=QUESTION_K).results:
        seen.setdefault(sp.passage.id, sp.passage)
    for L, text in options.items():
        for sp in retriever.retrieve(f"{question} {text}", k=OPTION_K).results:
            seen.setdefault(sp.passage.id, sp.passage)
        w = oweights[L]
        top = max(w.values(), default=0.0)
        own = [t for t in w if w[t] >= SHARED_WEIGHT * top]
        for pid, _ in retriever.bm25.search(own, OPTION_K):
            seen.setdefault(pid, retriever.passages[pid])
    return list(seen.values())


def _other_item_names_another(L: str, u: Unit, ow: dict[str, dict[str, float]], o_alts: dict,
                              qw: dict[str, float], q_alts: dict) -> bool:
    """In a pair of items, the item that does not name option L names another option and is the one that answers
    the question (holds more of its words): the pair is that option's evidence, not L's."""
    own = [_cov(ow[L], o_alts[L], t) for t in u.part_terms]
    if max(own) < MENTIONED:
        return False
    mine = own.index(max(own))
    for i, t in enumerate(u.part_terms):
        if own[i] < MENTIONED and any(_cov(ow[M], o_alts[M], t) >= MENTIONED for M in ow if M != L):
            if _cov(qw, q_alts, t | u.head_terms) > _cov(qw, q_alts, u.part_terms[mine] | u.head_terms):
                return True
    return False


def gather(question: str, options: dict[str, str], retrieval, retriever, encode=None,
           single: bool = True) -> tuple[list[Unit], dict[str, OptionEvidence], bool]:
    """Units of the candidate passages and, per option, one evidence row per unit (COLS).
    The last value says whether dense evidence is there (False when no model could embed).
    `single`: one option is the answer, so options compete for a pair of items that names two of them."""
    idf = retriever.bm25.idf
    vocab = retriever.bm25.vocab
    # 'AWS MFA' is matched as the notes write it: 'Multifactor Authentication'
    question = retriever.acronym_map.expand(question)
    options = {L: retriever.acronym_map.expand(t) for L, t in options.items()}
    max_idf = idf("\x00never\x00")

    def idf_any(t: str) -> float:
        return idf(t) if t in vocab else max_idf

    ow = option_weights(options, question, idf_any)
    passages = candidate_passages(question, options, retrieval, retriever, ow)
    units = [u for p in passages for u in units_of(p)]
    n = len(units)
    q_alts = term_alternates(question)
    o_alts = {L: term_alternates(t) for L, t in options.items()}
    letters = list(options)
    dense = False
    if n:
        try:
            enc = encode or default_encoder(getattr(getattr(retriever, "vectors", None), "embed", None))
            U = _EMB.get([u.embed_text for u in units], enc)
            B = _EMB.get([u.text for u in units], enc)
            V = _EMB.get([question] + [options[L] for L in letters], enc)
            # the question and the option read as one statement ("… thumbnails, uptime is not an issue … Spot
            # Instances"): how close it comes to a unit of the notes
            QO = _EMB.get([f"{question} {options[L]}" for L in letters], enc)
            dense = True
        except Exception:  # no model: the lexical evidence alone still answers
            dense = False
    zeros = np.zeros(n)
    # the unit's own words against the question: its heading is what the option is matched on
    qb_dense = B @ V[0] if dense else zeros
    out = {}
    for i, L in enumerate(letters):
        w, oa = ow[L], o_alts[L]
        # the question's own words, less those the option repeats: naming the option is not relevance
        qw = {t: idf_any(t) for t in q_alts if w.get(t, 0.0) == 0.0} or {t: idf_any(t) for t in q_alts}
        cols = {
            "q_lex": [_cov(qw, q_alts, u.terms) for u in units],
            # the enclosing section names what many units share: an option met only there counts less
            "o_lex": [(1 - CONTEXT_WEIGHT) * _cov(w, oa, u.body_terms | u.title_terms) + CONTEXT_WEIGHT * _cov(w, oa, u.terms)
                      for u in units],
            "oh_lex": [_cov(w, oa, u.title_terms) for u in units],
            "qb_dense": qb_dense,
            "o_dense": U @ V[1 + i] if dense else zeros,
            "qo_dense": U @ QO[i] if dense else zeros,
        }
        # With one answer, a pair of items that names two options speaks for the one whose item answers: "Standard
        # RIs (…75% off); Convertible RIs (…) change the attributes" is Convertible's evidence, not Standard's. With
        # "Choose TWO", two options listed side by side may both be answers ("Track usage by API key; Throttle …").
        for j, u in enumerate(units):
            if single and u.part_terms and cols["o_lex"][j] > 0 and _other_item_names_another(L, u, ow, o_alts, qw, q_alts):
                cols["o_lex"][j] = 0.0
        rows = np.stack([np.asarray(cols[c], dtype=float) for c in COLS], axis=1) if n else np.zeros((0, len(COLS)))
        out[L] = OptionEvidence(L, options[L], w, rows)
    return units, out, dense
