"""A Socratic quiz session: ask → grade → hint (topic, then a guiding question, then a cloze) → reveal.

One `QuizSession` per learner session (the web UI keeps one per browser session); all its state lives
on the object. Hints never contain the answer's key terms (`quiz.answer_terms`): every hint goes
through `quiz.scrub` before it is shown, and the tests check that over the whole bank.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace

from .quiz import _row_fields, _short, answer_terms, cloze, scrub, terms
from .quiz_items import BLANK, on_topics
from .text import content_terms
from .types import Citation, Grade, QuizItem

# ---- What the tutor says -----------------------------------------------------------------------------------
CORRECT = "Correct."
# a multiple-choice session reaches a question with no choices (a fill-in, a list): said, not left to puzzle over
NO_CHOICES = "(No choices for this one: answer in your own words.)"
PARTIAL = "Partly right."
INCORRECT = "Not quite."
EMPTY_ANSWER = "You didn't write an answer."
BLANK_LINE = "Type your answer, or: hint, idk, why, skip, quit."
RIGHT = "Right: {items}."
MISSING = "Missing: {n} more point{s} from your notes."
CONTRADICTS = "This contradicts your notes: {items}."
CHOSE = 'you chose {letter} ("{option}")'
HINT_LINE = "Hint {n}/{total}: {text}"
HINT_TOPIC = 'This is in your notes under "{topic}". Think about {concept}.'
HINT_CONCEPT = "Think about {concept}."
NO_HINTS_LEFT = "No hints left, so here is the answer."
CONCEPTS = {
    "term": "what sets {subject} apart from the other entries there",
    "field": "what that table says about {subject}",
    "which": "the entries of that table and what sets each one apart",
    "define": "what {subject} is and what it is for",
    "about": "what {subject} is for and how it is used",
    "list": "the items listed there",
    "number": "the quantity that line gives",
    "fill": "the key term of that line",
    "acronym": "what each letter of {subject} stands for",
}
CONCEPT_DEFAULT = "what your notes say there"
# A subject that is itself a question ("What does IAM give you?") cannot go into "what {subject} is".
CONCEPT_QUESTION = 'how your notes answer "{subject}?"'
_QUESTION_SUBJECT = re.compile(r"^(?:what|which|how|why|when|where|who|does|do|is|are|can|should)\b", re.I)
HINT_OTHER_FIELD = 'Which one has the {label} "{value}"?'
HINT_ELIMINATE = "It is not {names}. Which of the others is it?"
HINT_ELIMINATE_MCQ = "It is not {letters}."
# By name only: a sibling's cell is the answer to that sibling's own question, and the bank asks them in table order
# (F1's hint quoting I3's "High Speed Storage" gave away the next question)
HINT_CONTRAST = "How does it differ from {names}, next to it in your notes? What does it do that they do not?"
HINT_CONTRAST_ONE = "How does it differ from {name}, next to it in your notes? What does it do that {name} does not?"
HINT_POINTS = 'Your notes make {n} point{s} here; the first one has {k} words and starts with "{start}". How does it go on?'
HINT_POINTS_SOME = ('Your notes list {n} points here, and any {need} of them answer it; one has {k} words and starts with '
                    '"{start}". How does it go on?')
HINT_LIST = "Your notes list {n} items; their first letters are {initials}. Can you name them?"
HINT_NUMBER = "Is it more or less than {pivot}?"
HINT_FILL = "The missing word{s}: {desc}. Which would fit?"
HINT_FILL_WORD = '"{initial}…" ({n} letters)'
HINT_ACRONYM = "It has {n} words, one for each letter of {acronym}. What could they be?"
HINT_CLOZE = "Fill the gaps: {cloze}"
HINT_REREAD = 'Read again what your notes say under "{topic}": which of the options still in play does it describe?'
REVEAL = "The answer from your notes: {reference}"
SOURCE = "Source: {file}:{start}-{end} ({section})"
WHY = "From your notes, {file} lines {start}-{end} ({section}):\n{text}"
SKIPPED = "Skipped: it stays among the questions you have not answered."
MOVED_ON = "Moved on: your answer counts as given, and the question comes back in a later session."
NO_QUESTION = "There is no open question: ask for the next one."
NOT_A_LETTER = "Type the letter of your choice ({letters})."
NOT_ENGLISH = "Your answer does not look like English, so it could not be matched against the notes."
CUT = "Only the start of your long answer was graded."

HINT_WORDS = {"hint", "h", "clue", "help", "a hint", "give me a hint"}
IDK_WORDS = {"idk", "i don't know", "i dont know", "i do not know", "don't know", "dont know", "dunno",
             "no idea", "reveal", "show", "show answer", "give up", "pass"}
WHY_WORDS = {"why", "why?", "source", "where"}
SKIP_WORDS = {"skip", "next", "s"}
MAX_ANSWER_CHARS = 20_000  # the grader reads the first 2,000 and says so; beyond this nothing is kept


@dataclass
class Turn:
    item: QuizItem | None
    grade: Grade | None = None
    hint: str | None = None
    revealed: bool = False
    message: str = ""
    citation: Citation | None = None
    finished_item: bool = False


# ---- Hints (pure: the tests run them over the whole bank) ------------------------------------------------
def _topic_levels(item: QuizItem) -> list[str]:
    p = item.citation.passage
    levels = list(p.section[:-1] if p.kind == "table_row" else p.section)
    return levels or [p.file]


def hint_topic(item: QuizItem) -> str:
    subject = item.subject.rstrip("?:. ")
    template = CONCEPT_QUESTION if _QUESTION_SUBJECT.match(subject) else CONCEPTS.get(item.qtype, CONCEPT_DEFAULT)
    concept = template.format(subject=subject)
    levels = _levels_not_naming(item)
    if not levels:  # every heading above it names the answer: blanked ("___ ___ Management (IAM)") it says nothing
        return HINT_CONCEPT.format(concept=concept)
    return HINT_TOPIC.format(topic=" › ".join(levels), concept=concept)


def _levels_not_naming(item: QuizItem) -> list[str]:
    """The item's topic levels, less any that names the answer."""
    banned = answer_terms(item)
    return [lv for lv in _topic_levels(item) if not terms(lv) & banned]


