"""Rubric file: every example in it through the real matcher, and the loader's failure cases."""

import copy
import tomllib
from importlib import resources

import pytest

from pipeline.checks import example_transcript, run_checks
from pipeline.errors import ConfigError
from pipeline.rubric import CHECK_IDS, load_rubric, rubric_from_mapping
from pipeline.rubric_phrases import compile_phrase

RUBRIC = load_rubric()
RAW = tomllib.loads(resources.files("pipeline").joinpath("rubric.toml").read_text(encoding="utf-8"))


def _examples():
    for check_id, rule in RUBRIC.checks.items():
        for kind, texts in (("match", rule.examples_match), ("no_match", rule.examples_no_match)):
            for index, text in enumerate(texts):
                yield pytest.param(check_id, text, kind == "match", id=f"{check_id}-{kind}-{index}")


@pytest.mark.parametrize("check_id, text, expected", list(_examples()))
def test_rubric_example(check_id, text, expected):
    rule = RUBRIC.checks[check_id]
    result = run_checks(example_transcript(text, speaker=rule.speaker), RUBRIC, customer_name=None)
    assert (result[check_id].met is True) is expected, (text, result[check_id])


def test_every_check_has_examples_both_ways():
    thin = [cid for cid, rule in RUBRIC.checks.items()
            if not rule.examples_match or not rule.examples_no_match]
    assert thin == []


def test_packaged_rubric_has_every_stable_id_and_a_version():
    assert set(RUBRIC.checks) == set(CHECK_IDS)
    assert RUBRIC.version.strip()
    assert len(RUBRIC.digest) == 16
    assert RUBRIC.checks["over_apology"].min_count >= 3
    assert RUBRIC.checks["agent_introduction"].early_s == pytest.approx(30.0)
    assert RUBRIC.checks["agent_boundary_set"].requires == ("customer_abuse",)


def test_loading_by_path_gives_the_same_rubric(tmp_path):
    path = tmp_path / "rubric.toml"
    path.write_bytes(resources.files("pipeline").joinpath("rubric.toml").read_bytes())
    loaded = load_rubric(path)
    assert loaded.digest == RUBRIC.digest
    assert list(loaded.checks) == list(RUBRIC.checks)


def test_phrase_wildcards_compile_into_segments():
    assert compile_phrase("I * understand", key="k").segments == (("i",), ("understand",))
    assert compile_phrase("I'm so sorry", key="k").segments == (("i", "am", "so", "sorry"),)
    assert compile_phrase("apologise*", key="k").segments == (("apologize*",),)


def _set(path, value):
    def change(raw):
        *parents, last = path
        table = raw
        for key in parents:
            table = table[key]
        table[last] = value
    return change


def _delete(path):
    def change(raw):
        *parents, last = path
        table = raw
        for key in parents:
            table = table[key]
        del table[last]
    return change


@pytest.mark.parametrize("change, message", [
    (_set(("colour",), "blue"), r"unknown key\(s\) \['colour'\] in the top level"),
    (_set(("checks", "apology", "weight"), 2), r"unknown key\(s\) \['weight'\] in \[checks.apology\]"),
    (_set(("checks", "politeness"), {}), r"unknown key\(s\) \['politeness'\] in \[checks\]"),
    (_set(("matching", "speed"), 1), r"unknown key\(s\) \['speed'\] in \[matching\]"),
    (_set(("checks", "apology", "examples", "maybe"), []), r"\[checks.apology.examples\]"),
    (_delete(("checks", "closing_check")), r"missing check\(s\) \['closing_check'\]"),
    (_delete(("rubric_version",)), r"rubric_version must be a non-empty string"),
    (_delete(("checks", "apology", "description")), r"checks.apology.description"),
    (_set(("checks", "apology", "patterns"), ["(sorry"]), r"checks.apology.patterns\[0\].*not a valid regex"),
    (_set(("checks", "apology", "speaker"), "supervisor"), r"checks.apology.speaker = 'supervisor'"),
    (_set(("checks", "apology", "phrases"), "sorry"), r"checks.apology.phrases must be a list"),
    (_set(("checks", "apology", "phrases"), ["* sorry"]), r"checks.apology.phrases\[0\].*lone \*"),
    (_set(("checks", "apology", "phrases"), ["?!"]), r"checks.apology.phrases\[0\].*no words"),
    (_set(("checks", "apology", "patterns"), ["{name} sorry"]), r"may use \{name\} only in name_patterns"),
    (_set(("checks", "apology", "name_patterns"), ["{name}"]), r"checks.apology: name_patterns"),
    (_set(("checks", "agent_introduction", "name_patterns"), ["my name is"]), r"must contain \{name\}"),
    (_set(("checks", "apology", "min_count"), 0), r"checks.apology.min_count = 0 is outside"),
    (_set(("checks", "apology", "min_count"), 2.5), r"checks.apology.min_count must be a whole number"),
    (_set(("checks", "apology", "early_s"), "soon"), r"checks.apology.early_s must be a number"),
    (_set(("checks", "apology", "negation"), "yes"), r"checks.apology.negation must be true or false"),
    (_set(("checks", "over_apology", "phrases_from"), "sorrow"), r"phrases_from = 'sorrow'"),
    (_set(("checks", "apology", "requires"), ["kindness"]), r"checks.apology.requires names 'kindness'"),
    (_set(("checks", "customer_abuse", "requires"), ["agent_boundary_set"]), r"forms a cycle"),
    (_set(("matching", "fuzzy_threshold"), 20), r"matching.fuzzy_threshold = 20 is outside"),
    (_set(("matching", "negation_cues"), ["no way"]), r"matching.negation_cues\[0\].*single word"),
    (_set(("checks", "closing_check", "phrases"), []), r"checks.closing_check needs at least one"),
    (_set(("checks", "apology"), "sorry"), r"\[checks.apology\] must be a table"),
])
def test_bad_rubrics_are_rejected_with_the_key_named(change, message):
    raw = copy.deepcopy(RAW)
    change(raw)
    with pytest.raises(ConfigError, match=message):
        rubric_from_mapping(raw)


@pytest.mark.parametrize("content, message", [
    (None, r"rubric file .* does not exist"),
    (b"[checks\n", r"rubric file .* is not valid TOML"),
    (b"\xff\xfe", r"is not valid TOML"),
])
def test_bad_rubric_files_are_named(tmp_path, content, message):
    path = tmp_path / "rubric.toml"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(ConfigError, match=message):
        load_rubric(path)
