"""The labelled corpus's two parts stay apart: no line of the test part is also a line the
heads are trained on (the rubric's meaning examples, its rule examples and its ordinary talk).

A test line that training has seen is scored on what was learnt by heart, and the figures
``bench/checks.py`` prints would flatter the matcher. Lines are compared as words, so a change
of case or punctuation does not hide a copy, and nearly alike ones count too: "who's your
manager, I want to talk to them" is the same line as "... speak to them".
"""

import csv
import re
from pathlib import Path

from rapidfuzz import fuzz, process

from pipeline.rubric import rubric_from_path_without_heads

TEST_PART = Path(__file__).resolve().parents[2] / "bench" / "check_corpus" / "test.tsv"
# rapidfuzz's ratio (0-100) from which two lines are one: a word or two changed in a sentence
# ("you" for "your", "line manager" for "manager"). Distinct sentences on one topic score lower.
NEAR_COPY = 93


def _words(example: str) -> str:
    """An example as its utterances' words: speaker tags, case and punctuation dropped."""
    utterances = []
    for part in example.split(" | "):
        text = re.sub(r"^\s*(agent|customer):", "", part.strip())
        utterances.append(" ".join(re.sub(r"[^a-z0-9' ]+", " ", text.lower()).split()))
    return " | ".join(utterances)


def _training_lines() -> list[str]:
    rubric = rubric_from_path_without_heads()
    examples = list(rubric.ordinary)
    for rule in rubric.checks.values():
        examples += rule.examples_match + rule.examples_no_match
        if rule.meaning is not None:
            examples += rule.meaning.positive + rule.meaning.negative
    return sorted({_words(example) for example in examples})


def _near_copy(line: str, training: list[str]) -> str | None:
    found = process.extractOne(line, training, scorer=fuzz.ratio, score_cutoff=NEAR_COPY)
    return found[0] if found else None


def test_no_test_line_is_a_training_line():
    training = _training_lines()
    with TEST_PART.open(newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    assert len(rows) > 600  # the whole test part was read
    copies = [(row["check"], row["text"], match) for row in rows
              if (match := _near_copy(_words(row["text"]), training)) is not None]
    assert not copies, f"test lines (nearly) also in the rubric (check, line, rubric line): {copies}"


def test_the_comparison_sees_through_case_punctuation_and_a_changed_word():
    assert _words("agent: I'm SO sorry -- really!") == _words("i'm so sorry really")
    assert _words("customer: No. | agent: Fine.") != _words("no fine")
    training = [_words("Who's your manager? I want to speak to them.")]
    assert _near_copy(_words("who's your manager i want to talk to them"), training)
    assert _near_copy(_words("Who runs the complaints team?"), training) is None
