"""Progress store: persistence, learner isolation (crafted names too), concurrent writes, FSRS ordering."""
from __future__ import annotations

import sqlite3
import threading
from datetime import datetime, timedelta, timezone

import pytest

from tutor.progress import LearnerNameError, ProgressStore, normalise_name
from tutor.types import Citation, Grade, Passage, QuizItem

CRAFTED = "bob'; DROP TABLE attempts;--"


def _item(i: int, group: str = "Topic A") -> QuizItem:
    p = Passage("notes.md", i, i, (group, f"Row {i}"), "table_row", f"Row {i}. Fact number {i}.")
    return QuizItem(id=f"{i:016x}", topic=p.section_path, kind="free", question=f"What is row {i}?",
                    reference=f"Fact number {i}", key_points=[f"Fact number {i}"], passage_id=p.id,
                    citation=Citation(1, p), qtype="term", group=group)


def _grade(verdict: str) -> Grade:
    score = {"correct": 0.95, "partial": 0.5, "incorrect": 0.05}[verdict]
    return Grade(verdict, score, [], [], [], verdict)


@pytest.fixture
def db_path(tmp_path):
    return tmp_path / "home" / "progress.sqlite3"


def test_progress_survives_a_restart(db_path):
    bank = [_item(i) for i in range(5)]
    store = ProgressStore(db_path)
    store.record_attempt("Alice", bank[0], _grade("correct"), 0, False)
    store.record_attempt("Alice", bank[1], _grade("incorrect"), 2, True)
    store.close()
    again = ProgressStore(db_path)
    rows = again.attempts("alice")
    assert [r["item_id"] for r in rows] == [bank[1].id, bank[0].id]  # newest first
    assert rows[0]["verdict"] == "revealed" and rows[1]["verdict"] == "correct"
    assert again.mastery("ALICE ")["Topic A"] > 0
    assert again.next_items("alice", bank, 5)[0] == bank[1]  # the weak one comes back before new ones
    assert again.answered("alice", bank) == {"Topic A": (2, 5)}  # what the mastery rests on


def test_next_items_due_then_weak_then_new_then_strong(db_path):
    bank = [_item(i, group="G1" if i % 2 else "G2") for i in range(8)]
    store = ProgressStore(db_path)
    store.record_attempt("al", bank[0], _grade("correct"), 0, False)  # strong
    store.record_attempt("al", bank[1], _grade("partial"), 1, False)  # weak
    store.record_attempt("al", bank[2], _grade("correct"), 0, False)  # made due below
    with sqlite3.connect(db_path) as db:
        db.execute("UPDATE cards SET due = '2000-01-01T00:00:00+00:00' WHERE item_id = ?", (bank[2].id,))
    order = store.next_items("al", bank, 8)
    assert order[0] == bank[2] and order[1] == bank[1] and order[-1] == bank[0]
    new = order[2:-1]
    assert {it.group for it in new[:2]} == {"G1", "G2"}  # new questions alternate between topic groups
    assert store.due("al", bank) == [bank[2]]
    assert store.next_items("al", bank, 8, topics=["g1"]) == [it for it in order if it.group == "G1"]


def test_a_second_session_brings_new_groups_not_the_questions_just_answered_right(db_path):
    # FSRS's default learning steps brought a question answered right back in 10 minutes, and new questions always
    # started at the top of the notes: a learner's second session re-asked the first one's
    groups = ["IAM", "EC2", "EBS", "S3"]
    bank = [_item(i, group=groups[i // 4]) for i in range(16)]  # in notes order: four questions per group
    store = ProgressStore(db_path)
    first = store.next_items("al", bank, 2)
    assert [it.group for it in first] == ["IAM", "EC2"]
    for it in first:
        store.record_attempt("al", it, _grade("correct"), 0, False)
    with sqlite3.connect(db_path) as db:
        dues = [datetime.fromisoformat(d) for (d,) in db.execute("SELECT due FROM cards")]
    assert all(d - datetime.now(timezone.utc) > timedelta(hours=12) for d in dues), dues  # not in 10 minutes
    second = store.next_items("al", bank, 2)
    assert not {it.id for it in second} & {it.id for it in first}
    assert [it.group for it in second] == ["EBS", "S3"]  # the groups not practised yet come first


def test_two_learners_never_see_each_others_progress(db_path):
    bank = [_item(i) for i in range(3)]
    store = ProgressStore(db_path)
    store.record_attempt("alice", bank[0], _grade("correct"), 0, False)
    store.record_attempt(CRAFTED, bank[1], _grade("incorrect"), 0, True)
    assert [r["item_id"] for r in store.attempts("alice")] == [bank[0].id]
    assert [r["item_id"] for r in store.attempts(CRAFTED)] == [bank[1].id]
    for probe in ["alice' OR '1'='1", "alice'--", "%", "bob", "' OR 1=1 --"]:
        assert store.attempts(probe) == [] and store.mastery(probe) == {}
    with sqlite3.connect(db_path) as db:  # the crafted name dropped nothing
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"learners", "attempts", "cards"} <= tables
    assert sorted(store.learners()) == sorted(["alice", normalise_name(CRAFTED)])
    assert store.next_items("alice", bank, 3)[-1] == bank[0]  # alice's correct answer ranks last for her
    assert store.next_items("carol", bank, 3) == bank  # a new learner starts fresh


def test_names_are_normalised_and_empty_names_refused(db_path):
    store = ProgressStore(db_path)
    store.record_attempt("  Ｄａｖｅ\u200b  Smith ", _item(1), _grade("correct"), 0, False)
    assert store.learners() == ["dave smith"]
    assert len(store.attempts("DAVE SMITH")) == 1
    with pytest.raises(LearnerNameError):
        store.record_attempt(" \t ", _item(1), _grade("correct"), 0, False)


def test_concurrent_writers_lose_nothing(db_path):
    ProgressStore(db_path)  # schema
    bank = [_item(i) for i in range(40)]
    errors = []

    def session(name: str, store: ProgressStore):
        try:
            for it in bank:
                store.record_attempt(name, it, _grade("partial"), 1, False)
                store.record_attempt("shared", it, _grade("correct"), 0, False)
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    one = ProgressStore(db_path)  # a store shared by threads (one connection per thread) ...
    other = ProgressStore(db_path)  # ... and a second process-like store on the same file
    threads = [threading.Thread(target=session, args=("t1", one)), threading.Thread(target=session, args=("t2", one)),
               threading.Thread(target=session, args=("t3", other))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    for name in ("t1", "t2", "t3"):
        assert len(one.attempts(name, limit=1000)) == len(bank)
    assert len(other.attempts("shared", limit=1000)) == 3 * len(bank)
    with sqlite3.connect(db_path) as db:
        assert db.execute("SELECT SUM(reviews) FROM cards").fetchone()[0] == 6 * len(bank)


def test_skips_are_logged_but_not_scheduled_and_csv_is_safe(db_path):
    store = ProgressStore(db_path)
    it = _item(7)
    it.question = "=HYPERLINK(1)"
    store.record_attempt("eve", it, None, 0, False)
    assert store.attempts("eve")[0]["verdict"] == "skipped"
    assert store.mastery("eve") == {}
    csv_text = store.attempts_csv("eve")
    assert csv_text.splitlines()[0].startswith("at,item_id,topic")
    assert "'=HYPERLINK(1)" in csv_text
