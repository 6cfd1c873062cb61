"""The transcript rubric: a versioned TOML file a QA team edits without touching code.

``load_rubric`` reads the file (the packaged ``rubric.toml`` by default), rejects unknown keys,
insists on every stable check id, compiles the regexes and normalises the phrases the same way
transcripts are normalised, so a phrase written "I'm sorry" also finds "im sorry". Every error
names the offending key.

Phrase syntax: plain words; a lone ``*`` stands for up to ``max_wildcard_words`` words; a word
ending in ``*`` is a prefix ("apolog*"). Regexes run on normalised text (lowercase, no
punctuation, contractions expanded, digits spelt out) and may use ``{num}`` (a spoken number),
``{day}`` (a weekday, today, tomorrow) and, in ``name_patterns``, ``{name}`` (one or two words).
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib.resources
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping

from pipeline.check_heads import CheckHeads, heads_path, load_heads
from pipeline.check_meanings import CHECK_IDS
from pipeline.errors import ConfigError
from pipeline.text_normalize import NUMBER_WORDS, normalize_text
from pipeline.types import Speaker

NAME_CHECKS = frozenset({"agent_introduction", "customer_name_used"})  # may use name_patterns

# Longest first (so "a couple of" wins over "a"), then alphabetical: the same text every run.
_NUM = "(?:" + "|".join(sorted(NUMBER_WORDS | {"a", "an", "a couple of", "a few", "half an"},
                               key=lambda word: (-len(word), word))) + ")"
_MACROS = {
    "{num}": rf"(?:{_NUM}(?: (?:and )?{_NUM})*)",
    "{day}": r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|today|tonight|tomorrow)",
    "{name}": r"(?P<name>[a-z]+(?: [a-z]+)?)",
}
_TOP_KEYS = {"rubric_version", "matching", "checks", "meaning"}
_CHECK_KEYS = {"description", "speaker", "phrases", "patterns", "phrases_from", "name_patterns",
               "name_prompts", "min_count", "window_s", "early_s", "requires", "negation",
               "examples", "meaning"}
_EXAMPLE_KEYS = {"match", "no_match"}
_MEANING_KEYS = {"positive", "negative", "unit", "head"}
MEANING_UNITS = ("sentence", "turn")


@dataclass(frozen=True, slots=True, kw_only=True)
class Phrase:
    """A plain phrase: ``segments`` are runs of normalised words separated by ``*`` gaps."""

    text: str
    segments: tuple[tuple[str, ...], ...]  # a word ending in "*" matches by prefix


@dataclass(frozen=True, slots=True, kw_only=True)
class MatchingRules:
    fuzzy_threshold: float  # rapidfuzz ratio (0-100) a word window needs to count as the phrase
    word_fuzzy_threshold: float  # and each aligned word of that run ("told" is not "to")
    name_fuzzy_threshold: float  # the same for a spoken name against the customer's name
    max_wildcard_words: int
    negation_window_words: int  # how far back a negation cue cancels a match
    negation_cues: frozenset[str]
    negation_scope_breaks: frozenset[str]  # words ("but") that end a negation's reach
    not_names: frozenset[str]  # words a {name} slot never captures


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckRule:
    check_id: str
    description: str
    speaker: Speaker
    phrases: tuple[Phrase, ...]
    patterns: tuple[re.Pattern[str], ...]
    name_patterns: tuple[re.Pattern[str], ...] = ()
    name_prompts: tuple[Phrase, ...] = ()
    min_count: int = 1
    window_s: float | None = None  # min_count matches must fall within this span
    early_s: float | None = None  # only matches starting before this time count
    requires: tuple[str, ...] = ()  # met is None unless every one of these is met
    negation: bool = True
    examples_match: tuple[str, ...] = ()
    examples_no_match: tuple[str, ...] = ()
    meaning: Meaning | None = None
    head_id: str | None = None  # whose trained head scores this check: its own, its source's


@dataclass(frozen=True, slots=True, kw_only=True)
class Meaning:
    """How the meaning matcher reads a check: labelled utterances and the span it scores.

    ``head`` is False where the examples only measure the check (names, a count of another
    check's hits) and no classifier of its own is trained.
    """

    positive: tuple[str, ...]
    negative: tuple[str, ...]
    unit: str = "sentence"  # "sentence": each sentence alone; "turn": the whole utterance
    head: bool = True


@dataclass(frozen=True, slots=True, kw_only=True)
class Rubric:
    version: str
    digest: str  # sha256 prefix of the source, so reports can name exactly what they used
    matching: MatchingRules
    checks: Mapping[str, CheckRule]  # in file order
    heads: CheckHeads | None = None  # the trained meaning matcher; None: phrase rules alone
    ordinary: tuple[str, ...] = ()  # everyday call talk: a negative for every check's head


def load_rubric(path: str | Path | None = None) -> Rubric:
    """Load and validate a rubric file with its trained meaning matcher; ``None`` loads the
    packaged ``pipeline/rubric.toml``."""
    rubric = rubric_from_path_without_heads(path)
    if not any(rule.head_id for rule in rubric.checks.values()):
        return rubric
    location = heads_path(None if path is None else Path(path))
    return dataclasses.replace(rubric, heads=load_heads(location, rubric))


def rubric_from_path_without_heads(path: str | Path | None = None) -> Rubric:
    """The rubric file alone, phrase rules only (what training the heads starts from)."""
    if path is None:
        source = importlib.resources.files("pipeline").joinpath("rubric.toml")
        name, data = "pipeline/rubric.toml", source.read_bytes()
    else:
        name = str(path)
        try:
            data = Path(path).read_bytes()
        except FileNotFoundError as exc:
            raise ConfigError(f"rubric file {name} does not exist") from exc
    try:
        raw = tomllib.loads(data.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"rubric file {name} is not valid TOML: {exc}") from exc
    return rubric_from_mapping(raw, digest=hashlib.sha256(data).hexdigest()[:16])


def rubric_from_mapping(raw: Mapping[str, Any], *, digest: str = "") -> Rubric:
    """Validate an already parsed rubric (the tables of the TOML file)."""
    _reject_unknown(raw, _TOP_KEYS, "the top level")
    version = raw.get("rubric_version")
    if not isinstance(version, str) or not version.strip():
        raise ConfigError("rubric_version must be a non-empty string such as \"2025.1\"")
    checks_raw = _table(raw.get("checks"), "checks")
    missing = [check_id for check_id in CHECK_IDS if check_id not in checks_raw]
    if missing:
        raise ConfigError(f"rubric is missing check(s) {missing}; every stable id must be defined")
    _reject_unknown(checks_raw, set(CHECK_IDS), "[checks]")
    matching = _parse_matching(_table(raw.get("matching", {}), "matching"))
    checks = {cid: _parse_check(cid, _table(table, f"checks.{cid}"), checks_raw)
              for cid, table in checks_raw.items()}
    _check_requires(checks)
    meaning = _table(raw.get("meaning", {}), "meaning")
    _reject_unknown(meaning, {"ordinary"}, "[meaning]")
    return Rubric(version=version, digest=digest, matching=matching,
                  checks=MappingProxyType(checks),
                  ordinary=_strings(meaning.get("ordinary", []), "meaning.ordinary"))


def _parse_matching(table: Mapping[str, Any]) -> MatchingRules:
    defaults = {"fuzzy_threshold": 90, "word_fuzzy_threshold": 75, "name_fuzzy_threshold": 85,
                "max_wildcard_words": 3, "negation_window_words": 4,
                "negation_cues": ["not", "never", "cannot"], "negation_scope_breaks": ["but"],
                "not_names": []}
    _reject_unknown(table, set(defaults), "[matching]")
    values = {**defaults, **table}
    thresholds = {key: float(_number(values[key], f"matching.{key}", low=50, high=100))
                  for key in ("fuzzy_threshold", "word_fuzzy_threshold", "name_fuzzy_threshold")}
    words = {key: int(_number(values[key], f"matching.{key}", low=0, high=10, whole=True))
             for key in ("max_wildcard_words", "negation_window_words")}
    sets = {key: _single_words(values[key], f"matching.{key}")
            for key in ("negation_cues", "negation_scope_breaks", "not_names")}
    return MatchingRules(**thresholds, **words, **sets)


def _single_words(value: Any, key: str) -> frozenset[str]:
    words = set()
    for index, text in enumerate(_strings(value, key)):
        normalised = normalize_text(text)
        if not normalised or " " in normalised:
            raise ConfigError(f"{key}[{index}] = {text!r} must be a single word")
        words.add(normalised)
    return frozenset(words)


def _parse_check(check_id: str, table: Mapping[str, Any],
                 all_checks: Mapping[str, Any]) -> CheckRule:
    key = f"checks.{check_id}"
    _reject_unknown(table, _CHECK_KEYS, f"[{key}]")
    description = table.get("description")
    if not isinstance(description, str) or not description.strip():
        raise ConfigError(f"{key}.description must be a non-empty string")
    speaker_text = table.get("speaker")
    if speaker_text not in {s.value for s in Speaker}:
        raise ConfigError(f"{key}.speaker = {speaker_text!r} must be \"agent\" or \"customer\"")
    if check_id not in NAME_CHECKS and ({"name_patterns", "name_prompts"} & set(table)):
        raise ConfigError(f"{key}: name_patterns/name_prompts apply only to {sorted(NAME_CHECKS)}")
    phrases = _phrases(table.get("phrases", []), f"{key}.phrases")
    patterns = _patterns(table.get("patterns", []), f"{key}.patterns")
    if "phrases_from" in table:
        source = table["phrases_from"]
        if source not in all_checks or source == check_id:
            raise ConfigError(f"{key}.phrases_from = {source!r} must name another check")
        source_table = _table(all_checks[source], f"checks.{source}")
        phrases += _phrases(source_table.get("phrases", []), f"checks.{source}.phrases")
        patterns += _patterns(source_table.get("patterns", []), f"checks.{source}.patterns")
    name_patterns = _patterns(table.get("name_patterns", []), f"{key}.name_patterns", named=True)
    if not (phrases or patterns or name_patterns):
        raise ConfigError(f"{key} needs at least one of phrases, patterns or name_patterns")
    examples = _table(table.get("examples", {}), f"{key}.examples")
    _reject_unknown(examples, _EXAMPLE_KEYS, f"[{key}.examples]")
    meaning = _parse_meaning(table.get("meaning"), key)
    return CheckRule(
        check_id=check_id, description=description.strip(), speaker=Speaker(speaker_text),
        phrases=phrases, patterns=patterns, name_patterns=name_patterns,
        name_prompts=_phrases(table.get("name_prompts", []), f"{key}.name_prompts"),
        min_count=int(_number(table.get("min_count", 1), f"{key}.min_count", low=1, high=100,
                              whole=True)),
        window_s=_optional_seconds(table, "window_s", key),
        early_s=_optional_seconds(table, "early_s", key),
        requires=_strings(table.get("requires", []), f"{key}.requires"),
        negation=_boolean(table.get("negation", True), f"{key}.negation"),
        examples_match=_strings(examples.get("match", []), f"{key}.examples.match"),
        examples_no_match=_strings(examples.get("no_match", []), f"{key}.examples.no_match"),
        meaning=meaning,
        head_id=_head_id(check_id, meaning, table),
    )


def _head_id(check_id: str, meaning: Meaning | None, table: Mapping[str, Any]) -> str | None:
    """A check's own head, else (a count of another check's behaviour) its phrase source's."""
    if meaning is not None and meaning.head:
        return check_id
    return table.get("phrases_from") if meaning is not None else None


