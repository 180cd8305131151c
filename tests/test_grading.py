"""The grader with the real MiniLM and the shipped model: what a learner would notice."""
from __future__ import annotations

import re

import pytest

from tutor.grading import (
    GRADE_EMPTY,
    GRADE_MATCHED,
    GRADE_MISSING,
    GRADE_NOT_ENGLISH,
    GRADE_TRUNCATED,
    MAX_ANSWER_CHARS,
    Grader,
    derive_key_points,
)
from tutor.types import Citation, Passage

EC2_Q = "Which EC2 purchasing option lets you bid whatever price you want for spare instance capacity?"
SPOT = "Spot: enables you to bid whatever price you want for instance capacity, for greater savings with flexible start and end times"
SIBLINGS = [
    "On Demand: pay a fixed rate by the hour (or by the second) with no commitment",
    "Reserved: provides a capacity reservation and a significant discount on the hourly charge, 1 or 3 year terms",
    "Dedicated Hosts: physical EC2 server dedicated for your use",
]
IAM_Q = "What does IAM give you?"
IAM_REF = "Centralized control of your AWS account and granular permissions"
IAM_KPS = ["Centralized control of your AWS account", "Granular permissions"]


@pytest.fixture(scope="session")
def grader() -> Grader:
    return Grader.load()


def test_reference_itself_is_correct(grader):
    for q, ref in [(EC2_Q, SPOT), (IAM_Q, IAM_REF), ("What is a Spot instance?", "Spot")]:
        g = grader.grade(q, ref, ref)
        assert g.verdict == "correct", (ref, g)
        assert g.score >= grader.t_correct
        assert not g.contradictions


def test_paraphrase_with_typos_is_correct(grader):
    g = grader.grade(IAM_Q, IAM_REF, "centralised controll of the AWS acount, plus granular permisions")
    assert g.verdict == "correct", g
    g = grader.grade(
        "How did you separate the salt from the water?",
        "The water was evaporated, leaving the salt.",
        "we let the water evaporate and the salt was left behind",
    )
    assert g.verdict == "correct", g


def test_abbreviation_is_understood(grader):
    g = grader.grade(
        "What is S3 Infrequent Access for?",
        "S3 Infrequent Access: for data that is accessed less frequently but requires rapid access when needed",
        "IA is for data accessed less frequently that still needs rapid access",
        key_points=["accessed less frequently", "rapid access when needed"],
    )
    assert g.verdict == "correct", g


def test_negated_answer_is_incorrect(grader):
    ref = "The water was evaporated, leaving the salt."
    g = grader.grade("How did you separate the salt from the water?", ref, "The water was not evaporated, leaving the salt.")
    assert g.verdict == "incorrect", g
    assert g.contradictions and "not" in g.contradictions[0]
    g = grader.grade(IAM_Q, IAM_REF, "IAM does not give centralized control of your AWS account and granular permissions")
    assert g.verdict == "incorrect", g


def test_wrong_number_is_incorrect(grader):
    g = grader.grade("How long are deleted items kept?", "Deleted items are kept for 35 days", "they are kept for 5 days")
    assert g.verdict == "incorrect", g
    assert any("5" in c and "35" in c for c in g.contradictions)


def test_a_bare_number_answers_a_number_question(grader):
    # "what number fills the blank": the learner types just the number, with or without a thousands separator
    q = 'In your notes on Provisioned IOPS SSD (IO1), what number fills the blank in "Use if you need more than ___ IOPS"?'
    for answer in ["10,000", "10000", "10,000 IOPS"]:
        g = grader.grade(q, "10,000 IOPS", answer, key_points=["10,000 IOPS"])
        assert g.verdict == "correct", (answer, g)
    g = grader.grade(q, "10,000 IOPS", "20,000", key_points=["10,000 IOPS"])
    assert g.verdict == "incorrect" and not g.matched, g  # a wrong number is not "You got: 10,000 IOPS"
    assert any("20000" in c and "10000" in c for c in g.contradictions), g


def test_a_key_point_said_the_other_way_round_is_a_contradiction_not_a_point_made(grader):
    st1 = "Big data; Data warehouses; Log processing; Cannot be a boot volume"
    kps = ["Big data", "Data warehouses", "Log processing", "Cannot be a boot volume"]
    g = grader.grade("What is Throughput Optimized HDD (ST1)?", st1, "can be a boot volume", key_points=kps)
    assert g.verdict == "incorrect" and "Cannot be a boot volume" not in g.matched, g
    assert any("negate" in c for c in g.contradictions), g
    # the same words with the notes' polarity, after a clause that has none, are credited point by point
    g = grader.grade("What is Throughput Optimized HDD (ST1)?", st1, "big data and data warehouses, cannot be a boot volume",
                     key_points=kps)
    assert {"Big data", "Data warehouses", "Cannot be a boot volume"} <= set(g.matched) and not g.contradictions, g
    g = grader.grade("What is Cold HDD (SC1)?", "Lowest cost storage for infrequently accessed workloads",
                     "storage for frequently accessed data")
    assert g.verdict == "incorrect", g  # "frequently" where the notes say "infrequently"


@pytest.mark.parametrize("answer", ["ALB", "alb"])
def test_a_name_written_short_is_the_name(grader, answer):
    g = grader.grade("Which load balancer is best suited for HTTP and HTTPS traffic?", "Application Load Balancer", answer)
    assert g.verdict == "correct", g
    for ref, short in [("General Purpose SSD (GP2)", "gp2"), ("Magnetic (Standard)", "magnetic"), ("Reserved Instances", "RIs")]:
        assert grader.grade("Which one?", ref, short).verdict == "correct", (ref, short)


