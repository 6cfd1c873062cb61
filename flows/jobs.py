"""Which files to process, and what is known about each (sidecar JSON or a CSV manifest).

A sidecar is ``<name>.json`` next to the audio (``call-7.opus`` → ``call-7.json``). A manifest is
``manifest.csv`` in the audio's folder (or one named file): a header row with a ``file`` column
(the audio file's name) and any of the metadata columns, one row per file. A file listed in the
manifest takes its row, others their sidecar. Keys other than the metadata fields are ignored,
so a sidecar can carry more (ground truth, say).

Metadata that cannot be used (a malformed manifest or row, a bad sidecar, a value the store
would reject) never stops a batch or the inbox: it becomes a problem of that file's job, and
the call is recorded as failed with the reason. Once the sidecar or row is fixed, processing
the file again analyses the call with the metadata it now has.
"""

from __future__ import annotations

import csv
import json
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.call_files import AUDIO_SUFFIXES, call_id_from_name
from pipeline.store import InvalidMetadataError
from pipeline.store.calls import parse_started_at, text_problem
from pipeline.types import CallMetadata

logger = logging.getLogger(__name__)

METADATA_FIELDS = ("agent_id", "agent_name", "team", "customer_name", "started_at")
MANIFEST_NAME = "manifest.csv"
MANIFEST_COLUMNS = ("file", *METADATA_FIELDS, "agent_channel")


@dataclass(frozen=True, slots=True, kw_only=True)
class CallJob:
    """One file to process, with its metadata; ``agent_channel`` None keeps the config's."""

    path: Path
    metadata: CallMetadata
    agent_channel: int | None = None
    problems: tuple[str, ...] = field(default=())  # metadata that could not be read

    @property
    def problem(self) -> str | None:
        """The problems as the reason a call fails with; None when the metadata is usable."""
        return "; ".join(self.problems) or None


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


@dataclass(frozen=True, slots=True, kw_only=True)
class ManifestRow:
    source: str  # "manifest <path> line <n>", for messages
    values: Mapping[str, str]


@dataclass(frozen=True, slots=True, kw_only=True)
class Manifest:
    """A manifest as read: usable rows and unusable ones by file name, or why none is usable."""

    path: Path
    rows: Mapping[str, ManifestRow] = field(default_factory=dict)
    problems: Mapping[str, str] = field(default_factory=dict)
    error: str | None = None  # the whole file is unusable: every file it would describe fails


def read_manifest(path: Path) -> Manifest:
    """The manifest at ``path``; never raises, so one bad file cannot stop a scan."""
    try:
        # utf-8-sig: spreadsheet programs write a byte-order mark before the header.
        with open(path, newline="", encoding="utf-8-sig") as handle:
            return _parse_manifest(path, csv.DictReader(handle, skipinitialspace=True))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        return Manifest(path=path, error=f"manifest {path} is not a readable UTF-8 CSV file: "
                                         f"{exc}")


def _parse_manifest(path: Path, reader: csv.DictReader) -> Manifest:
    header = [name.strip() for name in reader.fieldnames or ()]
    if "file" not in header:
        return Manifest(path=path, error=f"manifest {path} needs a header row with a 'file' "
                                         f"column (columns: {', '.join(MANIFEST_COLUMNS)})")
    if repeated := sorted({name for name in header if header.count(name) > 1}):
        return Manifest(path=path, error=f"manifest {path} repeats column(s) "
                                         f"{', '.join(repeated)} in its header")
    reader.fieldnames = header
    rows: dict[str, ManifestRow] = {}
    problems: dict[str, str] = {}
    first_line: dict[str, int] = {}
    for row in reader:
        source = f"manifest {path} line {reader.line_num}"
        listed = (row.get("file") or "").strip()
        name = Path(listed).name
        if not name:
            logger.warning("%s names no file; row ignored", source)
            continue
        problem = _row_problem(row, listed=listed, source=source)
        if name in first_line:
            problem = (f"manifest {path} lists {name} twice (lines {first_line[name]} and "
                       f"{reader.line_num}); keep one row per file")
        first_line.setdefault(name, reader.line_num)
        if problem is not None or name in problems:
            problems.setdefault(name, problem)
            rows.pop(name, None)
            continue
        rows[name] = ManifestRow(source=source, values={
            key: value.strip() for key, value in row.items() if key != "file" and value})
    return Manifest(path=path, rows=rows, problems=problems)


