"""Worked figures: the learner's numbers through a rate the notes give, or against a limit they give, cited."""
import re

import pytest

from tutor.arithmetic import limit_checks, limits, quantities, rates, worked_figures
from tutor.notes import parse_notes
from tutor.types import Passage

from conftest import CORPUS


@pytest.fixture(scope="module")
def rows():
    ps = parse_notes("aws-notes.md", (CORPUS / "aws-notes.md").read_text(encoding="utf-8")).passages
    by_title = {p.title: p for p in ps if p.kind == "table_row"}
    return by_title["General Purpose SSD (GP2)"], by_title["Number of requests"], by_title["Duration"]


def _one(question, passages):
    ws = worked_figures(question, passages)
    assert len(ws) == 1, (question, [w.text for w in ws])
    return ws[0]


def test_rates_are_read_with_what_qualifies_them_in_their_passage(rows):
    gp2, requests, duration = rows
    (r,) = rates(gp2)
    assert (r.amount, r.unit, r.per, r.cap) == (3.0, "IOPS", 1.0, 10_000.0)
    (r,) = rates(requests)
    assert (r.amount, r.unit, r.per, r.free) == (0.2, "$", 1_000_000.0, 1_000_000.0)
    (r,) = rates(duration)
    assert r.per_kinds == ("size", "time") and r.amount == pytest.approx(0.00001667) and r.rounding == pytest.approx(0.1)


def test_a_volume_size_gives_its_iops_capped_where_the_notes_cap_it(rows):
    gp2 = rows[0]
    w = _one("planning a 1,500 GB gp2 volume for our app server, roughly what baseline iops will that give me?", [gp2])
    assert w.value == 4500 and "1,500 GB × 3 IOPS per GB = 4,500 IOPS" in w.text
    w = _one("if i make a 4000 GB gp2 volume will i get 12000 iops?", [gp2])
    assert w.value == 10_000 and "12,000 IOPS" in w.text and "up to 10,000 IOPS" in w.text
    # a terabyte is 1,024 GB, and the sentence says so
    w = _one("roughly how many baseline iops will a 2 TB gp2 volume give me?", [gp2])
    assert w.value == 6144 and "2 TB = 2,048 GB" in w.text
    # the inverse: the IOPS wanted, the size asked
    w = _one("i need about 9000 baseline iops from a gp2 volume. how big does the volume have to be?", [gp2])
    assert w.value == 3000 and w.text.endswith("= 3,000 GB")


def test_requests_are_billed_after_the_free_allowance(rows):
    requests = rows[1]
    w = _one("we'll get about 3 million lambda invocations a month, how much will the requests cost?", [requests])
    assert w.value == pytest.approx(0.40) and w.text.endswith("= $0.40")
    w = _one("my lambda only gets about 500k requests a month, how much do i pay for the requests?", [requests])
    assert w.value == 0 and "free" in w.text and w.text.endswith("$0.00")


def test_duration_is_memory_times_rounded_time_times_runs(rows):
    duration = rows[2]
    w = _one("lambda with 512 MB of memory runs 1,000,000 times, each run 200 ms. what's the duration charge?", [duration])
    assert w.value == pytest.approx(1.667) and "100,000 GB-seconds" in w.text and w.text.endswith("$1.67")
    w = _one("lambda with 1 GB memory, each call runs about 80ms, 1 million calls. what's the duration part of the bill?",
             [duration])
    assert "80ms is billed as 100 ms" in w.text and w.value == pytest.approx(1.667)
    w = _one("if my lambda function runs for 230ms, how much duration am I billed for?", [duration])
    assert "230ms is billed as 300 ms" in w.text


