"""Socratic session: hints in order without the answer, partial feedback, why, mcq, a scripted `tutor quiz`."""
from __future__ import annotations

import io
import re
from argparse import Namespace

import pytest

from tutor import session as S
from tutor.progress import ProgressStore
from tutor.quiz import answer_terms, terms
from tutor.quiz_cli import AFTER, PROMPT, run_quiz
from tutor.session import _TEMPLATE_TERMS, QuizSession, hints_for


@pytest.fixture(scope="module")
def bank(tutor):
    return tutor.bank


@pytest.fixture
def store(tmp_path):
    return ProgressStore(tmp_path / "p.sqlite3")


def _one(tutor, store, item, learner="sam", mode="free"):
    s = QuizSession([item], tutor.grader, store, learner, mode=mode, size=1)
    assert s.next_question() is item
    return s


def _find(bank, pred):
    return next(it for it in bank if pred(it))


def test_no_hint_contains_the_answers_key_terms_over_the_whole_bank(bank):
    assert len(bank) > 100
    for item in bank:
        hints = hints_for(item)
        assert len(hints) == 3
        # the hints' own wording ("what sets … apart") is not the answer even when a key term shares a word with it
        banned = answer_terms(item) - _TEMPLATE_TERMS
        for h in hints:
            assert not (terms(h) & banned), (item.question, item.reference, h)
        assert "___" not in hints[0].split('"')[-1], hints[0]  # the hint's own sentence is never blanked
        # where in the notes, unless every heading above it names the answer (blanked, it would say nothing)
        assert hints[0].startswith((S.HINT_TOPIC.split("{")[0], S.HINT_CONCEPT.split("{")[0])), hints[0]
        assert not re.search(r'under "[^"]*___', hints[0]), hints[0]
        assert not re.search(r"\babout what (what|which|how|does|do|can)\b", hints[0], re.I), hints[0]  # reads as English
        if item.kind == "mcq":  # with the options on screen a cloze would pick the answer out by its shape
            assert hints[2].startswith(("It is not", S.HINT_REREAD.split("{")[0])), hints[2]
        else:
            assert hints[2].startswith(S.HINT_CLOZE.split("{")[0])


def test_an_elimination_hint_leaves_at_least_two_candidates(bank):
    # "It is not B." on a two- or three-option question, or every other row named, would give the answer away
    n = 0
    for item in bank:
        guide = hints_for(item)[1]
        if not guide.startswith("It is not"):
            continue
        n += 1
        if item.kind == "mcq":
            out = re.findall(r"\b([A-H])\b", guide.split(".")[0])
            assert len(item.options) - len(out) >= 2 and not set(out) & set(item.answer_letters), (item.options, guide)
        else:
            assert len(item.sibling_names) + 1 - guide.count(",") - guide.count(" or ") - 1 >= 2, guide
    assert n > 20


def test_multiple_choice_hints_never_pick_the_answer_out(bank):
    # two options are a coin toss; a cloze of the answer ("S3 - ___", "On ___", its word count) names it among the
    # options on screen; and a hint does not rule out again what the learner already chose wrongly
    mcq = [it for it in bank if it.kind == "mcq"]
    assert mcq and all(len(it.options) >= 3 for it in mcq)
    for it in mcq:
        for picked in [frozenset()] + [frozenset([L]) for L in it.options if L not in it.answer_letters]:
            hints = hints_for(it, picked)
            out = set(picked)
            for h in hints[1:]:
                assert "___" not in h, (it.question, h)
                said = set(re.findall(r"\b([A-H])\b", h.split(".")[0])) if h.startswith("It is not") else set()
                assert not said & set(it.answer_letters) and not said & picked, (it.options, picked, h)
                out |= said
            assert len(set(it.options) - out) >= 2, (it.options, picked, hints)


def test_hints_come_in_order_then_the_reveal_with_citation(tutor, store, bank):
    item = _find(bank, lambda it: it.kind == "free" and it.subject == "Spot" and it.qtype == "which")
    s = _one(tutor, store, item)
    expected = hints_for(item)
    banned = answer_terms(item)
    seen = []
    for k in range(3):
        turn = s.answer("Reserved")
        assert not turn.finished_item and turn.hint == expected[k] and s.hints_used == k + 1
        assert f"Hint {k + 1}/3" in turn.message
        assert not (terms(turn.message) & banned), turn.message  # nothing gives the answer away before the reveal
        seen.append(turn.hint)
    assert seen[1].startswith("Which one has the") or seen[1].startswith("It is not")
    final = s.answer("Reserved")
    assert final.finished_item and final.revealed and final.citation is item.citation
    assert "Spot" in final.message and "aws-notes.md:" in final.message
    assert s.done and s.next_question() is None
    assert store.attempts("sam")[0]["verdict"] == "revealed"


