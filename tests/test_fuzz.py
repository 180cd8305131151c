"""Bad notes, fuzzed: the parser never crashes, never hangs, and every span stays inside the file.

Hypothesis feeds random and mutated markdown/HTML; explicit cases cover the shapes named in the
issue (10,000 nested bullets, NUL bytes, mixed encodings, nested and unclosed tables, huge cells).
Files the tutor refuses (binary, non-UTF-8, empty, too large) get one clear reason each.
"""
from __future__ import annotations

import re
import time
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from tutor.errors import NotesError
from tutor.index import read_notes_file
from tutor.notes import parse_notes

from conftest import CORPUS

AWS = (CORPUS / "aws-notes.md").read_text(encoding="utf-8")
FUZZ = settings(
    max_examples=300,
    deadline=timedelta(seconds=5),  # bounded time per file (generous: CI machines are shared)
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=True,  # the same examples on every run: a failure in CI reproduces locally
)


def n_lines(text: str) -> int:
    """Lines as an editor counts them (\\r\\n, \\r or \\n end a line; a final break adds none)."""
    parts = re.split(r"\r\n|\r|\n", text)
    return len(parts) - (1 if len(parts) > 1 and parts[-1] == "" else 0)


def check_parse(text: str, budget_s: float = 5.0) -> list:
    t0 = time.perf_counter()
    parsed = parse_notes("fuzz.md", text)
    elapsed = time.perf_counter() - t0
    assert elapsed < budget_s, f"parse took {elapsed:.1f}s"
    last = max(n_lines(text), 1)
    for p in parsed.passages:
        assert 1 <= p.start <= p.end <= last, (p.start, p.end, last, p.text[:80])
        assert p.text.strip()
        assert p.file == "fuzz.md"
    assert len({p.id for p in parsed.passages}) == len(parsed.passages)
    return parsed.passages


# ------------------------------------------------------------------ strategies
FRAGMENTS = [
    "<table>", "</table>", "<table border=1>", "<tr>", "</tr>", "<td>", "</td>", "<th>", "</th>",
    "<thead>", "<tbody>", "</tbody>", "<ul>", "<li>", "</li>", "</ul>", "<ol>", "<br>", "<strong>",
    "</strong>", "<b>", "<i>", "<p>", "</p>", "<div>", "<!--", "-->", "<td colspan=2>", "<table",
    "- ", "* ", "+ ", "1. ", "2) ", "  - ", "    - ", "\t- ", "> ", ">", "# ", "## ", "#### ", " ####",
    "```", "~~~", "    ", "---", "***", "| a | b |", "|---|---|", "[link](http://x)", "![img](a.png)",
    "[", "]", "(", ")", "*", "_", "`", "\\", "&amp;", "&#0;", "&#x110000;", "&", "<", ">",
    "\n", "\n", "\n", "\n\n", "\r\n", "\r", "\x00", "\t", "\x0b", "\x0c", "\u2028", "\u2029", "\x85",
    "\ufeff", "\ud7ff", "é", "日本", "👍", "Spot", "EC2", "word", "35 days", "What is S3?", ":",
]
fragment_text = st.lists(st.sampled_from(FRAGMENTS) | st.text(max_size=12), max_size=120).map("".join)
any_text = st.text(max_size=2000)


@st.composite
def mutated_aws(draw):
    """The real notes with random cuts, duplications and insertions (tables cut mid-row, etc.)."""
    text = AWS
    for _ in range(draw(st.integers(1, 6))):
        i = draw(st.integers(0, len(text)))
        j = draw(st.integers(i, min(len(text), i + 3000)))
        op = draw(st.sampled_from(["delete", "duplicate", "insert", "truncate"]))
        if op == "delete":
            text = text[:i] + text[j:]
        elif op == "duplicate":
            text = text[:j] + text[i:j] + text[j:]
        elif op == "insert":
            text = text[:i] + draw(fragment_text) + text[i:]
        else:
            text = text[:i]
    return text


@given(fragment_text)
@FUZZ
def test_markdown_and_html_fragments_never_crash(text):
    check_parse(text)


@given(any_text)
@FUZZ
def test_random_unicode_never_crashes(text):
    check_parse(text)


@given(mutated_aws())
@settings(FUZZ, max_examples=60)
def test_mutated_real_notes_never_crash(text):
    check_parse(text)