def _parse_meaning(value: Any, key: str) -> Meaning | None:
    if value is None:
        return None
    table = _table(value, f"{key}.meaning")
    _reject_unknown(table, _MEANING_KEYS, f"[{key}.meaning]")
    unit = table.get("unit", "sentence")
    if unit not in MEANING_UNITS:
        raise ConfigError(f"{key}.meaning.unit = {unit!r} must be one of {list(MEANING_UNITS)}")
    meaning = Meaning(positive=_strings(table.get("positive", []), f"{key}.meaning.positive"),
                      negative=_strings(table.get("negative", []), f"{key}.meaning.negative"),
                      unit=unit, head=_boolean(table.get("head", True), f"{key}.meaning.head"))
    if meaning.head and (len(meaning.positive) < 5 or len(meaning.negative) < 5):
        raise ConfigError(f"{key}.meaning needs at least 5 positive and 5 negative utterances "
                          "to train its matcher (or head = false)")
    return meaning


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


def _phrases(value: Any, key: str) -> tuple[Phrase, ...]:
    texts = _strings(value, key)
    return tuple(compile_phrase(text, key=f"{key}[{index}]") for index, text in enumerate(texts))


def _patterns(value: Any, key: str, *, named: bool = False) -> tuple[re.Pattern[str], ...]:
    compiled = []
    for index, text in enumerate(_strings(value, key)):
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