def _pivot(reference: str) -> str:
    nums = [float(x) for x in re.findall(r"\d+(?:\.\d+)?", reference.replace(",", ""))]
    if not nums:
        return "10"
    n = max(nums)
    cands = [m * 10 ** k for k in range(-6, 10) for m in (1, 5)]
    ok = [c for c in cands if not any(math.isclose(c, x) for x in nums)]
    best = min(ok, key=lambda c: abs(math.log10(c) - math.log10(n)) if n > 0 else c)
    return f"{best:g}"


def _mcq_ruled_out(item: QuizItem, ruled_out: frozenset[str], step: int) -> list[str]:
    """Wrong options a hint may rule out, beyond those the learner already chose (and was told were wrong): at most
    half of the rest at hint 2, one more at hint 3, never down to the answer alone."""
    wrong = [L for L in item.options if L not in item.answer_letters and L not in ruled_out]
    k = min(2, len(wrong) // 2) + (1 if step == 3 else 0)
    return wrong[:k] if len(wrong) - k >= 1 else []


def hint_guide(item: QuizItem, ruled_out: frozenset[str] = frozenset(), got: frozenset[str] = frozenset()) -> str:
    """A guiding question drawn from the source: a sibling to contrast, another cell, counts, initials. `got`: key
    points the learner has made already; the hint is about one still missing."""
    p = item.citation.passage
    kps = [k for k in item.key_points if k not in got] or item.key_points or [item.reference]
    if item.kind == "mcq" and item.options and item.answer_letters:
        out = _mcq_ruled_out(item, ruled_out, 2)
        # with the options on screen, anything else about the answer's own words picks it out
        return HINT_ELIMINATE_MCQ.format(letters=" or ".join(out)) if out else hint_reread(item)
    if item.qtype == "which":
        shown = item.question
        for label, value in _row_fields(p):
            if label and value.split(";")[0] not in shown and _short(value.split(";")[0]) not in shown:
                return HINT_OTHER_FIELD.format(label=label.lower(), value=value.split(";")[0].strip())
        k = min(4, len(item.sibling_names) // 2)  # the same: at least two entries stay in play
        if k >= 1:
            return HINT_ELIMINATE.format(names=_or(item.sibling_names[:k]))
    if item.qtype in ("term", "field") and item.sibling_names:
        banned = answer_terms(item)
        # a sibling whose name shares the answer's words would be shown blanked ("How does it differ from ___?")
        names = [n for n in item.sibling_names if not terms(n) & banned][:2]
        if len(names) == 2:
            return HINT_CONTRAST.format(names=" and ".join(names))
        if names:
            return HINT_CONTRAST_ONE.format(name=names[0])
    if item.qtype == "list":
        initials = ", ".join(next((c.upper() for c in k if c.isalnum()), "?") for k in kps)
        return HINT_LIST.format(n=len(kps), initials=initials)
    if item.qtype == "number":
        return HINT_NUMBER.format(pivot=_pivot(item.reference))
    if item.qtype == "fill":
        desc = ", ".join(HINT_FILL_WORD.format(initial=k[0], n=len(k)) for k in kps)
        return HINT_FILL.format(s="s" if len(kps) > 1 else "", desc=desc)
    if item.qtype == "acronym":
        return HINT_ACRONYM.format(n=len(item.reference.split()), acronym=item.subject)
    first = kps[0].split()
    banned = answer_terms(item)
    start = []
    for w in first:
        if terms(w) & banned:
            break
        start.append(w)
    start_text = " ".join(start[:4]) or first[0][0] + "…"
    if item.need:
        return HINT_POINTS_SOME.format(n=len(kps), need=item.need, k=len(first), start=start_text)
    return HINT_POINTS.format(n=len(kps), s="s" if len(kps) > 1 else "", k=len(first), start=start_text)


def _or(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def hint_reread(item: QuizItem) -> str:
    return HINT_REREAD.format(topic=" › ".join(_levels_not_naming(item)) or item.citation.passage.file)


def hint_cloze(item: QuizItem, ruled_out: frozenset[str] = frozenset()) -> str:
    banned = answer_terms(item)
    if item.kind == "mcq" and item.options and item.answer_letters:
        # a cloze of the answer with the options on screen picks it out by its shape ("S3 - ___", "On ___", its word
        # count): rule out one more wrong option instead, while two stay in play
        out = _mcq_ruled_out(item, ruled_out, 3)
        return HINT_ELIMINATE_MCQ.format(letters=" or ".join(out)) if out else hint_reread(item)
    text = "; ".join(item.key_points) if item.qtype in ("list", "fill") else item.reference
    return HINT_CLOZE.format(cloze=cloze(text, banned))


# The hints' own wording is never blanked ("what sets Group apart" stays readable when "set" is a key term).
_TEMPLATE_TERMS = frozenset(t for text in [HINT_TOPIC, HINT_CONCEPT, *CONCEPTS.values(), CONCEPT_DEFAULT, CONCEPT_QUESTION, HINT_OTHER_FIELD,
                                           HINT_ELIMINATE, HINT_CONTRAST, HINT_CONTRAST_ONE, HINT_POINTS, HINT_POINTS_SOME, HINT_LIST, HINT_NUMBER, HINT_FILL,
                                           HINT_ACRONYM, HINT_CLOZE, HINT_REREAD]
                            for t in terms(re.sub(r"\{\w+\}", " ", text)))


def hints_for(item: QuizItem, ruled_out: frozenset[str] = frozenset(), got: frozenset[str] = frozenset()) -> list[str]:
    """The three hints in order, each scrubbed of the answer's key terms (not of the hints' own wording).
    `ruled_out`: options the learner already chose wrongly (a hint does not rule them out again); `got`: key points
    the learner has made: the hints are about the others, and what was said is no longer blanked."""
    said = terms(" ".join(got)) - terms(" ".join(k for k in item.key_points if k not in got))
    banned = answer_terms(item) - _TEMPLATE_TERMS - said
    return [scrub(h, banned) for h in (hint_topic(item), hint_guide(item, ruled_out, got), hint_cloze(item, ruled_out))]


# ---- The session -----------------------------------------------------------------------------------------------
class QuizSession:
    def __init__(self, bank: list[QuizItem], grader, store, learner: str, topics: list[str] | None = None,
                 mode: str = "free", size: int = 10, max_hints: int = 3):
        self.grader, self.store, self.learner = grader, store, learner
        self.mode = "mcq" if mode == "mcq" else "free"
        self.size, self.max_hints = max(1, int(size)), max(0, min(int(max_hints), 3))
        wanted = [t.lower() for t in topics or [] if t and t.strip()]
        pool = on_topics(bank, wanted)
        self.pool = [it for it in pool if it.kind == self.mode] or [it for it in pool if it.kind == "free"]
        self.current: QuizItem | None = None
        self.hints_used = 0
        self._tries = 0  # answers given to the current question
        self.asked: list[QuizItem] = []
        self.done = not self.pool
        self._open = False
        self._last_grade: Grade | None = None
        self._got: set[str] = set()
        self.results: list[tuple[QuizItem, str]] = []  # (item, verdict | "helped" | "revealed" | "skipped")

    # -- flow
    def next_question(self) -> QuizItem | None:
        if self._open:
            return self.current
        if self.done or len(self.asked) >= self.size:
            self.done = True
            return None
        seen_ids = {it.id for it in self.asked}
        cands = [c for c in self.store.next_items(self.learner, self.pool, len(self.pool))
                 if c.id not in seen_ids]
        pick = _least_asked(cands, self.asked)
        if pick is None:
            self.done = True
            return None
        self.current, self.hints_used, self._open, self._last_grade = pick, 0, True, None
        self._got: set[str] = set()  # key points an attempt at this question made
        self._tries = 0  # answers given to it
        self._ruled_out: set[str] = set()
        self.asked.append(pick)
        return pick

    def handle(self, text: str) -> Turn:
        """One line from the learner: a command (hint, idk, why, skip) or an answer."""
        cmd = re.sub(r"\s+", " ", (text or "").strip().lower()).rstrip("?.!").replace("’", "'")
        if not (text or "").strip() and self._open:
            # an Enter pressed by mistake is no attempt: nothing graded, no hint spent
            return Turn(self.current, message=BLANK_LINE)
        if cmd in HINT_WORDS:
            return self.hint()
        if cmd in IDK_WORDS:
            return self.dont_know()
        if cmd in WHY_WORDS:
            return self.why()
        if cmd in SKIP_WORDS and not (self.mode == "mcq" and cmd.upper() in (self.current.options or {})):
            return self.skip()
        return self.answer(text)

    def answer(self, text: str) -> Turn:
        if not self._open:
            return Turn(self.current, message=NO_QUESTION)
        item = self.current
        text = (text or "")[:MAX_ANSWER_CHARS]
        self._tries += 1
        if self.mode == "mcq" and item.options:
            letters = _letters(text, item.options)
            if not letters:
                return Turn(item, message=NOT_A_LETTER.format(letters=", ".join(item.options)))
            grade = self._mcq_grade(item, letters)
            self._ruled_out |= {L for L in letters if L not in (item.answer_letters or [])}
        else:
            grade = self.grader.grade(item.question, item.reference, text, key_points=item.key_points,
                                      siblings=item.siblings or None, citation=item.citation, need=item.need)
            grade = self._with_points_got_before(grade)
        self._last_grade = grade
        if grade.verdict == "correct":
            return self._finish(grade, revealed=False)
        if self.hints_used >= self.max_hints:
            return self._finish(grade, revealed=True)
        hint = self._next_hint()
        msg = "\n".join([self._feedback(grade, text), HINT_LINE.format(n=self.hints_used, total=self.max_hints,
                                                                      text=hint)])
        return Turn(item, grade, hint, False, msg, None, False)

    def hint(self) -> Turn:
        if not self._open:
            return Turn(self.current, message=NO_QUESTION)
        if self.hints_used >= self.max_hints:  # said, not done silently: a fourth "hint" shows the answer
            t = self._finish(self._last_grade, revealed=True)
            return replace(t, message=f"{NO_HINTS_LEFT}\n{t.message}")
        hint = self._next_hint()
        return Turn(self.current, None, hint, False,
                    HINT_LINE.format(n=self.hints_used, total=self.max_hints, text=hint), None, False)

    def dont_know(self) -> Turn:
        if not self._open:
            return Turn(self.current, message=NO_QUESTION)
        return self._finish(self._last_grade, revealed=True)

    def why(self) -> Turn:
        """The cited passage. Asked before the item is settled, it reveals the answer (and counts so)."""
        if self.current is None:
            return Turn(None, message=NO_QUESTION)
        p = self.current.citation.passage
        why = WHY.format(file=p.file, start=p.start, end=p.end, section=p.section_path or p.file, text=p.text)
        if self._open:
            turn = self._finish(self._last_grade, revealed=True)
            turn.message = f"{turn.message}\n{why}"
            return turn
        return Turn(self.current, None, None, True, why, self.current.citation, False)

    def skip(self) -> Turn:
        """Move on. A question answered before (wrongly or partly) counts as answered so, not as skipped: the answer
        was given, and its topic should come back as weak."""
        if not self._open:
            return Turn(self.current, message=NO_QUESTION)
        grade = self._last_grade
        self.store.record_attempt(self.learner, self.current, grade, self.hints_used, False)
        self._close(grade.verdict if grade else "skipped")
        return Turn(self.current, grade, None, False, MOVED_ON if grade else SKIPPED, None, True)

    def tally(self) -> dict[str, int]:
        """The session's outcomes so far: right at the first try, right after a hint or another try, partly right,
        wrong or revealed, skipped."""
        outcomes = [o for _, o in self.results]
        return {"right": outcomes.count("correct"), "helped": outcomes.count("helped"), "partial": outcomes.count("partial"),
                "wrong": outcomes.count("incorrect") + outcomes.count("revealed"), "skipped": outcomes.count("skipped")}

    def without_choices(self, item: QuizItem | None) -> bool:
        """A multiple-choice session asking a question that has no options."""
        return self.mode == "mcq" and item is not None and not item.options

    @property
    def is_open(self) -> bool:
        """A question is asked and not settled yet (answered right, revealed or skipped)."""
        return bool(self._open)

    # -- internals
    def _with_points_got_before(self, grade: Grade) -> Grade:
        """A retry keeps the points an earlier attempt at this question made: "MySQL, Oracle, SQL Server, Aurora,
        PostgreSQL" then "MariaDB" has named all six engines; the learner need not write the list again."""
        kps = self.current.key_points
        got = [k for k in kps if k in self._got or k in grade.matched]
        self._got |= set(grade.matched)
        if not kps or grade.contradictions or grade.verdict == "correct" or not got:
            return grade
        missing = [k for k in kps if k not in got]
        enough = len(got) >= (self.current.need or len(kps))
        return replace(grade, verdict="correct" if enough else "partial", matched=got, missing=[] if enough else missing,
                       score=max(grade.score, len(got) / (self.current.need or len(kps))))

    def _next_hint(self) -> str:
        hints = hints_for(self.current, frozenset(getattr(self, "_ruled_out", ())), frozenset(getattr(self, "_got", ())))
        self.hints_used += 1
        return hints[min(self.hints_used, len(hints)) - 1]

    def _close(self, outcome: str) -> None:
        if outcome == "correct" and (self.hints_used or self._tries > 1):
            outcome = "helped"  # right in the end, not at the first try: the tally tells them apart
        self._open = False
        self.results.append((self.current, outcome))
        if len(self.asked) >= self.size:
            self.done = True

    def _finish(self, grade: Grade | None, revealed: bool) -> Turn:
        item = self.current
        self.store.record_attempt(self.learner, item, grade, self.hints_used, revealed)
        # a partly right answer stays partly right in the session's tally when the learner then asks for the answer
        self._close("revealed" if revealed and not (grade and grade.verdict in ("correct", "partial")) else
                    (grade.verdict if grade else "revealed"))
        parts = []
        if grade is not None:
            parts.append({"correct": CORRECT, "partial": PARTIAL, "incorrect": INCORRECT}[grade.verdict])
            if grade.verdict != "correct" and grade.matched:
                parts.append(RIGHT.format(items="; ".join(grade.matched)))
            if grade.contradictions:
                parts.append(CONTRADICTS.format(items="; ".join(grade.contradictions)))
        parts.append(REVEAL.format(reference=item.reference))
        p = item.citation.passage
        parts.append(SOURCE.format(file=p.file, start=p.start, end=p.end, section=p.section_path or p.file))
        return Turn(item, grade, None, revealed, "\n".join(parts), item.citation, True)

    def _feedback(self, grade: Grade, answer: str) -> str:
        """Before the reveal: what was right first, then how much is missing; nothing that gives it away."""
        banned = answer_terms(self.current)
        parts = [{"correct": CORRECT, "partial": PARTIAL, "incorrect": INCORRECT}[grade.verdict]]
        if not any(c.isalnum() for c in answer or ""):
            parts.append(EMPTY_ANSWER)
        elif NOT_ENGLISH_MARK in grade.feedback:
            parts.append(NOT_ENGLISH)
        if len(answer or "") > 2000 and TRUNCATED_MARK in grade.feedback:
            parts.append(CUT)
        if grade.matched:
            parts.append(RIGHT.format(items="; ".join(grade.matched)))
        if grade.missing:
            need = self.current.need
            n = max(1, need - len(grade.matched)) if need else len(grade.missing)
            parts.append(MISSING.format(n=n, s="s" if n > 1 else ""))
        if grade.contradictions:
            parts.append(CONTRADICTS.format(items="; ".join(_unrevealing(c, banned) for c in grade.contradictions)))
        return " ".join(parts)

    def _mcq_grade(self, item: QuizItem, letters: list[str]) -> Grade:
        right = set(item.answer_letters or [])
        ok = set(letters) == right
        wrong = [CHOSE.format(letter=L, option=item.options[L]) for L in letters if L not in right]
        return Grade(verdict="correct" if ok else "incorrect", score=1.0 if ok else 0.0,
                     matched=[item.options[L] for L in letters if L in right] if ok else [],
                     missing=[], contradictions=wrong,
                     feedback=CORRECT if ok else INCORRECT, citation=item.citation)


NOT_ENGLISH_MARK = "does not look like English"
TRUNCATED_MARK = "characters of the answer were graded"


_WHERE_NOTES_SAY = re.compile(r',?\s*where the notes say\s*(?:"[^"]*"|[^;"]*)')
_READS_LIKE = re.compile(r'it reads like "([^"]*)" \(another entry\)')
_STATED = re.compile(r'\s*\("[^"]*"\)')


GENERIC_CONTRADICTION = "part of your answer is not what your notes say"


def _unrevealing(contradiction: str, banned: set[str]) -> str:
    """A contradiction told before the reveal. What the notes say instead is the answer, so it goes; so does the
    point a negation turned round; a look-alike entry quoted mostly blank ("it reads like "___, ___ ___, frequently
    ___…"") says nothing, so it is just "another entry"."""
    text = _STATED.sub("", _WHERE_NOTES_SAY.sub("", contradiction))
    text = re.sub(r';\s*the notes say\s*"[^"]*"\s*only|:\s*the notes read\s*"[^"]*"', "", text)
    if re.fullmatch(r"[\d.,%$ ]+", text.strip()):  # a number the learner said ("$2" for $0.2): theirs, not the answer
        return f"{text.strip()} is not the number your notes give"
    text = scrub(text, banned)
    if re.fullmatch(r'"[^"]*"', text):  # a sibling's name said
        return f"{text} is another entry of your notes, not this one"
    if not re.search(r"[A-Za-z0-9]", text.replace(BLANK, "")):  # all of it would give the answer away
        return GENERIC_CONTRADICTION

    def like(m: re.Match) -> str:
        toks = m.group(1).split()
        mostly_blank = not toks or sum("___" in t for t in toks) / len(toks) > 0.4
        return "it reads like another entry of your notes" if mostly_blank else m.group(0)

    return _READS_LIKE.sub(like, text).strip()


def _least_asked(cands: list[QuizItem], asked: list[QuizItem]) -> QuizItem | None:
    """The first candidate (they come due and weak first) from a passage not asked yet in this session; else from the
    passage asked least and longest ago, never the one just asked: three questions on Lambda's "Duration" row in a
    row give each other away ("rounded up to the nearest 100ms" in one stem, "nearest ___ms" in the next)."""
    times: dict[str, int] = {}
    last: dict[str, int] = {}
    for i, it in enumerate(asked):
        times[it.passage_id] = times.get(it.passage_id, 0) + 1
        last[it.passage_id] = i
    just = asked[-1].passage_id if asked else None
    usable = [c for c in cands if c.passage_id != just]
    if not usable:
        return None  # only the passage just asked is left: the session ends rather than repeat it
    order = {id(c): i for i, c in enumerate(usable)}
    return min(usable, key=lambda c: (times.get(c.passage_id, 0), last.get(c.passage_id, -1), order[id(c)]))


_POINTING = {"one", "option", "answer", "choic"}


def _letters(text: str, options: dict[str, str]) -> list[str]:
    """'b', 'B)', 'a, c' → ['B'] / ['A', 'C']; an option's own text ('Spot', 'f1') → its letter; anything else → []."""
    toks = re.findall(r"[A-Za-z]+", text or "")
    if toks and all(len(t) == 1 and t.upper() in options for t in toks):
        return sorted({t.upper() for t in toks})
    said = " ".join(re.findall(r"\w+", (text or "").lower()))
    same = [L for L, o in options.items() if said and " ".join(re.findall(r"\w+", o.lower())) == said]
    if not same:  # "policy" for "Policies", "the spot one": the option's words, stemmed, without pointing words
        said_terms = [t for t in content_terms(text or "") if t not in _POINTING]
        same = [L for L, o in options.items() if said_terms and content_terms(o) == said_terms]
        if not same and said_terms:  # "gp2" for "General Purpose SSD (GP2)": words of one option only, none other's
            same = [L for L, o in options.items() if set(said_terms) <= set(content_terms(o))]
    return same if len(same) == 1 else []
