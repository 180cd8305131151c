"""Fault-injection driver for tests/test_crash.py: runs IndexStore.ingest in forked children and kills them.

A long-lived process pays the imports once, then serves one JSON command per stdin line. Each `ingest`
forks a fresh child that opens the Chroma store itself (no client crosses the fork) and ingests the
corpus; the child is SIGKILLed either by itself just before or just after its k-th write to Chroma
(`kill_op`, `kill_when`; counting only `kill_on` writes: add, update or delete), or by this process after a delay (`kill_after` seconds: lands anywhere,
including inside Chroma's own writes). `dump` forks a child that reads the whole collection back.
Replies are one JSON line each on stdout.

The embedder is a cheap deterministic hashed bag of words (it still ranks by shared words); the index
logic, not the model, is under test, and it keeps 20+ kills inside the test's time budget.
"""
from __future__ import annotations

import hashlib
import json
import math
import os
import re
import signal
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import chromadb  # noqa: E402,F401  (imported before forking: children start warm)
from llama_index.core.schema import TextNode  # noqa: E402,F401
from llama_index.vector_stores.chroma import ChromaVectorStore  # noqa: E402,F401

from tutor.config import Settings  # noqa: E402
from tutor.index import IndexStore  # noqa: E402

DIM = 384
WRITES = ("add", "upsert", "update", "delete")


def hash_embed(texts: list[str]) -> list[list[float]]:
    out = []
    for t in texts:
        v = [0.0] * DIM
        for w in re.findall(r"\w+", t.lower()):
            h = int.from_bytes(hashlib.blake2b(w.encode(), digest_size=4).digest(), "little")
            v[h % DIM] += 1.0 if h & 1 << 31 else -1.0
        norm = math.sqrt(sum(x * x for x in v)) or 1.0
        out.append([x / norm for x in v] if any(v) else [1.0] + [0.0] * (DIM - 1))
    return out


def _arm(store: IndexStore, kill_op: int, when: str, kind: str) -> None:
    """SIGKILL this process just before/after its kill_op-th write (of `kind`, or any) to the collection."""
    count = [0]
    col = store.collection

    def wrap(name):
        orig = getattr(col, name)

        def call(*a, **kw):
            if kind not in ("any", name):
                return orig(*a, **kw)
            count[0] += 1
            if count[0] == kill_op and when == "before":
                os.kill(os.getpid(), signal.SIGKILL)
            result = orig(*a, **kw)
            if count[0] == kill_op and when == "after":
                os.kill(os.getpid(), signal.SIGKILL)
            return result

        return call

    for name in WRITES:
        setattr(col, name, wrap(name))


def _child_ingest(settings: Settings, corpus: Path, cmd: dict, out: Path) -> None:
    store = IndexStore(settings, hash_embed)
    if cmd.get("kill_op"):
        _arm(store, int(cmd["kill_op"]), cmd.get("kill_when", "before"), cmd.get("kill_on", "any"))
    report = store.ingest(corpus)
    out.write_text(json.dumps(report.to_dict()))


def _child_dump(settings: Settings, out: Path) -> None:
    store = IndexStore(settings, hash_embed)
    got = store.collection.get(include=["metadatas", "documents", "embeddings"])
    records = [
        {"id": i, "meta": m, "doc": d, "emb_ok": e is not None and len(e) == DIM}
        for i, m, d, e in zip(got["ids"], got["metadatas"], got["documents"], got["embeddings"])
    ]
    # Every stored vector must also be findable through the vector index, not only in the metadata.
    probe = sorted(records, key=lambda r: r["id"])[:: max(1, len(records) // 25)]
    found = 0
    for r in probe:
        emb = store.collection.get(ids=[r["id"]], include=["embeddings"])["embeddings"][0]
        res = store.collection.query(query_embeddings=[list(emb)], n_results=10, include=["distances"])
        found += r["id"] in res["ids"][0]
    out.write_text(json.dumps({"records": records, "count": store.count(), "probed": len(probe), "found": found}))


def _fork(fn, *args) -> int:
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            fn(*args)
        except BaseException as e:  # report, never fall back into the parent's loop
            sys.stderr.write(f"child failed: {type(e).__name__}: {e}\n")
            code = 1
        finally:
            sys.stderr.flush()
            os._exit(code)
    return pid


def serve(home: Path, corpus: Path) -> None:
    # small batches: a file's passages take several adds, so a kill can leave a file half-written
    settings = Settings(corpus=corpus, home=home, chroma_url=None, index={"embed_batch_size": 32})
    out = home / "child-result.json"
    for line in sys.stdin:
        cmd = json.loads(line)
        out.unlink(missing_ok=True)
        t0 = time.monotonic()
        if cmd["op"] == "dump":
            pid = _fork(_child_dump, settings, out)
        else:
            pid = _fork(_child_ingest, settings, corpus, cmd, out)
        status = None
        if cmd.get("kill_after") is not None:
            deadline = t0 + float(cmd["kill_after"])
            while status is None and time.monotonic() < deadline:
                done, st = os.waitpid(pid, os.WNOHANG)
                if done:
                    status = st  # finished before the kill time
                else:
                    time.sleep(0.005)
            if status is None:
                os.kill(pid, signal.SIGKILL)
        if status is None:
            status = os.waitpid(pid, 0)[1]
        reply = {
            "killed": os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL,
            "exit": os.WEXITSTATUS(status) if os.WIFEXITED(status) else None,
            "seconds": round(time.monotonic() - t0, 3),
            "result": json.loads(out.read_text()) if out.exists() else None,
        }
        print(json.dumps(reply), flush=True)


if __name__ == "__main__":
    serve(Path(sys.argv[1]), Path(sys.argv[2]))
