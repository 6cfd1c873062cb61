"""Rubric phrases and patterns, compiled once when the rubric loads.

A phrase is normalised the way transcripts are, then split into runs of words at lone ``*``
gaps; a pattern is a regex on normalised text whose macros (``{num}``, ``{day}``, ``{name}``)
are expanded here, so the matcher never sees rubric syntax.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from pipeline.errors import ConfigError
from pipeline.rubric_values import strings_at
from pipeline.text_normalize import NUMBER_WORDS, normalize_text

# Longest first (so "a couple of" wins over "a"), then alphabetical: the same text every run.
_NUM = "(?:" + "|".join(sorted(NUMBER_WORDS | {"a", "an", "a couple of", "a few", "half an"},
                               key=lambda word: (-len(word), word))) + ")"
_MACROS = {
    "{num}": rf"(?:{_NUM}(?: (?:and )?{_NUM})*)",
    "{day}": r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|today|tonight|tomorrow)",
    "{name}": r"(?P<name>[a-z]+(?: [a-z]+)?)",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Phrase:
    """A plain phrase: ``segments`` are runs of normalised words separated by ``*`` gaps."""

    text: str
    segments: tuple[tuple[str, ...], ...]  # a word ending in "*" matches by prefix


def compile_phrase(text: str, *, key: str) -> Phrase:
    """Normalise a rubric phrase into word runs split at ``*`` gaps."""
    segments: list[tuple[str, ...]] = []
    current: list[str] = []
    pieces = text.split()
    for position, piece in enumerate(pieces):
        if piece == "*":
            if not current or position == len(pieces) - 1:
                raise ConfigError(f"{key}: {text!r} may use a lone * only between words")
            segments.append(tuple(current))
            current = []
        elif piece.endswith("*"):
            stem = normalize_text(piece.rstrip("*"))
            if not stem or " " in stem:
                raise ConfigError(f"{key}: {text!r} has a prefix wildcard on something not a word")
            current.append(stem + "*")
        else:
            current.extend(normalize_text(piece).split())
    if current:
        segments.append(tuple(current))
    if not segments:
        raise ConfigError(f"{key}: {text!r} has no words left after normalisation")
    return Phrase(text=text, segments=tuple(segments))


def phrases_at(value: Any, key: str) -> tuple[Phrase, ...]:
    texts = strings_at(value, key)
    return tuple(compile_phrase(text, key=f"{key}[{index}]") for index, text in enumerate(texts))


def patterns_at(value: Any, key: str, *, named: bool = False) -> tuple[re.Pattern[str], ...]:
    compiled = []
    for index, text in enumerate(strings_at(value, key)):
        if named != ("{name}" in text):
            need = "must contain {name}" if named else "may use {name} only in name_patterns"
            raise ConfigError(f"{key}[{index}] = {text!r} {need}")
        expanded = text
        for macro, replacement in _MACROS.items():
            expanded = expanded.replace(macro, replacement)
        try:
            compiled.append(re.compile(expanded))
        except re.error as exc:
            raise ConfigError(f"{key}[{index}] = {text!r} is not a valid regex: {exc}") from exc
    return tuple(compiled)