def test_partial_answer_hears_what_it_got_right_before_what_is_missing(tutor, store, bank):
    item = _find(bank, lambda it: it.qtype == "list" and "languages" in it.question)
    s = _one(tutor, store, item)
    turn = s.answer("Java and Python")
    assert turn.grade.verdict == "partial"
    assert turn.message.index(S.RIGHT.split("{")[0]) < turn.message.index(S.MISSING.split("{")[0])
    assert "Ruby" not in turn.message and turn.hint


def test_right_answer_finishes_and_why_shows_the_cited_passage(tutor, store, bank):
    item = _find(bank, lambda it: it.kind == "free" and it.qtype == "number" and "35 days" in it.reference)
    s = _one(tutor, store, item)
    turn = s.handle("between 1 and 35 days")
    assert turn.grade.verdict == "correct" and turn.finished_item and not turn.revealed
    why = s.why()
    assert item.citation.passage.text in why.message and "lines" in why.message
    assert store.attempts("sam")[0]["verdict"] == "correct"


def test_commands_idk_skip_and_why_before_answering(tutor, store, bank):
    free = [it for it in bank if it.kind == "free"]
    s = QuizSession(free, tutor.grader, store, "cmd", size=3)
    s.next_question()
    t = s.handle("I don't know")
    assert t.revealed and t.finished_item and s.current.reference in t.message
    s.next_question()
    assert s.handle("skip").message == S.SKIPPED
    s.next_question()
    t = s.handle("why?")
    assert t.revealed and s.current.citation.passage.text in t.message
    assert [r["verdict"] for r in store.attempts("cmd")] == ["revealed", "skipped", "revealed"]


def test_mcq_takes_letters_and_hints_eliminate(tutor, store, bank):
    item = _find(bank, lambda it: it.kind == "mcq" and it.qtype == "which")
    s = _one(tutor, store, item, mode="mcq")
    right = item.answer_letters[0]
    wrong = next(L for L in item.options if L != right)
    assert s.answer("what?").message.startswith("Type the letter")
    from tutor.session import _letters

    assert _letters("Spot", {"A": "Reserved", "B": "Spot", "C": "On Demand"}) == ["B"]  # the option's own text
    assert _letters("on demand", {"A": "Reserved", "B": "Spot", "C": "On Demand"}) == ["C"]
    assert _letters("spot instances", {"A": "Reserved", "B": "Spot"}) == []  # not an option: ask for the letter
    assert _letters("the policy one", {"A": "Users", "B": "Policies", "C": "Roles"}) == ["B"]  # the option, in other forms
    vols = {"A": "Provisioned IOPS SSD (IO1)", "B": "General Purpose SSD (GP2)", "C": "Cold HDD (SC1)"}
    assert _letters("gp2", vols) == ["B"] and _letters("ssd", vols) == []  # words of one option only
    t = s.answer(wrong.lower())
    assert t.grade.verdict == "incorrect" and t.hint and not t.finished_item
    t = s.hint()
    assert t.hint.startswith("It is not") and right not in t.hint.replace("It is not", "")
    t = s.answer(f"{right})")
    assert t.grade.verdict == "correct" and t.finished_item


@pytest.mark.parametrize("answer", ["", "   ", "x" * 10_000, "这是一个关于云计算的答案", "Это ответ",
                                    "<script>alert('x')</script><b>fixed rate</b> &amp; no commitment"])
def test_odd_answers_are_graded_safely(tutor, store, bank, answer):
    row = _find(bank, lambda it: it.kind == "free" and it.subject == "On Demand" and it.qtype == "term")
    some_of = _find(bank, lambda it: it.kind == "free" and it.need)  # a long list: any four of its points
    for item in (row, some_of):
        s = _one(tutor, store, item)
        turn = s.answer(answer)
        assert turn.grade is not None and turn.message
        assert "<script>" not in turn.message
        assert 0.0 <= turn.grade.score <= 1.0
        if not answer.strip():
            assert turn.grade.verdict == "incorrect"


