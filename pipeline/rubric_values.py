"""Typed readers for the rubric file's values: each checks one value and names its key in the
error, so a QA editor learns exactly which line to fix."""

from __future__ import annotations

from typing import Any, Mapping

from pipeline.errors import ConfigError
from pipeline.text_normalize import normalize_text


def reject_unknown(table: Mapping[str, Any], known: set[str], where: str) -> None:
    unknown = sorted(set(table) - known)
    if unknown:
        raise ConfigError(f"unknown key(s) {unknown} in {where}; known: {sorted(known)}")


def table_at(value: Any, key: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ConfigError(f"[{key}] must be a table")
    return value


def strings_at(value: Any, key: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(
            isinstance(item, str) and item.strip() for item in value):
        raise ConfigError(f"{key} must be a list of non-empty strings")
    return tuple(value)


def number_at(value: Any, key: str, *, low: float, high: float, whole: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigError(f"{key} must be a number, got {value!r}")
    if whole and not isinstance(value, int):
        raise ConfigError(f"{key} must be a whole number, got {value!r}")
    if not low <= value <= high:
        raise ConfigError(f"{key} = {value} is outside the allowed range [{low}, {high}]")
    return value


def optional_seconds_at(table: Mapping[str, Any], name: str, key: str) -> float | None:
    if name not in table:
        return None
    return float(number_at(table[name], f"{key}.{name}", low=0.1, high=24 * 3600.0))


def boolean_at(value: Any, key: str) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"{key} must be true or false, got {value!r}")
    return value


def single_words_at(value: Any, key: str) -> frozenset[str]:
    words = set()
    for index, text in enumerate(strings_at(value, key)):
        normalised = normalize_text(text)
        if not normalised or " " in normalised:
            raise ConfigError(f"{key}[{index}] = {text!r} must be a single word")
        words.add(normalised)
    return frozenset(words)
