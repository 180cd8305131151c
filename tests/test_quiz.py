"""Question bank: generated from structure, covers every topic, answerable, no duplicates, exportable."""
from __future__ import annotations

import json
import re
from argparse import Namespace
from pathlib import Path

import pytest

from tutor.notes import parse_notes
from tutor.quiz import _norm_q, answer_terms, build_bank, export_bank, terms, topic_group
from tutor.text import content_terms

CORPUS = Path(__file__).resolve().parents[1] / "corpus"

# The 13 topics of the AWS notes, as a learner would name them (the test knows the file; the code does not).
AWS_TOPICS = {
    "IAM": r"Identity Access Management",
    "EC2 pricing": r"EC2 Option",
    "instance types": r"EC2 Instance Types",
    "EBS": r"\bEBS\b",
    "SSH": r"\bSSH\b",
    "load balancers": r"Load Balancer",
    "Route 53": r"Route 53",
    "RDS": r"\bRDS\b|Relational Database",
    "ElastiCache": r"(?i)elasticache",
    "S3": r"^S3\b",
    "CloudFront": r"CloudFront|\bCDN\b",
    "Lambda": r"Lambda",
    "API Gateway, Step Functions, X-Ray": r"API Gateway",
}

OTHER_NOTES = """# Cell biology

* Mitochondria is the powerhouse of the cell
* Organelles
<table>
  <tr><th>Organelle</th><th>Function</th></tr>
  <tr><td>Nucleus</td><td>Holds the genetic material of the cell</td></tr>
  <tr><td>Ribosome</td><td>Builds proteins from amino acids</td></tr>
  <tr><td>Golgi apparatus</td><td>Packages and ships proteins</td></tr>
</table>

* Stages of mitosis:
  * Prophase
  * Metaphase
  * Anaphase
  * Telophase
* A human cell has 46 chromosomes in 23 pairs
"""


@pytest.fixture(scope="module")
def passages():
    return parse_notes("aws-notes.md", (CORPUS / "aws-notes.md").read_text(encoding="utf-8")).passages


@pytest.fixture(scope="module")
def bank(passages):
    return build_bank(passages)


def _free(bank):
    return [it for it in bank if it.kind == "free"]


def test_every_aws_topic_yields_questions(bank):
    counts = {name: 0 for name in AWS_TOPICS}
    for it in _free(bank):
        text = f"{it.topic}\n{it.citation.passage.text}"
        for name, pat in AWS_TOPICS.items():
            if re.search(pat, it.topic) or re.search(pat, text, re.M):
                counts[name] += 1
    assert all(n >= 1 for n in counts.values()), counts


def test_every_topic_group_of_the_notes_yields_questions(passages, bank):
    groups = {topic_group(p) for p in passages if len(terms(p.text)) >= 3 and "://" not in p.text}
    covered = {it.group for it in _free(bank)}
    assert groups - covered == set()


def test_every_question_kind_is_generated(bank):
    kinds = {it.qtype for it in _free(bank)}
    assert {"term", "which", "field", "define", "list", "number", "fill", "acronym"} <= kinds


def test_questions_are_answerable_from_their_cited_passage(bank):
    for it in bank:
        p = it.citation.passage
        source = terms(f"{p.section_path} {p.text}")
        assert terms(it.reference) <= source | terms(it.question), (it.question, it.reference)
        assert it.passage_id == p.id
        assert answer_terms(it), it.question  # the question does not already contain its answer


def test_no_duplicate_questions_or_ids(bank):
    assert len({it.id for it in bank}) == len(bank)
    for kind in ("free", "mcq"):
        qs = [_norm_q(it.question) for it in bank if it.kind == kind]
        assert len(qs) == len(set(qs))


def test_key_points_are_whole_phrases(bank):
    # cut at a parenthesis or at a word limit they read "A document that defines one", "… within a \"retention"
    for it in bank:
        for k in it.key_points:
            assert not re.search(r"(?<![\w-])(?:a|an|the|of|to|one|within|for|with|and|or|your)\W*$", k, re.I), (it.id, k)
            assert k.count('"') % 2 == 0 and k.count("(") == k.count(")"), (it.id, k)


def test_questions_read_as_english(bank):
    for it in bank:
        q = it.question
        assert q[0].isupper() and q.endswith("?"), q
        assert "??" not in q and "  " not in q and "(?" not in q, q
        assert q.count('"') % 2 == 0, q
        assert len(q.split()) <= 80, q
    # a plural row takes a plural verb: "what are Dedicated Hosts good for?", not "what is"
    hosts = [it.question for it in bank if "Dedicated Hosts good for" in it.question]
    assert hosts and all("what are Dedicated Hosts" in q for q in hosts), hosts


def test_table_rows_give_what_and_which_questions(bank):
    spot = [it for it in _free(bank) if it.subject == "Spot"]
    assert {it.qtype for it in spot} >= {"term", "which"}
    which = next(it for it in spot if it.qtype == "which")
    assert which.reference == "Spot" and "Spot" not in which.question
    assert set(which.siblings) == {"On Demand", "Reserved", "Dedicated Hosts"}


