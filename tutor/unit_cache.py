"""The embeddings of each notes file's answer units, kept on disk: TUTOR_HOME/unit_vectors/<file key>.npz.

The ingest embeds the units (sentences, list items, "Row: cell" lines; tutor/units.py) of the passages it
embeds and keeps them here, one file per notes file, stamped with the notes file's hash: an unchanged file's
vectors are reused, a changed file's are replaced, a deleted file's removed. The retriever reads them when it
is built. A cache: read with allow_pickle=False, written to a temporary name and renamed (two processes may
write at once), and a missing, damaged or foreign file is recomputed, never an error."""
from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path

import numpy as np

from .units import UNITS_VERSION

FOLDER = "unit_vectors"
# One file for the whole corpus, written at start-up by earlier versions; nothing reads it now.
LEGACY_FILE = "unit_vectors.npz"


def stamp(file_hash: str) -> str:
    """What a cache must carry to hold the units of this content (see UNITS_VERSION)."""
    return f"{file_hash}:{UNITS_VERSION}"


class UnitFiles:
    """One .npz per notes file: its units' texts (unique) and their vectors (float32, one row each)."""

    def __init__(self, home: Path):
        self.home = Path(home)
        self.folder = self.home / FOLDER

    def path(self, name: str) -> Path:
        return self.folder / f"{hashlib.sha256(name.encode('utf-8')).hexdigest()[:32]}.npz"

    def read(self, name: str) -> tuple[str, dict[str, np.ndarray]] | None:
        """(stamp, text → vector) of a notes file's units; None when there is no readable cache."""
        try:
            with np.load(self.path(name), allow_pickle=False) as z:
                st, owner, texts, vecs = str(z["stamp"]), str(z["name"]), z["texts"], z["vectors"]
        except Exception:  # noqa: BLE001 (a cache: missing, damaged, truncated or foreign files are recomputed)
            return None
        if (owner != name or texts.ndim != 1 or vecs.ndim != 2 or len(texts) != len(vecs) or not vecs.shape[1]
                or vecs.dtype != np.float32 or not np.isfinite(vecs).all()):
            return None
        return st, dict(zip(texts.tolist(), vecs))

    def write(self, name: str, file_stamp: str, texts: list[str], vecs: np.ndarray) -> None:
        """Atomically: a reader sees the old file or the new one, never half of one."""
        self.folder.mkdir(parents=True, exist_ok=True)
        final = self.path(name)
        tmp = final.with_name(f".{final.stem}.{os.getpid()}.{threading.get_ident()}.tmp.npz")
        try:
            np.savez(tmp, stamp=np.array(file_stamp), name=np.array(name), texts=np.array(texts, dtype=str),
                     vectors=np.asarray(vecs, dtype=np.float32))
            os.replace(tmp, final)
        finally:
            tmp.unlink(missing_ok=True)

    def drop(self, name: str) -> None:
        self.path(name).unlink(missing_ok=True)

    def prune(self, names: set[str]) -> None:
        """Keep only the caches of these notes files; remove temporary files of writers that were killed, and
        the single file earlier versions kept."""
        (self.home / LEGACY_FILE).unlink(missing_ok=True)
        if not self.folder.is_dir():
            return
        keep = {self.path(n).name for n in names}
        for f in self.folder.iterdir():
            if f.name.endswith(".tmp.npz"):
                if not _alive(f.name):
                    f.unlink(missing_ok=True)
            elif f.suffix == ".npz" and f.name not in keep:
                f.unlink(missing_ok=True)


def _alive(tmp_name: str) -> bool:
    """Whether the process that is writing this temporary file (".<key>.<pid>.<thread>.tmp.npz") still runs."""
    try:
        pid = int(tmp_name.split(".")[2])
        os.kill(pid, 0)
    except (ValueError, IndexError, ProcessLookupError):
        return False
    except PermissionError:  # another user's process
        return True
    return True
