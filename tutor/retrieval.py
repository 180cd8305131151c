"""Hybrid retrieval: dense (MiniLM in Chroma) + BM25 (bm25s), fused by reciprocal rank."""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Callable

import bm25s
import numpy as np

from . import query_adapter, rerank
from .acronyms import AcronymMap, acronyms, text_acronyms
from .config import RetrievalSettings
from .spelling import Speller, without_asides
from .text import STOPWORDS, content_terms, english_zipf, only_negated_terms, plain_terms, stem, words
from .types import Passage, Retrieval, ScoredPassage
from .unit_cache import UnitFiles
from .units import Unit, unit_texts
from .vectors import VectorCache

QueryEmbedder = Callable[[str], list[float]]
DenseSearch = Callable[[list[float], int], list[tuple[str, float]]]

SIDES_WITHIN = 2  # a comparison's sides each have their best passage among the first two (dev: no case moved)

# A follow-up leans on the conversation: a pronoun, "what about", or too few words of its own. "that" before a verb
# points inside the question ("getting 504s from my load balancer, what does that mean?"), not back.
_FOLLOWUP = re.compile(
    r"^\s*(and|what about|how about|what of|also|then|so)\b|\b(it|its|it's|they|them|their|those|these|that one|this one|"
    r"the (former|latter|other|second|first)|same|the [\w\-]+ ones?|(that|this) (?!(?:mean|means|is|was|does|did|happen|happens|work|works|say|says)\b)\w+|which (one|ones)|(besides|other than|apart from|except) (that|this|one))\b"
    r"|\b(that|this)(?:\W*$|\s*[?!])|\b(?:in|on|from|into|out of) there\b"
    # "what happens if something breaks partway through one?": "one" ending the question stands for the thing asked
    # about before ("no one", "any one" do not)
    r"|(?<!\bno )(?<!\bany )(?<!\bevery )\bone\s*[?!.]*\s*$",
    re.I,
)


# A question that picks among things ("which one can be a boot volume?", "i need a bootable one, which?"): a passage
# or unit that says the asked property with a "not" ("Cannot be a boot volume") names a thing that does not fit
SELECTS = re.compile(r"\bwhich\b|\bwhat\s+(?:\w+\s+){0,2}(?:should|to use|do i (?:use|pick|choose|need))\b", re.I)

# "what is X?", "define X": a short question that may name its subject in full
_WHAT_IS = re.compile(r"^\s*(?:what(?:'s|s| is| are)|define|explain|tell me about)\s+(?:an?\s+|the\s+)?\w", re.I)

# Pronouns that stand for the previous question's subject; "which of those …" picks from what was listed instead.
SUBJECT_PRONOUN = re.compile(r"\b(it|its|it's|they|their)\b", re.I)

# what a follow-up says of the one thing just picked: "does that one …", "can it …", "is that family …"
_THAT_ONE = re.compile(r"\b(?:it|its|it's|they|them|their|(?:that|this|the same|that same)\s+"
                       r"(?:one|family|engine|type|option|class|volume|kind|instance|balancer|lb)"
                       r"|(?:is|does|can|would|will)\s+that)\b", re.I)
# a question that picks one thing: "which elasticache engine …", "which one …", "what pricing option should I …"
_PICKS_ONE = re.compile(r"^\W*(?:(?:so|ok|okay|and|but)\W+)?(?:which\s+(?:[\w\-/]+\s+){0,2}?"
                        r"(?:one|engine|family|type|option|class|volume|kind|instance|balancer|lb|elb|tier|model|"
                        r"feature|service)\b"
                        r"(?!\s+(?:types|kinds|engines|families|options|classes|volumes|instances|models|tiers)\b)"
                        r"|what\s+(?:[\w\-/]+\s+){0,3}(?:should|to use|do i (?:use|pick|choose|need))\b)", re.I)
ANSWERED_ROW_WITHIN = 10  # how far down the follow-up's own ranking the picked row may be

# "and when redis?", "what about memcached?": the previous question asked again of something else, which is named, not
# pointed back at ("can those have multi-AZ?" is still about those)
_SWITCH = re.compile(r"^\s*(?:and|what about|how about|what of)\b", re.I)
_NAMED_BULLET = re.compile(r"^\s*((?:[\w\-]+ ){0,2}[\w\-]+)\s*\(")
_POINTS_BACK = re.compile(r"\b(?:it|its|it's|they|them|their|those|these|that|this|same)\b", re.I)

# A follow-up that asks for something other than what was just answered; "can they be in another region?" asks
# about the same thing somewhere else, and "a replica made off another replica" says what it is made from, so "other"
# after a preposition of place, direction or origin does not count
_ANOTHER = re.compile(r"\b(other|another|besides|else)\b", re.I)
# what "besides …" sets aside: the words after it, up to the clause's end
_BESIDES = re.compile(r"\b(?:besides|other than|apart from|except(?: for)?)\s+([\w\- ]{1,40}?)\s*(?:[,?.!;]|$|\bwhat\b|\bwhich\b)", re.I)
_ELSEWHERE = re.compile(r"\b(?:in|into|to|from|across|between|on|off|of)\s+(?:an?\s+|the\s+)?(?:other|another)\b", re.I)