def test_no_figure_without_a_quantity_an_amount_asked_or_the_passage_asked_about(rows):
    gp2, requests, duration = rows
    assert worked_figures("how many IOPS per GB does gp2 give?", [gp2]) == []  # no quantity of the learner's
    assert worked_figures("I have a 1,500 GB gp2 volume.", [gp2]) == []  # no amount asked
    # Lambda's memory in GB is no gp2 volume size
    assert worked_figures("my lambda has 512mb of memory, how much will a run cost?", [gp2]) == []
    # "5 minutes a day" is no run time to round
    assert worked_figures("a script runs 5 minutes a day on lambda, how does it charge?", [duration]) == []
    # a row beside the cited one takes the quantity forward only: no gp2 size for "25,000 iops on io1"
    assert worked_figures("our db needs 25,000 iops on one ebs volume, can provisioned iops get that high?", [],
                          [gp2]) == []


@pytest.mark.parametrize("question", [
    "9" * 5000 + " GB gp2 volume, how many iops?",  # pasted digits: no figure, no overflow
    "how many iops for a " + "1," * 3000 + "5 GB gp2 volume?",
    "0 GB gp2, how many iops?",
    "how much for a million a million a million requests?" * 200,
    "<script>alert(1)</script> 100 GB gp2 how many iops?",
])
def test_odd_quantities_are_safe(rows, question):
    for w in worked_figures(question, list(rows)):
        assert w.value < 1e16 and "<script>" not in w.text


def test_a_rate_in_any_notes_is_read_not_only_these():
    p = Passage("n.md", 1, 1, ("Pricing",), "bullet", "Storage costs $0.023 per GB each month", title="Storage")
    w = _one("how much will storing 200 GB cost?", [p])
    assert w.value == pytest.approx(4.6) and w.text.endswith("$4.60")
    kinds = [(q.kind, q.value) for q in quantities("3 million calls, 128mb, 250 ms and 2.5 mil requests")]
    assert kinds == [("request", 3e6), ("size", 0.125), ("time", 0.25), ("request", 2.5e6)]


def test_the_tutor_answers_with_the_worked_figure_first_and_cites_the_rate(tutor):
    ans = tutor.ask("planning a 1,500 GB gp2 volume for our app server, roughly what baseline iops will that give me?")
    assert not ans.refused
    first = re.match(r"Worked out from your notes: (.+?) \[(\d+)\]\.", ans.answer)
    assert first and "4,500 IOPS" in first.group(1), ans.answer
    cited = {c.n: c.passage for c in ans.citations}[int(first.group(2))]
    assert cited.title == "General Purpose SSD (GP2)" and "3 IOPS per GB" in cited.text
    assert [c.n for c in ans.citations] == list(range(1, len(ans.citations) + 1))  # numbered by first use


def test_a_practice_question_with_amounts_is_answered_by_the_calculation(tutor):
    q = ("An AWS Lambda function receives 3 million requests in one month. Considering only the per-request charge, "
         "how much will the company pay for requests that month?")
    ans = tutor.ask(q, options={"A": "$0.00.", "B": "$0.20.", "C": "$0.40.", "D": "$0.60."})
    assert ans.choice == ["C"], ans.answer
    assert "$0.40" in ans.answer and ans.citations[0].passage.title == "Number of requests"


@pytest.fixture(scope="module")
def limited():
    ps = parse_notes("aws-notes.md", (CORPUS / "aws-notes.md").read_text(encoding="utf-8")).passages
    by_title = {p.title: p for p in ps if p.kind == "table_row"}
    s3 = next(p for p in ps if p.section == ("S3",) and "0 bytes to 5TB" in p.text)
    return (by_title["Provisioned IOPS SSD (IO1)"], by_title["General Purpose SSD (GP2)"], by_title["Automated Backups"],
            by_title["Read Replica (for Scaling, Performance)"], s3)


