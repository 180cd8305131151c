"""Vectors: the question's is kept briefly; the units' are kept on disk per notes file (the ingest writes them,
tests/test_ingest.py) and read, or embedded in batches within a limit, when the retriever is built."""
import numpy as np

from tutor.unit_cache import UnitFiles
from tutor.vectors import VectorCache


def test_questions_are_not_kept_for_long():
    calls = []

    def embed(text):
        calls.append(text)
        return [float(len(text)), 1.0]

    c = VectorCache(embed, questions_limit=2)
    assert c.question("q1").tolist() == [2.0, 1.0]
    c.question("q1")  # retrieval and composition of one ask share it
    assert calls.count("q1") == 1
    c.question("q2")
    c.question("q3")
    c.question("q1")  # two newer questions pushed it out
    assert calls.count("q1") == 2


def test_prefetch_embeds_each_missing_text_once_and_skips_blanks():
    batches, singles = [], []
    c = VectorCache(lambda t: singles.append(t) or [1.0, 0.0],
                    embed_many=lambda ts: batches.append(list(ts)) or [[float(len(t)), 1.0] for t in ts])
    c.question("kept")
    c.prefetch(["kept", "", "a", "a", "bb"])  # one batch of what is missing, each once
    assert batches == [["a", "bb"]] and c.question("bb").tolist() == [2.0, 1.0] and singles == ["kept"]
    c.prefetch(["only one", ""])  # a single text waits to be asked for, as before
    assert len(batches) == 1
    assert VectorCache(lambda t: [0.0]).prefetch(["x", "y"]) is None  # no batch embedder: nothing happens


def _asked_counting_model_calls(tutor, question: str, history: list[str] | None = None):
    """(the answer, texts embedded one at a time, batches embedded together) for one ask."""
    vectors = tutor.retriever.vectors
    singles, batches = [], []
    one, many = vectors.embed, vectors.embed_many
    vectors.embed = lambda t: singles.append(t) or one(t)
    vectors.embed_many = lambda ts: batches.append(list(ts)) or many(ts)
    try:
        return tutor.ask(question, history or []), singles, batches
    finally:
        vectors.embed, vectors.embed_many = one, many


def test_a_comparison_embeds_its_question_and_both_sides_in_one_model_call(tutor):
    # one forward pass over three short texts instead of three passes: the model's fixed cost per call is most of a
    # short question's; the vectors are the same ones (the answer does not change)
    ans, singles, batches = _asked_counting_model_calls(tutor, "ALB vs NLB - which one for millions of TCP requests a second?")
    assert not singles and len(batches) == 1 and {"ALB", "NLB"} <= set(batches[0]), (singles, batches)
    assert "Network Load Balancer" in ans.answer, ans.answer
    v = tutor.retriever.vectors.question("ALB")
    assert abs(float(v @ np.asarray(tutor.retriever.vectors.embed("ALB"), dtype=np.float32)) - 1.0) < 1e-4


def test_two_questions_in_one_message_embed_both_parts_in_one_model_call(tutor):
    ans, singles, batches = _asked_counting_model_calls(
        tutor, "which engines does elasticache support, and how many read replicas can one rds database have?")
    assert not singles and len(batches) == 1, (singles, batches)
    assert "Memcached" in ans.answer and "up to 5" in ans.answer, ans.answer


def test_a_follow_up_about_what_was_just_picked_ranks_the_previous_question_in_the_same_model_call(tutor):
    # "does that one …" after "which engine …?" ranks the previous question again to find the row that answered it;
    # that text is embedded with the follow-up's own, not in a second call
    ans, singles, batches = _asked_counting_model_calls(
        tutor, "does that one use more than one cpu core?", ["which elasticache engine has no persistence at all?"])
    assert not singles and len(batches) == 1, (singles, batches)
    assert ans.answer.startswith("Memcached"), ans.answer