def test_the_short_name_in_the_cited_rows_heading_is_the_name(grader):
    # the quiz asks for the row's name without its parenthesis; the learner writes the parenthesis ("gp2")
    row = Passage("aws-notes.md", 180, 186, ("EC2", "EBS Volume Types", "General Purpose SSD (GP2)"), "table_row",
                  "General Purpose SSD (GP2): Ratio of 3 IOPS per GB", title="General Purpose SSD (GP2)")
    q = 'Which Volume Type is described as "Ratio of 3 IOPS per GB"?'
    g = grader.grade(q, "General Purpose SSD", "gp2", key_points=["General Purpose SSD"],
                     siblings=["Provisioned IOPS SSD", "Cold HDD"], citation=Citation(1, row))
    assert g.verdict == "correct", g
    g = grader.grade(q, "General Purpose SSD", "io1", key_points=["General Purpose SSD"],
                     siblings=["Provisioned IOPS SSD", "Cold HDD"], citation=Citation(1, row))
    assert g.verdict == "incorrect", g


def test_a_digit_inside_a_name_is_not_a_number_to_contradict(grader):
    ref = "Amazon S3 gives developers secure, durable object storage"
    g = grader.grade("What does S3 provide?", ref, "object storage where files can be up to 5TB")
    assert "where the notes say" not in g.feedback, g.feedback  # "S3" holds no 3 that 5TB contradicts



@pytest.mark.parametrize("answer, named", [("Reserved instances", "Reserved"), ("on demand", "On Demand")])
def test_sibling_row_is_incorrect_and_named(grader, answer, named):
    g = grader.grade(EC2_Q, SPOT, answer, siblings=SIBLINGS)
    assert g.verdict == "incorrect", g
    assert g.contradictions and named in g.contradictions[0] and "Spot" in g.contradictions[0]
    assert named in g.feedback


def test_an_answer_that_only_reads_like_another_row_is_not_quoted_as_saying_it(grader):
    # "CPU" shares no word with any row; MiniLM puts it nearest the GPU row. The feedback may say so, but must not
    # claim the learner wrote "Graphics Intensive"
    rows = ["Compute Optimized", "Memory Optimized", "Graphics Intensive", "Graphics / General Purpose GPU"]
    g = grader.grade("What is the speciality of C5?", rows[0], "CPU", siblings=rows[1:])
    for c in g.contradictions:
        said = re.match(r'"([^"]+)" where the notes say', c)
        assert said is None or said.group(1).lower() in "cpu", c
    g = grader.grade("What is the speciality of C5?", rows[0], "memory optimized", siblings=rows[1:])
    assert g.verdict == "incorrect" and '"Memory Optimized" where the notes say "Compute Optimized"' in g.feedback, g


def test_naming_two_options_hedges_and_is_not_credited(grader):
    q = 'Which EC2 option is good for "Applications with steady state or predictable usage"?'
    sibs = ["On Demand", "Spot Instances", "Dedicated Hosts"]
    g = grader.grade(q, "Reserved Instances", "Reserved Instances or Spot Instances", siblings=sibs)
    assert g.verdict == "incorrect" and "Spot Instances" in g.feedback, g
    assert "You got" not in g.feedback  # telling the learner which of the two was right gives the answer away
    assert grader.grade(q, "Reserved Instances", "reserved instances", siblings=sibs).verdict == "correct"
    g = grader.grade('Fill the blank: "Standard RIs (Up to ___% off on-demand cost)"', "75%", "4, 70, 75")
    assert g.verdict == "incorrect", g  # a list of guesses is no answer
    assert grader.grade('Fill the blank: "Standard RIs (Up to ___% off on-demand cost)"', "75%", "75").verdict == "correct"


def test_the_word_that_tells_a_row_from_its_siblings_must_be_said(grader):
    # C5 is "CPU Intensive Apps / DBs": three of R4's four words, and the wrong one
    sibs = ["CPU Intensive Apps / DBs", "Graphics Intensive", "Video Encoding / 3D Application Streaming"]
    g = grader.grade("What is the use case of R4?", "Memory Intensive Apps / DBs", "CPU intensive apps and DBs",
                     key_points=["Memory Intensive Apps / DBs"], siblings=sibs)
    assert g.verdict == "incorrect" and not g.matched, g
    g = grader.grade("What is the use case of R4?", "Memory Intensive Apps / DBs", "memory intensive apps and databases",
                     key_points=["Memory Intensive Apps / DBs"], siblings=sibs)
    assert g.verdict == "correct", g


@pytest.mark.parametrize("answer, verdict", [
    ("Elastic Block Store", "correct"), ("elastic blok store", "correct"),  # a typo is still the name
    ("EBS", "incorrect"),  # the acronym back is no answer
    ("Elastic Bucket Storage", "partial"), ("Elastic Beanstalk Service", "incorrect"),  # look-alikes are not the name
])
def test_a_spelled_out_name_is_graded_word_for_word(grader, answer, verdict):
    g = grader.grade("What does EBS stand for?", "Elastic Block Store", answer)
    assert g.verdict == verdict, g


def test_numbers_written_with_or_without_separators_are_the_same(grader):
    for answer in ("20000", "20,000", "20k"):
        g = grader.grade('Fill the blank: "Can provision up to ___ IOPS per volume"', "20,000 IOPS", answer)
        assert g.verdict == "correct", (answer, g)


def test_a_number_the_notes_give_for_something_else_contradicts(grader):
    io1 = ("Designed for I/O intensive applications; Use if you need more than 10,000 IOPS; "
           "Can provision up to 20,000 IOPS per volume")
    g = grader.grade("What is Provisioned IOPS SSD (IO1)?", io1, "can provision up to 10,000 IOPS per volume")
    assert g.verdict == "incorrect" and any("20000" in c for c in g.contradictions), g
    g = grader.grade("What did Amazon announce in July 2018?", "3500 put requests per second; 5500 get requests",
                     "5500 PUT and 3500 GET")
    assert g.verdict == "incorrect" and g.contradictions, g  # the two rates swapped
    ok = grader.grade("What did Amazon announce in July 2018?", "3500 put requests per second; 5500 get requests",
                      "3500 PUT and 5500 GET requests per second")
    assert not ok.contradictions, ok
    ok = grader.grade("How long can automated backups be kept?", "Can be between 1 and 35 days", "1-35 days")
    assert not ok.contradictions, ok


