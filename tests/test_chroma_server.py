"""TUTOR_CHROMA_URL: a real `chroma run` on a free loopback port; index and query through it; the
server goes away mid-session (ask → a clear IndexUnavailable, not a traceback) and comes back (ask
works again, nothing re-embedded)."""
from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tutor.errors import IndexUnavailable, TutorError
from tutor.service import Tutor

from conftest import make_settings

CHROMA = Path(sys.executable).with_name("chroma")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ChromaServer:
    """`chroma run` in the background; start() waits for its heartbeat, stop() ends it."""

    def __init__(self, path: Path, port: int):
        self.path, self.port, self.proc = path, port, None
        self.url = f"http://127.0.0.1:{port}"

    def start(self, timeout: float = 60) -> "ChromaServer":
        log = open(self.path.parent / f"chroma-{self.port}.log", "ab")
        self.proc = subprocess.Popen(
            [str(CHROMA), "run", "--path", str(self.path), "--host", "127.0.0.1", "--port", str(self.port)],
            stdout=log, stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, (self.path.parent / f"chroma-{self.port}.log").read_text()[-2000:]
            try:
                with urllib.request.urlopen(f"{self.url}/api/v2/heartbeat", timeout=1) as r:
                    if r.status == 200:
                        return self
            except OSError:
                time.sleep(0.1)
        raise TimeoutError(f"chroma did not answer on {self.url} within {timeout}s")

    def stop(self, kill: bool = False) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill() if kill else self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=20)


@pytest.fixture
def chroma_server(tmp_path):
    assert CHROMA.exists(), f"{CHROMA} is missing: the chromadb package installs it"
    server = ChromaServer(tmp_path / "chroma-data", free_port()).start()
    yield server
    server.stop()


def make_tutor(home: Path, corpus: Path, url: str, embedding) -> Tutor:
    t = Tutor(make_settings(home, corpus, chroma_url=url))
    t.__dict__["embedding"] = embedding  # the session's model: no second load
    return t


def test_index_and_query_through_a_chroma_server(tmp_path, corpus_copy, chroma_server, embedding):
    t = make_tutor(tmp_path / "home", corpus_copy, chroma_server.url, embedding)
    report = t.ingest()
    assert not report.errors and report.passages > 100
    assert not (tmp_path / "home" / "chroma").exists()  # nothing went to the embedded store

    import chromadb

    client = chromadb.HttpClient(host="127.0.0.1", port=chroma_server.port)
    assert client.get_collection(t.settings.index.collection).count() == report.passages

    ans = t.ask("How long are automated RDS backups kept at most?")
    assert not ans.refused and ans.citations
    assert "35" in ans.answer

    # a second Tutor (another process, another learner's app) reuses the server's index
    t2 = make_tutor(tmp_path / "home2", corpus_copy, chroma_server.url, embedding)
    t2.settings.index.collection = t.settings.index.collection
    again = t2.ingest()
    assert again.embedded == 0 and again.unchanged == ["aws-notes.md"]
    # its home had no unit vectors: that ingest embedded them there, once, and the retriever reads them
    assert again.units_embedded == report.units_embedded > 0
    assert t2.ingest().units_embedded == 0 and t2.retriever.units_embedded


def test_server_going_away_gives_a_clear_error_and_recovers(tmp_path, corpus_copy, chroma_server, embedding):
    t = make_tutor(tmp_path / "home", corpus_copy, chroma_server.url, embedding)
    t.ingest()
    assert t.ask("What is Spot pricing?").citations

    chroma_server.stop(kill=True)  # the server dies mid-session
    for q in ("What is an S3 bucket policy?", "What does CloudFront do?"):
        with pytest.raises(IndexUnavailable) as err:
            t.ask(q)
        msg = str(err.value)
        assert chroma_server.url in msg or "index" in msg.lower(), msg
        assert "Traceback" not in msg and len(msg) < 500, msg
    with pytest.raises(IndexUnavailable):
        t.ingest()

    chroma_server.start()  # back on the same port, same data
    ans = t.ask("What does CloudFront do?")
    assert ans.citations and not ans.refused
    assert t.ingest().embedded == 0


def test_unreachable_server_at_start_is_a_clear_error(tmp_path, corpus_copy, embedding):
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    t = make_tutor(tmp_path / "home", corpus_copy, url, embedding)
    with pytest.raises(TutorError) as err:
        t.ingest()
    assert url in str(err.value) or "index" in str(err.value).lower()
    with pytest.raises(TutorError):
        t.ask("What is S3?")


def test_writes_over_chromas_max_batch_size_are_split(tmp_path, corpus_copy, chroma_server, embedding, monkeypatch):
    """Chroma refuses an add or update of more records than its max batch size (5461 in chromadb
    1.x). A notes file with more passages than that, changed at the end or re-read by a newer
    parser, updates every kept passage at once and its ingest failed. A limit of 20 stands in for
    5461 here, so the test needs no 6,000-passage file: the client's own check rejects any
    add/update over 20 (adds go in embedding batches of 16), and deletes, which the client does not
    check, are recorded."""
    from chromadb.api.fastapi import FastAPI

    limit = 20
    monkeypatch.setattr(FastAPI, "get_max_batch_size", lambda self: limit)
    deletes: list[int] = []
    real_delete = FastAPI._delete

    def delete(self, collection_id, ids=None, *a, **k):
        deletes.append(len(ids or []))
        return real_delete(self, collection_id, ids, *a, **k)

    monkeypatch.setattr(FastAPI, "_delete", delete)
    notes = corpus_copy / "aws-notes.md"
    t = make_tutor(tmp_path / "home", corpus_copy, chroma_server.url, embedding)
    first = t.ingest()
    assert not first.errors and first.passages > 4 * limit

    notes.write_text(notes.read_text(encoding="utf-8") + "\n## Added later\n\n- Glacier retrieval takes hours.\n",
                     encoding="utf-8")
    edited = t.ingest()  # every earlier passage keeps its id: its metadata is updated, > 20 at once
    assert edited.indexed == ["aws-notes.md"] and 0 < edited.embedded < limit
    assert t.ingest().unchanged == ["aws-notes.md"]  # every stored passage carries the new file hash

    notes.write_text("# Moved\n\n" + notes.read_text(encoding="utf-8"), encoding="utf-8")
    moved = t.ingest()  # every line number shifts: all passages are new and the old ones stale
    notes.unlink()
    gone = t.ingest()
    assert gone.removed == ["aws-notes.md"] and gone.passages == 0
    assert deletes and max(deletes) <= limit and sum(deletes) >= edited.passages + moved.passages
