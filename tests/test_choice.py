"""Practice-exam questions: option parsing, evidence units, and cited, grounded choices."""
import re

import pytest

from tutor.choice import answer_choice, how_many, is_negative
from tutor.choice_evidence import _cov, term_alternates, units_of
from tutor.text import content_terms
from tutor.types import Passage


@pytest.mark.parametrize("q, n", [
    ("Which of the following are valid RI types? (Choose TWO)", 2),
    ("What can edge locations be used for? (Select TWO)", 2),
    ("Pick three benefits of caching.", 3),
    ("Which service provides DNS?", 1),
])
def test_how_many(q, n):
    assert how_many(q) == n


@pytest.mark.parametrize("q, neg", [
    ("Which of the following is NOT a benefit of using Edge Locations?", True),
    ("RDS supports several engines. Which of the following is not one of them?", True),
    ("All of these are storage classes EXCEPT:", True),
    ("Consistent uptime is not an issue. Which EC2 buying option is the most cost-effective?", False),
    ("Which service provides DNS?", False),
    # the best option by a measure, and a NOT that describes the answer, ask for the option that fits
    ("Which approach meets this requirement with the LEAST operational effort?", False),
    ("Which option offers up to 75% off, but does NOT let the customer exchange the reservation?", False),
    ("Which of these is LEAST likely to reduce latency?", True),
])
def test_negative_questions(q, neg):
    assert is_negative(q) is neg


def test_compound_terms_meet_their_parts_and_joined_form():
    alts = term_alternates("AWS Multi-Factor Authentication and On-Demand instances")
    w = {t: 1.0 for t in alts}
    assert _cov({"multi": 1.0, "factor": 1.0}, alts, frozenset(content_terms("Multifactor Authentication"))) == 1.0
    assert _cov({"demand": 1.0}, alts, frozenset(content_terms("On Demand"))) == 1.0
    assert "demand" in w and "on-demand" not in w


def test_table_row_units_keep_the_row_key_as_title():
    p = Passage("n.md", 1, 5, ("EC2", "EC2 Option", "Spot"), "table_row",
                "EC2 Option: Spot. Good for: Flexible start and end times; Very low compute prices",
                fields=(("EC2 Option", "Spot"), ("Good for", "Flexible start and end times; Very low compute prices")),
                title="Spot", items=("Flexible start and end times", "Very low compute prices"))
    units = units_of(p)
    texts = [u.text for u in units]
    assert "Flexible start and end times" in texts and "Very low compute prices" in texts
    assert all("spot" in u.title_terms for u in units)
    assert all(u.text in p.text for u in units if "; " not in u.text)


def _assert_grounded(ans):
    """Every quoted reason is the notes' own words from the passage it cites."""
    by_n = {c.n: c.passage for c in ans.citations}
    quotes = re.findall(r"— (.+?) \[(\d+)\]", ans.answer) + re.findall(r'in your notes, "(.+?)" \[(\d+)\]', ans.answer)
    for quote, n in quotes:
        p = by_n[int(n)]
        body = quote.rstrip(" …").split(": ", 1)[-1]
        assert body in p.text, (quote, p.text)


def _ask(tutor, q, opts):
    return tutor.ask(q, [], opts)


def test_scenario_question_picks_the_row_that_fits(tutor):
    ans = _ask(tutor, "A company's batch jobs have flexible start and end times. Which EC2 pricing option is the most cost-effective?",
               {"A": "On-Demand Instances", "B": "Spot Instances", "C": "Reserved Instances", "D": "Dedicated Hosts"})
    assert ans.choice == ["B"] and ans.citations
    _assert_grounded(ans)


def test_question_and_option_read_together_as_a_statement_of_the_notes(tutor):
    # From the development practice questions. Each option's best sentence alone fits "cost-effective" best on the
    # On-Demand row ("low cost and flexibility"), and MFA's item sits in a list of IAM features that says nothing of
    # the console. Read with the question, "… three-year time frame … Reserved Instances" comes closest to the
    # Reserved row ("1 Year or 3 Year terms"), and "enhance the security of access to the console … MFA" to the
    # line on multiple authentication mechanisms.
    ans = _ask(tutor, "A company is migrating an application that is running non-interruptible workloads for a "
                      "three-year time frame. Which pricing construct would provide the MOST cost-effective solution?",
               {"A": "Amazon EC2 Spot Instances.", "B": "Amazon EC2 Dedicated Instances.",
                "C": "Amazon EC2 On-Demand Instances.", "D": "Amazon EC2 Reserved Instances."})
    assert ans.choice == ["D"], ans.answer
    _assert_grounded(ans)
    ans = _ask(tutor, "Which of the following will enhance the security of access to the AWS Management Console? "
                      "(Select TWO)",
               {"A": "AWS Secrets Manager.", "B": "AWS Certificate Manager.",
                "C": "AWS Multi-Factor Authentication (AWS MFA).", "D": "Security groups.", "E": "Password policies."})
    assert ans.choice == ["C", "E"], ans.answer
    _assert_grounded(ans)