@pytest.mark.parametrize("ref, answer", [
    ("Great for licensing which does not support multi-tenancy", "great for licensing that supports multi-tenancy"),
    ("The location where content is cached and can also be written", "where content is cached; it cannot be written"),
    ("Designed as a pure caching solution with no persistence", "a pure caching solution with persistence"),
])
def test_the_same_word_negated_on_one_side_only_contradicts(grader, ref, answer):
    g = grader.grade("What is it?", ref, answer, key_points=[ref])
    assert g.verdict == "incorrect" and g.contradictions, g
    assert grader.grade("What is it?", ref, ref.lower(), key_points=[ref]).verdict == "correct"


@pytest.mark.parametrize("ref, answer", [
    ("Allows you to pay a fixed rate by the hour with no commitment", "a fixed hourly rate; you do not need to commit"),
    ("Allows you to pay a fixed rate by the hour with no commitment", "you don’t have to commit to anything, fixed hourly rate"),
    ("Cannot be a boot volume", "it can’t be a boot volume"),  # a phone's curly apostrophe
    ("AWS Lambda takes care of provisioning and managing the servers", "you don't manage the servers, AWS provisions them"),
])
def test_a_negation_said_in_other_words_is_no_contradiction(grader, ref, answer):
    g = grader.grade("What is it?", ref, answer, key_points=[ref])
    assert not g.contradictions, g


def test_a_negation_after_the_words_counts_too(grader):
    ref = "At the present time, encrypting an existing DB instance is not supported"
    kps = ["encrypting an existing DB instance is not supported"]  # the quiz's key point: the main clause
    g = grader.grade("Can I encrypt it?", ref, "you can encrypt an existing DB instance directly", key_points=kps)
    assert g.verdict == "incorrect" and g.contradictions, g
    assert not grader.grade("Can I encrypt it?", ref, "you can't encrypt an existing DB instance", key_points=kps).contradictions


@pytest.mark.parametrize("answer", ["", "?!", "x" * 10_000, "<b>Elastic</b> Block Store", "Almacenamiento elástico"])
def test_odd_answers_to_a_spelled_out_name_are_graded_safely(grader, answer):
    g = grader.grade("What does EBS stand for?", "Elastic Block Store", answer)
    assert g.verdict in ("correct", "partial", "incorrect") and g.feedback


def test_a_spelled_out_name_against_the_notes_own_answer(grader):
    # without --reference the notes' answer repeats the acronym: "EBS: Elastic Block Store."
    assert grader.grade("What does EBS stand for?", "EBS: Elastic Block Store.", "elastic block store").verdict == "correct"
    assert grader.grade("What does EBS stand for?", "EBS: Elastic Block Store.", "EBS").verdict == "incorrect"


@pytest.mark.parametrize("ref, wrong, right", [
    ("Archived data, where you can wait 3 - 5 hours before accessing", "archived data, 3 - 5 days to access",
     "archived data, wait 3-5 hours"),
    ("Can be from 0 bytes to 5TB", "0 to 5 GB", "0 bytes up to 5 TB"),
    ("rounded up to the nearest 100ms", "rounded up to 100 seconds", "rounded up to 100 milliseconds"),
])
def test_the_notes_number_in_another_unit_contradicts(grader, ref, wrong, right):
    g = grader.grade("What do your notes say?", ref, wrong, key_points=[ref])
    assert g.verdict == "incorrect" and g.contradictions and not g.matched, g
    assert not grader.grade("What do your notes say?", ref, right, key_points=[ref]).contradictions


def test_a_number_in_a_unit_of_another_measure_contradicts(grader):
    ref = "Can provision up to 20,000 IOPS per volume"
    g = grader.grade("How far can io1 go?", ref, "up to 20,000 GB per volume", key_points=[ref])
    assert g.verdict == "incorrect" and any("iops" in c.lower() for c in g.contradictions), g
    assert not grader.grade("How far can io1 go?", ref, "20000 IOPS per volume", key_points=[ref]).contradictions
    # a unit where the notes count something else: a share, copies
    ref = "Convertible RIs (Up to 4% off on-demand cost)"
    g = grader.grade("How much off do Convertible RIs give?", ref, "4 hours", key_points=[ref])
    assert g.verdict == "incorrect" and any("4%" in c for c in g.contradictions), g
    g = grader.grade("How many read replicas?", "up to 5 copies", "5 GB", key_points=["up to 5 copies"])
    assert g.verdict == "incorrect", g
    assert grader.grade("How much off do Convertible RIs give?", ref, "up to 4 percent off", key_points=[ref]).verdict == "correct"


def test_a_name_one_version_off_contradicts(grader):
    q = 'In your notes on EC2 Instance Types, which Family is described as "CPU Intensive Apps / DBs"?'
    g = grader.grade(q, "C5", "C4")
    assert g.verdict == "incorrect" and any("C4" in c and "C5" in c for c in g.contradictions), g
    assert grader.grade(q, "C5", "c5").verdict == "correct"


@pytest.mark.parametrize("q, ref, kps, wrong, right", [
    # two numbers that belong to different things, said the other way round
    ('what numbers fill the blanks in "receiving > ___ PUT/LIST/DELETE or > ___ GET requests per second"?',
     "100 PUT/LIST/DELETE or > 300", ["100 PUT/LIST/DELETE or > 300"], "300 and 100", "100 and 300"),
    # two opposites swapped
    ('which words fill the blanks in "Whenever you restore either an ___ Backup or ___ Snapshot"?',
     "Automatic, manual", ["Automatic", "manual"], "manual, automatic", "automatic, manual"),
])
def test_two_blanks_filled_the_wrong_way_round_contradict(grader, q, ref, kps, wrong, right):
    g = grader.grade(q, ref, wrong, key_points=kps)
    assert g.verdict == "incorrect" and any("order" in c for c in g.contradictions), g
    assert grader.grade(q, ref, right, key_points=kps).verdict == "correct"


