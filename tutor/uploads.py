"""Uploaded notes files → the corpus folder, safely.

The name and the bytes come from an untrusted browser. A file is written only when its name is a
plain file name (no folders, no `..`, not absolute, not hidden), its suffix is a notes suffix, its
size is under the limit, its bytes are UTF-8 text, and the target is not a symlink. The write is
atomic (temp file in the corpus folder, then os.replace), so a reader never sees half a file.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

from .errors import NotesError

UPLOAD_SUFFIXES = (".md", ".markdown", ".txt")
MAX_NAME_CHARS = 200


def check_upload_name(filename: str) -> str:
    """The name as it will be stored, or NotesError saying why it is refused."""
    shown = repr(filename) if filename else "(no name)"
    if not filename or not filename.strip():
        raise NotesError("Upload refused: the file has no name")
    if "\x00" in filename or any(ord(c) < 32 for c in filename):
        raise NotesError(f"Upload refused: {shown} contains control characters")
    if "/" in filename or "\\" in filename or os.sep in filename or (os.altsep and os.altsep in filename):
        raise NotesError(f"Upload refused: {shown} contains a folder separator; upload a plain file name")
    if ".." in filename:
        raise NotesError(f"Upload refused: {shown} contains '..'")
    if os.path.isabs(filename) or (len(filename) > 1 and filename[1] == ":"):
        raise NotesError(f"Upload refused: {shown} is an absolute path")
    if filename.startswith("."):
        raise NotesError(f"Upload refused: {shown} is a hidden file name (starts with '.')")
    if len(filename) > MAX_NAME_CHARS:
        raise NotesError(f"Upload refused: the name is longer than {MAX_NAME_CHARS} characters")
    if Path(filename).suffix.lower() not in UPLOAD_SUFFIXES:
        raise NotesError(
            f"Upload refused: {shown} is not a notes file; allowed types: {', '.join(UPLOAD_SUFFIXES)}"
        )
    return filename


def check_upload_data(filename: str, data: bytes, max_bytes: int) -> None:
    if len(data) > max_bytes:
        raise NotesError(f"Upload refused: {filename} is {len(data):,} bytes, over the {max_bytes:,}-byte limit")
    if not data.strip():
        raise NotesError(f"Upload refused: {filename} is empty")
    if b"\x00" in data:
        raise NotesError(f"Upload refused: {filename} looks like a binary file (NUL bytes), not notes text")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise NotesError(f"Upload refused: {filename}:{line} is not valid UTF-8; save the file as UTF-8") from e


def save_upload(corpus: Path, filename: str, data: bytes, max_bytes: int) -> Path:
    """Write an uploaded notes file into `corpus` and return its path; NotesError if refused."""
    name = check_upload_name(filename)
    check_upload_data(name, data, max_bytes)
    corpus = Path(corpus)
    corpus.mkdir(parents=True, exist_ok=True)
    root = corpus.resolve()
    target = root / name
    if target.is_symlink():
        raise NotesError(f"Upload refused: {name} exists in the notes folder as a symlink; not overwritten")
    if target.exists() and not target.is_file():
        raise NotesError(f"Upload refused: {name} exists in the notes folder and is not a regular file")
    if target.resolve().parent != root:  # belt and braces: the name checks above should make this impossible
        raise NotesError(f"Upload refused: {name} would be written outside the notes folder")
    fd, tmp = tempfile.mkstemp(dir=root, prefix=".upload-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)  # replaces a regular file; a symlink placed meanwhile is replaced, not followed
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def keep_replaced(corpus: Path, filename: str, data: bytes, keep_dir: Path, max_bytes: int) -> Path | None:
    """Before an upload replaces a notes file of the same name with other bytes: copy the old file to `keep_dir`
    (named with the time) and return that copy, so an upload that happens to share a name loses nothing. None when
    no file is replaced (a new name, the same bytes, or a name or content the upload checks will refuse)."""
    from datetime import datetime, timezone

    target = Path(corpus) / filename
    try:
        check_upload_data(check_upload_name(filename), data, max_bytes)
        old = target.read_bytes() if target.is_file() and not target.is_symlink() else None
        if old is None or old == data:
            return None
        keep_dir = Path(keep_dir)
        keep_dir.mkdir(parents=True, exist_ok=True)
        copy = keep_dir / f"{filename}.{datetime.now(timezone.utc):%Y%m%dT%H%M%S%fZ}"
        copy.write_bytes(old)
        return copy
    except (NotesError, OSError):
        return None
