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
from pipeline.rubric_phrases import Phrase, patterns_at, phrases_at
from pipeline.rubric_values import (boolean_at, number_at, optional_seconds_at, reject_unknown,
                                    single_words_at, strings_at, table_at)
from pipeline.types import Speaker

NAME_CHECKS = frozenset({"agent_introduction", "customer_name_used"})  # may use name_patterns

_TOP_KEYS = {"rubric_version", "matching", "checks", "meaning"}
_CHECK_KEYS = {"description", "speaker", "phrases", "patterns", "phrases_from", "name_patterns",
               "name_prompts", "min_count", "window_s", "early_s", "requires", "negation",
               "examples", "meaning"}
_EXAMPLE_KEYS = {"match", "no_match"}
_MEANING_KEYS = {"positive", "negative", "unit", "head"}
MEANING_UNITS = ("sentence", "turn")


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
    reject_unknown(raw, _TOP_KEYS, "the top level")
    version = raw.get("rubric_version")
    if not isinstance(version, str) or not version.strip():
        raise ConfigError("rubric_version must be a non-empty string such as \"2025.1\"")
    checks_raw = table_at(raw.get("checks"), "checks")
    missing = [check_id for check_id in CHECK_IDS if check_id not in checks_raw]
    if missing:
        raise ConfigError(f"rubric is missing check(s) {missing}; every stable id must be defined")
    reject_unknown(checks_raw, set(CHECK_IDS), "[checks]")
    matching = _parse_matching(table_at(raw.get("matching", {}), "matching"))
    checks = {cid: _parse_check(cid, table_at(table, f"checks.{cid}"), checks_raw)
              for cid, table in checks_raw.items()}
    _check_requires(checks)
    meaning = table_at(raw.get("meaning", {}), "meaning")
    reject_unknown(meaning, {"ordinary"}, "[meaning]")
    return Rubric(version=version, digest=digest, matching=matching,
                  checks=MappingProxyType(checks),
                  ordinary=strings_at(meaning.get("ordinary", []), "meaning.ordinary"))


def _parse_matching(table: Mapping[str, Any]) -> MatchingRules:
    defaults = {"fuzzy_threshold": 90, "word_fuzzy_threshold": 75, "name_fuzzy_threshold": 85,
                "max_wildcard_words": 3, "negation_window_words": 4,
                "negation_cues": ["not", "never", "cannot"], "negation_scope_breaks": ["but"],
                "not_names": []}
    reject_unknown(table, set(defaults), "[matching]")
    values = {**defaults, **table}
    thresholds = {key: float(number_at(values[key], f"matching.{key}", low=50, high=100))
                  for key in ("fuzzy_threshold", "word_fuzzy_threshold", "name_fuzzy_threshold")}
    words = {key: int(number_at(values[key], f"matching.{key}", low=0, high=10, whole=True))
             for key in ("max_wildcard_words", "negation_window_words")}
    sets = {key: single_words_at(values[key], f"matching.{key}")
            for key in ("negation_cues", "negation_scope_breaks", "not_names")}
    return MatchingRules(**thresholds, **words, **sets)


def _parse_check(check_id: str, table: Mapping[str, Any],
                 all_checks: Mapping[str, Any]) -> CheckRule:
    key = f"checks.{check_id}"
    reject_unknown(table, _CHECK_KEYS, f"[{key}]")
    description = table.get("description")
    if not isinstance(description, str) or not description.strip():
        raise ConfigError(f"{key}.description must be a non-empty string")
    speaker_text = table.get("speaker")
    if speaker_text not in {s.value for s in Speaker}:
        raise ConfigError(f"{key}.speaker = {speaker_text!r} must be \"agent\" or \"customer\"")
    if check_id not in NAME_CHECKS and ({"name_patterns", "name_prompts"} & set(table)):
        raise ConfigError(f"{key}: name_patterns/name_prompts apply only to {sorted(NAME_CHECKS)}")
    phrases = phrases_at(table.get("phrases", []), f"{key}.phrases")
    patterns = patterns_at(table.get("patterns", []), f"{key}.patterns")
    if "phrases_from" in table:
        source = table["phrases_from"]
        if source not in all_checks or source == check_id:
            raise ConfigError(f"{key}.phrases_from = {source!r} must name another check")
        source_table = table_at(all_checks[source], f"checks.{source}")
        phrases += phrases_at(source_table.get("phrases", []), f"checks.{source}.phrases")
        patterns += patterns_at(source_table.get("patterns", []), f"checks.{source}.patterns")
    name_patterns = patterns_at(table.get("name_patterns", []), f"{key}.name_patterns", named=True)
    if not (phrases or patterns or name_patterns):
        raise ConfigError(f"{key} needs at least one of phrases, patterns or name_patterns")
    examples = table_at(table.get("examples", {}), f"{key}.examples")
    reject_unknown(examples, _EXAMPLE_KEYS, f"[{key}.examples]")
    meaning = _parse_meaning(table.get("meaning"), key)
    return CheckRule(
        check_id=check_id, description=description.strip(), speaker=Speaker(speaker_text),
        phrases=phrases, patterns=patterns, name_patterns=name_patterns,
        name_prompts=phrases_at(table.get("name_prompts", []), f"{key}.name_prompts"),
        min_count=int(number_at(table.get("min_count", 1), f"{key}.min_count", low=1, high=100,
                              whole=True)),
        window_s=optional_seconds_at(table, "window_s", key),
        early_s=optional_seconds_at(table, "early_s", key),
        requires=strings_at(table.get("requires", []), f"{key}.requires"),
        negation=boolean_at(table.get("negation", True), f"{key}.negation"),
        examples_match=strings_at(examples.get("match", []), f"{key}.examples.match"),
        examples_no_match=strings_at(examples.get("no_match", []), f"{key}.examples.no_match"),
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
    table = table_at(value, f"{key}.meaning")
    reject_unknown(table, _MEANING_KEYS, f"[{key}.meaning]")
    unit = table.get("unit", "sentence")
    if unit not in MEANING_UNITS:
        raise ConfigError(f"{key}.meaning.unit = {unit!r} must be one of {list(MEANING_UNITS)}")
    meaning = Meaning(positive=strings_at(table.get("positive", []), f"{key}.meaning.positive"),
                      negative=strings_at(table.get("negative", []), f"{key}.meaning.negative"),
                      unit=unit, head=boolean_at(table.get("head", True), f"{key}.meaning.head"))
    if meaning.head and (len(meaning.positive) < 5 or len(meaning.negative) < 5):
        raise ConfigError(f"{key}.meaning needs at least 5 positive and 5 negative utterances "
                          "to train its matcher (or head = false)")
    return meaning


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