@pytest.mark.parametrize("q, ref, kps, answer", [
    # a range said backwards still says the range; words that only fit their own blank are not confused
    ('what numbers fill the blanks in "(can be between ___ and ___ days)"?', "1 and 35 days", ["1 and 35 days"],
     "35 and 1"),
    ('which words fill the blanks in "Allowing users to ___ virtual computers on which to run their own computer ___"?',
     "rent, applications", ["rent", "applications"], "applications, rent"),
])
def test_blanks_whose_order_changes_nothing_are_not_an_order_mistake(grader, q, ref, kps, answer):
    g = grader.grade(q, ref, answer, key_points=kps)
    assert not any("order" in c for c in g.contradictions), g


def test_two_pairs_said_the_other_way_round_contradict(grader):
    q = 'Which items do your notes list under "Non Relational Databases"?'
    ref = "Database; Collection = Table; Document = Row; Key Value Pairs = Fields"
    kps = ["Database", "Collection = Table", "Document = Row", "Key Value Pairs = Fields"]
    g = grader.grade(q, ref, "collection = row, document = table", key_points=kps)
    assert g.verdict == "incorrect" and any("Collection = Table" in c for c in g.contradictions), g
    assert not {"Collection = Table", "Document = Row"} & set(g.matched), g  # neither pair was got
    g = grader.grade(q, ref, "collection = table, document = row", key_points=kps)
    assert g.verdict != "incorrect" and not g.contradictions, g


def test_a_summary_making_most_points_is_right_but_a_list_missing_an_item_is_partial(grader):
    sc1 = "Lowest cost storage for infrequently accessed workloads; File Server; Cannot be a boot volume"
    kps = ["Lowest cost storage for infrequently accessed workloads", "File Server", "Cannot be a boot volume"]
    g = grader.grade("What is Cold HDD (SC1)?", sc1, "lowest cost storage for infrequently accessed workloads, file servers",
                     key_points=kps)
    assert g.verdict == "correct", g  # only the descriptive clause "Cannot be a boot volume" left out
    r53 = "EC2 instances; Load Balancers; S3 Buckets"
    g = grader.grade("Which items do your notes list under Route 53?", r53, "EC2 instances and S3 buckets",
                     key_points=["EC2 instances", "Load Balancers", "S3 Buckets"])
    assert g.verdict == "partial" and g.missing == ["Load Balancers"], g


def test_a_word_swapped_for_its_opposite_contradicts(grader):
    q, ref = "What is S3 - One Zone IA?", "Same as IA. However, data is stored in a single availability zone only"
    g = grader.grade(q, ref, "like IA but data is stored in multiple availability zones")
    assert g.verdict == "incorrect" and g.contradictions, g
    assert grader.grade(q, ref, "like IA but the data sits in a single availability zone").verdict != "incorrect"


def test_sibling_reference_swapped_in_is_incorrect(grader):
    for i, sib in enumerate(SIBLINGS):
        others = [s for s in SIBLINGS if s != sib] + [SPOT]
        g = grader.grade("What is this EC2 option?", sib, SPOT, siblings=others)
        assert g.verdict == "incorrect", g
        assert "Spot" in g.contradictions[0]


def test_right_row_is_not_flagged_because_siblings_exist(grader):
    g = grader.grade(EC2_Q, SPOT, "Spot instances, where you bid your own price", siblings=SIBLINGS)
    assert g.verdict != "incorrect" and not g.contradictions, g


def test_partial_answer_says_what_was_right_before_what_is_missing(grader):
    g = grader.grade(IAM_Q, IAM_REF, "granular permissions", key_points=IAM_KPS)
    assert g.verdict == "partial", g
    assert g.matched == ["Granular permissions"]
    assert g.missing == ["Centralized control of your AWS account"]
    got = g.feedback.index(GRADE_MATCHED.split("{")[0])
    miss = g.feedback.index(GRADE_MISSING.split("{")[0])
    assert got < miss
    assert g.feedback.index("Granular permissions") < g.feedback.index("Centralized control")


def test_what_the_question_already_says_is_not_missing_from_the_answer(grader):
    # the reference opens on the row's name, which the question asks about: the learner need not repeat it
    ref = "Spot: Enables you to bid whatever price you want for instance capacity. Flexible start and end times."
    g = grader.grade("What is a Spot instance?", ref, "you bid a price for spare capacity")
    assert "Spot" not in g.missing, g
    assert any("Flexible" in m for m in g.missing), g  # what it did leave out is still named


def test_unrelated_answer_is_incorrect(grader):
    g = grader.grade(IAM_Q, IAM_REF, "It stores objects in buckets across availability zones", key_points=IAM_KPS)
    assert g.verdict == "incorrect", g
    assert g.missing == IAM_KPS


def test_empty_answer(grader):
    for answer in ["", "   ", "?!", "<p></p>"]:
        g = grader.grade(IAM_Q, IAM_REF, answer)
        assert g.verdict == "incorrect" and g.score == 0.0
        assert GRADE_EMPTY in g.feedback


def test_very_long_answer_is_graded_and_says_so(grader):
    g = grader.grade(IAM_Q, IAM_REF, "lorem ipsum dolor " * 600)  # ~10,800 characters
    assert g.verdict == "incorrect"
    assert GRADE_TRUNCATED.format(n=MAX_ANSWER_CHARS) in g.feedback
    g = grader.grade(IAM_Q, IAM_REF, "x" * 10_000)
    assert g.verdict == "incorrect"


def test_non_english_answer(grader):
    for answer in ["Contrôle centralisé de votre compte et des permissions granulaires pour les utilisateurs", "集中控制"]:
        g = grader.grade(IAM_Q, IAM_REF, answer)
        assert g.verdict == "incorrect", g
        assert GRADE_NOT_ENGLISH in g.feedback


def test_html_answer_is_read_as_text(grader):
    g = grader.grade(IAM_Q, IAM_REF, "<p><strong>Centralized control</strong> of your AWS account &amp; granular permissions</p>")
    assert g.verdict == "correct", g
    g = grader.grade(IAM_Q, IAM_REF, "<script>alert('x')</script>")
    assert g.verdict == "incorrect"


