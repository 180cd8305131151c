"""Passages → Chroma, incrementally. The Chroma collection is the one source of truth.

Every stored passage carries its file's hash and passage count, so an ingest can tell, without
parsing, whether a file is already fully indexed. Writes go add → update → delete, each idempotent:
a run killed at any point leaves a state the next run detects (hash or count mismatch) and repairs.
The units of the passages embedded (sentences, list items, table cells) are embedded too and kept per
notes file beside the index (tutor/unit_cache.py), written last: a cache stamped with an older hash, or
none, is brought up to date by the next run even when the file's passages are.
"""
from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Callable, Iterable

import numpy as np

from .config import Settings
from .errors import IndexUnavailable, NotesError
from .notes import PARSER_VERSION, parse_notes
from .types import Passage
from .unit_cache import UnitFiles, stamp
from .units import unit_texts

log = logging.getLogger(__name__)
NOTE_SUFFIXES = (".md", ".markdown", ".txt")
Embedder = Callable[[list[str]], list[list[float]]]


@dataclass
class IngestReport:
    indexed: list[str] = field(default_factory=list)  # files (re)embedded this run
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)  # files whose passages were dropped
    errors: list[str] = field(default_factory=list)  # one readable message per rejected file
    warnings: list[str] = field(default_factory=list)
    embedded: int = 0  # passages sent to the embedding model
    units_embedded: int = 0  # their sentences, list items and cells sent to the embedding model
    passages: int = 0  # passages in the index afterwards

    def to_dict(self) -> dict:
        return self.__dict__.copy()