def asks_another(question: str) -> bool:
    return bool(_ANOTHER.search(_ELSEWHERE.sub(" ", question)))


def rrf_fuse(rankings: list[list[str]], weights: list[float] | None = None, k: int = 60) -> dict[str, float]:
    """Reciprocal rank fusion over passage ids: sum of w / (k + rank), rank from 1."""
    weights = weights or [1.0] * len(rankings)
    fused: dict[str, float] = {}
    for ranking, w in zip(rankings, weights):
        for rank, pid in enumerate(ranking, start=1):
            fused[pid] = fused.get(pid, 0.0) + w / (k + rank)
    return fused


def is_followup(question: str, history: list[str]) -> bool:
    if not history:
        return False
    return bool(_FOLLOWUP.search(question)) or len(content_terms(question)) <= 2


CHAIN_BACK = 4  # earlier questions a follow-up can stand on, at most


def leaned_on(question: str, history: list[str]) -> list[str]:
    """The earlier questions a follow-up stands on: the last one, and while that was a follow-up itself ("do I need to
    do anything when it fails over?"), the one before it too ("which engines?" is still about Multi-AZ), back to the
    question that named the subject ("can it do multi-AZ?" after "what is elasticache?", "which engines …?", "and
    multithreading?")."""
    if not is_followup(question, history):
        return []
    out = [history[-1]]
    i = len(history) - 1
    # a follow-up that names what it asks about ("what about Multi-AZ, which engines support that?") needs only the
    # last two questions; one that names nearly nothing ("can it do multi-AZ?") goes back to the subject
    back = CHAIN_BACK if len(content_terms(question)) <= 2 else 2
    while i >= 1 and len(out) < back and is_followup(history[i], history[:i]):
        i -= 1
        out.append(history[i])
    return out


def _without(text: str, terms: set[str]) -> str:
    """The text without the words whose terms are in `terms` (a name the conversation switched away from)."""
    return " ".join(w for w in text.split() if not set(content_terms(w)) & terms)


def shape_query(question: str, history: list[str]) -> str:
    """Fold the previous question into a follow-up so 'what about its pricing?' knows what 'it' is."""
    return " ".join([question, *leaned_on(question, history)])


# Chosen by 5-fold cross-validation on the dev split among 1-4 (dev-CV follow-up hit@1 0.70 at 1 and 2,
# 0.74 at 3 and 4).
FOLLOWUP_OWN_WEIGHT = 3.0
CHAIN_WEIGHT = 0.5  # a priori: the question a follow-up's follow-up stands on says less than the last one


# Asked in so many words for a list: "list the features", "list of features pls", "name all the engines". The
# request is not a query word: "list the RDS engines" is not about Redis' "sorted sets and lists".
LIST_REQUEST = re.compile(r"\b(?:list (?:the|all|every|them|of|its|their)|enumerate|name (?:all|every|the))\b|\blist\W*$", re.I)
_REQUEST_WORDS = {"list", "enumer"}

# "when should I use Redis instead of Memcached?" asks about Redis: what follows "instead of" is the contrast.
# The contrast is the phrase right after the cue, up to a preposition or conjunction ("rather than redis for …").
_CONTRAST = re.compile(r"\b(?:instead of|rather than|in place of)\b((?:\s+(?!(?:for|to|with|when|if|because|so|and|but|in|on|at|as)\b)"
                       r"[\w\-]+){1,4})", re.I)
_CONTRAST_CUES = {"instead", "rather"}
CONTRAST_WEIGHT = 0.5  # a priori: half; dev has too few such questions to fit it


# "which one", "that one", "the convertible one": "one" points, it names nothing ("One Zone IA" is not asked about)
_POINTER_ONE = re.compile(r"\b(which|that|this|the|another|other|any|each|every|the [\w\-]+)\s+ones?\b", re.I)