def test_grading_is_deterministic(grader):
    answers = ["granular permissions", "Reserved", "centralized control of the account and fine-grained permissions"]
    first = [grader.grade(IAM_Q, IAM_REF, a, siblings=SIBLINGS).to_dict() for a in answers]
    again = [grader.grade(IAM_Q, IAM_REF, a, siblings=SIBLINGS).to_dict() for a in answers]
    assert first == again


def test_citation_is_carried_and_named(grader):
    passage = Passage("aws-notes.md", 3, 16, ("IAM",), "bullet", IAM_REF)
    g = grader.grade(IAM_Q, IAM_REF, "granular permissions", key_points=IAM_KPS, citation=Citation(1, passage))
    assert g.citation is not None and g.citation.passage is passage
    assert "aws-notes.md › IAM" in g.feedback
    assert g.to_dict()["citation"]["lines"] == [3, 16]


def test_derived_key_points_are_content_phrases():
    assert derive_key_points("The water was evaporated, leaving the salt.") == ["The water was evaporated", "leaving the salt"]
    assert derive_key_points("Spot: bid whatever price you want") == ["Spot", "bid whatever price you want"]


def test_answer_without_content_words_is_graded(grader):
    g = grader.grade(IAM_Q, IAM_REF, "it is what it is")
    assert g.verdict == "incorrect", g


def test_shipped_model_has_the_alignment_head(grader):
    assert grader.head is not None and 0 < grader.head_weight < 1


def test_one_to_one_alignment_counts_each_answer_word_once():
    import numpy as np

    from tutor.grading_head import one_to_one

    # two reference words, one answer word matching both: only one of them is covered
    arrs = {"S": np.array([[1.0], [0.9]], np.float32), "fr": np.zeros((2, 3), np.float32)}
    assert one_to_one(arrs) == pytest.approx(0.5)
    arrs["fr"][1, 0] = 1  # the second word is in the question: counts a quarter
    assert one_to_one(arrs) == pytest.approx(1.0 / 1.25)


def test_numpy_head_matches_the_torch_head_it_was_exported_from():
    import numpy as np
    import torch

    from tutor import grading_head as gh

    rng = np.random.default_rng(0)

    def item(nr, na, dim=384):
        R, A = rng.normal(size=(nr, dim)).astype(np.float32), rng.normal(size=(na, dim)).astype(np.float32)
        return {"R": R, "A": A, "S": np.tanh(R @ A.T / 20).astype(np.float32),
                "fr": rng.integers(0, 2, (nr, 3)).astype(np.float32), "fa": rng.random((na, 4)).astype(np.float32),
                "cos": np.float32(rng.random())}

    items = [item(5, 7), item(3, 2), item(4, 0)]  # the last answer has no content words
    _, Head = gh._torch_head()
    torch.manual_seed(0)
    model = Head(gh.PCA_DIM).eval()
    mu = rng.normal(size=384).astype(np.float32)
    W = np.linalg.qr(rng.normal(size=(384, gh.PCA_DIM)))[0].astype(np.float32)
    small = [dict(b, R=(b["R"] - mu) @ W, A=(b["A"] - mu) @ W) for b in items]
    with torch.no_grad():
        expected = model(*gh._pad(small, gh.PCA_DIM)).numpy()
    head = gh.HeadModel(gh.export(model, mu, W))
    assert [head.logit(b) for b in items] == pytest.approx(expected.tolist(), abs=1e-3)


def test_a_fitted_cross_encoder_is_blended_in_when_the_model_names_it(grader, tmp_path):
    import json

    import numpy as np

    from tutor import grading as g
    from tutor import grading_cross as gc

    rng = np.random.default_rng(1)
    adapters = {"head.weight": rng.normal(0, 0.5, 384).astype(np.float16), "head.bias": np.array([1.0], np.float16)}
    for i in range(6):
        for name in gc.TARGETS:
            out_dim, in_dim = {"intermediate.dense": (1536, 384), "output.dense": (384, 1536)}.get(name, (384, 384))
            adapters[f"encoder.layer.{i}.{name}.A"] = rng.normal(0, 0.01, (gc.RANK, in_dim)).astype(np.float16)
            adapters[f"encoder.layer.{i}.{name}.B"] = rng.normal(0, 0.01, (out_dim, gc.RANK)).astype(np.float16)
    gc.save(adapters, tmp_path / "cross.safetensors")
    data = json.loads(g.DEFAULT_MODEL_PATH.read_text(encoding="utf-8"))
    data.update(cross_file="cross.safetensors", cross_weight=0.5)
    (tmp_path / "model.json").write_text(json.dumps(data))
    blended = Grader.load(tmp_path / "model.json")
    answer = "you bid a price for spare capacity"
    z_cross = blended.cross_logit(EC2_Q, SPOT, answer)
    z_plain = np.log(1 / grader.grade(EC2_Q, SPOT, answer).score - 1) * -1
    expected = 1 / (1 + np.exp(-(0.5 * z_plain + 0.5 * z_cross)))
    got = blended.grade(EC2_Q, SPOT, answer).score  # scores are rounded to 4 places
    assert got == pytest.approx(expected, abs=1e-3) and abs(got - grader.grade(EC2_Q, SPOT, answer).score) > 0.01


