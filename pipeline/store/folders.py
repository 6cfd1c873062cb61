"""The folders the store writes to. A read-only or full data folder is a problem for a person
to fix, not a passing fault: it is named, with the fix, and never retried."""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path

from pipeline.errors import StoreFolderError

PERMANENT_ERRNOS = frozenset({errno.EROFS, errno.EACCES, errno.EPERM, errno.ENOSPC,
                              errno.EDQUOT})
# What SQLite says when its file or folder cannot be written; retrying changes nothing.
SQLITE_FOLDER_MESSAGES = ("readonly database", "database or disk is full",
                          "unable to open database file")


def folder_problem(folder: Path | str, reason: str) -> StoreFolderError:
    return StoreFolderError(
        f"cannot write into {folder} ({reason}); make the folder writable and give its disk "
        "room, or point CALLCOACH_HOME at another folder, then run the command again")


def is_permanent(error: BaseException) -> bool:
    """Whether an I/O error will happen again on a retry (read-only, no permission, full)."""
    return isinstance(error, StoreFolderError) or (
        isinstance(error, OSError) and error.errno in PERMANENT_ERRNOS)


def sqlite_folder_error(message: str, database: str | None) -> StoreFolderError | None:
    """The folder error a SQLite message stands for, or None."""
    if not any(text in message.lower() for text in SQLITE_FOLDER_MESSAGES):
        return None
    return folder_problem(Path(database).parent if database else "the database folder", message)


def check_writable(folder: Path) -> None:
    """Raise :class:`StoreFolderError` unless a file can be written in ``folder`` (or, while
    it does not exist, in the nearest folder above it that does, where it would be made).
    Nothing is left behind."""
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    try:
        with tempfile.NamedTemporaryFile(dir=existing, prefix=".write-check-") as probe:
            probe.write(b"x")
            probe.flush()
            os.fsync(probe.fileno())
    except OSError as exc:
        raise folder_problem(folder, exc.strerror or type(exc).__name__) from exc