def query_weights(question: str, history: list[str]) -> dict[str, float]:
    """Query terms and their weights. In a follow-up the learner's own words say what is asked and
    the previous question only says about what ('how is it priced?' after 'what is Lambda?'), so
    the own words count more (FOLLOWUP_OWN_WEIGHT). Words after "instead of" name the contrast, not what
    is asked, and count less (CONTRAST_WEIGHT)."""
    weights: dict[str, float] = {}
    followup = is_followup(question, history)
    for i, earlier in enumerate(leaned_on(question, history)):
        for t in content_terms(_POINTER_ONE.sub(r"\1", earlier)):
            weights.setdefault(t, CHAIN_WEIGHT ** i)
    own = FOLLOWUP_OWN_WEIGHT if followup else 1.0
    contrast = {t for m in _CONTRAST.finditer(question) for t in content_terms(m.group(1))}
    asked = set(content_terms(_CONTRAST.sub(" ", question)))
    request = LIST_REQUEST.search(question)
    for t in content_terms(_POINTER_ONE.sub(r"\1", question)):
        if (t in _CONTRAST_CUES and contrast) or (t in _REQUEST_WORDS and request):
            continue
        weights[t] = own * (CONTRAST_WEIGHT if t in contrast and t not in asked else 1.0)
    return weights


def passage_terms(p: Passage, title_acronyms: list[str] | None = None) -> list[str]:
    """A passage's BM25 terms: its words, and the acronyms of its title, section and text."""
    if title_acronyms is None:
        title_acronyms = acronyms(f"{p.title} {p.section_path}")
    return content_terms(p.embed_text) + title_acronyms + text_acronyms(p.embed_text)


# The ingest embeds the units with their passages and keeps them per notes file (tutor/unit_cache.py). Units
# it did not (an index ingested by an older version, or on another machine into a Chroma server) are embedded
# in batches when the retriever is built, up to this many (about 20 times these notes). Above that nothing is
# embedded: a passage whose sentences have no vectors is judged by its own embedding, and the composer goes
# without closeness.
EAGER_UNITS = 5_000


def unit_vectors(passages: list[Passage], files: UnitFiles | None, embed_many=None,
                 eager_limit: int | None = None) -> dict[str, np.ndarray]:
    """Passage id → its units' vectors, one row per unit (a passage is as close to a question as its closest
    sentence or item), read from the notes files' unit caches. Units none holds are embedded with `embed_many`
    if there are at most `eager_limit` of them; otherwise their passages are left out."""
    texts = {p.id: unit_texts(p) for p in passages}
    known: dict[str, np.ndarray] = {}
    for name in dict.fromkeys(p.file for p in passages) if files is not None else ():
        got = files.read(name)
        if got is not None:
            known.update(got[1])
    missing = list(dict.fromkeys(t for ts in texts.values() for t in ts if t not in known))
    if missing and embed_many is not None and len(missing) <= (EAGER_UNITS if eager_limit is None else eager_limit):
        known.update(zip(missing, np.asarray(embed_many(missing), dtype=np.float32)))
    return {pid: np.stack([known[t] for t in ts]) for pid, ts in texts.items() if all(t in known for t in ts)}


class BM25Index:
    """bm25s over the passages' stemmed content terms (same tokenizer as the composer)."""

    def __init__(self, passages: list[Passage], docs: list[list[str]] | None = None):
        self.ids = [p.id for p in passages]
        self.vocab: dict[str, int] = {}
        docs = [d or ["_empty_"] for d in (docs if docs is not None else [passage_terms(p) for p in passages])]
        for d in docs:
            for t in set(d):
                self.vocab[t] = self.vocab.get(t, 0) + 1
        self.n_docs = len(docs)
        self.model = bm25s.BM25()
        if docs:
            self.model.index(docs, show_progress=False)

    def idf(self, term: str) -> float:
        df = self.vocab.get(term, 0)
        return math.log(1 + (self.n_docs - df + 0.5) / (df + 0.5))

    def search(self, terms: list[str], k: int) -> list[tuple[str, float]]:
        known = [t for t in terms if t in self.vocab]
        if not known or not self.ids:
            return []
        scores = self.model.get_scores(known)
        top = np.argsort(-scores)[:k]
        return [(self.ids[i], float(scores[i])) for i in top if scores[i] > 0]


