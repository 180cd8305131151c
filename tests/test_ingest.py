"""Incremental ingest with the real model and a real Chroma (embedded, or the server under
TUTOR_CHROMA_URL): unchanged files are not embedded again, changed files replace their passages,
deleted files lose theirs, and bad files are named one by one while the rest is indexed."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tutor.errors import QuestionError
from tutor.index import list_notes, read_notes_file
from tutor.notes import parse_notes
from tutor.service import Tutor
from tutor.units import unit_texts

from conftest import ROOT, make_settings

SMALL = """#### Caching ####
- What is ElastiCache?
  - A managed in-memory cache: Redis or Memcached
- TTL decides how long a cached item lives
<table>
<tr><th>Engine</th><th>Use</th></tr>
<tr><td>Redis</td><td>persistence, replication, sorted sets</td></tr>
<tr><td>Memcached</td><td>simple multi-threaded cache</td></tr>
</table>
"""


class CountingEmbedder:
    """The real embedding model, counting calls and texts."""

    def __init__(self, embedding):
        self.embedding, self.calls, self.texts = embedding, 0, 0

    def __call__(self, texts: list[str]) -> list[list[float]]:
        self.calls += 1
        self.texts += len(texts)
        return self.embedding.get_text_embedding_batch(texts)


def make_tutor(home, corpus, embedding) -> tuple[Tutor, CountingEmbedder]:
    t = Tutor(make_settings(home, corpus))
    counter = CountingEmbedder(embedding)
    t.embed_texts = counter  # the store is built on first use with this embedder
    t.__dict__["embedding"] = embedding  # queries share the session's model
    return t, counter


def assert_consistent(t: Tutor, corpus, keep: dict[str, set[str]] | None = None) -> None:
    """The collection holds exactly the passages the readable files parse into (plus kept ones)."""
    want: dict[str, tuple] = {}
    for name, path in list_notes(corpus).items():
        try:
            text, fhash = read_notes_file(path, name, t.settings.index.max_file_bytes)
        except Exception:
            continue
        ps = parse_notes(name, text).passages
        want.update({p.id: (name, fhash, len(ps), p.text) for p in ps})
    got = t.store.collection.get(include=["metadatas", "documents"])
    have = {
        pid: (m["file"], m["file_hash"], m["n_passages"], d)
        for pid, m, d in zip(got["ids"], got["metadatas"], got["documents"])
    }
    kept = set().union(*(keep or {}).values())
    assert len(got["ids"]) == len(have)
    assert set(have) - kept == set(want), (sorted(set(want) - set(have))[:5], sorted(set(have) - set(want) - kept)[:5])
    assert all(have[pid] == want[pid] for pid in want)


def file_units(corpus, name: str) -> set[str]:
    """The unit texts of a notes file's passages, as the ingest embeds them."""
    return {u for p in parse_notes(name, (corpus / name).read_text(encoding="utf-8")).passages for u in unit_texts(p)}


@pytest.fixture
def corpus2(corpus_copy):
    (corpus_copy / "caching.md").write_text(SMALL, encoding="utf-8")
    return corpus_copy


def test_second_ingest_embeds_nothing(tmp_path, corpus2, embedding, monkeypatch):
    from tutor import retrieval

    t, counter = make_tutor(tmp_path / "h", corpus2, embedding)
    first = t.ingest()
    assert sorted(first.indexed) == ["aws-notes.md", "caching.md"] and not first.errors
    # the passages, then their sentences, items and cells (each file's distinct ones), all in batches
    assert first.embedded == first.passages
    assert first.units_embedded == len(file_units(corpus2, "aws-notes.md")) + len(file_units(corpus2, "caching.md"))
    assert counter.texts == first.embedded + first.units_embedded
    assert counter.calls < counter.texts / 8
    assert_consistent(t, corpus2)

    monkeypatch.setattr(retrieval, "EAGER_UNITS", 0)  # whatever the corpus size: the ingest's vectors are read
    t2, counter2 = make_tutor(tmp_path / "h", corpus2, embedding)  # a new process would look like this
    second = t2.ingest()
    assert second.embedded == 0 and second.units_embedded == 0
    assert sorted(second.unchanged) == ["aws-notes.md", "caching.md"] and not second.indexed
    assert second.passages == first.passages
    assert t2.retriever.units_embedded  # every passage has its units' vectors
    top = [r.passage.file for r in t2.retrieve("Which cache engine supports sorted sets?").results[:5]]
    assert "caching.md" in top, top
    assert counter2.calls == 0  # neither the ingest nor the retriever build embedded anything


