"""Per-learner progress in SQLite: attempts, FSRS scheduling per question, mastery per topic group.

- Learner names are untrusted: they are normalised (NFKC, trimmed, whitespace collapsed, case-folded,
  control characters dropped, at most 64 characters) and only ever passed as SQL parameters; every
  query is keyed on the learner's row id, so one learner's rows cannot be read through another name.
- Concurrency: WAL journal, a busy timeout, one connection per thread, and each write is one short
  `BEGIN IMMEDIATE` transaction, so two sessions writing at once lose nothing.
- Scheduling: one FSRS card (the `fsrs` package, v6) per learner and question. An attempt's outcome
  becomes a credit in [0, 1] (correct 1, less per hint; partial 0.5, less per hint; revealed or wrong 0)
  and an FSRS rating (credit ≥ 0.9 Good, ≥ 0.45 Hard, else Again). Skips are logged, not scheduled.
- Mastery of a topic group (`QuizItem.group`: the section path without a table row's own key, cut to
  its first two levels) = mean over the group's answered questions of last credit × FSRS
  retrievability now; so it decays when reviews are due. Groups never answered are absent.
"""
from __future__ import annotations

import csv
import io
import re
import sqlite3
import threading
import unicodedata
from datetime import datetime, timezone
from pathlib import Path

from fsrs import Card, Rating, Scheduler

from .errors import TutorError
from .quiz_items import on_topics
from .types import Grade, QuizItem

MAX_NAME_CHARS = 64
WEAK_BELOW = 0.6  # last credit under this makes a question "weak"
HINT_COST = 0.15
SCHEMA = """
CREATE TABLE IF NOT EXISTS learners (
    id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, created TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS attempts (
    id INTEGER PRIMARY KEY, learner_id INTEGER NOT NULL REFERENCES learners(id),
    item_id TEXT NOT NULL, passage_id TEXT NOT NULL, topic TEXT NOT NULL, grp TEXT NOT NULL,
    question TEXT NOT NULL, verdict TEXT NOT NULL, score REAL, hints_used INTEGER NOT NULL,
    revealed INTEGER NOT NULL, credit REAL, rating INTEGER, at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS attempts_by_learner ON attempts(learner_id, id);
CREATE TABLE IF NOT EXISTS cards (
    learner_id INTEGER NOT NULL REFERENCES learners(id), item_id TEXT NOT NULL, grp TEXT NOT NULL,
    card TEXT NOT NULL, due TEXT NOT NULL, reviews INTEGER NOT NULL, lapses INTEGER NOT NULL,
    last_credit REAL NOT NULL, last_at TEXT NOT NULL, PRIMARY KEY (learner_id, item_id));
"""
CSV_COLUMNS = ["at", "item_id", "topic", "group", "question", "verdict", "score", "hints_used", "revealed", "credit"]


class LearnerNameError(TutorError):
    """The learner name is empty once cleaned."""


def normalise_name(name: str) -> str:
    s = unicodedata.normalize("NFKC", str(name or ""))
    s = "".join(c for c in s if unicodedata.category(c)[0] != "C")
    s = re.sub(r"\s+", " ", s).strip().casefold()
    if len(s) > MAX_NAME_CHARS:
        # refused, not cut: two long names sharing a prefix must never share progress
        raise LearnerNameError(f"The learner name is longer than {MAX_NAME_CHARS} characters; choose a shorter one.")
    if not s:
        raise LearnerNameError("The learner name is empty: type a name to keep your progress under.")
    return s


def credit_of(grade: Grade | None, hints_used: int, revealed: bool) -> float:
    if grade is None:
        return 0.0
    if grade.verdict == "correct":
        c = max(0.4, 1.0 - HINT_COST * hints_used)
    elif grade.verdict == "partial":
        c = max(0.2, 0.5 - 0.1 * hints_used)
    else:
        c = 0.0
    return min(c, 0.2) if revealed else c


def rating_of(credit: float) -> Rating:
    return Rating.Good if credit >= 0.9 else Rating.Hard if credit >= 0.45 else Rating.Again


def _now() -> datetime:
    return datetime.now(timezone.utc)


