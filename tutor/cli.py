"""`tutor ...`: parse arguments, call one Tutor method, print the result. No logic of its own."""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from .errors import TutorError


def _print_json(obj) -> None:
    print(json.dumps(obj, ensure_ascii=False, indent=2))


def _format_answer(ans) -> str:
    from .phrases import SOURCES_HEADER

    lines = [ans.answer]
    if ans.choice:
        lines.append(f"Answer: {', '.join(ans.choice)}")
    if ans.rephrase is not None and ans.rephrase.note:
        lines += ["", f"Note: {ans.rephrase.note}"]  # the optional LLM step dropped or failed something
    if ans.citations:
        lines += ["", SOURCES_HEADER]
        for c in ans.citations:
            p = c.passage
            lines.append(f"  [{c.n}] {p.file}:{p.start}-{p.end}  {p.section_path}")
    return "\n".join(lines)


def cmd_ingest(tutor, args) -> int:
    report = tutor.ingest(args.paths or None)
    if args.json:
        _print_json(report.to_dict())
    else:
        print(
            f"indexed {len(report.indexed)} file(s), {len(report.unchanged)} unchanged, "
            f"{len(report.removed)} removed; embedded {report.embedded} passage(s) and {report.units_embedded} "
            f"sentence(s) or item(s); {report.passages} in the index"
        )
        for msg in report.warnings:
            print(f"warning: {msg}", file=sys.stderr)
    for msg in report.errors:
        print(f"error: {msg}", file=sys.stderr)
    return 0


def _parse_options(text: str) -> tuple[str, dict[str, str] | None]:
    from .answer import split_options

    return split_options(text)


def _light_queries(tutor) -> None:
    """For a one-shot `tutor ask`: embed the question with the light QueryEncoder (bit-identical vectors,
    a quarter of the import time), loading on a background thread while the index is opened and checked.
    Changed notes are still embedded by the full llama-index model."""
    from .embedding import QueryEmbedding

    if "embedding" not in vars(tutor):  # Tutor.embedding is a cached_property: this fills its cache
        tutor.embedding = QueryEmbedding(tutor.settings.index.embed_batch_size)


def cmd_ask(tutor, args) -> int:
    question, options = _parse_options(args.question)
    # practice questions too: their units' vectors are kept under TUTOR_HOME once made, and the question and
    # options are a few texts for the light encoder (tutor/choice_evidence.py)
    _light_queries(tutor)
    tutor.ensure_index()
    ans = tutor.ask(question, args.history, options)
    if args.json:
        _print_json(ans.to_dict())
    else:
        print(_format_answer(ans))
    return 0


def _question_count(text: str) -> int:
    """-n: a whole number of questions from 1 to 100 ("-n 0" is no session, "-n 1000" more than a sitting)."""
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number of questions") from None
    if not 1 <= n <= 100:
        raise argparse.ArgumentTypeError(f"{n} questions; ask for 1 to 100")
    return n


def cmd_grade(tutor, args) -> int:
    tutor.ensure_index()
    grade = tutor.grade(args.question, args.answer, reference=args.reference)
    if args.json:
        _print_json(grade.to_dict())
    else:
        print(f"{grade.verdict} ({grade.score:.2f})\n{grade.feedback}")
        if grade.citation:
            p = grade.citation.passage
            print(f"source: {p.file}:{p.start}-{p.end}  {p.section_path}")
    return 0


def cmd_eval(tutor, args) -> int:
    from .evaluation import evaluate, load_cases

    cases = load_cases(args.file)
    if cases:  # grade cases too: a reference from the notes is graded with the rows around it
        tutor.ensure_index()
    report = evaluate(
        cases,
        ask=lambda q, h, o: tutor.ask(q, h, o).to_dict(),
        grade=lambda q, r, a: tutor.grade(q, a, reference=r).to_dict(),
    )
    if args.json:
        _print_json(report)
    else:
        for kind in ("ask", "mcq", "grade"):
            if kind in report:
                flat = {k: v for k, v in report[kind].items() if k not in ("splits", "turns")}
                print(f"{kind}: {_metrics_line(flat)}")
                for split, m in report[kind].get("splits", {}).items():
                    print(f"  {split}: {_metrics_line(m)}")
                for part, turns in report[kind].get("turns", {}).items():
                    for turn, m in turns.items():
                        if m["n"]:
                            label = "first questions" if turn == "first" else "follow-ups"
                            print(f"  {label} ({part}): {_metrics_line(m)}")
    return 0


def _metrics_line(metrics: dict) -> str:
    return ", ".join(f"{k}={v}" for k, v in metrics.items())