def test_changed_file_replaces_its_passages_and_deleted_file_loses_them(tmp_path, corpus2, embedding, monkeypatch):
    from tutor import retrieval

    t, counter = make_tutor(tmp_path / "h", corpus2, embedding)
    t.ingest()
    before = {p.id: p for p in t.passages() if p.file == "caching.md"}
    aws_cache = t.store.unit_files.path("aws-notes.md")
    aws_bytes = aws_cache.read_bytes()
    counter.calls = counter.texts = 0

    changed = SMALL.replace("simple multi-threaded cache", "simple multi-threaded cache, no persistence")
    (corpus2 / "caching.md").write_text(changed, encoding="utf-8")
    report = t.ingest()
    assert report.indexed == ["caching.md"] and report.unchanged == ["aws-notes.md"]
    after = {p.id: p for p in t.passages() if p.file == "caching.md"}
    new_ids = set(after) - set(before)
    assert len(new_ids) == 1
    # only the edited row is embedded, and of its sentences only the new one
    new_units = set(unit_texts(after[next(iter(new_ids))])) - {u for p in before.values() for u in unit_texts(p)}
    assert report.embedded == 1 and report.units_embedded == len(new_units) == 1
    assert counter.texts == 2
    assert aws_cache.read_bytes() == aws_bytes  # the unchanged file's unit vectors are not touched
    assert not any("no persistence" in p.text for p in before.values())
    assert any("no persistence" in after[i].text for i in new_ids)
    assert_consistent(t, corpus2)

    # the rebuilt retriever has every passage's unit vectors without embedding, however small the eager limit
    monkeypatch.setattr(retrieval, "EAGER_UNITS", 0)
    assert t.retriever.units_embedded and set(t.retriever.unit_vecs) >= set(after)
    assert counter.texts == 2

    caching_cache = t.store.unit_files.path("caching.md")
    assert caching_cache.exists()
    (corpus2 / "caching.md").unlink()
    report = t.ingest()
    assert report.removed == ["caching.md"] and counter.texts == 2
    assert not any(p.file == "caching.md" for p in t.passages())
    assert not caching_cache.exists() and aws_cache.exists()  # the deleted file's unit vectors go with it
    assert_consistent(t, corpus2)


