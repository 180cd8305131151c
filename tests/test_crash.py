"""Crash-safe ingest: SIGKILL the ingest at 20+ different points; the next run repairs the index.

Corpus: 200 generated notes files plus the AWS notes. Three rounds (fresh index; files changed,
added, deleted and one turned binary; a second wave of changes), each with nine kill points: at
chosen Chroma writes (just before / just after the k-th add, update or delete, with small embedding
batches so that a file takes several adds) and at random times (which
land inside Chroma's own writes too). After each round a clean run must leave the index exactly equal
to what the files say: same passage ids, each with its file's current hash and passage count and its
current text, nothing of deleted files, a now-unreadable file keeping its earlier passages, and
every vector findable by a query. A second clean run then embeds nothing.
"""
from __future__ import annotations

import hashlib
import json
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tutor.errors import NotesError
from tutor.index import list_notes, read_notes_file
from tutor.notes import parse_notes

from conftest import CORPUS, ROOT

DRIVER = Path(__file__).with_name("crash_ingest_driver.py")
N_FILES = 200
MAX_BYTES = 2_000_000  # Settings().index.max_file_bytes


# ------------------------------------------------------------------ corpus
def _own_generator(dest: Path, n_files: int, seed: int) -> list[Path]:
    rng = random.Random(seed)
    words = ("cache queue shard replica bucket token lambda window index schema latency quota region "
             "cluster snapshot policy gateway stream batch vector ledger kernel socket thread").split()
    paths = []
    for i in range(n_files):
        w = lambda k: " ".join(rng.choice(words) for _ in range(k))  # noqa: E731
        lines = [f"# Topic {i} {w(2)}", ""]
        for s in range(rng.randint(2, 4)):
            lines += [f"#### Section {s} {w(1)} ####", "", f"A paragraph about {w(8)} in {i}.", ""]
            for b in range(rng.randint(2, 5)):
                lines.append(f"- {w(3)} {b}: {w(rng.randint(3, 12))}")
                lines += [f"  - {w(4)} {rng.randint(1, 500)} days" for _ in range(rng.randint(0, 2))]
            if rng.random() < 0.5:
                lines += ["- Options", "<table>", "<tr><th>Name</th><th>Use</th></tr>"]
                lines += [f"<tr><td>{w(1)}{r}</td><td>{w(6)}</td></tr>" for r in range(rng.randint(2, 4))]
                lines += ["</table>", ""]
        p = dest / f"gen-{i:03d}.md"
        p.write_text("\n".join(lines) + "\n", encoding="utf-8")
        paths.append(p)
    return paths


def generate(dest: Path, n_files: int, seed: int) -> list[Path]:
    """The shared generator (bench/gen_notes.py) when it is there, else a small one of our own."""
    try:
        sys.path.insert(0, str(ROOT / "bench"))
        from gen_notes import generate_corpus  # type: ignore

        return generate_corpus(dest, n_files, seed)
    except ImportError:
        return _own_generator(dest, n_files, seed)
    finally:
        sys.path.remove(str(ROOT / "bench"))


def mutate(corpus: Path, rng: random.Random, wave: int, bad: set[str]) -> None:
    files = sorted(p for p in corpus.glob("*.md") if p.name not in bad)
    for p in rng.sample(files, 25):  # changed: a line edited, a bullet added, a line dropped
        lines = p.read_text(encoding="utf-8").split("\n")
        k = rng.randrange(len(lines))
        op = rng.choice(["edit", "add", "drop"])
        if op == "edit":
            lines[k] = lines[k] + f" edited in wave {wave}"
        elif op == "add":
            lines.insert(k, f"- new point {wave}.{k} about replicas and quotas")
        else:
            del lines[k]
        p.write_text("\n".join(lines), encoding="utf-8")
    gone = rng.sample([p for p in files if p.exists()], 15)
    for p in gone:
        p.unlink()
    extra = corpus / f"wave{wave}"
    extra.mkdir()
    for p in generate(extra, 15, seed=1000 + wave):
        p.rename(corpus / f"w{wave}-{p.name}")
    extra.rmdir()
    victim = rng.choice([p for p in corpus.glob("gen-*.md") if p.exists()])
    victim.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00binary now")  # once indexed, now unreadable
    bad.add(victim.name)