def test_cross_encoder_run_time_matches_the_model_it_was_fitted_as():
    """The run-time pass is hand-written over the shared MiniLM weights; it must equal transformers' BertModel
    wrapped with the same adapters (random ones, so a wrong layer name, transpose or segment id shows)."""
    import numpy as np
    import torch
    from transformers import AutoModel

    from tutor import grading_cross as gc
    from tutor.embedding import model_path, sentence_model

    bert = AutoModel.from_pretrained(model_path()).eval()
    wrapped = gc._with_adapters(bert, gc.RANK, seed=0)
    rng = np.random.default_rng(0)
    adapters = {}
    for name, m in wrapped.items():
        m.B.data = torch.from_numpy(rng.normal(0, 0.05, tuple(m.B.shape)).astype(np.float32))
        adapters[name + ".A"], adapters[name + ".B"] = m.A.detach().numpy(), m.B.detach().numpy()
    adapters["head.weight"] = rng.normal(0, 0.2, 384).astype(np.float32)
    adapters["head.bias"] = np.array([0.3], np.float32)
    ce = gc.CrossEncoder(sentence_model(), adapters)
    pairs = [(SPOT, "you bid a price for spare capacity"), (IAM_REF, "granular permissions"),
             (SPOT * 6, "a very long answer " * 40)]  # the last one is truncated to MAX_PAIR_TOKENS
    for r, a in pairs:
        enc = sentence_model().tokenizer(r, a, return_tensors="pt", truncation="longest_first",
                                         max_length=gc.MAX_PAIR_TOKENS)
        with torch.no_grad():
            pooled = bert(**enc).last_hidden_state.mean(dim=1)[0].numpy()
        expected = float(pooled @ adapters["head.weight"] + 0.3)
        assert ce.logit_pair(r, a) == pytest.approx(expected, abs=1e-3)
    assert len({round(ce.logit_pair(r, a), 3) for r, a in pairs}) == 3


def test_an_opposite_in_another_form_of_the_word_contradicts(grader):
    # "automatic" against the notes' "manually" (word forms differ), "server" against "client"
    g = grader.grade("In your notes, what are RDS snapshots?",
                     "Are done manually; They are stored even after you delete the original RDS instance",
                     "automatic, and they are deleted along with the instance")
    assert g.verdict == "incorrect", g.feedback
    g = grader.grade("Where is CORS enforced?", "CORS is enforced by the client", "CORS is enforced by the server")
    assert g.verdict == "incorrect", g.feedback
    assert grader.grade("Where is CORS enforced?", "CORS is enforced by the client", "by the client").verdict == "correct"


def test_a_short_answer_that_says_part_of_the_notes_and_nothing_else_is_partly_right(grader):
    q, ref = "What is On Demand?", "Allows you to pay a fixed rate by the hour (or by the second) with no commitment"
    g = grader.grade(q, ref, "pay by the hour")
    assert g.verdict == "partial" and "pay by the hour" in g.feedback, g.feedback
    # words of its own make it another answer, not part of this one
    assert grader.grade(q, ref, "pay by the hour for a reserved capacity").verdict == "incorrect"
    # a word every sibling row has tells nothing: "Intensive Apps" is every instance family's use case
    g = grader.grade("What is the use case of C5?", "CPU Intensive Apps / DBs", "intensive apps",
                     siblings=["Memory Intensive Apps / DBs", "Graphics Intensive Apps"])
    assert g.verdict == "incorrect", g.feedback


def test_chat_abbreviations_are_read_as_the_words(grader):
    # "prod", "DB": what a learner types for the notes' "production", "database"; the point is partly made
    g = grader.grade("What is Multi-AZ RDS?", "Allows you to have an exact copy of your production database in another "
                     "availability zone; AWS handles the replication for you", "copy of the prod DB in another AZ")
    assert g.verdict == "partial", g.feedback


def test_a_name_with_one_typo_or_without_the_word_its_siblings_share_is_the_name(grader):
    q = 'Which EC2 option is good for "Applications that have flexible start and end times"?'
    sibs = ["On Demand", "Reserved Instances", "Dedicated Hosts"]
    # the notes' own typo "Sport Instances": "Spot", as the learner rightly writes it, is the name
    assert grader.grade(q, "Sport Instances", "Spot", siblings=sibs).verdict == "correct"
    assert grader.grade(q, "Sport Instances", "spot instances", siblings=sibs).verdict == "correct"
    assert grader.grade(q, "Sport Instances", "Reserved", siblings=sibs).verdict == "incorrect"
    # a sibling named like the short form is the sibling: "S3" is not "S3 - IA"
    assert grader.grade("Which one: infrequently accessed?", "S3 - IA", "S3",
                        siblings=["S3", "S3 - One Zone IA", "Glacier"]).verdict == "incorrect"
    # digits are no typo: "1000ms" is not "100ms"
    assert grader.grade("Rounded up to the nearest ___ms?", "100ms", "1000ms").verdict == "incorrect"


def test_words_every_key_point_shares_need_not_be_said(grader):
    # the quiz's "What does IAM give you?": "your AWS account" is in two points and tells neither apart
    ref = ("Centralized control of your AWS account; Shared Access to your AWS account; Granular Permissions; "
           "Identity Federation; Multifactor Authentication")
    kps = ["Centralized control of your AWS account", "Shared Access to your AWS account", "Granular Permissions"]
    g = grader.grade("What does IAM give you?", ref, "centralized control, shared access, identity federation",
                     key_points=kps)
    assert kps[0] in g.matched and kps[1] in g.matched and kps[2] in g.missing, (g.matched, g.missing)
    g = grader.grade("What does IAM give you?", ref, "control of the account", key_points=kps)
    assert kps[1] not in g.matched  # what tells "shared access" apart was not said


def test_a_rate_written_with_a_slash_is_per(grader):
    ref = "3500 put requests per second; 5500 get requests"
    q = 'Which items do your notes list under "In July 2018, Amazon announced a massive increase in S3 performance"?'
    g = grader.grade(q, ref, "3,500 PUT/s and 5,500 GET/s", key_points=["3500 put requests per second", "5500 get requests"])
    assert g.verdict == "correct", g.feedback
    from tutor.grading_features import clean_text

    assert clean_text("HTTP/S traffic") == "HTTP/S traffic"  # HTTP and HTTPS, no rate


def test_a_point_copied_after_a_negation_is_said_the_other_way_round(grader):
    ref = "Enabled by default; The backup data will be deleted when you delete the RDS instance"
    g = grader.grade("What are RDS automated backups?", ref, "they are not enabled by default",
                     key_points=["Enabled by default", "The backup data will be deleted when you delete the RDS instance"])
    assert g.verdict == "incorrect" and "Enabled by default" not in g.matched, g.feedback
    g = grader.grade("What are RDS automated backups?", "Allow you to recover your database to any point in time",
                     "you cannot recover your database to any point in time")
    assert g.verdict == "incorrect", g.feedback


