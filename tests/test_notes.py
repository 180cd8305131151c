"""Parsing the real notes into passages: exact spans, table rows with headers, section paths."""
import hashlib

from tutor.notes import parse_notes

from conftest import CORPUS, SHARED


def _passages():
    return parse_notes("aws-notes.md", (CORPUS / "aws-notes.md").read_text(encoding="utf-8")).passages


def test_corpus_is_byte_identical_to_the_shared_notes():
    ours = hashlib.sha256((CORPUS / "aws-notes.md").read_bytes()).hexdigest()
    assert ours == "a1e5b33a56ba959726df90d4018aca084f4548f0612ac13f3816e27cde71c002"
    if (SHARED / "notes" / "aws-notes.md").exists():
        assert ours == hashlib.sha256((SHARED / "notes" / "aws-notes.md").read_bytes()).hexdigest()


def test_spot_row_is_one_passage_spanning_exactly_its_row():
    spot = [p for p in _passages() if p.kind == "table_row" and p.title == "Spot"]
    assert len(spot) == 1
    p = spot[0]
    assert (p.start, p.end) == (58, 61)
    assert p.section_path == "EC2 › EC2 Option › Spot"
    assert p.text.startswith("EC2 Option: Spot.")
    assert "bid" in p.text and "<strong>" not in p.text


def test_ebs_volume_table_yields_one_passage_per_volume_type():
    rows = [p for p in _passages() if p.kind == "table_row" and "EBS Volume Types" in p.section]
    assert [p.title for p in rows] == [
        "General Purpose SSD (GP2)", "Provisioned IOPS SSD (IO1)", "Throughput Optimized HDD (ST1)",
        "Cold HDD (SC1)", "Magnetic (Standard)",
    ]
    gp2 = rows[0]
    assert "Volume Type: General Purpose SSD (GP2)" in gp2.text and "3 IOPS per GB" in gp2.text


def test_lists_inside_cells_are_flattened_and_nested_bullets_stay_with_parent():
    ps = _passages()
    redis = next(p for p in ps if p.title == "Redis")
    assert "Pub/Sub capabilities are needed" in redis.items
    xray = [p for p in ps if "What is X-Ray?" in p.section or "X-Ray" in p.text]
    langs = next(p for p in xray if "Python" in p.text)
    assert "Java" in langs.text and langs.start <= 724 and langs.end == 729


def test_hash_style_headings_and_spans_inside_file():
    ps = _passages()
    assert any(p.section and p.section[0] == "S3" for p in ps)
    assert all(1 <= p.start <= p.end <= 729 for p in ps)


def test_inline_edge_cases_exact_spans():
    text = "# Top\n\n* Parent\n  * child one\n  * child two\n\n<table>\n<tr><th>K</th><th>V</th></tr>\n<tr><td>a</td><td>1</td></tr>\n</table>\n"
    ps = parse_notes("x.md", text).passages
    bullet = next(p for p in ps if p.kind == "bullet")
    assert (bullet.start, bullet.end) == (3, 5) and "child two" in bullet.text
    row = next(p for p in ps if p.kind == "table_row")
    assert (row.start, row.end) == (9, 9) and row.text == "K: a. V: 1."


def test_short_head_of_a_split_bullet_names_a_section_not_a_passage():
    """'Amazon Relational Database Service (RDS)' heads more than a passage can hold: its children
    carry it in their section path, and the bare line is no passage to win searches for 'RDS'."""
    ps = parse_notes("aws-notes.md", (CORPUS / "aws-notes.md").read_text(encoding="utf-8")).passages
    assert not any(p.text == "Amazon Relational Database Service (RDS)" for p in ps)
    engines = next(p for p in ps if "PostgreSQL" in p.text and p.title.startswith("Relational Database Types"))
    assert engines.section[-1] == "Amazon Relational Database Service (RDS)"


def test_caption_found_past_a_picture_between_bullet_and_table():
    text = ("* CloudFront (CDN)\n  * A content delivery network\n    * Can be used with S3\n\n"
            "![edge](https://example.com/e.png)\n\n<table>\n<tr><th>Key Terminology</th><th>Description</th></tr>\n"
            "<tr><td>Origin</td><td>Where the files come from</td></tr>\n</table>\n")
    row = next(p for p in parse_notes("x.md", text).passages if p.kind == "table_row")
    assert row.section == ("CloudFront (CDN)", "Origin") and (row.start, row.end) == (9, 9)
    # without the picture, two blank lines still part a table from the bullet above
    far = text.replace("![edge](https://example.com/e.png)\n", "\n")
    row = next(p for p in parse_notes("x.md", far).passages if p.kind == "table_row")
    assert row.section[0] != "CloudFront (CDN)"


def test_sentences_do_not_break_after_eg_or_ie():
    from tutor.text import sentences

    assert sentences("It improves reads (E.g. Always querying the top 10). It is fast.") == [
        "It improves reads (E.g. Always querying the top 10).", "It is fast."]
    assert len(sentences("Pick one, i.e. Redis. Or not.")) == 2


def test_nested_bullets_keep_their_depth_under_the_passage_head():
    iam = next(p for p in _passages() if p.title == "What does IAM give you?")
    depth = dict(zip(iam.items, iam.item_depth))
    assert depth["Identity Federation"] == 1 and depth["Active Directory, Facebook, Linkedin and etc"] == 2
