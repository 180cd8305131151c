"""Plain records that flow between the stages: notes → passages → retrieval → answer/quiz/grade."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, asdict
from typing import Literal

from .text import content_terms

PassageKind = Literal["paragraph", "bullet", "table_row", "heading"]
Verdict = Literal["correct", "partial", "incorrect"]


@dataclass(frozen=True)
class Passage:
    """The smallest unit that reads on its own and that a citation can point to."""

    file: str  # path relative to the corpus folder, e.g. "aws-notes.md"
    start: int  # 1-based first line in the original file
    end: int  # 1-based last line (inclusive)
    section: tuple[str, ...]  # heading/caption path, e.g. ("EC2", "EC2 Option", "Spot")
    kind: PassageKind
    text: str  # readable text shown to the learner and quoted in answers
    # Structure kept for the composer and quiz: table row cells keyed by header, bullet children.
    fields: tuple[tuple[str, str], ...] = ()
    title: str = ""  # the row key ("Spot") or the bullet head ("What is EBS?")
    items: tuple[str, ...] = ()  # list items (bullet children, list items inside a cell)
    # a bullet's items' nesting under its head: 1 for a child, 2 for a grandchild… (empty: all children, or unknown)
    item_depth: tuple[int, ...] = ()

    @property
    def section_path(self) -> str:
        return " › ".join(self.section)

    @property
    def name(self) -> str:
        return f"{self.file} › {self.section_path}" if self.section else self.file

    @property
    def embed_text(self) -> str:
        """Text for the embedder and BM25: section path gives context to terse rows."""
        return f"{self.section_path}\n{self.text}" if self.section else self.text

    @property
    def id(self) -> str:
        key = f"{self.file}\x00{self.section_path}\x00{self.start}\x00{self.text}"
        return hashlib.sha1(key.encode("utf-8")).hexdigest()[:16]

    @property
    def content_hash(self) -> str:
        return hashlib.sha1(self.embed_text.encode("utf-8")).hexdigest()

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "file": self.file,
            "lines": [self.start, self.end],
            "section": self.section_path,
            "kind": self.kind,
            "text": self.text,
        }


@dataclass
class ParsedFile:
    """Result of parsing one notes file: its passages plus any problems worth telling the learner."""

    file: str
    passages: list[Passage]
    warnings: list[str] = field(default_factory=list)


@dataclass
class ScoredPassage:
    passage: Passage
    score: float  # fused score (higher is better)
    dense: float | None = None  # cosine similarity, when the dense retriever saw it
    lexical: float | None = None  # BM25 score, when the lexical retriever saw it


@dataclass
class Retrieval:
    query: str  # the query actually searched (history folded in for follow-ups)
    results: list[ScoredPassage]
    support: float  # 0..1, how well the notes cover the question


@dataclass
class Citation:
    n: int
    passage: Passage

    def to_dict(self) -> dict:
        d = self.passage.to_dict()
        return {"n": self.n, "file": d["file"], "lines": d["lines"], "section": d["section"], "text": d["text"]}


@dataclass
class Answer:
    question: str
    answer: str  # text with [n] markers
    refused: bool
    confidence: float
    citations: list[Citation]
    passages: list[ScoredPassage]
    choice: list[str] | None = None
    rephrase: "Rephrase | None" = None  # set only when the optional LLM step ran (TUTOR_LLM)

    def to_dict(self) -> dict:
        out = {
            "answer": self.answer,
            "refused": self.refused,
            "confidence": round(self.confidence, 4),
            "citations": [c.to_dict() for c in self.citations],
            "passages": [
                {**Citation(i + 1, sp.passage).to_dict(), "score": round(sp.score, 6)}
                for i, sp in enumerate(self.passages)
            ],
        }
        if self.choice is not None:
            out["choice"] = self.choice
        if self.rephrase is not None:
            out["rephrase"] = self.rephrase.to_dict()
        return out


@dataclass
class Rephrase:
    """What the optional LLM step did to an answer: checked, not trusted (tutor/support_check.py)."""

    model: str  # "openai:MODEL" or "ollama:MODEL" (no URL: the learner sees this)
    used: bool  # the answer text is the LLM's rephrasing (only its supported sentences)
    dropped: list[tuple[str, str]] = field(default_factory=list)  # (sentence, why) for each sentence not shown
    note: str = ""  # one line for the learner; "" when the whole rephrasing passed the check

    @property
    def flagged(self) -> bool:
        return bool(self.note)

    def to_dict(self) -> dict:
        return {"model": self.model, "used": self.used, "flagged": self.flagged, "note": self.note,
                "dropped": [{"sentence": s, "reason": r} for s, r in self.dropped]}


@dataclass
class Grade:
    verdict: Verdict
    score: float  # 0..1
    matched: list[str]  # key points the answer got
    missing: list[str]  # key points it lacks
    contradictions: list[str]  # what it says against the notes
    feedback: str  # one readable paragraph built from the above
    citation: Citation | None = None

    def to_dict(self) -> dict:
        d = asdict(self)
        d["citation"] = self.citation.to_dict() if self.citation else None
        return d


@dataclass
class QuizItem:
    id: str
    topic: str  # section path of the source passage
    kind: Literal["free", "mcq"]
    question: str
    reference: str
    key_points: list[str]
    passage_id: str
    citation: Citation
    options: dict[str, str] | None = None  # for mcq: letter → text
    answer_letters: list[str] | None = None
    # Added for the quiz (issue 4): what kind of question, where it sits, what it is about.
    qtype: str = ""  # term | field | which | define | about | list | number | fill | acronym
    group: str = ""  # topic group for mastery: section path without the row key, first two levels
    subject: str = ""  # the row key, bullet head or term the question is about
    siblings: list[str] = field(default_factory=list)  # references of sibling rows (for the grader)
    sibling_names: list[str] = field(default_factory=list)  # keys of the sibling rows (for hints)
    # how many key points a right answer makes: 0 for all of them; fewer for a long list ("What does IAM give you?"
    # lists 13 things: any four of them answer it)
    need: int = 0

    @property
    def shown_topic(self) -> str:
        """The topic shown above the open question: without its last part when that part is the answer ("… › Critical
        Terms" for "which term is described as 'A collection of users …'?", not "… › Group")."""
        parts = self.topic.split(" › ")
        untold = set(content_terms(self.reference)) - set(content_terms(self.question))  # what the learner must say
        # a short answer is a name: the path's last part naming it gives it away (a long one merely shares a word)
        if len(parts) > 1 and len(self.reference.split()) <= 4 and set(content_terms(parts[-1])) & untold:
            return " › ".join(parts[:-1])
        return self.topic
