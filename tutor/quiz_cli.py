"""`tutor quiz`: the Socratic quiz in a terminal (also driven line by line from stdin by the tests).

At the prompt: an answer, `hint`, `idk` (or "I don't know"), `why`, `skip`, `quit`. With --mcq, letters.
After each question: Enter goes on, `why` shows the cited passage, `quit` stops.
"""
from __future__ import annotations

import sys

from .quiz import counts, export_bank
from .session import NO_CHOICES

INTRO = ("Quiz for {learner}: {n} question(s){topics}. Commands: hint, idk (show the answer), why (the source; "
         "before you have it right, that shows the answer too), skip, quit.")
QUESTION = "\n[{i}/{n}] {topic}\n{question}"
OPTION = "  {letter}) {text}"
PROMPT = "> "
AFTER = "(Enter: next question · why: the source · quit: stop) "
SUMMARY = ("\nSession over: {right} right at the first try, {helped} right after a hint or another try, {partial} partly "
           "right, {wrong} wrong or revealed, {skipped} skipped.")
MASTERY = "Mastery by topic:"
MASTERY_LINE = "  {value:>4.0%}  {topic} ({answered} of {total} questions answered)"
NO_ITEMS = "Your notes gave no questions for {what}."
EXPORTED = "Wrote {n} grade case(s) to {path}."
COUNT_LINE = "  {n:>4}  {key}"
QUIT_WORDS = {"quit", "exit", "q", ":q", "stop", "bye"}


def _read(stdin, stdout, prompt: str) -> str | None:
    stdout.write(prompt)
    stdout.flush()
    line = stdin.readline()
    return None if line == "" else line.rstrip("\n")


def export(tutor, path, stdout) -> int:
    bank = tutor.bank
    n = export_bank(bank, path)
    print(EXPORTED.format(n=n, path=path), file=stdout)
    free = [it for it in bank if it.kind == "free"]
    for title, by in (("Questions per topic group (free text):", "group"), ("Per question kind:", "qtype")):
        print(title, file=stdout)
        for key, c in counts(free, by).items():
            print(COUNT_LINE.format(n=c, key=key), file=stdout)
    print(f"Multiple-choice items: {sum(1 for it in bank if it.kind == 'mcq')}", file=stdout)
    return 0


def run_quiz(tutor, args, stdin=None, stdout=None) -> int:
    stdin, stdout = stdin or sys.stdin, stdout or sys.stdout
    if getattr(args, "export", None):
        return export(tutor, args.export, stdout)
    topics = list(getattr(args, "topic", None) or [])
    size = max(1, int(getattr(args, "count", 10) or 10))
    session = tutor.start_quiz(args.learner, topics=topics or None, mode="mcq" if args.mcq else "free", size=size)
    if session.done:
        print(NO_ITEMS.format(what=", ".join(topics) or "this quiz"), file=stdout)
        return 0
    size = session.size = min(size, len(session.pool))  # "5 questions" when the topic has only 5, not "10"
    print(INTRO.format(learner=args.learner, n=size, topics=f" on {', '.join(topics)}" if topics else ""), file=stdout)
    quit_ = False
    while not quit_:
        item = session.next_question()
        if item is None:
            break
        print(QUESTION.format(i=len(session.asked), n=size, topic=item.shown_topic, question=item.question), file=stdout)
        for letter, text in (item.options or {}).items() if session.mode == "mcq" else ():
            print(OPTION.format(letter=letter, text=text), file=stdout)
        if session.without_choices(item):
            print(NO_CHOICES, file=stdout)
        while True:
            line = _read(stdin, stdout, PROMPT)
            if line is None or line.strip().lower() in QUIT_WORDS:
                quit_ = True
                break
            turn = session.handle(line)
            print(turn.message, file=stdout)
            if turn.finished_item:
                break
        if quit_:
            break
        # "why" shows the source and waits again: the Enter that follows goes on, it is no empty answer to the next
        line = _read(stdin, stdout, AFTER)
        while line is not None and line.strip().lower().rstrip("?") in ("why", "source"):
            print(session.why().message, file=stdout)
            line = _read(stdin, stdout, AFTER)
        if line is None or line.strip().lower() in QUIT_WORDS:
            break
    _summary(tutor, session, args.learner, stdout)
    return 0


def _summary(tutor, session, learner: str, stdout) -> None:
    print(SUMMARY.format(**session.tally()), file=stdout)
    mastery = tutor.progress.mastery(learner)
    if mastery:
        print(MASTERY, file=stdout)
        answered = tutor.progress.answered(learner, tutor.bank)
        for topic, value in mastery.items():
            a, t = answered.get(topic, (0, 0))
            print(MASTERY_LINE.format(value=value, topic=topic, answered=a, total=t), file=stdout)