# ------------------------------------------------------------------ driver
class Driver:
    def __init__(self, home: Path, corpus: Path):
        self.proc = subprocess.Popen(
            [sys.executable, str(DRIVER), str(home), str(corpus)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT,
        )

    def send(self, **cmd) -> dict:
        self.proc.stdin.write(json.dumps(cmd) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        assert line, "the crash driver died"
        return json.loads(line)

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


_PARSED: dict[tuple[str, str], list] = {}


def expected_state(corpus: Path, previous: dict[str, dict]) -> dict[str, dict]:
    """passage id → what the index must hold for it, from the files themselves."""
    want: dict[str, dict] = {}
    for name, path in list_notes(corpus).items():
        try:
            text, fhash = read_notes_file(path, name, MAX_BYTES)
        except NotesError:
            want.update({pid: r for pid, r in previous.items() if r["file"] == name})  # kept as it was
            continue
        if (name, fhash) not in _PARSED:
            _PARSED[name, fhash] = parse_notes(name, text).passages
        passages = _PARSED[name, fhash]
        for p in passages:
            want[p.id] = {"file": name, "file_hash": fhash, "n_passages": len(passages), "text": p.text,
                          "start": p.start, "end": p.end}
    return want


def check_index(driver: Driver, want: dict[str, dict]) -> dict[str, dict]:
    dump = driver.send(op="dump")["result"]
    records = dump["records"]
    ids = [r["id"] for r in records]
    assert len(ids) == len(set(ids)) == dump["count"], "duplicate records"
    got = {r["id"]: {"file": r["meta"]["file"], "file_hash": r["meta"]["file_hash"],
                     "n_passages": r["meta"]["n_passages"], "text": r["doc"],
                     "start": r["meta"]["start"], "end": r["meta"]["end"]} for r in records}
    missing, extra = sorted(set(want) - set(got)), sorted(set(got) - set(want))
    assert not missing and not extra, f"{len(missing)} missing (e.g. {missing[:3]}), {len(extra)} extra (e.g. {extra[:3]})"
    wrong = [pid for pid in want if got[pid] != want[pid]]
    assert not wrong, f"{len(wrong)} passages with stale metadata, e.g. {got[wrong[0]]} != {want[wrong[0]]}"
    same = {}
    for r in got.values():
        key = (r["file"], r["start"], r["end"], r["text"])
        assert key not in same, f"duplicate passage {key}"
        same[key] = 1
    assert all(r["emb_ok"] for r in records), "a passage without its vector"
    assert dump["found"] == dump["probed"], f"only {dump['found']}/{dump['probed']} probed vectors found by query"
    return got


def check_unit_caches(home: Path, corpus: Path, want: dict[str, dict]) -> None:
    """One unit cache per indexed file, for its current content and holding its passages' units; nothing
    else in the folder (no deleted file's cache, no killed writer's temporary file)."""
    from tutor.unit_cache import UnitFiles, stamp
    from tutor.units import unit_texts

    files = UnitFiles(home)
    names = {r["file"] for r in want.values()}
    for name, path in list_notes(corpus).items():
        try:
            _, fhash = read_notes_file(path, name, MAX_BYTES)
        except NotesError:
            continue  # kept as it was
        names.add(name)
        got = files.read(name)
        assert got is not None and got[0] == stamp(fhash), name
        assert set(got[1]) == {t for p in _PARSED[name, fhash] for t in unit_texts(p)}, name
    assert sorted(p.name for p in files.folder.iterdir()) == sorted(files.path(n).name for n in names)


# ------------------------------------------------------------------ the test
def test_sigkill_during_ingest_is_repaired_by_the_next_run(tmp_path):
    corpus, home = tmp_path / "corpus", tmp_path / "home"
    corpus.mkdir()
    home.mkdir()
    generate(corpus, N_FILES, seed=7)
    shutil.copy(CORPUS / "aws-notes.md", corpus / "aws-notes.md")
    rng = random.Random(20240606)
    driver = Driver(home, corpus)
    kills, log, bad = 0, [], set()
    previous: dict[str, dict] = {}
    try:
        for wave in range(3):
            if wave:
                mutate(corpus, rng, wave, bad)
            want = expected_state(corpus, previous)
            first = "add" if wave == 0 else "update"  # a fresh index has nothing to update yet
            plan = [
                {"kill_op": 1, "kill_on": "any", "kill_when": "before"},
                {"kill_op": 1, "kill_on": "add", "kill_when": "after"},  # a file half added
                {"kill_op": rng.randint(1, 3), "kill_on": first, "kill_when": "after"},  # updated, stale not deleted
                {"kill_after": round(rng.uniform(0.05, 0.4), 3)},
                {"kill_after": round(rng.uniform(0.3, 1.0), 3)},
                {"kill_after": round(rng.uniform(0.5, 2.0), 3)},
                {"kill_op": rng.randint(1, 3), "kill_on": "delete" if wave else "add", "kill_when": rng.choice(["before", "after"])},
                {"kill_op": rng.randint(2, 12), "kill_on": "any", "kill_when": rng.choice(["before", "after"])},
                {"kill_after": round(rng.uniform(1.0, 3.0), 3)},
            ]
            for cmd in plan:
                reply = driver.send(op="ingest", **cmd)
                assert reply["killed"] or reply["exit"] == 0, reply
                kills += reply["killed"]
                log.append((wave, cmd, "killed" if reply["killed"] else "finished", reply["seconds"]))
            done = driver.send(op="ingest")
            assert done["exit"] == 0 and done["result"], done
            assert len(done["result"]["errors"]) == len(bad), done["result"]["errors"]
            previous = check_index(driver, want)
            check_unit_caches(home, corpus, want)
            again = driver.send(op="ingest")["result"]
            assert again["embedded"] == 0 and not again["indexed"] and not again["removed"], again
            assert again["units_embedded"] == 0, again
            log.append((wave, "verified", len(want), "passages"))
    finally:
        driver.close()
        print("\n".join(map(str, log)))
    assert kills >= 20, f"only {kills} runs were killed: {log}"