class ScriptedLearner:
    """Plays a learner on stdin: reads what `tutor quiz` printed and answers the current question."""

    def __init__(self, bank, out: io.StringIO, plan: list[list[str]]):
        self.by_question = {it.question: it for it in bank if it.kind == "free"}
        self.out, self.plan, self.q = out, plan, -1
        self.actions: list[str] = []
        self.asked_why = False

    def _current(self):
        text = self.out.getvalue()
        return max((text.rfind("\n" + q + "\n"), it) for q, it in self.by_question.items())[1]

    def readline(self) -> str:
        text = self.out.getvalue()
        if text.endswith(AFTER):
            if self.q == 1 and not self.asked_why:
                self.asked_why = True
                return "why\n"  # the source, then the same prompt again: the next Enter goes on
            return "\n"
        assert text.endswith(PROMPT)
        item = self._current()
        if not self.actions:
            self.q += 1
            self.actions = list(self.plan[self.q])
        act = self.actions.pop(0) if self.actions else "idk"
        line = {"RIGHT": item.reference, "PARTIAL": (item.key_points or [item.reference])[0],
                "WRONG": "bananas grow on trees in warm places", "EMPTY": ""}.get(act, act)
        return line + "\n"


def test_scripted_ten_question_session_through_tutor_quiz(tutor, bank):
    plan = [["RIGHT"], ["PARTIAL", "idk"], ["WRONG", "hint", "WRONG", "RIGHT"], ["EMPTY", "hint", "hint", "idk"],
            ["skip"], ["RIGHT"], ["why"], ["WRONG", "WRONG", "WRONG", "WRONG"], ["I don't know"], ["RIGHT"]]
    out = io.StringIO()
    learner = ScriptedLearner(bank, out, plan)
    args = Namespace(learner="Scripted Learner", topic=[], mcq=False, count=10, export=None)
    assert run_quiz(tutor, args, stdin=learner, stdout=out) == 0
    text = out.getvalue()
    assert text.count("[") >= 10 and "[10/10]" in text
    assert text.index("Hint 1/3") < text.index("Hint 2/3") < text.index("Hint 3/3")
    assert "Correct." in text and "From your notes" in text and "Session over:" in text
    # right at the first try and right after a hint are told apart (the third question took a hint and a retry)
    assert "3 right at the first try, 1 right after a hint or another try" in text, text[text.index("Session over"):]
    after_why = text[text.index("From your notes"):]
    assert after_why.index(AFTER) < after_why.index("[3/10]")  # asked again after the source, not moved on
    rows = tutor.progress.attempts("scripted learner")
    assert len(rows) == 10
    verdicts = {r["verdict"] for r in rows}
    assert {"correct", "revealed", "skipped"} <= verdicts
    assert any(r["hints_used"] >= 2 for r in rows)
    assert tutor.progress.mastery("Scripted Learner")
    # each topic's mastery says how many of its questions it rests on
    assert re.search(r"Mastery by topic:\n\s+\d+%  .+ \([1-9]\d* of [1-9]\d* questions answered\)", text), text[-600:]


def test_two_sessions_keep_their_own_state(tutor, bank, store):
    a = tutor.start_quiz("ann", size=2)
    b = tutor.start_quiz("ben", size=2)
    qa, qb = a.next_question(), b.next_question()
    a.hint()
    assert a.hints_used == 1 and b.hints_used == 0
    assert a.current is qa and b.current is qb


def test_topic_filter_keeps_to_the_topic(tutor):
    s = tutor.start_quiz("tina", topics=["Lambda"], size=5)
    for _ in range(5):
        it = s.next_question()
        assert "lambda" in f"{it.topic} {it.group}".lower()
        s.skip()


def test_a_session_does_not_ask_the_same_passage_twice_in_a_row(tutor):
    # Lambda's notes give fewer passages than a 10-question session: passages come back only after the others,
    # never the one just asked ("rounded up to the nearest 100ms" in one stem, "nearest ___ms" in the next)
    s = tutor.start_quiz("rita", topics=["Lambda"], size=10)
    asked = []
    while (it := s.next_question()) is not None:
        asked.append(it.passage_id)
        s.skip()
    assert asked and all(a != b for a, b in zip(asked, asked[1:])), asked
    firsts = asked[: len(set(asked))]
    assert len(set(firsts)) == len(firsts), asked  # every passage once before any comes back


def test_a_partly_right_answer_then_revealed_counts_as_partly_right(tutor, store, bank):
    item = _find(bank, lambda it: it.kind == "free" and len(it.key_points) >= 2 and it.qtype == "term")
    s = _one(tutor, store, item)
    t = s.answer(item.key_points[0])
    assert t.grade.verdict == "partial", t.message
    s.dont_know()
    assert s.results[-1][1] == "partial"


