"""Shared fixtures: the real model and a real Chroma, loaded once per session; isolated homes."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpus"
SHARED = ROOT.parent / "shared"


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path, monkeypatch):
    """No test reads or writes the developer's .tutor/ folder."""
    monkeypatch.setenv("TUTOR_HOME", str(tmp_path / "home"))


def make_settings(home: Path, corpus: Path = CORPUS, **kw):
    from tutor.config import Settings

    chroma_url = os.environ.get("TUTOR_CHROMA_URL")
    if chroma_url and "chroma_url" not in kw:
        kw["chroma_url"] = chroma_url
        # a server is shared by the whole run: one collection per home keeps tests apart
        kw.setdefault("index", {"collection": "t" + str(abs(hash(str(home))))[:12]})
    return Settings(corpus=corpus, home=home, **kw)


@pytest.fixture(scope="session")
def embedding():
    from tutor.embedding import load_llama_embedding

    return load_llama_embedding()


@pytest.fixture(scope="session")
def tutor(tmp_path_factory, embedding):
    """A Tutor over the real AWS notes, indexed once for the whole session."""
    from tutor.service import Tutor

    home = tmp_path_factory.mktemp("tutor-home")
    t = Tutor(make_settings(home))
    report = t.ingest()
    assert not report.errors, report.errors
    return t


@pytest.fixture
def corpus_copy(tmp_path):
    """A writable corpus folder holding a copy of the AWS notes."""
    d = tmp_path / "corpus"
    d.mkdir()
    shutil.copy(CORPUS / "aws-notes.md", d / "aws-notes.md")
    return d