def test_unit_files_round_trip_and_damaged_or_foreign_files_read_as_missing(tmp_path):
    files = UnitFiles(tmp_path)
    vecs = np.arange(6, dtype=np.float32).reshape(3, 2)
    files.write("sub/notes.md", "hash:1", ["a", "b", "Row: c"], vecs)
    stamp, got = files.read("sub/notes.md")
    assert stamp == "hash:1" and list(got) == ["a", "b", "Row: c"] and (np.stack(list(got.values())) == vecs).all()
    assert files.read("other.md") is None
    assert [p.name for p in files.folder.iterdir()] == [files.path("sub/notes.md").name]  # no temporary left

    path = files.path("sub/notes.md")
    data = path.read_bytes()
    flipped = data[: len(data) // 2] + bytes([data[len(data) // 2] ^ 1]) + data[len(data) // 2 + 1:]
    for damaged in (b"not a zip", data[: len(data) // 2], data[:-40] + b"\0" * 40, flipped):
        path.write_bytes(damaged)
        assert files.read("sub/notes.md") is None
    files.write("x.md", "h:1", ["a"], np.ones((1, 2), dtype=np.float32))
    path.write_bytes(files.path("x.md").read_bytes())  # another file's cache under this name
    assert files.read("sub/notes.md") is None
    np.savez(path, stamp=np.array("h"), name=np.array("sub/notes.md"), texts=np.array(["a"]),
             vectors=np.array([[np.nan, 1.0]], dtype=np.float32))
    assert files.read("sub/notes.md") is None

    (tmp_path / "unit_vectors.npz").write_bytes(b"the single file of earlier versions")
    (files.folder / ".deadbeef.999999999.1.tmp.npz").write_bytes(b"half")  # a killed writer's
    files.prune({"x.md"})
    assert sorted(p.name for p in files.folder.iterdir()) == [files.path("x.md").name]
    assert not (tmp_path / "unit_vectors.npz").exists()


def test_a_large_corpus_answers_without_waiting_for_its_sentence_vectors(tutor, tmp_path, monkeypatch):
    from tutor import retrieval
    from tutor.answer import compose

    monkeypatch.setattr(retrieval, "EAGER_UNITS", 3)
    embedded = []

    def embed_texts(texts):
        embedded.extend(texts)
        return tutor.embed_texts(texts)

    # an index ingested elsewhere (a Chroma server) or by an older version: no unit files here
    r = retrieval.Retriever.build(tutor.passages(), tutor.embed_query, tutor.store.query,
                                  tutor.settings.retrieval, UnitFiles(tmp_path), embed_texts)
    res = r.retrieve("how long are automated RDS backups kept?")
    assert res.results[0].passage.title == "Automated Backups"  # judged by the passages' own vectors
    assert compose("how long are automated RDS backups kept?", res, r, tutor.settings.answer, []).citations
    assert embedded == [] and not r.units_embedded  # no sentence embedded, at start-up or per question


def test_missing_sentence_vectors_are_embedded_in_one_batch_at_start_up(tutor, tmp_path):
    from tutor import retrieval
    from tutor.units import unit_texts

    batches, singles = [], []

    def embed_texts(texts):
        batches.append(len(texts))
        return tutor.embed_texts(texts)

    def embed_query(text):
        singles.append(text)
        return tutor.embed_query(text)

    passages = tutor.passages()
    r = retrieval.Retriever.build(passages, embed_query, tutor.store.query, tutor.settings.retrieval,
                                  UnitFiles(tmp_path), embed_texts)
    assert r.units_embedded and batches == [len({t for p in passages for t in unit_texts(p)})]
    assert singles == []
    kept = tutor.retriever  # the ingest's unit files: the same vectors, to float precision
    assert all(np.allclose(r.unit_vecs[p.id], kept.unit_vecs[p.id], atol=1e-5) for p in passages)


def test_the_composer_reads_each_units_own_vector(tutor):
    from tutor.units import units_of

    r = tutor.retriever
    passages = tutor.passages()[:12]
    units = [u for i, p in enumerate(passages) for u in units_of(p, i)]
    _, by_text = tutor.store.unit_files.read("aws-notes.md")
    assert np.array_equal(r.units_matrix(units), np.stack([by_text[u.text] for u in units]))
