"""Tutor: the one object the CLI and the web UI call. It wires the stages; it holds no per-learner state."""
from __future__ import annotations

import re
import threading
from datetime import datetime
from collections import OrderedDict
from functools import cached_property
from pathlib import Path

from .config import Settings
from .errors import IndexUnavailable, QuestionError
from .index import IndexStore, IngestReport
from .retrieval import Retriever
from .types import Answer, Passage, Retrieval

MAX_QUESTION_CHARS = 2000  # longer input is cut: no learner question needs more, and it bounds the work


# Markup pasted with a question is no part of it ("<b>What</b> is an <img src=x> Elastic Load Balancer?" was refused,
# its tags quoted back as words); a script's or style's body goes with its tags.
_CODE_BLOCK = re.compile(r"<(script|style)\b[^>]*>.*?</\1\s*>", re.I | re.S)
_TAG = re.compile(r"</?[A-Za-z][^<>]{0,500}>")


def clean_question(question: str | None) -> str:
    q = re.sub(r"[ \t]{2,}", " ", _TAG.sub(" ", _CODE_BLOCK.sub(" ", question or ""))).strip()
    if not q:
        raise QuestionError("The question is empty: type a question about your notes.")
    return q[:MAX_QUESTION_CHARS]


class Tutor:
    def __init__(self, settings: Settings | None = None):
        self.settings = settings or Settings()
        self._lock = threading.RLock()  # ingest swaps the retriever; readers take a snapshot
        # One ingest at a time. It is not taken by asks: while an upload is embedded (a big file takes a minute), every
        # learner is answered from the retriever built before it; the new one is built on the first ask after.
        self._ingest_lock = threading.Lock()
        self._retriever: Retriever | None = None
        self._qcache: OrderedDict[str, list[float]] = OrderedDict()
        self._qlock = threading.Lock()
        self.last_ingest_at = None
        self.last_ingest: IngestReport | None = None

    # ------------------------------------------------------------ model and store
    @cached_property
    def embedding(self):
        from .embedding import load_llama_embedding

        return load_llama_embedding(self.settings.index.embed_batch_size)

    def embed_texts(self, texts: list[str]) -> list[list[float]]:
        return self.embedding.get_text_embedding_batch(texts)

    def embed_questions(self, texts: list[str]) -> list[list[float]]:
        """One ask's texts in one model call (the light encoder of `tutor ask` takes them one by one)."""
        light = getattr(self.embedding, "embed_questions", None)
        return light(texts) if light is not None else self.embedding.get_text_embedding_batch(texts)

    def embed_query(self, text: str) -> list[float]:
        with self._qlock:
            hit = self._qcache.get(text)
        if hit is None:
            hit = self.embedding.get_text_embedding(text)
            with self._qlock:  # the web API answers several asks at once
                self._qcache[text] = hit
                if len(self._qcache) > 512:
                    self._qcache.popitem(last=False)
        return hit

    @cached_property
    def store(self) -> IndexStore:
        return IndexStore(self.settings, self.embed_texts)

    # ------------------------------------------------------------ indexing
    def ingest(self, paths: list[str] | None = None) -> IngestReport:
        with self._ingest_lock:
            report = self.store.ingest(Path(self.settings.corpus), only=paths)
            with self._lock:
                self._retriever = None
                self.last_ingest = report
                self.last_ingest_at = datetime.now()
            return report

    def ensure_index(self) -> IngestReport:
        """Bring the index up to date with the corpus (no embedding when nothing changed)."""
        return self.ingest()

    @property
    def retriever(self) -> Retriever:
        with self._lock:
            if self._retriever is None:
                passages = self.store.passages()
                self._retriever = Retriever.build(
                    passages, self.embed_query, self.store.query, self.settings.retrieval,
                    self.store.unit_files, self.embed_texts, self.embed_questions, self.store.vectors,
                )
            return self._retriever

    def passages(self) -> list[Passage]:
        return list(self.retriever.passages.values())

    # ------------------------------------------------------------ answering
    def retrieve(self, question: str, history: list[str] | None = None, also_embed: list[str] | None = None) -> Retrieval:
        q = clean_question(question)
        r = self.retriever
        if not r.passages:
            raise IndexUnavailable("The index is empty: put notes in the corpus folder and run `tutor ingest`.")
        return r.retrieve(q, [h for h in (history or []) if h and h.strip()], also_embed=also_embed)

    def ask(self, question: str, history: list[str] | None = None, options: dict[str, str] | None = None) -> Answer:
        from .answer import compared_phrases, split_options
        from .parts import joined, question_parts

        q = clean_question(question)
        if options is None:  # a practice question pasted whole, options and all, as the CLI and the web UI take it
            q, options = split_options(q)
            q = q or clean_question(question)
        if options:
            from .choice_evidence import keep_vectors_in

            keep_vectors_in(self.settings.home)
        # a comparison ("X and Y are both caches right? what's the difference …") is one question about two things:
        # the composer draws on both sides
        parts = question_parts(q) if not options and self.retriever.passages and not compared_phrases(q) else None
        ans = None
        if parts:
            # "which engines does it give me, and what apps is it good for?": one passage rarely answers both parts, so
            # each is answered on its own, the second as a follow-up of the first; kept when both are answered
            asks = [self._asked(parts[0], history, None), self._asked(parts[1], [*(history or []), parts[0]], None)]
            self.retriever.embed_ahead([(a, h, [own] if own else []) for a, h, own in asks])
            first, second = (self._answer(a, h, own) for a, h, own in asks)
            if not (first.refused or second.refused):
                ans = joined(q, first, second)
        if ans is None:
            ans = self._answer(*self._asked(q, history, options), options)
        if self.settings.llm:  # optional rephrasing, checked against the cited passages (tutor/llm.py)
            from .llm import rephrase

            ans = rephrase(ans, self.settings)
        return ans

    def _asked(self, q: str, history: list[str] | None, options: dict[str, str] | None) -> tuple[str, list[str], str | None]:
        """(the question, the history it stands on, the learner's own words the answer weighs sentences by)."""
        from .answer import own_words

        if history and self.retriever.passages and self.retriever.stands_alone(q):
            history = []  # "how do i bake bread" is no follow-up on the RIs asked before
        own = None if options or not self.retriever.passages else own_words(q, self.retriever)
        return q, history or [], own

    def _answer(self, q: str, history: list[str], own: str | None, options: dict[str, str] | None = None) -> Answer:
        from .answer import compose

        retrieval = self.retrieve(q, history, also_embed=[own] if own else None)
        return compose(q, retrieval, self.retriever, self.settings.answer, history, options, own)

    # ------------------------------------------------------------ grading
    @cached_property
    def grader(self):
        from .grading import Grader

        grader = Grader.load()
        grader.expand_acronyms = lambda text: self.retriever.acronym_map.expand(text)  # the notes' current acronyms
        return grader

    def find_reference(self, question: str) -> tuple[str, "Citation | None"]:
        """The notes' own answer to a question: the sentence(s) of the composed answer that answer it, cited to their
        passage (tutor/grading_short.py); the whole composed answer when no part of it stands out."""
        text, _, citation = self._answering(question)
        return text, citation

    def _answering(self, question: str):
        from .grading_short import answering_part
        from .types import Citation

        ans = self.ask(question)
        if ans.refused or not ans.citations:
            return "", None, None
        composed = re.sub(r"\s*\[\d+\]", "", ans.answer)
        part = answering_part(question, ans.answer)
        cited = {c.n: c.passage for c in ans.citations}
        if part is None or part.n not in cited:
            return composed, None, Citation(1, ans.citations[0].passage)
        return part.text, part, Citation(1, cited[part.n])

    def grade(self, question: str, answer: str, reference: str | None = None, key_points: list[str] | None = None):
        """Grade a learner's free text; without a reference, the notes supply one."""
        question = clean_question(question)
        citation, siblings, need = None, None, 0
        if not (reference or "").strip():
            from .grading_context import bank_item_asking

            item = bank_item_asking(question, self.bank_index)
            if item is not None:  # the quiz's own question: its own reference, key points and rows around it
                return self.grader.grade(question, item.reference, answer or "",
                                         key_points=item.key_points if key_points is None else key_points,
                                         siblings=list(item.siblings) or None, citation=item.citation,
                                         need=item.need if key_points is None else 0)
            reference, part, citation = self._answering(question)
            composed = part.composed if part is not None else reference
            if not reference:
                raise QuestionError("Your notes don't cover this question, so there is no reference to grade against; paste one.")
            from .grading_context import quantity_stated
            from .grading_features import number_words_as_digits

            answer = number_words_as_digits(answer or "", composed)  # "five" read replicas is the notes' 5
            # the whole answer: its row key names what the number counts ("Read Replica: … up to 5 copies")
            stated = quantity_stated(question, composed, answer)
            if stated:  # "5" for "how many read replicas?": the number the notes give for it, and nothing else
                from .grading_feedback import GRADE_CORRECT, GRADE_MATCHED
                from .types import Grade

                return Grade("correct", 1.0, [stated], [], [],
                             f"{GRADE_CORRECT} {GRADE_MATCHED.format(items=stated)}", citation)
            if part is not None:  # "No" to "Can ST1 be a boot volume?"; "asynchronous" for "what replication …?"
                from .grading_short import grade_slot, grade_yes_no

                short = grade_yes_no(self.grader, question, part, answer, citation) or \
                    grade_slot(question, part, answer, citation)
                if short is not None:
                    return short
        elif key_points is None:
            # a reference from the notes (a bank item, a table cell) is graded as the quiz grades it: with the rows
            # around it, so that a sibling row's answer is told apart
            from .grading_context import context_for

            ctx = context_for(question, reference, self.bank_index, list(self.retriever.passages.values()))
            key_points, siblings, citation, need = ctx.key_points, ctx.siblings or None, ctx.citation, ctx.need
        return self.grader.grade(question, reference, answer or "", key_points=key_points, siblings=siblings,
                                 citation=citation, need=need)

    # ------------------------------------------------------------ quiz and progress
    @property
    def bank(self):
        """The question bank generated from the indexed passages (rebuilt after an ingest)."""
        from .quiz import build_bank

        r = self.retriever
        if getattr(self, "_bank_for", None) is not r:
            self._bank, self._bank_for = build_bank(list(r.passages.values())), r
        return self._bank

    @property
    def bank_index(self):
        """The bank by (question, reference), for grades asked from outside (rebuilt with the bank)."""
        from .grading_context import index_bank

        bank = self.bank
        if getattr(self, "_index_of", None) is not bank:
            self._bank_index, self._index_of = index_bank(bank), bank
        return self._bank_index

    @cached_property
    def progress(self):
        from .progress import ProgressStore

        Path(self.settings.home).mkdir(parents=True, exist_ok=True)
        return ProgressStore(self.settings.progress_db)

    def start_quiz(self, learner: str, topics: list[str] | None = None, mode: str = "free", size: int = 10):
        from .session import QuizSession

        return QuizSession(self.bank, self.grader, self.progress, learner, topics=topics, mode=mode, size=size,
                           max_hints=self.settings.quiz.max_hints)
