"""Acronyms the notes spell out: 'MFA' is 'Multifactor Authentication', in a question and an option."""
from tutor.acronyms import AcronymMap, acronyms, initials


def test_a_closed_compound_gives_an_initial_per_part():
    assert initials("Multifactor") == "mf"
    assert initials("Balancer") == "b"
    assert "mfa" in acronyms("* Multifactor Authentication")
    assert "alb" in acronyms("Application Load Balancer")


def test_a_question_acronym_is_written_out_once_and_only_when_clear():
    m = AcronymMap([
        "Multifactor Authentication is on.",
        "General Purpose volumes. Granular Permissions for users.",  # GP: two meanings, half each
        "Simple Access Module",  # SAM is an English word
        "The RI: Reserved Instances",  # the notes write RI themselves
        "Web Servers",
    ])
    assert m.expand("which WS?") == "which WS (Web Servers)?"
    assert m.expand("which ws?") == "which ws?"  # two lower-case letters are more likely a word or a typo
    assert m.expand("what is MFA?") == "what is MFA (Multifactor Authentication)?"
    assert m.expand("what is GP?") == "what is GP?"
    assert m.expand("what is SAM?") == "what is SAM?"
    assert m.expand("are RIs cheap?") == "are RIs cheap?"
    assert m.expand("what is mfa?") == "what is mfa (Multifactor Authentication)?"
    assert m.expand("is MFA-delete on?") == "is MFA-delete on?"  # a piece of a hyphenated name is left alone


def test_a_question_in_acronyms_is_answered_from_the_spelled_out_bullet(tutor):
    ans = tutor.ask("what is MFA?")
    assert not ans.refused
    assert "Multifactor Authentication" in ans.answer
    assert any(c.passage.start <= 10 <= c.passage.end for c in ans.citations)


def test_an_option_in_acronyms_is_matched_to_the_notes_words(tutor):
    q = ("What is the AWS feature that provides an additional level of security above the default "
         "authentication mechanism of usernames and passwords?")
    ans = tutor.ask(q, options={"A": "Email verification.", "B": "AWS MFA.", "C": "AWS Organizations."})
    assert ans.choice == ["B"]
    assert "Multifactor" in ans.answer


def test_a_name_with_a_number_is_known_by_its_short_form():
    m = AcronymMap(["Route 53 is Amazon's DNS service", "use Layer 7 features", "First 1 million requests", "F1: FPGA"])
    assert m.spell_numbered("r53 vs cloudfront") == "Route 53 vs cloudfront"
    assert m.spell_numbered("is it L7?") == "is it Layer 7?"
    assert m.spell_numbered("f1 instances") == "f1 instances"  # the notes write F1 themselves: not 'First 1'


def test_a_question_in_a_short_form_with_a_number_is_answered(tutor):
    ans = tutor.ask("r53 vs cloudfront, what does each one do?")
    assert not ans.refused, ans.answer
    assert "Route 53" in ans.answer and "CloudFront" in ans.answer, ans.answer