@dataclass
class Retriever:
    passages: dict[str, Passage]
    bm25: BM25Index
    embed_query: QueryEmbedder
    dense_search: DenseSearch
    settings: RetrievalSettings
    terms: dict[str, "rerank.PassageTerms"]
    speller: Speller
    acronym_map: AcronymMap
    vectors: VectorCache  # the question's vector, shared by one ask's retrieval and composition
    unit_vecs: dict[str, np.ndarray]  # passage id → its units' vectors (one row per unit, float32)
    # a table row's title term → the tables (section paths) with a row so titled; built at first need
    _row_tables: dict[str, set[tuple[str, ...]]] | None = None
    adapter: query_adapter.QueryAdapter | None = None  # a third, learned dense ranking (tutor/query_adapter.py)
    # the passages' stored vectors, read from the index at the first adapted search: the mapped question is scored
    # against them in memory rather than by a second query to Chroma
    stored_vectors: Callable[[], tuple[list[str], np.ndarray]] | None = None
    _matrix: tuple[list[str], np.ndarray] | None = None
    # which of the matrix's rows the adapter was fitted against, and for which adapter (it can be swapped)
    _covered: tuple[object, np.ndarray] | None = None

    def closest_unit(self, pid: str, qv: np.ndarray, fallback: float) -> float:
        """Cosine of the passage's closest sentence or item to the question; `fallback` (the passage's own
        cosine) when its sentences have no vectors (a corpus too large to embed them all up front)."""
        m = self.unit_vecs.get(pid)
        return float((m @ qv).max()) if m is not None and len(m) else fallback

    @property
    def units_embedded(self) -> bool:
        return len(self.unit_vecs) == len(self.passages)

    def units_matrix(self, units: list[Unit]) -> np.ndarray:
        """The vectors of these units, one row each. `units`: all the units of some passages, each passage's in
        units_of order (as the composer lists them), so that a passage's k-th unit is its k-th row."""
        seen: dict[str, int] = {}
        rows = []
        for u in units:
            k = seen[u.passage.id] = seen.get(u.passage.id, -1) + 1
            rows.append(self.unit_vecs[u.passage.id][k])
        if any(len(self.unit_vecs[pid]) != k + 1 for pid, k in seen.items()):
            raise ValueError("units_matrix needs all of each passage's units, in units_of order")
        return np.stack(rows)

    @classmethod
    def build(cls, passages: list[Passage], embed_query, dense_search, settings,
              unit_files: UnitFiles | None = None, embed_texts=None, embed_questions=None,
              stored_vectors=None) -> "Retriever":
        # Tokenise each passage once: BM25 and the reranker share the term lists.
        acrs = [acronyms(f"{p.title} {p.section_path}") for p in passages]
        docs = [passage_terms(p, a) for p, a in zip(passages, acrs)]
        terms = {p.id: rerank.passage_terms_of(p, d, a) for p, d, a in zip(passages, docs, acrs)}
        texts = [p.embed_text for p in passages]
        return cls({p.id: p for p in passages}, BM25Index(passages, docs), embed_query, dense_search, settings, terms,
                   Speller(texts), AcronymMap(texts), VectorCache(embed_query, embed_many=embed_questions),
                   unit_vectors(passages, unit_files, embed_texts), adapter=query_adapter.load(),
                   stored_vectors=stored_vectors)

    def adapted_search(self, qv: np.ndarray, k: int) -> list[tuple[str, float]]:
        """(passage id, cosine to the mapped question), best first. A passage the adapter was not fitted against
        (notes added or edited since) gets the cosine to the question's own vector: the map was learned for the
        passages it saw."""
        qa = self.adapter.apply(qv)
        if self.stored_vectors is None:  # no vectors to score in memory: one ranking or the other, by Chroma
            return self.dense_search((qa if self._covered_rows(list(self.passages)).all() else qv).tolist(), k)
        if self._matrix is None:
            self._matrix = self.stored_vectors()
        ids, m = self._matrix
        covered = self._covered_rows(ids)
        sims = m @ qa if covered.all() else np.where(covered, m @ qa, m @ qv)
        top = np.argsort(-sims, kind="stable")[:k]
        return [(ids[i], float(sims[i])) for i in top]

    def _covered_rows(self, ids: list[str]) -> np.ndarray:
        """Which of `ids` the adapter was fitted against: worked out once per adapter (it can be swapped), not per ask."""
        if self._covered is None or self._covered[0] is not self.adapter or len(self._covered[1]) != len(ids):
            self._covered = (self.adapter, np.array([i in self.passages and self.adapter.covers(
                self.passages[i].content_hash) for i in ids], dtype=bool))
        return self._covered[1]

    def candidates(self, query: str, weights: dict[str, float] | None = None) -> list[tuple[ScoredPassage, dict]]:
        """Fused candidates with their rerank features, in fused order. `weights`: query term →
        weight (default: the query's own terms, weight 1)."""
        s = self.settings
        qv = self.vectors.question(query)
        dense = [(pid, sc) for pid, sc in self.dense_search(qv.tolist(), s.candidates) if pid in self.passages]
        qw = weights if weights is not None else dict.fromkeys(content_terms(query), 1.0)
        lexical = self.bm25.search([t for t, w in qw.items() for _ in range(round(w))], s.candidates)
        rankings, weights_ = [[pid for pid, _ in dense], [pid for pid, _ in lexical]], [s.dense_weight, s.lexical_weight]
        if self.adapter is not None and self.adapter.fits(qv):
            adapted = [(pid, sc) for pid, sc in self.adapted_search(qv, s.candidates) if pid in self.passages]
        else:
            # without an adapter, the identity map: the reranker weighs the adapted cosine heavily and MiniLM's own
            # less, so a missing list would leave it ranking on what is left (test hit@1 0.74 instead of 0.85)
            adapted = dense
        rankings.append([pid for pid, _ in adapted])
        weights_.append(s.dense_weight)
        fused = rrf_fuse(rankings, weights_, s.rrf_k)
        d_rank = {pid: i for i, (pid, _) in enumerate(dense)}
        l_rank = {pid: i for i, (pid, _) in enumerate(lexical)}
        a_rank = {pid: i for i, (pid, _) in enumerate(adapted)}
        dmap, lmap, amap = dict(dense), dict(lexical), dict(adapted)
        max_lex = max(lmap.values(), default=0.0)
        out = []
        for f_rank, pid in enumerate(sorted(fused, key=lambda p: -fused[p])[: s.candidates]):
            feats = rerank.features(qw, self.bm25.idf, self.terms[pid], dmap.get(pid), d_rank.get(pid),
                                    lmap.get(pid), l_rank.get(pid), max_lex, f_rank,
                                    self.closest_unit(pid, qv, dmap.get(pid) or 0.0), amap.get(pid), a_rank.get(pid))
            out.append((ScoredPassage(self.passages[pid], fused[pid], dmap.get(pid), lmap.get(pid)), feats))
        return out

    def embed_ahead(self, asks: list[tuple[str, list[str], list[str]]]) -> None:
        """Embed in one model call what several retrievals will: each (question, history, also_embed). Two questions
        asked in one message are answered one after the other; their texts are embedded together."""
        self.vectors.prefetch([t for q, h, also in asks for t in self._plan(q, h, also)[-1]])

    def _plan(self, question: str, history: list[str] | None, also_embed: list[str] | None):
        """(question and history as read, the query, the query with acronyms spelled out, its term weights, whether it
        is a follow-up, whether it asks about the one thing the previous question picked, the texts it embeds: both
        forms of the query, each side of a comparison, `also_embed`, the previous question when it is ranked again)."""
        question = self.acronym_map.spell_numbered(self.speller.fix(without_asides(question)))
        history = [self.acronym_map.spell_numbered(self.speller.fix(without_asides(h))) for h in history or []]
        query = shape_query(question, history)
        # Ranking reads an acronym as itself (the passages carry theirs); the answer is composed and
        # its support judged with the spelled-out words, which is what the notes' sentences say.
        followup = is_followup(question, history)
        weights = query_weights(question, history)
        if followup and _SWITCH.search(question) and not _POINTS_BACK.search(question):
            dropped = self._switched_subject(question, history[-1])
            if dropped:
                weights = {t: w for t, w in weights.items() if t not in dropped}
                query = f"{question} {_without(history[-1], dropped)}"
        chain = leaned_on(question, history)
        # "does it persist data?" after "what is Redis?" and "what about memcached?": "it" is Memcached ("which one is
        # faster?" still picks between the two)
        gone = self._switched_in_chain(chain) - set(content_terms(question)) if SUBJECT_PRONOUN.search(question) else set()
        if gone:
            weights = {t: w for t, w in weights.items() if t not in gone}
            query = " ".join([question, *(_without(q, gone) for q in chain)])
        # every text this ask embeds, in one model call: the query as ranked and as its support is judged (acronyms
        # spelled out), each side of a comparison, and what the answer weighs sentences by
        spelled = self.acronym_map.expand(query)
        texts = [query, spelled, *(self._sides(question) if not followup else ()), *(also_embed or ())]
        picked = followup and self._answered_row_asked(question, history)
        if picked:  # the previous question is ranked again
            texts.append(shape_query(history[-1], history[:-1]))
        return question, history, query, spelled, weights, followup, picked, texts

    def retrieve(self, question: str, history: list[str] | None = None, k: int | None = None,
                 also_embed: list[str] | None = None) -> Retrieval:
        """`also_embed`: texts the answer will embed after retrieval (the learner's own words), embedded in the same
        batch as the query."""
        question, history, query, spelled, weights, followup, picked, texts = self._plan(question, history, also_embed)
        self.vectors.prefetch(texts)
        k = k or self.settings.top_k
        results = self.ranked(query, weights)
        ranked_ids = [r.passage.id for r in results]
        if not followup:
            results = self._both_sides(question, results)
        if followup and SUBJECT_PRONOUN.search(question) and len(content_terms(question)) > 2:
            # (with two words or fewer, "how is it priced?", a best passage without the subject is a sign the
            # notes do not cover it: the composer refuses, see answer.lost_subject)
            results = self._keep_subject(results, history[-1])
        if picked:
            # "can it use more than one core?" after "which elasticache engine is the pure caching one?": "it" is what
            # answered that question (the Memcached row), not what its words name (ElastiCache)
            row = self._row_answering(history)
            if row is not None:
                results = _first_within(results, lambda r: r.passage.id == row.id, ANSWERED_ROW_WITHIN)
        if followup and asks_another(question):
            # "any other memory optimized family besides that one?": not the row the last question was answered
            # from. Only a table row is one thing; in a list ("besides EC2 instances what else can it map to?")
            # the other one is another item of the same passage.
            prev = self._previous_ranking(history)
            row = self._row_named(prev[:3], history[-1])
            if row is not None and self._excludes_part_of(question, row):
                row = None  # "besides genomics, what else do people run on it?": more of the same row (F1's uses)
            if row is not None:
                results = [r for r in results if r.passage.id != row.id] + [r for r in results if r.passage.id == row.id]
                results = _sibling_first(results, row)
                named = row is prev[0].passage and set(content_terms(row.title)) & set(
                    content_terms(self.acronym_map.expand(history[-1])))
                if named and not same_table(results[0].passage, row):
                    # "what other terms are there?" after "what's RTMP?": the other rows of the table the previous
                    # question named a row of, even when the query's words ("terms") ranked another table first (IAM's
                    # Critical Terms)
                    results = self._sibling_pulled_in(results, row)
        if SELECTS.search(question):
            results = _fitting_first(results, question)
        if [r.passage.id for r in results] != ranked_ids:
            # the scores follow the new order (the composer weighs each passage's units by its score)
            for r, score in zip(results, sorted((r.score for r in results), reverse=True)):
                r.score = score
        results = results[:k]
        return Retrieval(spelled, results, self.support(self.acronym_map.expand(question), spelled, results))

    @staticmethod
    def _answered_row_asked(question: str, history: list[str]) -> bool:
        """A follow-up that points at the one thing the previous question picked ("which engine …?" → "does that one
        …?", "can it …?"), rather than asking for another."""
        return bool(history and _PICKS_ONE.search(history[-1]) and _THAT_ONE.search(question)
                    and not asks_another(question))

    def _row_answering(self, history: list[str]) -> Passage | None:
        """The table row the previous question's own retrieval ranks first or second (its answer is composed from it:
        "which engine is the plain cache?" ranks ElastiCache's definition first and the Memcached row second)."""
        prev = self._previous_ranking(history)
        return next((r.passage for r in prev[:2] if r.passage.kind == "table_row"), None)

    def _previous_ranking(self, history: list[str]) -> list[ScoredPassage]:
        """The previous question ranked as it was asked (with the history before it)."""
        return self.ranked(shape_query(history[-1], history[:-1]), query_weights(history[-1], history[:-1]))

    def _excludes_part_of(self, question: str, row: Passage) -> bool:
        """What "besides …" sets aside is something the row says, not the row itself ("besides genomics" of F1, whose
        use cases name genomics; not "besides that one", nor "besides I3", a row's own name)."""
        m = _BESIDES.search(question)
        said = set(content_terms(m.group(1))) if m else set()
        pt = self.terms[row.id]
        return bool(said) and said <= pt.all and not said & pt.title

    def stands_alone(self, question: str) -> bool:
        """A short question with words of its own, none of which the notes use, and no word pointing back ("how do i
        bake bread" after a question on RIs): not a follow-up, whatever its length; the conversation does not make
        the notes cover it."""
        own = content_terms(self.speller.fix(question))
        if not own or _FOLLOWUP.search(question):
            return False
        return not any(t in self.bm25.vocab for t in own) or self._asks_what_a_head_is(question, own)

    def _asks_what_a_head_is(self, question: str, own: list[str]) -> bool:
        """"What is S3?" after "What is a Spot instance?": short, yet it names its subject, a heading or row of the
        notes (S3, Glacier, Snapshots); it asks about that, not about Spot."""
        if not _WHAT_IS.match(question) or len(own) > 2:
            return False
        asked = set(own)
        return any(asked <= pt.title for pt in self.terms.values())

    @staticmethod
    def _sides(question: str) -> tuple[str, ...]:
        """The two sides of a comparison, each of which is asked alone as well (empty when none is written)."""
        from .answer import compared_phrases

        sides = compared_phrases(question)
        return sides if sides and all(content_terms(s) for s in sides) else ()

    def _both_sides(self, question: str, results: list[ScoredPassage]) -> list[ScoredPassage]:
        """"lambda vs api gateway - what's the actual difference?": each side is asked alone too, and its best passage
        goes within the first few if the whole question did not bring it there."""
        for side in self._sides(question):
            terms = set(content_terms(side))
            top = self.ranked(side, dict.fromkeys(terms, 1.0))
            if not top or any(r.passage.id == top[0].passage.id for r in results[:SIDES_WITHIN]):
                continue
            if not terms <= self.terms[top[0].passage.id].all:
                continue  # a side the notes do not name ("mutex vs semaphore"): its closest passage is no side
            mine = next((r for r in results if r.passage.id == top[0].passage.id), top[0])
            results = [r for r in results if r is not mine]
            results.insert(min(SIDES_WITHIN - 1, len(results)), mine)
        return results

    def _switched_in_chain(self, chain: list[str]) -> set[str]:
        """The subjects an earlier question of a follow-up chain (newest first) switched away from, and that no
        newer question of the chain names again."""
        gone: set[str] = set()
        for i, (newer, older) in enumerate(zip(chain, chain[1:])):
            if _SWITCH.search(newer) and not _POINTS_BACK.search(newer):
                named_since = set().union(*(content_terms(q) for q in chain[:i + 1]))
                gone |= self._switched_subject(newer, older) - named_since
        return gone

    def _switched_subject(self, question: str, previous: str) -> set[str]:
        """"and when redis?" after "when should I pick memcached?": the follow-up keeps the previous question's aspect
        ("when … pick") but changes its subject to a sibling row of the same table (or a sibling bullet that names an
        entry: "and the value part?" after an object's key), so the previous subject's name is no longer a query word
        (else the passage naming both, "engines: Memcached, Redis", "key value store", wins). Returns its terms."""
        if self._row_tables is None:
            tables: dict[str, set[tuple[str, ...]]] = {}
            for p in self.passages.values():
                if p.kind == "table_row":
                    for t in content_terms(p.title):
                        tables.setdefault(t, set()).add(p.section[:-1])
                else:  # a bullet that names an entry and explains it: "Key (name of the object)", "Value (the data …)"
                    m = _NAMED_BULLET.match(p.title or "")
                    for t in content_terms(m.group(1)) if m else []:
                        tables.setdefault(t, set()).add((*p.section, "•"))
            self._row_tables = tables
        own = set(content_terms(question))
        named = set().union(*(self._row_tables.get(t, set()) for t in own))
        if not named:
            return set()
        return {t for t in content_terms(previous) if t not in own and self._row_tables.get(t, set()) & named}

    def _sibling_pulled_in(self, results: list[ScoredPassage], row: Passage) -> list[ScoredPassage]:
        """The best-ranked other row of `row`'s table first (the first of them in the notes if none was ranked)."""
        ranked = next((r for r in results if same_table(r.passage, row)), None)
        if ranked is None:
            first = min((p for p in self.passages.values() if same_table(p, row)), key=lambda p: p.start, default=None)
            if first is None:
                return results
            ranked = ScoredPassage(first, results[0].score if results else 0.0, None, None)
        return [ranked] + [r for r in results if r is not ranked]

    def _row_named(self, prev: list[ScoredPassage], question: str) -> Passage | None:
        """The table row the previous question was about: the first of its best passages that is a row whose key
        the question names ("what does Redis give me?" → the Redis row), else its best passage if that is a row."""
        asked = set(content_terms(self.acronym_map.expand(question)))
        for r in prev:
            if r.passage.kind == "table_row" and asked & set(content_terms(r.passage.title)):
                return r.passage
        return prev[0].passage if prev and prev[0].passage.kind == "table_row" else None

    def _keep_subject(self, results: list[ScoredPassage], previous: str, within: int = 5) -> list[ScoredPassage]:
        """"can I use it to send traffic to my load balancer?" after "what is Route 53?": "it" is Route 53, and the
        load balancer only the object. If the best passage lacks the previous question's most specific term, the
        best one within `within` that has it goes first."""
        before = [t for t in content_terms(self.acronym_map.expand(previous)) if t in self.bm25.vocab]
        if not before or not results:
            return results
        key = max(before, key=self.bm25.idf)
        return _first_within(results, lambda r: key in self.terms[r.passage.id].all, within)

    def ranked(self, query: str, weights: dict[str, float] | None = None) -> list[ScoredPassage]:
        cands = self.candidates(query, weights)
        for sp, feats in cands:
            sp.score = rerank.score(feats)
        return [sp for sp, _ in sorted(cands, key=lambda c: -c[0].score)]

    def coverage(self, text: str) -> float:
        """IDF-weighted share of the question's content words that the notes contain at all. A word
        the notes lack weighs by how rare it is in English: a missing 'timeout' says more about
        coverage than a missing 'nutshell' or 'basically' (wordfreq's Zipf scale, 0 to about 7)."""
        max_idf = math.log(1 + (self.bm25.n_docs + 0.5) / 0.5)
        total = have = 0.0
        for w in dict.fromkeys(w for w in words(text) if w not in STOPWORDS):
            t = stem(w)
            if t in self.bm25.vocab:
                total, have = total + self.bm25.idf(t), have + self.bm25.idf(t)
            else:
                total += max_idf * min(1.0, max(0.1, (6.5 - english_zipf(w)) / 6))
        return have / total if total else 0.0

    def support(self, question: str, query: str, results: list[ScoredPassage]) -> float:
        """Support features folded into one score by the calibrated model (see calibration.py)."""
        from .calibration import support_score

        return support_score(support_features(self, question, query, results))


