"""What a call's audio file may be, and the call id its name gives: one answer for the
command line, the inbox and uploads alike."""

from __future__ import annotations

import re
from pathlib import PurePosixPath, PureWindowsPath

AUDIO_SUFFIXES = (".wav", ".flac", ".ogg", ".opus", ".mp3", ".m4a", ".aac", ".webm")
"""File types taken as call recordings (each one the decoder reads)."""

MAX_CALL_ID_CHARS = 64


def call_id_from_name(filename: str | None) -> str:
    """A readable call id from a file name (any folders in it ignored): the part before the
    first dot, with anything but letters, digits, - and _ replaced by -."""
    stem = PureWindowsPath(PurePosixPath(filename or "").name).name.split(".")[0]
    return re.sub(r"[^A-Za-z0-9_-]+", "-", stem).strip("-")[:MAX_CALL_ID_CHARS] or "call"