def test_limits_are_read_from_the_notes(limited):
    io1, gp2, backups, replicas, s3 = limited
    assert [(x.kind, x.high, x.said) for x in limits(io1)] == [("iops", 20_000, "up to 20,000 IOPS per volume")]
    assert sorted(x.high for x in limits(gp2)) == [3000, 10_000]  # the burst and the cap
    (days,) = limits(backups)
    assert (days.low, days.high) == (86400, 35 * 86400)
    assert [(x.kind, x.high) for x in limits(replicas)] == [("copy", 5)]
    (size,) = limits(s3)
    assert (size.low, size.high, size.said) == (0, 5 * 1024, "from 0 bytes to 5TB")


def test_a_quantity_outside_a_limit_is_said_to_be(limited):
    io1, gp2, backups, replicas, s3 = limited
    (w,) = limit_checks("can i put a 7TB database dump into s3 as one single file?", [backups, s3])
    assert w.check and w.passage is s3 and w.text == "7TB is more than they allow (from 0 bytes to 5TB)"
    (w,) = limit_checks("can i keep automated rds backups for 60 days?", [backups])
    assert "60 days" in w.text and "between 1 and 35 days" in w.text
    (w,) = limit_checks("can i have 8 read replicas of one db?", [replicas])
    assert w.text == "8 read replicas is more than they allow (up to 5 copies)"
    (w,) = limit_checks("can a gp2 volume do 15,000 iops?", [gp2])
    assert "up to 10,000 IOPS" in w.text  # the cap, not the burst


def test_no_limit_check_when_within_allowed_elsewhere_unnamed_or_not_asked(limited):
    io1, gp2, backups, replicas, s3 = limited
    assert limit_checks("can i have 3 read replicas?", [replicas]) == []  # within: nothing to say
    assert limit_checks("can gp2 burst to 2500 iops?", [gp2]) == []  # within the cap, over nothing
    # io1's 20,000 allows what gp2's 10,000 does not: the question is answered by io1, not by gp2's limit
    assert limit_checks("need 15,000 iops, can provisioned iops ssd or general purpose ssd do it?", [gp2, io1]) == []
    # a manual snapshot is not an automated backup, though their rows share words
    assert limit_checks("can i keep snapshot copies for 60 days?", [backups]) == []
    assert limit_checks("i have 8 read replicas of one db", [replicas]) == []  # no question whether it fits
    assert limit_checks("can i have 8 read replicas?", [s3]) == []  # no limit of that kind there


@pytest.mark.parametrize("question", [
    "can s3 hold a " + "9" * 5000 + " TB file?",
    "can i have " + "1," * 3000 + "5 read replicas?",
    "can i keep <b>60</b> days of backups? <script>alert(1)</script> 60 days",
])
def test_odd_quantities_against_limits_are_safe(limited, question):
    for w in limit_checks(question, list(limited)):
        assert w.value < 1e16 and "<script>" not in w.text


def test_the_tutor_checks_a_quantity_against_the_limit_first_and_cites_it(tutor):
    ans = tutor.ask("can i have 8 read replicas of one rds database?")
    assert not ans.refused
    first = re.match(r"Checked against your notes: (.+?) \[(\d+)\]\.", ans.answer)
    assert first and first.group(1) == "8 read replicas is more than they allow (up to 5 copies)", ans.answer
    cited = {c.n: c.passage for c in ans.citations}[int(first.group(2))]
    assert cited.title.startswith("Read Replica") and "up to 5 copies" in cited.text


def test_a_follow_up_with_the_learners_numbers_is_worked_out_with_the_subject_asked_before(tutor):
    # the question names no subject ("the per-request part"), its history does: the rate is Lambda's, and a quantity
    # the notes' rate settles is answered rather than refused for the few words it shares with them
    ans = tutor.ask("we only get about 400k invocations a month, does the per-request part cost us anything?",
                    ["how does lambda pricing work?"])
    assert not ans.refused and "400k invocations is within the free allowance" in ans.answer, ans.answer
    ans = tutor.ask("so a run that takes 230ms gets billed as what?", ["how does lambda pricing work?"])
    assert not ans.refused and "230ms is billed as 300 ms" in ans.answer, ans.answer