def test_a_topic_named_only_in_the_questions_still_gives_a_quiz(tutor):
    # Route 53's bullets sit under the EC2 heading: no section names it, its questions do
    s = tutor.start_quiz("rob", topics=["Route 53"], size=3)
    it = s.next_question()
    assert it is not None and "route 53" in f"{it.subject} {it.question}".lower()


@pytest.mark.parametrize("n", ["0", "-3", "1000", "ten"])
def test_a_question_count_out_of_range_is_refused_with_a_message(n, capsys):
    from tutor.cli import build_parser

    with pytest.raises(SystemExit):
        build_parser().parse_args(["quiz", "-n", n])
    assert "-n/--count" in capsys.readouterr().err


def test_a_contradiction_before_the_reveal_reads_whole_and_tells_nothing(tutor, store, bank):
    # "it reads like "___, ___ ___, frequently ___…" (another entry), where the notes say "___, ___ ___, ___ ___…""
    # said nothing: what the notes say is the answer, and a look-alike quoted mostly blank is just another entry
    item = _find(bank, lambda it: it.kind == "free" and it.subject == "S3 - IA" and it.qtype == "term")
    s = _one(tutor, store, item)
    t = s.answer("durable and immediately available, for frequently accessed data")
    assert t.grade.verdict == "incorrect" and not t.finished_item, t.message
    assert "where the notes say" not in t.message and '"___' not in t.message, t.message
    assert not terms(t.message.split("Not quite.")[1]) & answer_terms(item) - terms(item.question), t.message


def test_a_contrast_hint_names_a_sibling_it_can_show_whole(bank):
    # "How does it differ from ___, where your notes say "End ___"?": the Users row shares the word "users" with
    # Group's answer; another row is contrasted instead
    for item in bank:
        if item.kind == "free" and item.qtype in ("term", "field"):
            hint = hints_for(item)[1]
            if hint.startswith("How does it differ from"):
                assert "___" not in hint, (item.question, hint)


def test_no_hint_gives_away_a_sibling_rows_answer_which_the_bank_asks_next(bank):
    # F1's hint quoted I3's "High Speed Storage", the answer to the next question in table order
    shown = 0
    for item in bank:
        if item.kind != "free" or item.qtype not in ("term", "field") or not item.siblings:
            continue
        hints = hints_for(item)
        for sib in item.siblings:
            clue = re.split(r";\s|\.\s", sib)[0].strip().rstrip(".")
            if len(clue.split()) >= 2:
                assert all(clue.lower() not in h.lower() for h in hints), (item.question, clue, hints)
        shown += hints[1].startswith("How does it differ from")
    assert shown >= 20  # the contrast is still made, by name


def test_a_retry_keeps_the_points_an_earlier_attempt_made(tutor, store, bank):
    item = _find(bank, lambda it: it.kind == "free" and len(it.key_points) == 2 and it.qtype == "term"
                 and all(len(k.split()) >= 3 for k in it.key_points))
    s = _one(tutor, store, item)
    first = s.answer(item.key_points[0])
    assert first.grade.verdict == "partial" and not first.finished_item, first.message
    second = s.answer(item.key_points[1])  # only the point still missing
    assert second.grade.verdict == "correct" and second.finished_item, second.message


def test_an_enter_by_mistake_spends_no_hint(tutor, store, bank):
    item = _find(bank, lambda it: it.kind == "free" and it.qtype == "term")
    s = _one(tutor, store, item)
    t = s.handle("   ")
    assert t.grade is None and t.hint is None and not t.finished_item and s.hints_used == 0
    assert "hint" in t.message


def test_moving_on_after_a_wrong_answer_records_it_as_answered(tutor, store, bank):
    # "Next question" after a wrong answer was recorded as skipped, and the weak item did not come back as weak
    free = [it for it in bank if it.kind == "free"]
    s = QuizSession(free, tutor.grader, store, "mover", size=2)
    s.next_question()
    assert s.answer("bananas grow on trees in warm places").grade.verdict == "incorrect"
    assert s.skip().message == S.MOVED_ON  # it says what happens: no "it will come back later" for a plain skip
    s.next_question()
    assert s.skip().message == S.SKIPPED  # nothing answered: a skip
    assert sorted(r["verdict"] for r in store.attempts("mover")) == ["incorrect", "skipped"]


