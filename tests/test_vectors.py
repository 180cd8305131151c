"""The vector cache: units are embedded once; a question only briefly kept (a new one is always embedded)."""
from tutor.vectors import VectorCache


def test_units_are_embedded_once_and_questions_are_not_kept_for_long():
    calls = []

    def embed(text):
        calls.append(text)
        return [float(len(text)), 1.0]

    c = VectorCache(embed, questions_limit=2)
    assert c.units(["a", "bb"]).tolist() == [[1.0, 1.0], [2.0, 1.0]]
    c.units(["bb", "a"])
    assert calls == ["a", "bb"]
    c.question("q1")
    c.question("q1")  # retrieval and composition of one ask share it
    assert calls.count("q1") == 1
    c.question("q2")
    c.question("q3")
    c.question("q1")  # two newer questions pushed it out
    assert calls.count("q1") == 2
    c.question("a")  # a question that is a known unit needs no embedding
    assert calls.count("a") == 1


def test_unit_vectors_are_kept_on_disk_and_a_damaged_file_is_recomputed(tutor, tmp_path):
    from tutor.retrieval import unit_vectors

    passages = tutor.passages()[:12]
    calls = []

    def embed(text):
        calls.append(text)
        return tutor.embed_query(text)

    path = tmp_path / "unit_vectors.npz"
    first = unit_vectors(passages, VectorCache(embed), path)
    assert calls and path.exists()
    n = len(calls)
    again = unit_vectors(passages, VectorCache(embed), path)  # a new process: read back, nothing embedded
    assert len(calls) == n
    assert all((first[p.id] == again[p.id]).all() for p in passages)
    path.write_bytes(b"not a zip")
    unit_vectors(passages, VectorCache(embed), path)  # damaged: embedded again, no error
    assert len(calls) == 2 * n


def test_a_large_corpus_embeds_its_units_lazily(tutor, tmp_path, monkeypatch):
    from tutor import retrieval
    from tutor.vectors import SHARED_UNITS

    monkeypatch.setattr(retrieval, "EAGER_UNITS", 3)
    monkeypatch.setattr(SHARED_UNITS, "items", type(SHARED_UNITS.items)())  # a fresh process
    r = retrieval.Retriever.build(tutor.passages(), tutor.embed_query, tutor.store.query,
                                  tutor.settings.retrieval, tmp_path / "u.npz")
    assert r.unit_vecs == {}  # nothing embedded before the first question
    res = r.retrieve("how long are automated RDS backups kept?")
    assert res.results[0].passage.title == tutor.retrieve("how long are automated RDS backups kept?").results[0].passage.title
    assert 0 < len(r.unit_vecs) < len(r.passages)  # only the candidates' units