def test_numbers_from_the_notes_become_questions(bank):
    refs = {it.reference for it in bank if it.qtype == "number"}
    assert any("35 days" in r for r in refs)
    assert any(r.startswith("5 copies") for r in refs)
    assert any("3500" in r for r in refs)
    # "10,000" is one number, one blank (not "more than ___,___ IOPS")
    io1 = [it for it in bank if it.qtype == "number" and it.reference.startswith("10,000")]
    assert io1 and all("___,___" not in it.question and "more than ___ IOPS" in it.question for it in io1), io1


def test_a_key_point_is_the_main_clause_not_the_scene_setting_one(bank):
    kps = {kp for it in bank for kp in it.key_points}
    assert "encrypting an existing DB instance is not supported" in kps
    assert "AWS will first choose the most recent daily backup" in kps
    assert not {"At the present time", "When you do a recovery"} & kps


def test_list_membership_questions(bank):
    langs = next(it for it in bank if it.qtype == "list" and "languages" in it.question)
    assert langs.key_points == ["Java", "Go", "Node.js", "Python", "Ruby", ".Net"]
    engines = next(it for it in bank if it.qtype == "list" and "engines" in it.question)
    assert engines.key_points == ["Memcached", "Redis"]


def test_mcq_distractors_are_sibling_rows_and_the_answer_is_the_items_own(passages, bank):
    rows = [p for p in passages if p.kind == "table_row"]
    mcq = [it for it in bank if it.kind == "mcq"]
    assert len(mcq) >= 40
    for it in mcq:
        assert it.options and it.answer_letters and len(it.options) >= 2
        assert [it.options[L] for L in it.answer_letters] == [it.reference]
        p = it.citation.passage
        table = [r for r in rows if r.section[:-1] == p.section[:-1] and r.file == p.file and r.id != p.id]
        if it.qtype == "which":
            sibling_keys = {re.sub(r"\s*\([^()]*\)", "", r.title).strip() for r in table}
            for L, text in it.options.items():
                if L not in it.answer_letters:
                    assert text in sibling_keys, (it.question, text)
    letters = [it.answer_letters[0] for it in mcq]
    assert len(set(letters)) >= 3  # the right answer is not always in the same place


def test_a_fill_in_blanks_a_term_worth_recalling(bank):
    fills = {it.reference for it in bank if it.qtype == "fill"}
    # common English ("either", "order", "number") and the notes' own misspellings ("pratice", "guidlines") are not
    # blanked; the technical word next to them is
    assert not any(set(r.lower().split(", ")) & {"either", "order", "page", "soon", "number", "pratice", "guidlines"}
                   for r in fills), fills
    assert "Automatic, manual" in fills and "configure, CORS" in fills
    # nor the vendor's name, nor a name the notes misspell once ("running on ES2" where they mean EC2)
    blanked = {w for r in fills for w in r.split(", ")}
    assert not blanked & {"Amazon", "AWS", "ES2"}, sorted(blanked & {"Amazon", "AWS", "ES2"})
    assert "acts, logic" in fills and "calls, requests" in fills  # the same lines, other words blanked


def test_a_fill_from_a_bullet_names_the_bullet_it_sits_under(bank):
    # "In your notes on EC2, which word fills the blank in "A ___ disk in the cloud"?" did not say it was about EBS
    q = next(it.question for it in bank if it.qtype == "fill" and "disk in the cloud" in it.question)
    assert 'in "What is EBS?"' in q, q


def test_the_topic_shown_with_a_question_does_not_name_its_answer(bank):
    # "[1/10] Identity Access Management (IAM) › Critical Terms › Group" above "which term is described as 'A collection
    # of users …'" gave the answer away
    which = [it for it in bank if it.qtype == "which"]
    assert which
    for it in bank:
        if len(it.reference.split()) <= 4:  # a name, a term, a number
            untold = set(content_terms(it.reference)) - set(content_terms(it.question))
            assert not set(content_terms(it.shown_topic)) & untold, (it.shown_topic, it.question, it.reference)
    group = next(it for it in which if it.reference == "Group")
    assert group.shown_topic == "Identity Access Management (IAM) › Critical Terms"
    # a question that names its subject keeps the full path
    term = next(it for it in bank if it.qtype == "term" and it.subject == "Spot")
    assert term.shown_topic == term.topic


def test_choice_options_read_whole(bank):
    # no option with a blank in it ("End ___"): a row whose description names the row is left out instead
    assert all("___" not in o for it in bank if it.options for o in it.options.values())


def test_bank_is_deterministic(passages, bank):
    again = build_bank(list(reversed(passages)))
    assert [it.id for it in again] == [it.id for it in bank]
    assert [it.question for it in again] == [it.question for it in bank]