def test_a_spelled_out_name_is_the_words_whose_initials_spell_it(grader):
    # the notes' sentence says more than the name: "AWS Key Management Service", "IAM supports … (PCI DSS) compliance"
    g = grader.grade("What does KMS stand for?", "KMS: AWS Key Management Service.", "Key Management Service")
    assert g.verdict == "correct", g.feedback
    ref = "IAM: supports Payment Card Industry Data Security Standard (PCI DSS) compliance."
    assert grader.grade("What does PCI DSS stand for?", ref, "Payment Card Industry Data Security Standard").verdict == "correct"
    assert grader.grade("What does PCI DSS stand for?", ref, "Payment Card Industry").verdict == "partial"


def test_cents_are_the_notes_dollars(grader):
    ref = "First 1 million requests are free. $0.2 per 1 million requests thereafter"
    g = grader.grade("How is Lambda charged for requests?", ref,
                     "the first million requests are free, after that it's 20 cents per million")
    assert g.verdict == "correct" and not g.contradictions, g.feedback


def test_a_compound_word_gives_both_initials_of_a_spelled_out_name(grader):
    ref = "Multifactor Authentication (Multiple independent authentication mechanisms)"
    assert grader.grade("What does MFA stand for?", ref, "multifactor authentication").verdict == "correct"


def test_a_bare_number_answering_a_quantity_question_without_a_reference(tutor):
    # the Grade tab graded "5" against the whole composed answer on read replicas: incorrect, 0.11
    assert tutor.grade("How many read replicas can a DB have?", "5").verdict == "correct"
    assert tutor.grade("How long can RDS keep automated backups?", "between 1 and 35 days").verdict == "correct"
    # the notes' number with a word of its own, another number, or a hedge is not it
    for wrong in ("6", "5 days", "5 or 6"):
        assert tutor.grade("How many read replicas can a DB have?", wrong).verdict != "correct", wrong


def test_a_blank_filled_with_other_words_is_not_correct(grader):
    # "buy, programs" sounds like "rent, applications" and fills neither blank; synonyms of the words still count
    q = 'In your notes on EC2, which words fill the blanks in "Allowing users to ___ virtual computers on which to run their own computer ___ in the cloud"?'
    wrong = grader.grade(q, "rent, applications", "buy, programs", key_points=["rent", "applications"])
    assert wrong.verdict == "incorrect" and wrong.score < 0.5, wrong
    half = grader.grade(q, "rent, applications", "rent, programs", key_points=["rent", "applications"])
    assert half.verdict == "partial" and "rent" in half.matched, half
    assert grader.grade(q, "rent, applications", "Rent; apps", key_points=["rent", "applications"]).verdict == "correct"


def test_an_acronym_meets_the_name_the_notes_spell_out_before_it(grader):
    ref = "Supports Payment Card Industry Data Security Standard (PCI DSS) compliance; Integrates with many different AWS services"
    kps = ["Supports Payment Card Industry Data Security Standard (PCI DSS) compliance", "Integrates with many different AWS services"]
    g = grader.grade(IAM_Q, ref, "PCI DSS compliance", key_points=kps)
    assert kps[0] in g.matched and kps[1] not in g.matched, g
    assert kps[0] not in grader.grade(IAM_Q, ref, "it integrates with other services", key_points=kps).matched


def test_number_words_are_the_notes_digits(grader):
    from tutor.grading_features import number_words_as_digits

    assert number_words_as_digits("five", "up to 5 copies") == "5"
    assert number_words_as_digits("twenty-five GB", "25 GB") == "25 GB"
    assert number_words_as_digits("one zone", "S3 - One Zone IA, 3 AZs") == "one zone"  # the notes' own word
    assert number_words_as_digits("the one that is cheap", "5") == "the one that is cheap"  # "one" in a sentence
    assert number_words_as_digits("five", "no digits here") == "five"
    q, ref = "How many read replicas can a DB have?", "Allow you to have a read-only copy of your production database (up to 5 copies)"
    assert grader.grade(q, ref, "up to five copies").verdict == "correct"
    assert grader.grade(q, ref, "up to seven copies").verdict == "incorrect"


def test_a_derived_key_point_is_never_a_bare_connective():
    assert derive_key_points("Same as IA. However, data is stored in a single availability zone only") == [
        "Same as IA", "data is stored in a single availability zone only"]
    assert derive_key_points("Cheap; also, fast") == ["Cheap", "fast"]


def test_the_answering_part_and_its_polarity_are_conservative():
    from tutor.grading_short import answering_part, yes_no_polarity

    composed = ("Automated Backups: Enabled by default; The backup data will be deleted when you delete the RDS instance [1]. "
                "Snapshots: They are stored even after you delete the original RDS instance, unlike automated backups [2].")
    part = answering_part("Are automated backups deleted when you delete the RDS instance?", composed)
    assert part.text == "The backup data will be deleted when you delete the RDS instance" and part.n == 1
    assert yes_no_polarity("Are automated backups deleted when you delete the RDS instance?", part)[0] is True
    # the snapshots' clause holds the question's words but says something else of them ("stored"): no polarity
    part = answering_part("Are snapshots deleted when you delete the RDS instance?", composed)
    assert part.n == 2 and yes_no_polarity("Are snapshots deleted when you delete the RDS instance?", part) is None
    # a question with a negation of its own is left to the usual grader
    part = answering_part("Aren't automated backups deleted when you delete the RDS instance?", composed)
    assert yes_no_polarity("Aren't automated backups deleted when you delete the RDS instance?", part) is None
    # a question that names no head may ask for the head: the whole answer stays the reference
    assert answering_part("Which backups are done manually?", composed) is None