def test_a_long_list_is_answered_by_any_few_of_its_points_acronyms_included(tutor, store, bank):
    # "What does IAM give you?" lists 13 things. Only the first four used to count, so "MFA" and "federation" went
    # unheard and a learner naming four other right things was told "Missing: 2 more points"
    item = _find(bank, lambda it: it.kind == "free" and it.question == "What does IAM give you?")
    assert item.need == 4 and len(item.key_points) > item.need
    s = _one(tutor, store, item)
    part = s.answer("centralised control of the account, MFA and granular permissions")
    assert part.grade.verdict == "partial" and not part.finished_item, part.message
    assert "Multifactor Authentication" in part.grade.matched, part.grade.matched
    assert "Missing: 1 more point from your notes." in part.message, part.message
    assert "any 4 of them" in s.hint().hint  # the second hint: how many of how many
    done = s.answer("identity federation with active directory")  # with the three above: four points
    assert done.grade.verdict == "correct" and done.finished_item, done.message
    # from outside, the bank's own question is graded the same way
    g = tutor.grade(item.question, "MFA, identity federation, your own password rotation policy, granular permissions")
    assert g.verdict == "correct", g.feedback


def test_a_listed_things_detail_is_part_of_its_point_not_a_point_of_its_own(tutor, store, bank):
    # "Granular Permissions" and, nested under it, "You can enable different levels of access …" were two of the 13
    # points: naming granular permissions left the learner told the notes "also list" its own explanation
    item = _find(bank, lambda it: it.kind == "free" and it.question == "What does IAM give you?")
    assert "Granular Permissions" in item.key_points and "Identity Federation" in item.key_points
    assert not any(k.startswith(("You can enable", "Active Directory", "Multiple independent")) for k in item.key_points)
    assert "Granular Permissions (You can enable different levels of access" in item.reference
    part = _one(tutor, store, item).answer("granular permissions")
    assert "You can enable" not in part.message, part.message


def test_an_acronym_spelled_out_meets_key_points_but_does_not_answer_for_the_learner(tutor, bank):
    # "FPGA" is spelled out for the key points only: it is no answer to the row the question describes by those words
    item = _find(bank, lambda it: it.kind == "free" and it.qtype == "which" and it.reference == "F1")
    assert tutor.grade(item.question, "FPGA", reference=item.reference).verdict == "incorrect"
    assert tutor.grade(item.question, "F1", reference=item.reference).verdict == "correct"


def test_hints_after_a_partly_right_answer_are_about_what_is_still_missing(tutor, store, bank):
    # the second hint described the point the learner had just been credited with
    item = _find(bank, lambda it: it.kind == "free" and it.question == "What does IAM give you?")
    s = _one(tutor, store, item)
    part = s.answer("centralised control of the account")
    assert part.grade.matched == [item.key_points[0]], part.grade.matched
    guide = s.hint().hint
    assert '"S…"' in guide and '"C…"' not in guide, guide  # "Shared Access to your AWS account", the next point
    assert "Centralized" not in guide


def test_a_wrong_number_is_told_as_the_learners_number_not_a_blank(tutor, store, bank):
    # "This contradicts your notes: ___." said nothing: the number the learner gave is theirs to be told
    item = _find(bank, lambda it: it.kind == "free" and it.question.endswith("what is Number of requests?"))
    assert item.key_points == ["First 1 million requests are free", "$0.2 per 1 million requests thereafter"]
    s = _one(tutor, store, item)
    t = s.answer("first 1 million requests free, then $2 per million")
    assert "2 is not the number your notes give" in t.message and "___." not in t.message, t.message
    assert "Right: First 1 million requests are free" in t.message, t.message


def test_a_multiple_choice_quiz_says_when_a_question_has_no_choices(tutor, bank, monkeypatch):
    # a --mcq session on Lambda reached fill-ins with no options and said nothing about it
    from tutor import quiz_cli

    fill = next(it for it in bank if it.kind == "free" and it.qtype == "fill")
    monkeypatch.setattr(tutor, "start_quiz", lambda learner, topics=None, mode="free", size=10: QuizSession(
        [fill], tutor.grader, tutor.progress, learner, mode=mode, size=size))  # a quiz of that one question
    out = io.StringIO()
    args = Namespace(learner="Chooser", topic=[], mcq=True, count=1, export=None)
    assert quiz_cli.run_quiz(tutor, args, stdin=io.StringIO("quit\n"), stdout=out) == 0
    assert S.NO_CHOICES in out.getvalue(), out.getvalue()


def test_asking_for_a_hint_when_none_is_left_says_so_before_the_answer(tutor, store, bank):
    item = _find(bank, lambda it: it.kind == "free" and it.qtype == "term")
    s = _one(tutor, store, item)
    for _ in range(3):
        assert s.hint().hint
    t = s.hint()
    assert t.finished_item and t.revealed and t.message.startswith(S.NO_HINTS_LEFT), t.message