def connect(settings: Settings):
    """A Chroma client: embedded under TUTOR_HOME, or a server when TUTOR_CHROMA_URL is set."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    try:
        if settings.chroma_url:
            from urllib.parse import urlparse

            u = urlparse(settings.chroma_url)
            return chromadb.HttpClient(
                host=u.hostname or "127.0.0.1",
                port=u.port or (443 if u.scheme == "https" else 8000),
                ssl=u.scheme == "https",
                settings=chroma_settings,
            )
        path = Path(settings.home) / "chroma"
        path.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(path), settings=chroma_settings)
    except Exception as e:  # chroma raises plain ValueError/ConnectionError for an unreachable server
        where = settings.chroma_url or str(Path(settings.home) / "chroma")
        raise IndexUnavailable(f"Cannot open the index at {where}: {e}") from e


def _to_metadata(p: Passage, file_hash: str, n: int) -> dict:
    return {
        "file": p.file,
        "start": p.start,
        "end": p.end,
        "section": json.dumps(list(p.section), ensure_ascii=False),
        "kind": p.kind,
        "title": p.title,
        "fields": json.dumps(p.fields, ensure_ascii=False),
        "items": json.dumps(p.items, ensure_ascii=False),
        "item_depth": json.dumps(p.item_depth),
        "content_hash": p.content_hash,
        "file_hash": file_hash,
        "n_passages": n,
    }


def _from_record(text: str, m: dict) -> Passage:
    return Passage(
        file=m["file"],
        start=int(m["start"]),
        end=int(m["end"]),
        section=tuple(json.loads(m["section"])),
        kind=m["kind"],
        text=text,
        fields=tuple(tuple(f) for f in json.loads(m.get("fields") or "[]")),
        title=m.get("title", ""),
        items=tuple(json.loads(m.get("items") or "[]")),
        item_depth=tuple(json.loads(m.get("item_depth") or "[]")),
    )


def read_notes_file(path: Path, name: str, max_bytes: int) -> tuple[str, str]:
    """(text, hash) of a notes file, or NotesError naming the file and the problem. The hash covers
    the parser version too, so an upgraded parser re-reads the notes (unchanged passages keep their
    ids and are not embedded again)."""
    try:
        size = path.stat().st_size
    except OSError as e:
        raise NotesError(f"{name}: cannot read the file ({e.strerror})") from e
    if size > max_bytes:
        raise NotesError(f"{name}: the file is {size:,} bytes, over the {max_bytes:,}-byte limit; not indexed")
    data = path.read_bytes()
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise NotesError(f"{name}: saved as UTF-16; save the file as UTF-8; not indexed")
    if b"\x00" in data[:8192]:
        raise NotesError(f"{name}: looks like a binary file (NUL bytes), not notes text; not indexed")
    try:
        text = data.decode("utf-8-sig")  # a leading BOM would hide the first heading from markdown
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise NotesError(f"{name}:{line}: not valid UTF-8 (byte {e.start}); save the file as UTF-8") from e
    if not text.strip():
        raise NotesError(f"{name}: the file is empty; nothing to index")
    return text, hashlib.sha256(PARSER_VERSION.encode() + b"\0" + data).hexdigest()


def _chunks(items: list, size: int) -> Iterable[list]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def list_notes(corpus: Path) -> dict[str, Path]:
    """Notes files under the corpus folder, keyed by their path relative to it (symlinks leaving it skipped)."""
    root = corpus.resolve()
    out = {}
    for p in sorted(corpus.rglob("*")):
        if p.is_file() and p.suffix.lower() in NOTE_SUFFIXES and not any(s.startswith(".") for s in p.parts):
            real = p.resolve()
            if root in real.parents:
                out[p.relative_to(corpus).as_posix()] = p
    return out


class IndexStore:
    """The passages of one corpus in one Chroma collection, with embeddings."""

    def __init__(self, settings: Settings, embed: Embedder):
        self.settings = settings
        self.embed = embed
        self.client = connect(settings)
        try:
            self.collection = self.client.get_or_create_collection(
                settings.index.collection, embedding_function=None, metadata={"hnsw:space": "cosine"}
            )
        except Exception as e:
            raise IndexUnavailable(f"Cannot open the Chroma collection '{settings.index.collection}': {e}") from e
        self._max_batch: int | None = None
        self.unit_files = UnitFiles(settings.home)

    @cached_property
    def vector_store(self):
        """llama-index's view of the collection, for writes; made on first use (llama_index.core costs about
        0.7 s to import, and a read-only `tutor ask` never needs it)."""
        from llama_index.vector_stores.chroma import ChromaVectorStore

        return ChromaVectorStore(chroma_collection=self.collection)

    def max_batch(self) -> int:
        """Chroma's largest add/update/delete batch (5461 on 1.x), asked once; bigger writes are split."""
        if self._max_batch is None:
            try:
                n = int(self.client.get_max_batch_size())
            except Exception:  # an older or unreachable server: a size every version accepts
                n = -1
            self._max_batch = n if n > 0 else 1000
        return self._max_batch

    # ------------------------------------------------------------ reading
    @property
    def where(self) -> str:
        return self.settings.chroma_url or str(Path(self.settings.home) / "chroma")

    def _unavailable(self, what: str, e: Exception) -> IndexUnavailable:
        hint = "; is the Chroma server running?" if self.settings.chroma_url else ""
        return IndexUnavailable(f"The index at {self.where} {what} ({type(e).__name__}: {e}){hint}")

    def _rebuild(self, e: Exception) -> str:
        """Chroma can leave a collection's vector segment unreadable after a kill in the middle of a write
        ("Failed to apply logs to the hnsw segment writer", chroma-core/chroma#7678). The notes are the
        source of truth, so an embedded index is dropped and indexed again; a server's is left to its owner."""
        if self.settings.chroma_url:
            raise self._unavailable("cannot be read", e) from e
        name = self.settings.index.collection
        try:
            self.client.delete_collection(name)
            self.collection = self.client.get_or_create_collection(
                name, embedding_function=None, metadata={"hnsw:space": "cosine"})
        except Exception as e2:
            raise self._unavailable(f"cannot be read and could not be rebuilt ({type(e2).__name__}: {e2}); "
                                    "delete that folder and run `tutor ingest`", e) from e
        self.__dict__.pop("vector_store", None)  # it was made for the dropped collection
        return f"the index at {self.where} could not be read ({type(e).__name__}: {e}); rebuilt it from the notes"

    def _salvage(self) -> dict[str, tuple[list[Passage], str]]:
        """file → (its passages, the file hash they were indexed from), read from the unreadable collection's metadata
        segment in Chroma's own SQLite file (its vector segment is what fails), so that a rebuild does not lose the
        passages of a file that cannot be read now. Best effort: {} when that file or its layout is not as expected."""
        import sqlite3

        db = Path(self.where) / "chroma.sqlite3"
        if self.settings.chroma_url or not db.exists():
            return {}
        try:
            con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
            try:
                rows = con.execute(
                    "SELECT e.embedding_id, m.key, m.string_value, m.int_value, m.float_value FROM embeddings e "
                    "JOIN segments s ON s.id = e.segment_id JOIN embedding_metadata m ON m.id = e.id "
                    "WHERE s.collection = ? AND s.scope = 'METADATA'", (str(self.collection.id),)).fetchall()
            finally:
                con.close()
        except Exception:
            return {}
        records: dict[str, dict] = {}
        for pid, key, text, num, real in rows:
            records.setdefault(pid, {})[key] = text if text is not None else num if num is not None else real
        out: dict[str, tuple[list[Passage], str]] = {}
        for m in records.values():
            try:
                p = _from_record(m["chroma:document"], m)
            except (KeyError, TypeError, ValueError):
                continue
            out.setdefault(p.file, ([], m.get("file_hash") or ""))[0].append(p)
        return out

    def _file_state(self) -> dict[str, dict]:
        try:
            got = self.collection.get(include=["metadatas"])
        except Exception as e:
            raise self._unavailable("cannot be read", e) from e
        state: dict[str, dict] = {}
        for pid, m in zip(got["ids"], got["metadatas"]):
            s = state.setdefault(m["file"], {"ids": set(), "hashes": set(), "n": set()})
            s["ids"].add(pid)
            s["hashes"].add(m.get("file_hash"))
            s["n"].add(m.get("n_passages"))
        return state

    def passages(self) -> list[Passage]:
        try:
            got = self.collection.get(include=["metadatas", "documents"])
        except Exception as e:
            raise self._unavailable("cannot be read", e) from e
        out = [_from_record(d, m) for d, m in zip(got["documents"], got["metadatas"])]
        return sorted(out, key=lambda p: (p.file, p.start, p.end))

    def vectors(self) -> tuple[list[str], "np.ndarray"]:
        """Every passage's id and stored vector (one row each), for searches the index cannot run itself."""
        import numpy as np

        try:
            got = self.collection.get(include=["embeddings"])
        except Exception as e:
            raise self._unavailable("cannot be read", e) from e
        return list(got["ids"]), np.asarray(got["embeddings"], dtype=np.float32).reshape(len(got["ids"]), -1)

    def count(self) -> int:
        try:
            return self.collection.count()
        except Exception as e:
            raise self._unavailable("did not answer", e) from e

    def query(self, embedding: list[float], k: int) -> list[tuple[str, float]]:
        """(passage id, cosine similarity) best first."""
        n = self.count()
        if n == 0:
            return []
        try:
            res = self.collection.query(query_embeddings=[embedding], n_results=min(k, n), include=["distances"])
        except Exception as e:
            raise self._unavailable("did not answer", e) from e
        return [(pid, 1.0 - float(d)) for pid, d in zip(res["ids"][0], res["distances"][0])]

    # ------------------------------------------------------------ writing
    def ingest(self, corpus: Path, only: Iterable[str] | None = None) -> IngestReport:
        """Bring the collection in line with the notes files under `corpus`."""
        import httpx

        try:
            return self._ingest(corpus, only)
        except (ConnectionError, TimeoutError, httpx.TransportError) as e:
            # like a killed run: what was written stays consistent, and the next ingest finishes the job
            raise self._unavailable("went away during ingest; run it again when it is back", e) from e

    def _ingest(self, corpus: Path, only: Iterable[str] | None) -> IngestReport:
        report = IngestReport()
        files = list_notes(corpus)
        salvaged: dict[str, tuple[list[Passage], str]] = {}
        try:
            state = self._file_state()
        except IndexUnavailable as e:
            salvaged = self._salvage()  # before the drop: what a file that cannot be read now had indexed
            report.warnings.append(self._rebuild(e.__cause__ or e))
            state, only = {}, None  # a rebuilt index needs every file, not just the ones asked for
        if only is not None:
            wanted = set(only)
            files = {k: v for k, v in files.items() if k in wanted}
        for name, path in files.items():
            try:
                text, fhash = read_notes_file(path, name, self.settings.index.max_file_bytes)
            except NotesError as e:
                report.errors.append(str(e))
                if name in state:
                    report.warnings.append(f"{name}: kept the {len(state[name]['ids'])} passages indexed earlier")
                elif name in salvaged:  # the rebuild dropped them: put them back as they were
                    old, old_hash = salvaged[name]
                    report.embedded += self._replace_file(name, old, old_hash, set())
                    report.warnings.append(f"{name}: kept the {len(old)} passages indexed earlier")
                continue
            s = state.get(name)
            if s and s["hashes"] == {fhash} and s["n"] == {len(s["ids"])}:
                report.unchanged.append(name)
                self._keep_units(name, fhash, text, None, report)  # embeds only if its cache is missing or stale
                continue
            parsed = parse_notes(name, text)
            report.warnings += parsed.warnings
            report.embedded += self._replace_file(name, parsed.passages, fhash, s["ids"] if s else set())
            report.indexed.append(name)
            self._keep_units(name, fhash, text, parsed.passages, report)
        if only is None:
            for gone in sorted(set(state) - set(files)):
                for ids in _chunks(sorted(state[gone]["ids"]), self.max_batch()):
                    self.collection.delete(ids=ids)
                self.unit_files.drop(gone)
                report.removed.append(gone)
            self.unit_files.prune(set(files) | (set(state) - set(report.removed)))
        report.passages = self.count()
        return report

    def _keep_units(self, name: str, fhash: str, text: str, passages: list[Passage] | None,
                    report: IngestReport) -> None:
        """Write the file's unit cache for this content: its passages' units, embedded in batches, except those the
        cache already holds (a changed file: the units of its changed passages). `passages` None: the file is
        unchanged, and nothing is done if its cache is for this content."""
        want = stamp(fhash)
        old = self.unit_files.read(name)
        if passages is None:
            if old is not None and old[0] == want:
                return
            passages = parse_notes(name, text).passages
        known = dict(old[1]) if old else {}
        texts = list(dict.fromkeys(t for p in passages for t in unit_texts(p)))
        new = [t for t in texts if t not in known]
        if not new and old is not None and old[0] == want:
            return
        batch = max(1, self.settings.index.embed_batch_size)
        for chunk in _chunks(sorted(new, key=len), batch):  # texts of a length together: less padding
            known.update(zip(chunk, np.asarray(self.embed(chunk), dtype=np.float32)))
            report.units_embedded += len(chunk)
        try:
            self.unit_files.write(name, want, texts, np.stack([known[t] for t in texts]) if texts else
                                  np.zeros((0, 1), dtype=np.float32))
        except OSError as e:  # e.g. a read-only home with a Chroma server: the retriever embeds what it lacks
            report.warnings.append(f"{name}: could not keep its sentence vectors in {self.unit_files.folder} "
                                   f"({e.strerror or e})")

    def _replace_file(self, name: str, passages: list[Passage], fhash: str, old_ids: set[str]) -> int:
        from llama_index.core.schema import TextNode

        n = len(passages)
        fresh = [p for p in passages if p.id not in old_ids]
        batch = max(1, min(self.settings.index.embed_batch_size, self.max_batch()))
        for i in range(0, len(fresh), batch):
            chunk = fresh[i : i + batch]
            vectors = self.embed([p.embed_text for p in chunk])
            nodes = [
                TextNode(id_=p.id, text=p.text, embedding=v, metadata=_to_metadata(p, fhash, n))
                for p, v in zip(chunk, vectors)
            ]
            self.vector_store.add(nodes)
        kept = [p for p in passages if p.id in old_ids]
        for chunk in _chunks(kept, self.max_batch()):  # Chroma rejects an update over its max batch size
            self.collection.update(ids=[p.id for p in chunk], metadatas=[_to_metadata(p, fhash, n) for p in chunk])
        stale = sorted(old_ids - {p.id for p in passages})
        for ids in _chunks(stale, self.max_batch()):
            self.collection.delete(ids=ids)
        return len(fresh)
