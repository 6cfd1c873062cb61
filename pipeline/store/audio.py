"""Content-addressed copies of call audio, so clips can be cut long after the inbox is emptied."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from pipeline.store.folders import folder_problem, is_permanent

_CHUNK_BYTES = 1 << 20


def sha256_of_file(path: Path) -> str:
    """The hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def audio_relpath(sha256: str, *, suffix: str) -> str:
    """Where a file with this hash lives under the audio folder: ``ab/abcd….opus``."""
    return f"{sha256[:2]}/{sha256}{suffix.lower()}"


def copy_into(source: Path, *, audio_dir: Path) -> tuple[str, str]:
    """Copy ``source`` into ``audio_dir`` under its sha256; returns ``(sha256, relpath)``.

    The file is hashed while it is copied (one read), written to a temporary name and renamed,
    so a copy killed half-way never leaves a truncated file under a real hash.
    """
    try:
        audio_dir.mkdir(parents=True, exist_ok=True)
        handle, temp_name = tempfile.mkstemp(dir=audio_dir, prefix=".incoming-")
    except OSError as exc:
        if is_permanent(exc):
            raise folder_problem(audio_dir, exc.strerror or type(exc).__name__) from exc
        raise
    digest = hashlib.sha256()
    try:
        with os.fdopen(handle, "wb") as target, open(source, "rb") as reader:
            while chunk := reader.read(_CHUNK_BYTES):
                digest.update(chunk)
                target.write(chunk)
        sha256 = digest.hexdigest()
        relpath = audio_relpath(sha256, suffix=Path(source).suffix)
        final = audio_dir / relpath
        if final.exists():
            os.unlink(temp_name)
        else:
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(temp_name, final)
        return sha256, relpath
    except BaseException as exc:
        if os.path.exists(temp_name):
            os.unlink(temp_name)
        if isinstance(exc, OSError) and is_permanent(exc) and not _is_source_error(exc, source):
            raise folder_problem(audio_dir, exc.strerror or type(exc).__name__) from exc
        raise


def _is_source_error(error: OSError, source: Path) -> bool:
    return error.filename is not None and Path(error.filename) == Path(source)
