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


def test_a_large_corpus_answers_without_waiting_for_its_sentence_vectors(tutor, tmp_path, monkeypatch):
    from tutor import retrieval
    from tutor.vectors import SHARED_UNITS

    monkeypatch.setattr(retrieval, "EAGER_UNITS", 3)
    monkeypatch.setattr(SHARED_UNITS, "items", type(SHARED_UNITS.items)())  # a fresh process
    embedded = []

    def embed_texts(texts):
        embedded.extend(texts)
        return tutor.embed_texts(texts)

    r = retrieval.Retriever.build(tutor.passages(), tutor.embed_query, tutor.store.query,
                                  tutor.settings.retrieval, tmp_path / "u.npz", embed_texts)
    res = r.retrieve("how long are automated RDS backups kept?")
    assert res.results[0].passage.title == "Automated Backups"  # judged by the passages' own vectors
    assert embedded == [] and not r.units_embedded  # no sentence embedded, at start-up or per question


def test_sentence_vectors_are_embedded_in_batches_at_start_up(tutor, tmp_path, monkeypatch):
    from tutor import retrieval
    from tutor.vectors import SHARED_UNITS

    monkeypatch.setattr(SHARED_UNITS, "items", type(SHARED_UNITS.items)())
    batches, singles = [], []

    def embed_texts(texts):
        batches.append(len(texts))
        return tutor.embed_texts(texts)

    def embed_query(text):
        singles.append(text)
        return tutor.embed_query(text)

    r = retrieval.Retriever.build(tutor.passages(), embed_query, tutor.store.query, tutor.settings.retrieval,
                                  tmp_path / "u.npz", embed_texts)
    assert r.units_embedded and batches == [sum(len(retrieval._unit_texts(p)) for p in tutor.passages())]
    assert singles == []