def _row_problem(row: Mapping[str | None, Any], *, listed: str, source: str) -> str | None:
    if None in row:  # DictReader's key for fields beyond the header
        return f"{source} has more fields than the header; quote values that contain commas"
    if listed != Path(listed).name or listed in (".", ".."):
        return (f"{source}: 'file' must be the name of a file in the manifest's folder, not a "
                f"path ({listed!r})")
    return None


def sidecar_for(audio: Path) -> Path | None:
    """``call-7.json`` for ``call-7.opus`` (also ``call-7.8k.json`` for ``call-7.8k.flac``)."""
    for candidate in (audio.with_suffix(".json"), audio.with_name(audio.name.split(".")[0] + ".json")):
        if candidate.is_file():
            return candidate
    return None


def metadata_values(raw: Mapping[str, Any], *, source: str) -> tuple[dict[str, Any], int | None]:
    """The metadata fields of a sidecar or manifest row, checked, and its agent channel."""
    values = {name: _text_value(name, raw[name], source=source) for name in METADATA_FIELDS
              if raw.get(name) not in (None, "")}
    if "started_at" in values:
        try:
            parse_started_at(values["started_at"])
        except InvalidMetadataError as exc:
            raise InvalidMetadataError(f"{source}: {exc}") from exc
    channel = raw.get("agent_channel")
    if channel in (None, ""):
        return values, None
    if str(channel) not in ("0", "1"):
        raise InvalidMetadataError(f"{source}: agent_channel must be 0 or 1, got {channel!r}")
    return values, int(channel)


def _text_value(name: str, value: Any, *, source: str) -> str:
    """A metadata value as the store keeps it: one line of text that fits its column. Only
    text is taken: ``true`` or ``42`` unquoted in a sidecar is a mistake to point out, not a
    string to invent ("True")."""
    if not isinstance(value, str):
        raise InvalidMetadataError(f"{source}: {name} must be text in quotes, not "
                                   f"{type(value).__name__} {json.dumps(value)[:40]}")
    if (problem := text_problem(name, value)) is not None:
        raise InvalidMetadataError(f"{source}: {problem}")
    return value


def job_for(audio: Path, *, manifest: Manifest | None = None) -> CallJob:
    """The job for one file: its manifest row if listed, else its sidecar, else no metadata.
    Unusable metadata is kept as a problem so the call is recorded as failed, not skipped."""
    try:
        raw, source = _metadata_source(audio, manifest)
        values, channel = metadata_values(raw, source=source)
    except InvalidMetadataError as exc:
        return CallJob(path=audio, metadata=CallMetadata(call_id=call_id_from_name(audio.name)),
                       problems=(str(exc),))
    return CallJob(path=audio, metadata=CallMetadata(call_id=call_id_from_name(audio.name), **values),
                   agent_channel=channel)


def _metadata_source(audio: Path, manifest: Manifest | None) -> tuple[Mapping[str, Any], str]:
    if manifest is not None:
        if manifest.error is not None:
            raise InvalidMetadataError(manifest.error)
        if audio.name in manifest.problems:
            raise InvalidMetadataError(manifest.problems[audio.name])
        if (row := manifest.rows.get(audio.name)) is not None:
            return row.values, row.source
    if (sidecar := sidecar_for(audio)) is not None:
        return _read_sidecar(sidecar), str(sidecar)
    return {}, "no metadata"


def _read_sidecar(path: Path) -> Mapping[str, Any]:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidMetadataError(f"sidecar {path} is not readable JSON: {exc}") from exc
    if not isinstance(raw, dict):
        raise InvalidMetadataError(f"sidecar {path} must hold a JSON object")
    return raw


def jobs_for(paths: Iterable[Path], *, manifest_path: Path | None = None) -> list[CallJob]:
    """Jobs for every audio file under ``paths``. Each file's metadata comes from the manifest
    named here, or else the ``manifest.csv`` in its own folder, or else its sidecar.

    A named manifest is an argument: if none of it is usable this raises
    :class:`InvalidMetadataError` before any call is touched."""
    named = read_manifest(Path(manifest_path)) if manifest_path is not None else None
    if named is not None and named.error is not None:
        raise InvalidMetadataError(named.error)
    found: dict[Path, Manifest | None] = {}

    def manifest_for(audio: Path) -> Manifest | None:
        if named is not None:
            return named
        if audio.parent not in found:
            candidate = audio.parent / MANIFEST_NAME
            found[audio.parent] = read_manifest(candidate) if candidate.is_file() else None
        return found[audio.parent]

    return [job_for(audio, manifest=manifest_for(audio)) for audio in find_audio_files(paths)]