def test_other_notes_get_questions_from_their_structure():
    pf = parse_notes("bio.md", OTHER_NOTES)
    bank = build_bank(pf.passages)
    by = {}
    for it in bank:
        by.setdefault(it.qtype, []).append(it)
    assert {"term", "which", "list", "number", "define"} <= set(by)
    which = next(it for it in by["which"] if it.kind == "mcq" and it.reference == "Ribosome")
    assert set(which.options.values()) == {"Ribosome", "Nucleus", "Golgi apparatus"}
    mitosis = next(it for it in by["list"] if "mitosis" in it.question)
    assert mitosis.key_points == ["Prophase", "Metaphase", "Anaphase", "Telophase"]
    assert any("46" in it.reference for it in by["number"])


def test_export_writes_grade_cases(tmp_path, bank):
    path = tmp_path / "bank.jsonl"
    n = export_bank(bank, path)
    cases = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert n == len(cases) == len(_free(bank))
    for c in cases:
        assert c["kind"] == "grade" and c["label"] == "correct" and c["answer"] == c["reference"]
        assert c["id"] and c["question"] and c["reference"]


def test_tutor_quiz_export_prints_counts_per_topic(tutor, tmp_path, capsys):
    import io

    from tutor.quiz_cli import run_quiz

    out = io.StringIO()
    path = tmp_path / "cases.jsonl"
    rc = run_quiz(tutor, Namespace(learner="x", topic=[], mcq=False, count=10, export=path), stdout=out)
    assert rc == 0
    text = out.getvalue()
    assert "Questions per topic group" in text and "EC2 › EC2 Option" in text
    assert len(path.read_text(encoding="utf-8").splitlines()) == len(_free(tutor.bank))


def test_a_grade_asked_from_outside_is_graded_with_the_rows_around_its_reference(tutor):
    # `tutor grade` and `tutor eval` get a bare (question, reference, answer): a bank item is graded as the quiz grades
    # it, with its sibling rows, so "Reserved Instances" is no answer where the notes say "Sport Instances"
    item = next(i for i in tutor.bank if i.qtype == "which" and i.reference == "Sport Instances")
    assert tutor.grade(item.question, "Reserved Instances", reference=item.reference).verdict == "incorrect"
    assert tutor.grade(item.question, item.reference, reference=item.reference).verdict == "correct"
    # a reference that is a cell of a notes table, asked in the learner's own words: the column's other cells
    g = tutor.grade("what is the C5 family meant for?", "Memory Intensive Apps / DBs", reference="CPU Intensive Apps / DBs")
    assert g.verdict == "incorrect", g.feedback
    g = tutor.grade("what is the C5 family meant for?", "cpu heavy apps and databases", reference="CPU Intensive Apps / DBs")
    assert g.verdict != "incorrect", g.feedback


def test_a_quiz_question_graded_without_its_reference_uses_the_banks(tutor):
    # `tutor grade --question <a quiz question>` with no --reference: the bank's own reference and rows, not the
    # composed answer to the question (which quoted the whole row and graded "RI" 0.07)
    item = next(i for i in tutor.bank if i.qtype == "which" and i.reference == "Reserved Instances")
    assert tutor.grade(item.question, "RI").verdict == "correct"
    assert tutor.grade(item.question, "spot instances").verdict == "incorrect"


@pytest.mark.parametrize("reference, answer", [
    ("x" * 10_000, "a guess"),  # a huge reference matches no bank item or table cell
    ("<td>CPU Intensive Apps / DBs</td>", "<b>memory intensive apps</b>"),  # HTML on both sides: read as text
    ("CPU Intensive Apps / DBs", ""),  # an empty answer
])
def test_a_grade_from_outside_with_odd_input_gets_a_clear_verdict(tutor, reference, answer):
    g = tutor.grade("what is the C5 family meant for?", answer, reference=reference)
    assert g.verdict in ("correct", "partial", "incorrect") and g.feedback
    if answer != "a guess":
        assert g.verdict == "incorrect", g.feedback


def test_a_row_whose_description_is_advice_is_asked_for_the_advice(bank):
    # "Use CloudFront CDN to get best performance …" says what to do for GET-intensive workloads, not what they are
    item = next(i for i in bank if i.kind == "free" and i.subject == "GET intensive workloads" and i.qtype == "term")
    assert "advise" in item.question and "what are" not in item.question, item.question


def test_a_grade_without_reference_on_odd_questions_is_clear(tutor):
    from tutor.errors import TutorError

    # the bank lookup comes first: a huge question matches no bank item and still gets a verdict from the notes
    g = tutor.grade("what is a spot instance? " * 400, "you bid on spare capacity")
    assert g.verdict in ("correct", "partial", "incorrect") and g.feedback
    with pytest.raises(TutorError) as e:
        tutor.grade("   ", "anything")
    assert "empty" in str(e.value).lower()


def test_a_which_question_keeps_the_word_that_tells_its_row_apart(bank):
    # "which entry is described as 'AWS Lambda runs your code in response to ___'?" fitted the Compute service row
    # ("Run your code in response to HTTP requests …") as well: the blank had taken "events"
    which = [it.question for it in bank if it.qtype == "which" and "___" in it.question]
    assert not any("in response to ___" in q for q in which), which
    # a blank that leaves words no other row has is still asked ("… HTTP and HTTPS traffic")
    assert any("Best suited for ___ HTTP and HTTPS traffic" in q for q in which), which