def _fitting_first(results: list[ScoredPassage], question: str, within: int = 5) -> list[ScoredPassage]:
    """"which one can be the boot disk?": among the first few, a passage that says the question's words only with a
    "not" ("Cannot be a boot volume") goes after those that do not; it names a thing that does not fit. A question
    asking for the "not" ("which can't be …?") wants those."""
    asked = plain_terms(question)
    unfit = [bool(asked & only_negated_terms(r.passage.text)) for r in results[:within]]
    if not any(unfit) or all(unfit):
        return results
    head = results[:within]
    return [r for r, u in zip(head, unfit) if not u] + [r for r, u in zip(head, unfit) if u] + results[within:]


def _first_within(results: list[ScoredPassage], wanted, within: int) -> list[ScoredPassage]:
    """The best of the first `within` results that is `wanted` goes first (the order is kept otherwise)."""
    hit = next((r for r in results[:within] if wanted(r)), None)
    return results if hit is None else [hit] + [r for r in results if r is not hit]


def same_table(p: Passage, row: Passage) -> bool:
    """Another row of the table `row` is in."""
    return p.kind == "table_row" and p.id != row.id and p.file == row.file and p.section[:-1] == row.section[:-1]


def _sibling_first(results: list[ScoredPassage], row: Passage, within: int = 5) -> list[ScoredPassage]:
    """"and when would I pick the other engine instead?" after a question answered by the Redis row: the other
    one is another row of the same table (Memcached), so the best such row within `within` goes first."""
    table = row.section[:-1]
    return _first_within(results, lambda r: r.passage.kind == "table_row" and r.passage.section[:-1] == table, within)


