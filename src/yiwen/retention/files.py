"""Moving upload bytes between the live store and the archive store.

Both stores are content-addressed (``FileStore`` layout, one file per SHA-256),
so copying is idempotent and a file shared by several uploads is removed from a
store only when no row there names it any more. Copies happen before the
database transaction that archives a conversation and removals only after it
commits: a crash in between leaves a spare copy on disk, never a transcript
pointing at nothing.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from yiwen.attachments.service import CHUNK, FileStore
from yiwen.core.settings import Settings


class ArchiveFileError(Exception):
    """An upload could not be put into the archive; its conversation stays live."""


def live_store(settings: Settings) -> FileStore:
    return FileStore(settings.upload_dir)


def archive_store(settings: Settings) -> FileStore:
    return FileStore(settings.data_dir / "archive" / "attachments")


def copy_verified(source: FileStore, target: FileStore, sha256: str) -> None:
    """Copy one file by its hash and check the bytes still hash to it; raises ArchiveFileError."""
    destination = target.path_for(sha256)
    if destination.is_file() and _sha256_of(destination) == sha256:
        return
    origin = source.path_for(sha256)
    try:
        destination.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=destination.parent, prefix=".archive-")
    except OSError as exc:
        raise ArchiveFileError(f"archive directory not writable: {exc}") from exc
    try:
        digest = hashlib.sha256()
        with os.fdopen(fd, "wb") as out, origin.open("rb") as src:
            while chunk := src.read(CHUNK):
                digest.update(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        if digest.hexdigest() != sha256:
            raise ArchiveFileError(f"upload {sha256} is damaged (checksum mismatch)")
        os.replace(tmp_name, destination)
    except OSError as exc:
        raise ArchiveFileError(f"upload {sha256} cannot be archived: {exc}") from exc
    finally:
        if os.path.exists(tmp_name):
            os.unlink(tmp_name)


def remove_file(store: FileStore, sha256: str) -> bool:
    """Delete one stored file (True when something was deleted)."""
    try:
        store.path_for(sha256).unlink()
    except FileNotFoundError:
        return False
    return True


def _sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as src:
        while chunk := src.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()