class ProgressStore:
    def __init__(self, db_path: str | Path, scheduler: Scheduler | None = None):
        self.path = str(db_path)
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        # No learning steps: FSRS's default brings a question answered right back in 10 minutes, i.e. in the next
        # session, ahead of new material. A first answer now schedules it by FSRS's stability (days); a wrong or
        # partly right one still returns next session, as a weak question (WEAK_BELOW).
        self.scheduler = scheduler or Scheduler(enable_fuzzing=False, learning_steps=())
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._conn().executescript(SCHEMA)

    # -- connections
    def _conn(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            db.row_factory = sqlite3.Row
            db.execute("PRAGMA busy_timeout = 30000")
            db.execute("PRAGMA journal_mode = WAL")
            db.execute("PRAGMA synchronous = NORMAL")
            db.execute("PRAGMA foreign_keys = ON")
            self._local.db = db
            with self._lock:
                self._all.append(db)
        return db

    def _write(self):
        store = self

        class _Tx:
            def __enter__(self_inner):
                self_inner.db = store._conn()
                self_inner.db.execute("BEGIN IMMEDIATE")
                return self_inner.db

            def __exit__(self_inner, exc_type, exc, tb):
                self_inner.db.execute("ROLLBACK" if exc_type else "COMMIT")
                return False

        return _Tx()

    def close(self) -> None:
        with self._lock:
            for db in self._all:
                try:
                    db.close()
                except sqlite3.ProgrammingError:
                    pass  # made in another thread that is gone; the GC closes it
            self._all.clear()
        self._local = threading.local()

    def _learner_id(self, learner: str, create: bool = False) -> int | None:
        name = normalise_name(learner)
        db = self._conn()
        if create:
            db.execute("INSERT OR IGNORE INTO learners(name, created) VALUES (?, ?)", (name, _now().isoformat()))
        row = db.execute("SELECT id FROM learners WHERE name = ?", (name,)).fetchone()
        return row["id"] if row else None

    # -- writing
    def record_attempt(self, learner: str, item: QuizItem, grade: Grade | None, hints_used: int,
                       revealed: bool) -> None:
        now = _now()
        skipped = grade is None and not revealed
        credit = None if skipped else credit_of(grade, hints_used, revealed)
        verdict = "skipped" if skipped else "revealed" if revealed and (grade is None or grade.verdict != "correct") \
            else grade.verdict
        rating = None if skipped else rating_of(credit)
        with self._write() as db:
            lid = self._learner_id(learner, create=True)
            db.execute(
                "INSERT INTO attempts(learner_id, item_id, passage_id, topic, grp, question, verdict, score, "
                "hints_used, revealed, credit, rating, at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (lid, item.id, item.passage_id, item.topic, item.group or item.topic, item.question, verdict,
                 None if grade is None else float(grade.score), int(hints_used), int(bool(revealed)), credit,
                 None if rating is None else int(rating), now.isoformat()))
            if skipped:
                return
            row = db.execute("SELECT card, reviews, lapses FROM cards WHERE learner_id = ? AND item_id = ?",
                             (lid, item.id)).fetchone()
            card = Card.from_json(row["card"]) if row else Card(card_id=int(item.id[:12], 16))
            card, _ = self.scheduler.review_card(card, rating, now)
            db.execute(
                "INSERT INTO cards(learner_id, item_id, grp, card, due, reviews, lapses, last_credit, last_at) "
                "VALUES (?,?,?,?,?,?,?,?,?) ON CONFLICT(learner_id, item_id) DO UPDATE SET card = excluded.card, "
                "due = excluded.due, reviews = cards.reviews + 1, lapses = cards.lapses + excluded.lapses, "
                "last_credit = excluded.last_credit, last_at = excluded.last_at, grp = excluded.grp",
                (lid, item.id, item.group or item.topic, card.to_json(), card.due.isoformat(), 1,
                 int(rating == Rating.Again), credit, now.isoformat()))

    # -- reading
    def _cards(self, learner: str) -> dict[str, sqlite3.Row]:
        lid = self._learner_id(learner)
        if lid is None:
            return {}
        rows = self._conn().execute("SELECT * FROM cards WHERE learner_id = ?", (lid,)).fetchall()
        return {r["item_id"]: r for r in rows}

    def due(self, learner: str, bank: list[QuizItem]) -> list[QuizItem]:
        cards, now = self._cards(learner), _now().isoformat()
        due = [it for it in bank if it.id in cards and cards[it.id]["due"] <= now]
        return sorted(due, key=lambda it: cards[it.id]["due"])

    def next_items(self, learner: str, bank: list[QuizItem], k: int, topics: list[str] | None = None) -> list[QuizItem]:
        """Due questions first (most overdue first), then weak ones (lowest credit), then new ones spread
        over topic groups, then the rest by due date."""
        wanted = [t.lower() for t in topics or [] if t and t.strip()]
        pool = on_topics(bank, wanted)
        cards, now = self._cards(learner), _now().isoformat()
        due = sorted((it for it in pool if it.id in cards and cards[it.id]["due"] <= now),
                     key=lambda it: cards[it.id]["due"])
        rest = [it for it in pool if it.id in cards and cards[it.id]["due"] > now]
        weak = sorted((it for it in rest if cards[it.id]["last_credit"] < WEAK_BELOW),
                      key=lambda it: (cards[it.id]["last_credit"], cards[it.id]["due"]))
        strong = sorted((it for it in rest if cards[it.id]["last_credit"] >= WEAK_BELOW),
                        key=lambda it: cards[it.id]["due"])
        # new questions start in the topic groups this learner has practised least, so that session after session
        # spans the notes instead of opening on IAM and EC2 again
        practised: dict[str, int] = {}
        for r in cards.values():
            practised[r["grp"]] = practised.get(r["grp"], 0) + 1
        new = _round_robin([it for it in pool if it.id not in cards], practised)
        return (due + weak + new + strong)[: max(0, k)]

    def mastery(self, learner: str) -> dict[str, float]:
        sums: dict[str, list[float]] = {}
        now = _now()
        for r in self._cards(learner).values():
            card = Card.from_json(r["card"])
            value = r["last_credit"] * self.scheduler.get_card_retrievability(card, now)
            sums.setdefault(r["grp"], []).append(value)
        return {g: round(sum(v) / len(v), 4) for g, v in sorted(sums.items())}

    def answered(self, learner: str, bank: list[QuizItem]) -> dict[str, tuple[int, int]]:
        """Per topic group: (questions answered, questions in the bank). A mastery of 100% on one question of twelve
        says less than on twelve: shown next to it."""
        cards = self._cards(learner)
        out: dict[str, list[int]] = {}
        for it in bank:
            n = out.setdefault(it.group or it.topic, [0, 0])
            n[0] += it.id in cards
            n[1] += 1
        return {g: (a, t) for g, (a, t) in out.items()}

    def attempts(self, learner: str, limit: int = 50) -> list[dict]:
        lid = self._learner_id(learner)
        if lid is None:
            return []
        rows = self._conn().execute(
            "SELECT at, item_id, topic, grp, question, verdict, score, hints_used, revealed, credit FROM attempts "
            "WHERE learner_id = ? ORDER BY id DESC LIMIT ?", (lid, max(0, int(limit)))).fetchall()
        return [{**dict(r), "group": r["grp"], "revealed": bool(r["revealed"])} for r in rows]

    def attempts_csv(self, learner: str) -> str:
        rows = list(reversed(self.attempts(learner, limit=1_000_000)))
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(CSV_COLUMNS)
        for r in rows:
            w.writerow([_csv_safe(r[c]) for c in CSV_COLUMNS])
        return buf.getvalue()

    def learners(self) -> list[str]:
        return [r["name"] for r in self._conn().execute("SELECT name FROM learners ORDER BY name").fetchall()]


def _csv_safe(v):
    """Spreadsheets run cells starting with = + - @ as formulas: quote them."""
    if isinstance(v, str) and v[:1] in ("=", "+", "-", "@"):
        return "'" + v
    return v


def _round_robin(items: list[QuizItem], practised: dict[str, int] | None = None) -> list[QuizItem]:
    """New questions interleaved across topic groups, so a session spans the notes: the groups least practised
    (questions answered in them) first, then in notes order."""
    groups: dict[str, list[QuizItem]] = {}
    for it in items:
        groups.setdefault(it.group or it.topic, []).append(it)
    practised = practised or {}
    order = sorted(groups, key=lambda g: practised.get(g, 0))  # stable: notes order among equals
    out, queues = [], [list(groups[g]) for g in order]
    while any(queues):
        for q in queues:
            if q:
                out.append(q.pop(0))
    return out