@pytest.mark.parametrize("question,answer", [
    ("Can ST1 be a boot volume?", "No"),
    ("Can ST1 be a boot volume?", "no, it cannot be used to boot"),
    ("What replication does a read replica use?", "asynchronous"),
    ("Are automated backups deleted when you delete the RDS instance?", "Yes"),
    ("How many read replicas can you have?", "five"),
    ("What is S3 - One Zone IA?", "like infrequent access but only in a single AZ"),
])
def test_a_right_short_answer_without_a_reference_is_correct(tutor, question, answer):
    # the reference is the sentence of the notes that answers the question, not the passage and the rows beside it
    g = tutor.grade(question, answer)
    assert g.verdict == "correct", g
    assert "However" not in g.missing and "however" not in g.missing


@pytest.mark.parametrize("question,answer", [
    ("Can ST1 be a boot volume?", "Yes"),
    ("Can ST1 be a boot volume?", "yes, it is bootable"),
    ("What replication does a read replica use?", "synchronous"),
    ("Are automated backups deleted when you delete the RDS instance?", "No, they are kept"),
    ("How many read replicas can you have?", "seven"),
    ("How many read replicas can you have?", "twenty"),
    ("What is S3 - One Zone IA?", "stored across multiple availability zones"),
    ("Are snapshots deleted when you delete the RDS instance?", "Yes"),
])
def test_a_wrong_short_answer_without_a_reference_is_not_correct(tutor, question, answer):
    assert tutor.grade(question, answer).verdict == "incorrect", answer


# ---------------------------------------------------------------- teacher-graded answers to the same question
WIRE_Q = "Explain why you got a voltage reading of 1.5 for terminal 1 and the positive terminal."
WIRE_REF = "Terminal 1 and the positive terminal are separated by the gap"


def _store_for(grader: Grader, question: str, reference: str, graded: list[tuple[str, float]]):
    from tutor.grading_examples import GradedExamples

    vecs = [e.sent for e in grader._encode([t for t, _ in graded])]
    return GradedExamples.build([(question, reference, v, s) for v, (_, s) in zip(vecs, graded)])


def _with_examples(grader: Grader, store) -> Grader:
    out = Grader(grader.model, {"correct": grader.t_correct, "partial": grader.t_partial}, grader._model_loader,
                 head=grader.head, head_weight=grader.head_weight, examples=store)
    out._st = grader._st
    return out


def test_answers_a_teacher_graded_for_the_same_question_sway_the_grade(grader):
    """The model alone does not credit "there is a gap in between them"; a teacher who accepted answers like it for
    this question is followed. Answers to another question are graded as before."""
    answer = "there is a gap in between them"
    graded = [("there's a gap between them", 1.0), ("a gap is between the two", 1.0), ("they have a gap between", 1.0),
              ("the bulb is broken", 0.0)]
    alone = _with_examples(grader, None)
    swayed = _with_examples(grader, _store_for(grader, WIRE_Q, WIRE_REF, graded))
    before = alone.grade(WIRE_Q, WIRE_REF, answer)
    assert before.verdict == "incorrect"
    after = swayed.grade(WIRE_Q, WIRE_REF, answer)
    assert after.verdict == "correct" and after.score > before.score + 0.3
    # spacing and case of the question do not matter; another question is not touched
    assert swayed.grade(WIRE_Q.upper() + "  ", WIRE_REF, answer).score == after.score
    other = "you bid a price for spare capacity"
    assert swayed.grade(EC2_Q, SPOT, other).score == alone.grade(EC2_Q, SPOT, other).score


def test_the_shipped_grader_has_the_grading_datas_graded_answers(grader):
    ex = grader.examples
    assert ex is not None and len(ex.scores) > 9000
    vote = ex.vote(WIRE_Q, WIRE_REF, grader._encode(["positive battery terminal is separated by a gap from terminal 1"])[0].sent)
    assert vote is not None and vote.n > 50 and vote.score > 0.5 and vote.closest > 0.9
    # a question of the notes has none: the model grades alone
    assert ex.vote(EC2_Q, SPOT, grader._encode(["spot"])[0].sent) is None


def test_an_unreadable_or_inconsistent_examples_file_is_named_and_left_out(grader, tmp_path, caplog):
    import numpy as np

    from tutor.grading_examples import GradedExamples

    assert GradedExamples.load(tmp_path / "missing.npz") is None
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a zip file")
    with caplog.at_level("WARNING"):
        assert GradedExamples.load(bad) is None
    assert "bad.npz" in caplog.text
    store = _store_for(grader, WIRE_Q, WIRE_REF, [("a gap", 1.0), ("no gap", 0.0)])
    odd = tmp_path / "odd.npz"
    np.savez_compressed(odd, keys=np.array(store.keys), starts=np.array([0, 5]), vectors=store.vectors,
                        scores=store.scores)
    caplog.clear()
    with caplog.at_level("WARNING"):
        assert GradedExamples.load(odd) is None
    assert "odd.npz" in caplog.text and "inconsistent" in caplog.text
    good = tmp_path / "good.npz"
    store.save(good)
    again = GradedExamples.load(good)
    v = grader._encode(["a gap"])[0].sent
    assert again.vote(WIRE_Q, WIRE_REF, v) == store.vote(WIRE_Q, WIRE_REF, v)


def test_an_unrelated_answer_is_not_said_to_read_like_another_row(grader):
    # "spot instances" for IAM's Users is wrong, but it is no paraphrase of the Roles row, however much nearer that
    # row comes in meaning than "End Users" does
    sibs = ["A collection of users under one set of permissions", "You create roles and can then assign them to AWS resources",
            "A document that defines one (or more) permissions can be attached to either a user group or role"]
    g = grader.grade("In your notes on Critical Terms under IAM, what are Users?", "End Users", "spot instances",
                     siblings=sibs)
    assert g.verdict == "incorrect" and not any("reads like" in c for c in g.contradictions), g
    # a real paraphrase of another row still is
    g = grader.grade("What is a Spot instance?", "Enables you to bid whatever price you want for instance capacity",
                     "you get a capacity reservation and a big discount on the hourly charge",
                     siblings=["Provides you with a capacity reservation, and offer a significant discount on the hourly charge",
                               "Allows you to pay a fixed rate by the hour (or by the second) with no commitment"])
    assert g.verdict == "incorrect" and g.contradictions, g