_NUMBER_WITH_UNIT = re.compile(r"^\d+[a-z]{0,3}$")  # '230ms', '504s': a number, not a name


def _unknown_name(retriever: Retriever, query: str) -> float:
    """1 when the question uses a name the notes never do: a word that is not English either
    ('cloudtrail', 'gp3', 'sqs', 'kinesis'; Zipf < 2). Misspellings were already mapped to the
    notes' words by the speller; numbers and addresses are not names."""
    for w in dict.fromkeys(words(query)):
        if w in STOPWORDS or _NUMBER_WITH_UNIT.match(w) or "." in w or stem(w) in retriever.bm25.vocab:
            continue
        if retriever.speller.part_of_notes_word(w) or (w.endswith("s") and retriever.speller.part_of_notes_word(w[:-1], 4)):
            continue  # "postgres" (PostgreSQL), "puttygen" (PuTTY), "funcs" (functions): a short form of a notes word
        if english_zipf(w) < 2.0:
            return 1.0
    return 0.0


def _best_unit(retriever: Retriever, qterms: set[str], results: list[ScoredPassage]) -> float:
    """The most of the question that one sentence, item or cell holds: a covered question is
    usually answered in one place; a near miss borrows its words from several."""
    idf, vocab = retriever.bm25.idf, retriever.bm25.vocab
    total = sum(idf(t) if t in vocab else 8.0 for t in qterms)
    if not total:
        return 0.0
    # a unit reads under its passage's title ('Spot: ...'), so the title's terms count for each unit
    units = (u | pt.title for pt in (retriever.terms[r.passage.id] for r in results) for u in pt.units)
    return max((sum(idf(t) for t in qterms & u) / total for u in units), default=0.0)


