"""The layer rules of ARCHITECTURE.md, checked on every module's imports (top-level and inside
functions alike): a package reaches only what its layer may."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
PACKAGES = ("audio_features", "pipeline", "flows", "coach_api", "sample_calls")

# package -> modules (and their sub-modules) it must never import
FORBIDDEN = {
    "audio_features": ("pipeline", "flows", "coach_api", "prefect", "fastapi", "av",
                       "faster_whisper", "sqlalchemy"),
    "pipeline": ("flows", "coach_api", "prefect", "fastapi", "starlette", "uvicorn"),
    "flows": ("coach_api", "fastapi", "starlette", "uvicorn"),
    "coach_api": ("faster_whisper", "librosa", "ctranslate2", "prefect", "audio_features"),
    "sample_calls": ("flows", "coach_api", "prefect", "fastapi"),
}
# The only modules that may import each third-party seam.
ONLY_IN = {
    "av": {"pipeline.decode"},  # the audio decoder
    "faster_whisper": {"pipeline.transcribe", "pipeline.vad"},
    "ctranslate2": {"pipeline.transcribe"},
}
# coach_api reaches the flows through one public entry.
FLOWS_ENTRY_FOR_THE_API = {"flows.service"}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def reaches(name: str, target: str) -> bool:
    return name == target or name.startswith(target + ".")


MODULES = {module_name(path): imports_of(path) for package in PACKAGES
           for path in sorted((ROOT / package).rglob("*.py"))
           if "migrations" not in path.parts}  # alembic scripts are the store's own


@pytest.mark.parametrize("package", PACKAGES)
def test_no_package_imports_what_its_layer_forbids(package):
    broken = sorted((module, name) for module, names in MODULES.items()
                    if reaches(module, package) for name in names
                    for target in FORBIDDEN[package] if reaches(name, target))
    assert not broken, broken


@pytest.mark.parametrize("seam", sorted(ONLY_IN))
def test_each_third_party_seam_has_its_one_home(seam):
    users = {module for module, names in MODULES.items()
             if any(reaches(name, seam) for name in names)}
    assert users <= ONLY_IN[seam], users - ONLY_IN[seam]


def test_the_api_reaches_the_flows_through_one_entry():
    used = {name for module, names in MODULES.items() if reaches(module, "coach_api")
            for name in names if reaches(name, "flows")}
    assert used <= FLOWS_ENTRY_FOR_THE_API, used


def test_the_rules_see_every_package():
    assert all(any(reaches(module, package) for module in MODULES) for package in PACKAGES)