def test_negative_question_picks_the_option_the_notes_do_not_back(tutor):
    ans = _ask(tutor, "Amazon RDS supports several database engines. Which of the following is NOT one of them?",
               {"A": "PostgreSQL", "B": "Teradata", "C": "MariaDB", "D": "Oracle"})
    assert ans.choice == ["B"] and ans.citations
    _assert_grounded(ans)


def test_choose_two_returns_two_cited_letters(tutor):
    ans = _ask(tutor, "How is AWS Lambda priced? (Choose TWO)",
               {"A": "Number of requests", "B": "Number of volumes", "C": "Duration of the code's execution",
                "D": "Placement groups", "E": "Storage consumed"})
    assert ans.choice == ["A", "C"] and ans.citations
    _assert_grounded(ans)
    assert "D (Placement groups) is not in your notes" in ans.answer


def test_an_option_that_does_not_fit_is_shown_with_what_the_notes_say_of_it(tutor):
    ans = _ask(tutor, "Which option lets you bid on spare capacity?",
               {"A": "Reserved", "B": "Spot", "C": "Dedicated Hosts", "D": "On Demand"})
    assert ans.choice == ["B"]
    # On Demand's own row, not the Dedicated Hosts row that mentions "purchased On-Demand"
    m = re.search(r'D \(On Demand\) is, in your notes, "([^"]+)" \[(\d+)\]', ans.answer)
    assert m and m.group(1).startswith("On Demand:"), ans.answer
    cited = next(c.passage for c in ans.citations if c.n == int(m.group(2)))
    assert cited.title == "On Demand", cited.section_path
    _assert_grounded(ans)


def test_an_option_is_shown_with_the_row_that_is_it_not_one_whose_key_contains_it(tutor):
    ans = _ask(tutor, "Which storage class has the lowest cost for archival?",
               {"A": "S3", "B": "S3 - IA", "C": "Glacier", "D": "Reduced Redundancy Storage"})
    assert ans.choice == ["C"], ans.answer
    # "S3" is the S3 row ("frequently accessed"), not "S3 - IA", whose key also holds "S3"
    m = re.search(r'A \(S3\) is, in your notes, "([^"]+)" \[(\d+)\]', ans.answer)
    assert m and m.group(1).startswith("S3: ") and "infrequently" not in m.group(1), ans.answer
    _assert_grounded(ans)


def test_an_option_the_notes_say_in_other_words_is_chosen_and_quoted(tutor):
    # "ec2-user@<public IP …>" shares few words with "ec2-user@x.x.x.x as hostname": its meaning counts too, and the
    # sentence the choice rests on is quoted rather than only the section named
    ans = _ask(tutor, "When configuring PuTTY to open an SSH session to an Amazon Linux EC2 instance, what should be "
                      "entered as the host name?",
               {"A": "<instance ID>@amazonaws.com", "B": "Administrator@<public IP address of the instance>",
                "C": "ec2-user@<public IP address of the instance>", "D": "root@<public IP address of the instance>"})
    assert ans.choice == ["C"], ans.answer
    assert "ec2-user@x.x.x.x as hostname [1]" in ans.answer, ans.answer
    _assert_grounded(ans)


def test_of_two_list_items_naming_two_options_the_one_that_answers_is_chosen(tutor):
    # the notes list "Standard RIs (Up to 75% off …)" next to "Convertible RIs … change the arributes …": the pair of
    # items holds the question's words only through Convertible's item, so it is no evidence for Standard
    ans = _ask(tutor, "Which RI can be exchanged if we later need a memory intensive instance instead of a CPU intensive one?",
               {"A": "Standard RIs", "B": "Scheduled RIs", "C": "Convertible RIs", "D": "Dedicated RIs"})
    assert ans.choice == ["C"], ans.answer
    assert "C (Convertible RIs) — Convertible RIs (Up to 4% off" in ans.answer, ans.answer
    _assert_grounded(ans)


def test_practice_question_vectors_are_kept_on_disk_for_the_next_process(tutor, tmp_path, monkeypatch):
    from tutor import choice_evidence as ce
    from tutor.embedding import encode

    asked: list[int] = []

    def counting(texts):
        asked.append(len(texts))
        return encode(texts)

    opts = {"A": "On-Demand", "B": "Spot", "C": "Reserved"}
    cache = ce._EmbedCache()
    monkeypatch.setattr(ce, "_EMB", cache)
    ce.keep_vectors_in(tmp_path)
    q = "Which EC2 option lets you bid on spare capacity?"
    first = answer_choice(q, opts, tutor.retrieve(q), tutor.retriever, encode=counting)
    assert (tmp_path / ce.CACHE_FILE).exists() and sum(asked) > ce.LIGHT_TEXTS
    # a new process: a fresh cache reads the file, and only the question, its options and each question + option
    # are embedded again
    asked.clear()
    monkeypatch.setattr(ce, "_EMB", ce._EmbedCache())
    ce.keep_vectors_in(tmp_path)
    again = answer_choice(q, opts, tutor.retrieve(q), tutor.retriever, encode=counting)
    assert sum(asked) <= 1 + 2 * len(opts) <= ce.LIGHT_TEXTS and again.choice == first.choice == ["B"]
    (tmp_path / ce.CACHE_FILE).write_bytes(b"not a cache")  # a damaged file is recomputed, not an error
    monkeypatch.setattr(ce, "_EMB", ce._EmbedCache())
    ce.keep_vectors_in(tmp_path)
    assert answer_choice(q, opts, tutor.retrieve(q), tutor.retriever, encode=counting).choice == ["B"]


