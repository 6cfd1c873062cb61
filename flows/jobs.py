"""Which files to process, and what is known about each (sidecar JSON or a CSV manifest).

A sidecar is ``<name>.json`` next to the audio (``call-7.opus`` → ``call-7.json``); a manifest is
a CSV with a ``file`` column and any of the metadata columns. Keys other than the metadata
fields are ignored, so a sidecar can carry more (ground truth, say).
"""

from __future__ import annotations

import csv
import json
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.cli import call_id_from_path
from pipeline.store import InvalidMetadataError
from pipeline.types import CallMetadata

logger = logging.getLogger(__name__)

AUDIO_SUFFIXES = frozenset({".opus", ".ogg", ".flac", ".wav", ".mp3", ".m4a", ".aac", ".webm"})
METADATA_FIELDS = ("agent_id", "agent_name", "team", "customer_name", "started_at")
MANIFEST_NAME = "manifest.csv"


@dataclass(frozen=True, slots=True, kw_only=True)
class CallJob:
    """One file to process, with its metadata; ``agent_channel`` None keeps the config's."""

    path: Path
    metadata: CallMetadata
    agent_channel: int | None = None
    problems: tuple[str, ...] = field(default=())  # metadata that could not be read


def find_audio_files(paths: Iterable[Path]) -> list[Path]:
    """Audio files among ``paths``: files as given, folders searched (not recursively), sorted,
    each file once. A named file that does not exist is kept, so it is reported as failed."""
    found: dict[Path, None] = {}
    for path in map(Path, paths):
        if path.is_dir():
            for child in sorted(path.iterdir()):
                if child.is_file() and child.suffix.lower() in AUDIO_SUFFIXES:
                    found.setdefault(child.resolve(), None)
        else:
            found.setdefault(path.resolve(), None)
    return list(found)


def read_manifest(path: Path) -> dict[str, dict[str, str]]:
    """Rows of a CSV manifest keyed by file name (the ``file`` column, name part only)."""
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        if reader.fieldnames is None or "file" not in reader.fieldnames:
            raise InvalidMetadataError(f"manifest {path} needs a header row with a 'file' column")
        return {Path(row["file"]).name: {key: value for key, value in row.items() if value}
                for row in reader}


def sidecar_for(audio: Path) -> Path | None:
    """``call-7.json`` for ``call-7.opus`` (also ``call-7.8k.json`` for ``call-7.8k.flac``)."""
    for candidate in (audio.with_suffix(".json"), audio.with_name(audio.name.split(".")[0] + ".json")):
        if candidate.is_file():
            return candidate
    return None


def metadata_values(raw: Mapping[str, Any], *, source: str) -> tuple[dict[str, Any], int | None]:
    """The metadata fields of a sidecar or manifest row, checked, and its agent channel."""
    values = {name: str(raw[name]) for name in METADATA_FIELDS if raw.get(name) not in (None, "")}
    channel = raw.get("agent_channel")
    if channel in (None, ""):
        return values, None
    if str(channel) not in ("0", "1"):
        raise InvalidMetadataError(f"{source}: agent_channel must be 0 or 1, got {channel!r}")
    return values, int(channel)


def job_for(audio: Path, *, manifest: Mapping[str, Mapping[str, str]] | None = None) -> CallJob:
    """The job for one file: manifest row if there is one, else its sidecar, else no metadata.
    Unreadable metadata is kept as a problem so the call is recorded as failed, not skipped."""
    raw: Mapping[str, Any] = {}
    source = "no metadata"
    try:
        if manifest and audio.name in manifest:
            raw, source = manifest[audio.name], f"manifest row for {audio.name}"
        elif (sidecar := sidecar_for(audio)) is not None:
            raw, source = _read_sidecar(sidecar), str(sidecar)
        values, channel = metadata_values(raw, source=source)
    except InvalidMetadataError as exc:
        return CallJob(path=audio, metadata=CallMetadata(call_id=call_id_from_path(audio)),
                       problems=(str(exc),))
    return CallJob(path=audio, metadata=CallMetadata(call_id=call_id_from_path(audio), **values),
                   agent_channel=channel)


def _read_sidecar(path: Path) -> Mapping[str, Any]:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidMetadataError(f"sidecar {path} is not readable JSON: {exc}") from exc
    if not isinstance(raw, dict):
        raise InvalidMetadataError(f"sidecar {path} must hold a JSON object")
    return raw


def jobs_for(paths: Iterable[Path], *, manifest_path: Path | None = None) -> list[CallJob]:
    """Jobs for every audio file under ``paths``; a ``manifest.csv`` in a given folder is used
    when no manifest is named."""
    paths = [Path(path) for path in paths]
    if manifest_path is None:
        manifest_path = next((folder / MANIFEST_NAME for folder in paths
                              if (folder / MANIFEST_NAME).is_file()), None)
    manifest = read_manifest(manifest_path) if manifest_path else None
    return [job_for(audio, manifest=manifest) for audio in find_audio_files(paths)]