def cmd_quiz(tutor, args) -> int:
    from .quiz_cli import run_quiz

    tutor.ensure_index()
    return run_quiz(tutor, args)


def _mmap_big_blocks() -> None:
    """glibc only (skipped elsewhere, or when MALLOC_MMAP_THRESHOLD_ is set): blocks of 1 MiB and more come from
    mmap and go back to the OS when freed. glibc's default raises that threshold after the first big free, and
    the tensors of embedding batches (the server's own ingest, option scoring) then stay in its heap: 110–220 MiB
    more peak RSS in `make ui-bench`. Cost: batch embedding takes ~40% more CPU (page faults), so option scoring's
    p95 is ~12% higher; plain asks and grades: no measurable change."""
    if not sys.platform.startswith("linux") or "MALLOC_MMAP_THRESHOLD_" in os.environ:
        return
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").mallopt(-3, 1 << 20)  # -3: M_MMAP_THRESHOLD
    except (OSError, AttributeError):  # not glibc (e.g. musl): keep the allocator's defaults
        pass


def cmd_serve(tutor, args) -> int:
    _mmap_big_blocks()  # before gradio, torch and the ingest allocate: bounds the server's peak RSS
    from .ui import launch

    # the page comes up first; the corpus check (and any embedding) runs behind it, and a question asked
    # meanwhile waits for it (launch(check_corpus=True))
    launch(tutor, host=args.host, port=args.port, check_corpus=True)
    return 0


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="tutor", description="A tutor that teaches you from your own notes.")
    sub = ap.add_subparsers(dest="command", required=True)

    p = sub.add_parser("ingest", help="index the notes in the corpus folder (incremental)")
    p.add_argument("paths", nargs="*", help="only these files (relative to the corpus folder)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("ask", help="ask a question about your notes")
    p.add_argument("question")
    p.add_argument("--history", action="append", default=[], help="an earlier question (repeat, oldest first)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_ask)

    p = sub.add_parser("grade", help="grade a free-text answer")
    p.add_argument("--question", required=True)
    p.add_argument("--answer", required=True)
    p.add_argument("--reference", help="the reference answer (found in the notes when left out)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_grade)

    p = sub.add_parser("eval", help="measure retrieval, answers, practice questions and grading")
    p.add_argument("file", type=Path)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_eval)

    p = sub.add_parser("quiz", help="a Socratic quiz in the terminal")
    p.add_argument("--learner", default="me", help="whose progress to use")
    p.add_argument("--topic", action="append", default=[], help="only questions whose section contains this")
    p.add_argument("--mcq", action="store_true", help="multiple choice instead of free text")
    p.add_argument("-n", "--count", type=_question_count, default=10, help="questions in this session (1-100)")
    p.add_argument("--export", type=Path, help="write the question bank as grade eval cases and exit")
    p.set_defaults(func=cmd_quiz)

    p = sub.add_parser("serve", help="start the web UI")
    p.add_argument("--host", default=None)
    p.add_argument("--port", type=int, default=None)
    p.set_defaults(func=cmd_serve)
    return ap


READ_ONLY = {"ask"}  # writes nothing, unless its corpus check re-indexes notes


def _wrote_nothing(tutor) -> bool:
    r = tutor.last_ingest
    return r is not None and not r.indexed and not r.removed


def _quick_exit(code: int) -> None:
    """Leave without the interpreter's teardown (about 1 s with torch loaded: module and GC clean-up).
    Only after a command that wrote nothing: the output is flushed here, and Chroma has nothing to persist."""
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except Exception:
        return  # e.g. a closed pipe: let the normal exit report it
    os._exit(code)


def main(argv: list[str] | None = None) -> int:
    """`tutor ...`. From the command line (argv None), a read-only command that wrote nothing skips the
    interpreter's teardown; called with argv (tests, app.py, scripts), it always returns normally."""
    from .config import Settings
    from .service import Tutor

    args = build_parser().parse_args(argv)
    tutor = None
    try:
        tutor = Tutor(Settings())
        code = args.func(tutor, args)
    except TutorError as e:
        print(f"error: {e}", file=sys.stderr)
        code = 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `tutor ask … | head -1`: the reader has what it wanted; no traceback for a closed pipe (and none again when
        # the interpreter flushes stdout on the way out)
        try:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except (OSError, ValueError, AttributeError):
            pass  # no real stdout (a test's capture): nothing will flush into a closed pipe
        return 141
    if argv is None and args.command in READ_ONLY and tutor is not None and _wrote_nothing(tutor):
        _quick_exit(code)
    return code


if __name__ == "__main__":
    sys.exit(main())