def _check_requires(checks: Mapping[str, CheckRule]) -> None:
    for check_id, rule in checks.items():
        for required in rule.requires:
            if required not in checks or required == check_id:
                raise ConfigError(
                    f"checks.{check_id}.requires names {required!r}, which is not another check")
    for check_id in checks:  # a cycle would leave a check waiting on itself forever
        seen, frontier = set(), list(checks[check_id].requires)
        while frontier:
            current = frontier.pop()
            if current == check_id:
                raise ConfigError(f"checks.{check_id}.requires forms a cycle")
            if current not in seen:
                seen.add(current)
                frontier.extend(checks[current].requires)


def _reject_unknown(table: Mapping[str, Any], known: set[str], where: str) -> None:
    unknown = sorted(set(table) - known)
    if unknown:
        raise ConfigError(f"unknown key(s) {unknown} in {where}; known: {sorted(known)}")


def _table(value: Any, key: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ConfigError(f"[{key}] must be a table")
    return value


def _strings(value: Any, key: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(
            isinstance(item, str) and item.strip() for item in value):
        raise ConfigError(f"{key} must be a list of non-empty strings")
    return tuple(value)


def _number(value: Any, key: str, *, low: float, high: float, whole: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigError(f"{key} must be a number, got {value!r}")
    if whole and not isinstance(value, int):
        raise ConfigError(f"{key} must be a whole number, got {value!r}")
    if not low <= value <= high:
        raise ConfigError(f"{key} = {value} is outside the allowed range [{low}, {high}]")
    return value


def _optional_seconds(table: Mapping[str, Any], name: str, key: str) -> float | None:
    if name not in table:
        return None
    return float(_number(table[name], f"{key}.{name}", low=0.1, high=24 * 3600.0))


def _boolean(value: Any, key: str) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"{key} must be true or false, got {value!r}")
    return value