def test_an_invented_name_that_shares_a_piece_with_the_notes_is_not_in_them(tutor):
    # "SSE-RDS" is no option the notes list: its pieces sit in other sentences (RDS encryption, "Server Side
    # Encryption"), which is no evidence for it
    ans = _ask(tutor, "Which of the following are server side encryption options for S3? (Choose TWO)",
               {"A": "SSE-KMS", "B": "SSE-RDS", "C": "SSE-C", "D": "SSE-EBS"})
    assert ans.choice == ["A", "C"], ans.answer
    assert "B (SSE-RDS) is not in your notes" in ans.answer, ans.answer
    ans = _ask(tutor, "Which is a server side encryption option for S3?",
               {"A": "SSE-RDS", "B": "SSE-KMS", "C": "SSE-EBS", "D": "SSE-Lambda"})
    assert ans.choice == ["B"], ans.answer


def test_without_the_embedding_model_lexical_evidence_still_answers(tutor):
    def broken(texts):
        raise RuntimeError("no model")

    q = "Which Elastic Load Balancer is best suited for HTTP and HTTPS traffic?"
    opts = {"A": "Network Load Balancer", "B": "Application Load Balancer", "C": "Classic Load Balancer"}
    ans = answer_choice(q, opts, tutor.retrieve(q), tutor.retriever, encode=broken)
    assert ans.choice == ["B"] and ans.citations


def test_a_long_passage_cut_into_a_unit_says_it_was_cut():
    # a quote of a unit cut at its word limit read as a whole sentence: "… make a copy of that snapshot and [1]"
    long = " ".join(f"word{i}" for i in range(80))
    p = Passage(file="n.md", start=1, end=1, section=("S",), kind="paragraph", text=long)
    assert any(u.text.endswith("…") for u in units_of(p))
    assert all(len(u.text.split()) <= 61 for u in units_of(p))


def test_a_number_in_an_option_meets_only_that_number(tutor):
    from tutor.text import content_terms

    # "10,000 IOPS" is ten thousand; "10.0.0.0/16" is one address: neither is the "10" of "top 10"
    assert content_terms("more than 10,000 IOPS") == ["10000", "iop"]
    assert "10" not in content_terms("10.0.0.0/16")
    ans = _ask(tutor, "What is the default VPC CIDR?",
               {"A": "10.0.0.0/16", "B": "172.31.0.0/16", "C": "192.168.0.0/16", "D": "10.0.0.0/8"})
    assert "top 10" not in ans.answer and "10,000" not in ans.answer, ans.answer


def test_an_option_the_notes_deny_in_so_many_words_is_never_the_one_they_support(tutor):
    # the notes: "Cannot split traffic with $latest, instead create an alias"; MiniLM reads the $LATEST option as close
    opts = {"A": "Point $LATEST at both versions and split the traffic there.",
            "B": "Create an alias that sends part of the traffic to each version.",
            "C": "Edit the published version so that it holds the new code."}
    ans = _ask(tutor, "A team wants 20% of its Lambda invocations to go to a new version. How should it do this?", opts)
    assert ans.choice == ["B"] and 'A (Point $LATEST at both versions and split the traffic there) is, in your notes, ' \
        '"Cannot split traffic with $latest"' in ans.answer, ans.answer
    # and it is what a NOT question asks for
    ans = _ask(tutor, "Which of the following can NOT be done with Lambda versions?", {
        "A": "Split traffic between versions with $LATEST.", "B": "Split traffic between versions using aliases.",
        "C": "Keep multiple versions of a function."})
    assert ans.choice == ["A"], ans.answer


def test_an_option_that_says_no_in_its_own_words_is_no_denial():
    from tutor.choice_evidence import claims, denial, negated_clauses

    def denies(notes, option):
        return denial(negated_clauses(notes), claims(option))

    notes = "If the instance is terminated by Amazon EC2, you will not be charged for a partial hour of usage"
    assert denies(notes, "The partial hour is charged at the On-Demand rate.") == "you will not be charged for a partial hour of usage"
    assert denies(notes, "AWS ending the instance makes the partial hour free.") == ""  # "free" agrees with "not charged"
    assert denies(notes, "You are never charged for a partial hour.") == ""  # says the "not" itself
    # a clause that holds only what it negates names no subject: ST1's "Cannot be a boot volume" does not deny that
    # Magnetic volumes can be one
    assert denies("Cannot be a boot volume", "Magnetic volumes can be a boot volume.") == ""
    assert denies(notes, "x " * 5000 + "<b>charged</b> partial") == notes.split(", ")[1]  # huge and HTML: no error