def support_features(retriever: Retriever, question: str, query: str, results: list[ScoredPassage]) -> dict:
    qv = retriever.vectors.question(query)
    top_dense = max((r.dense for r in results[:5] if r.dense is not None), default=0.0)
    qterms = set(content_terms(query))
    own = set(content_terms(question))
    best_overlap = 0.0
    for r in results[:3]:
        # the passage's BM25 terms, so 'ALB' counts for 'Application Load Balancer'
        pterms = retriever.terms[r.passage.id].all
        if qterms:
            w = sum(retriever.bm25.idf(t) for t in qterms & pterms)
            tot = sum(retriever.bm25.idf(t) if t in retriever.bm25.vocab else 8.0 for t in qterms)
            best_overlap = max(best_overlap, w / tot if tot else 0.0)
    return {
        "dense": top_dense,
        "coverage": retriever.coverage(query),
        "overlap": best_overlap,
        "best_unit": _best_unit(retriever, qterms, results[:3]),
        "n_terms": min(len(qterms), 8) / 8,
        "unknown_name": _unknown_name(retriever, query),
        # how close in meaning the closest sentence or item of the top passages comes to the question
        "unit_close": max((retriever.closest_unit(r.passage.id, qv, r.dense or 0.0) for r in results[:3]),
                          default=0.0),
        # A long question (a scenario told around what is asked) and a follow-up (whose query carries the earlier
        # question's words) cover less of their words with one passage than a short one does: the fit can lower
        # the bar for them instead of refusing them
        "long": min(len(own), 15) / 15,
        "follow": 1.0 if qterms - own else 0.0,
        "has_words": 1.0 if words(question) else 0.0,
    }