@given(st.binary(max_size=3000))
@FUZZ
def test_random_bytes_are_parsed_or_refused_with_the_file_named(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("fz") / "notes.md"
    path.write_bytes(data)
    try:
        text, _ = read_notes_file(path, "notes.md", 2_000_000)
    except NotesError as e:
        assert str(e).startswith("notes.md"), e
        return
    check_parse(text)


# ------------------------------------------------------------------ explicit cases
def test_ten_thousand_nested_bullets():
    """10,000 bullets, each nested under the one before: bounded time, every bullet kept."""
    text = "\n".join("  " * i + f"- item {i}" for i in range(10_000))  # 100 MB of indentation
    passages = check_parse(text, budget_s=60)
    joined = " ".join(p.section_path + " " + p.text for p in passages)  # short heads name their children's section
    for i in (0, 9, 10, 50, 5000, 9999):
        assert re.search(rf"\bitem {i}\b", joined), i


def test_deep_nesting_does_not_drop_the_rest_of_the_file():
    """markdown-it stops at its nesting limit; what follows a deep list must still be read."""
    text = "\n".join("  " * i + f"- level {i}" for i in range(40)) + "\n\n# After\n\nA paragraph after the list.\n"
    passages = check_parse(text)
    assert any(p.text == "A paragraph after the list." and p.section == ("After",) for p in passages)
    joined = " ".join(p.section_path + " " + p.text for p in passages)
    assert all(re.search(rf"\blevel {i}\b", joined) for i in range(40))


@pytest.mark.parametrize(
    "text",
    [
        "- " * 10_000 + "x\n\n# Next\n\nstill here\n",
        "> " * 10_000 + "x\n\n# Next\n\nstill here\n",
        "1. " * 5_000 + "x\n\n# Next\n\nstill here\n",
        "> " + "  " * 5_000 + "- x\n\n# Next\n\nstill here\n",
    ],
    ids=["dash-markers", "quote-markers", "ordered-markers", "quote-indent"],
)
def test_markers_nested_on_one_line(text):
    passages = check_parse(text)
    assert any(p.text == "still here" for p in passages)


def test_nul_bytes_in_text():
    passages = check_parse("# Title\x00\n\n- a\x00b\n- \x00\n\x00\x00\n<table><tr><td>\x00</td></tr></table>\n")
    assert passages


def test_line_endings_mixed():
    text = "# A\r\n\r\n- one\r- two\n- three\r\n\r\nEnd para\r"
    passages = check_parse(text)
    spans = {p.text: (p.start, p.end) for p in passages}
    assert spans["one"] == (3, 3) and spans["two"] == (4, 4) and spans["three"] == (5, 5)
    assert spans["End para"] == (7, 7)


def test_unclosed_and_nested_tables():
    text = (
        "#### Storage ####\n"
        "- Volume types\n"
        "<table><tr><th>Type</th><th>Use</th></tr>\n"
        "<tr><td>gp3<td>general <table><tr><td>inner <b>bold</td></tr>\n"
        "<tr><td>io2</td><td><ul><li>databases<li>low latency</ul>\n"
        "\n"
        "- Next bullet after an unclosed table\n"
        "<table><tr><td>a</td></tr></table></table></table>\n"
        "<table>\n<table>\n<table>\n"
    )
    parsed = parse_notes("t.md", text)
    check_parse(text)
    assert any("never closed" in w for w in parsed.warnings)
    # the bullet after the unclosed table is read again (here as the caption of the next table)
    assert any("Next bullet after an unclosed table" in p.section_path + p.text for p in parsed.passages)
    assert any(p.kind == "table_row" and "io2" in p.text for p in parsed.passages)


def test_huge_cell_and_huge_line():
    cell = "word " * 200_000  # a 1 MB table cell
    text = f"<table><tr><th>H</th></tr><tr><td>{cell}</td></tr></table>\n" + "x" * 1_000_000 + "\n- after\n"
    passages = check_parse(text, budget_s=20)
    assert passages[-1].text == "after" and passages[-1].start == 3


def test_many_tables_nested_in_bullets():
    text = "\n".join(f"- item {i}\n  <table><tr><td>row {i}</td></tr></table>" for i in range(1_000))
    passages = check_parse(text, budget_s=20)
    assert sum(p.kind == "table_row" for p in passages) == 1_000


def test_deeply_nested_html():
    check_parse("<div>" * 5_000 + "x" + "</div>" * 5_000)
    check_parse("<table><tr><td>" * 2_000 + "x" + "</td></tr></table>" * 2_000, budget_s=20)
    check_parse("[" * 3_000 + "x" + "](y)" * 3_000)
    check_parse("*" * 10_000 + "x" + "*" * 10_000)


# ------------------------------------------------------------------ refused files
@pytest.mark.parametrize(
    "name,data,reason",
    [
        ("latin1.md", "# Café\n- naïve\n".encode("latin-1"), "not valid UTF-8"),
        ("mixed.md", "# ok\n- é\n".encode() + "- é\n".encode("latin-1"), "not valid UTF-8"),
        ("utf16.md", "# hello\n".encode("utf-16"), "UTF-16"),  # BOM + NULs: say what it is
        ("image.md", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
        ("empty.md", b"", "empty"),
        ("blank.md", b"  \n\n\t\n", "empty"),
        ("big.md", b"- x\n" * 300_000, "limit"),
    ],
)
def test_refused_files_get_a_clear_reason(tmp_path, name, data, reason):
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(NotesError) as err:
        read_notes_file(path, name, 1_000_000)
    msg = str(err.value)
    assert msg.startswith(name) and reason in msg, msg
    assert "Traceback" not in msg


def test_mixed_encoding_error_names_the_line(tmp_path):
    path = tmp_path / "mixed.md"
    path.write_bytes("# ok\n- one\n".encode() + "- café\n".encode("latin-1"))
    with pytest.raises(NotesError, match=r"^mixed\.md:3: not valid UTF-8"):
        read_notes_file(path, "mixed.md", 1_000_000)