def test_a_damaged_unit_cache_is_recomputed_without_error(tmp_path, embedding):
    corpus = tmp_path / "notes"
    corpus.mkdir()
    (corpus / "caching.md").write_text(SMALL, encoding="utf-8")
    (corpus / "queues.md").write_text("#### Queues ####\n- SQS keeps a message for up to 14 days\n", encoding="utf-8")
    t, _ = make_tutor(tmp_path / "h", corpus, embedding)
    t.ingest()
    path, other = t.store.unit_files.path("caching.md"), t.store.unit_files.path("queues.md")
    data, other_bytes = path.read_bytes(), other.read_bytes()
    n_units = len(file_units(corpus, "caching.md"))

    path.write_bytes(data[: len(data) // 2])  # e.g. a disk that filled up under another program
    t2, counter = make_tutor(tmp_path / "h", corpus, embedding)
    r = t2.retriever  # built before any ingest: the missing units are embedded at start-up, in one batch
    assert r.units_embedded and counter.calls == 1 and counter.texts == n_units
    counter.calls = counter.texts = 0
    report = t2.ingest()  # the ingest rewrites the file's cache; the other file's is left alone
    assert not report.errors and report.embedded == 0 and report.units_embedded == n_units == counter.texts
    assert report.unchanged == ["caching.md", "queues.md"] and other.read_bytes() == other_bytes
    assert t2.store.unit_files.read("caching.md") is not None

    path.write_bytes(b"garbage")
    report = t2.ingest()
    assert report.units_embedded == n_units and not report.errors
    t3, counter3 = make_tutor(tmp_path / "h", corpus, embedding)
    assert t3.ingest().units_embedded == 0 and t3.retriever.units_embedded and counter3.calls == 0


def _wedge_once(t: Tutor) -> None:
    """The collection's next read fails as a wedged one does ("Failed to apply logs to the hnsw segment writer",
    chroma-core/chroma#7678); later reads work."""
    from chromadb.errors import InternalError

    real_get = t.store.collection.get
    calls = {"n": 0}

    def broken_get(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            raise InternalError("Error in compaction: Failed to apply logs to the hnsw segment writer")
        return real_get(*args, **kwargs)

    t.store.collection.get = broken_get


def test_an_unreadable_index_is_rebuilt_from_the_notes(tmp_path, corpus2, embedding):
    # Chroma can leave a collection unreadable after a kill mid-write ("Failed to apply logs to the hnsw
    # segment writer"); the next ingest, even one asked for a single file, rebuilds it from every note.
    t, counter = make_tutor(tmp_path / "h", corpus2, embedding)
    first = t.ingest()
    _wedge_once(t)
    counter.calls = counter.texts = 0
    if t.settings.chroma_url:  # a server's collection is not ours to drop: a clear error, nothing deleted
        from tutor.errors import IndexUnavailable

        with pytest.raises(IndexUnavailable, match="cannot be read"):
            t.ingest(["caching.md"])
        assert t.store.count() == first.passages and counter.calls == 0
        return
    report = t.ingest(["caching.md"])
    assert any("rebuilt it from the notes" in w and "hnsw" in w for w in report.warnings), report.warnings
    assert sorted(report.indexed) == ["aws-notes.md", "caching.md"] and report.passages == first.passages
    assert counter.texts == first.passages  # everything embedded again
    assert_consistent(t, corpus2)
    top = [r.passage.file for r in t.retrieve("Which cache engine supports sorted sets?").results[:5]]
    assert "caching.md" in top, top


def test_a_rebuild_keeps_the_passages_of_a_file_that_cannot_be_read_now(tmp_path, corpus2, embedding):
    # The rebuild drops the unreadable collection; a notes file that has turned unreadable meanwhile cannot be
    # indexed again from the file, so its passages are read back from Chroma's own records first (found by the
    # SIGKILL test: 32 passages of a file turned binary were gone after a rebuild).
    t, counter = make_tutor(tmp_path / "h", corpus2, embedding)
    t.ingest()
    before = {p.id: p for p in t.passages() if p.file == "caching.md"}
    (corpus2 / "caching.md").write_bytes(b"\x89PNG\r\n\x1a\n\x00binary now")
    _wedge_once(t)
    if t.settings.chroma_url:  # a server's collection is never dropped: a clear error, and the passages stay
        from tutor.errors import IndexUnavailable

        with pytest.raises(IndexUnavailable, match="cannot be read"):
            t.ingest()
        assert {p.id: p for p in t.passages() if p.file == "caching.md"} == before
        return
    report = t.ingest()
    assert any("rebuilt it from the notes" in w for w in report.warnings), report.warnings
    assert any("caching.md" in e for e in report.errors), report.errors
    assert f"caching.md: kept the {len(before)} passages indexed earlier" in report.warnings, report.warnings
    after = {p.id: p for p in t.passages() if p.file == "caching.md"}
    assert after == before
    top = [r.passage.file for r in t.retrieve("Which cache engine supports sorted sets?").results[:5]]
    assert "caching.md" in top, top


def test_bad_files_are_named_and_the_rest_is_indexed(tmp_path, corpus2, embedding):
    t, _ = make_tutor(tmp_path / "h", corpus2, embedding)
    t.ingest()
    old_caching = {p.id for p in t.passages() if p.file == "caching.md"}
    limit = t.settings.index.max_file_bytes

    (corpus2 / "latin1.md").write_bytes("# Café\n- naïve entry\n".encode("latin-1"))
    (corpus2 / "binary.md").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00")
    (corpus2 / "empty.md").write_bytes(b"")
    (corpus2 / "huge.md").write_bytes(b"- filler line\n" * (limit // 14 + 10))
    (corpus2 / "unclosed.md").write_text(
        "#### Queues ####\n- SQS types\n<table><tr><th>Type</th><th>Order</th>\n"
        "<tr><td>Standard<td>best effort\n<tr><td>FIFO</td><td>exactly once, in order\n\n"
        "- Visibility timeout hides a message while it is processed\n",
        encoding="utf-8",
    )
    (corpus2 / "caching.md").write_bytes(SMALL.encode("utf-8") + b"\n- caf\xe9 line\n")  # was good, now bad

    report = t.ingest()
    by_file = {m.split(":")[0]: m for m in report.errors}
    assert sorted(by_file) == ["binary.md", "caching.md", "empty.md", "huge.md", "latin1.md"], report.errors
    assert "not valid UTF-8" in by_file["latin1.md"] and by_file["latin1.md"].startswith("latin1.md:1:")
    assert "binary" in by_file["binary.md"]
    assert "empty" in by_file["empty.md"]
    assert "limit" in by_file["huge.md"]
    assert any(w.startswith("unclosed.md:3:") and "never closed" in w for w in report.warnings), report.warnings
    assert any(w.startswith("caching.md") and "kept" in w for w in report.warnings), report.warnings
    assert sorted(report.indexed) == ["unclosed.md"] and report.unchanged == ["aws-notes.md"]

    files = {p.file for p in t.passages()}
    assert files == {"aws-notes.md", "caching.md", "unclosed.md"}
    rows = [p for p in t.passages() if p.file == "unclosed.md" and p.kind == "table_row"]
    assert {p.title for p in rows} >= {"Standard", "FIFO"}
    assert {p.id for p in t.passages() if p.file == "caching.md"} == old_caching  # old passages kept
    assert_consistent(t, corpus2, keep={"caching.md": old_caching})
    assert "Visibility timeout" in t.ask("What does the visibility timeout do?").answer


def test_empty_question_is_a_clear_error_not_a_traceback(tutor):
    for q in ("", "   ", "\n\t"):
        with pytest.raises(QuestionError, match="empty"):
            tutor.ask(q)
        with pytest.raises(QuestionError):
            tutor.retrieve(q)


def test_cli_empty_question_exits_non_zero_without_traceback(tmp_path, corpus_copy):
    env = dict(os.environ, TUTOR_CORPUS=str(corpus_copy), TUTOR_HOME=str(tmp_path / "cli-home"), HF_HUB_OFFLINE="1")
    env["TUTOR_INDEX__COLLECTION"] = f"cli{abs(hash(str(tmp_path))) % 10**9}"  # apart on a shared server
    exe = [sys.executable, "-m", "tutor.cli"]
    for q in ("", "   "):
        proc = subprocess.run([*exe, "ask", q], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
        assert proc.returncode != 0
        assert "Traceback" not in proc.stderr and "Traceback" not in proc.stdout
        assert "error:" in proc.stderr and "question is empty" in proc.stderr, proc.stderr[-2000:]


def test_new_parser_version_rereads_notes_but_embeds_only_changed_passages(tmp_path, corpus2, embedding, monkeypatch):
    import tutor.index

    t, _ = make_tutor(tmp_path / "h", corpus2, embedding)
    first = t.ingest()
    monkeypatch.setattr(tutor.index, "PARSER_VERSION", "test-upgrade")
    t2, counter = make_tutor(tmp_path / "h", corpus2, embedding)
    second = t2.ingest()
    # the upgrade re-reads both files, but passages that come out the same keep their vectors
    assert sorted(second.indexed) == ["aws-notes.md", "caching.md"] and counter.calls == 0  # units too
    assert second.units_embedded == 0 and t2.retriever.units_embedded and counter.calls == 0
    assert second.passages == first.passages
    assert_consistent(t2, corpus2)


def test_asks_are_answered_while_an_upload_is_being_indexed(tmp_path, corpus2, embedding):
    # an upload of a big file held the Tutor's lock for its whole ingest: every learner's ask waited (71 s in the
    # browser probe). Asks now go on with the retriever built before the ingest; the new notes come after it.
    import threading

    t, counter = make_tutor(tmp_path / "h", corpus2, embedding)
    t.ingest()
    assert not t.ask("What is a Spot instance?").refused
    started, release = threading.Event(), threading.Event()
    real = t.store.embed

    def slow(texts):
        started.set()
        assert release.wait(60), "the test never let the ingest go on"
        return real(texts)

    t.store.embed = slow
    (corpus2 / "volcanoes.md").write_text("# Volcanoes\n\n- Pumice floats because its rock is full of gas bubbles\n",
                                          encoding="utf-8")
    reports = []
    worker = threading.Thread(target=lambda: reports.append(t.ingest()))
    worker.start()
    try:
        assert started.wait(60)
        asked = []
        asker = threading.Thread(target=lambda: asked.append(t.ask("What is a Spot instance?")))
        asker.start()
        asker.join(30)
        assert asked and not asked[0].refused, "an ask waited for the ingest"
    finally:
        release.set()
        worker.join(60)
    assert reports and reports[0].indexed == ["volcanoes.md"]
    assert "bubbles" in t.ask("Why does pumice float?").answer
