"""Content-addressed blobs: <instance>/files/ab/cd/<sha256>, outside the web root.

The user's file name never becomes part of a path. An upload is copied in 64 KiB chunks to a temporary
file inside the same tree (so the final os.replace is an atomic rename on one file system), hashed and
counted on the way, and abandoned as soon as it passes its limit, so a large upload never sits in memory
and an oversize one stops early.
"""
from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from flask import current_app

CHUNK = 64 * 1024
HEAD = 64 * 1024  # bytes kept in memory for content sniffing
_SHA256 = re.compile(r"[0-9a-f]{64}")


class TooLarge(Exception):
    """The stream passed its byte limit; nothing was kept."""


@dataclass(frozen=True)
class Spooled:
    path: Path  # the temporary file, complete and fsynced
    sha256: str
    size: int
    head: bytes  # the first HEAD bytes


def files_root() -> Path:
    return Path(current_app.instance_path) / "files"


def blob_path(sha256: str, root: Path | None = None) -> Path:
    if not _SHA256.fullmatch(sha256):
        raise ValueError(f"not a SHA-256 digest: {sha256!r}")
    return (root or files_root()) / sha256[:2] / sha256[2:4] / sha256


@contextmanager
def spool(stream, *, limit: int, root: Path | None = None) -> Iterator[Spooled]:
    """Copy `stream` to a temporary file; raise TooLarge once more than `limit` bytes arrive.

    The temporary file is removed on leaving the block, whatever happens, unless place() moved it.
    """
    root = root or files_root()
    root.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=root, prefix=".upload-", suffix=".part")
    tmp = Path(name)
    try:
        digest, size, head = hashlib.sha256(), 0, bytearray()
        with os.fdopen(fd, "wb") as out:
            while chunk := stream.read(CHUNK):
                size += len(chunk)
                if size > limit:
                    raise TooLarge
                digest.update(chunk)
                if len(head) < HEAD:
                    head += chunk[: HEAD - len(head)]
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        yield Spooled(tmp, digest.hexdigest(), size, bytes(head))
    finally:
        tmp.unlink(missing_ok=True)


def place(spooled: Spooled, root: Path | None = None) -> Path:
    """Move a spooled file to its content address; if those bytes are already stored, keep the old blob."""
    root = root or files_root()
    target = blob_path(spooled.sha256, root)
    if target.exists():
        return target  # identical content: the temp is dropped when spool() exits
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(spooled.path, target)
    # The rename and any new ab/cd folders survive a power cut only once their directories are synced.
    for folder in (target.parent, target.parent.parent, root):
        _fsync_dir(folder)
    return target


def _fsync_dir(path: Path) -> None:
    if os.name != "posix":  # directories cannot be opened for fsync on Windows
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
