"""Compare reports with the sample calls' ground truth: one-to-one event matching."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from rapidfuzz.distance import Levenshtein

from pipeline.text_normalize import normalize_text

SAMPLE_DIR = Path(__file__).resolve().parent.parent / "sample_calls"
MATCH_TOLERANCE_S = 0.5  # a found event may start or end this far outside the true span


def load_truths() -> list[dict]:
    return [json.loads(path.read_text()) for path in sorted(SAMPLE_DIR.glob("*.json"))]


def audio_versions(truth: dict) -> list[Path]:
    """Both recorded versions of a sample call: 16 kHz Opus and 8 kHz telephone FLAC."""
    return [SAMPLE_DIR / f"{truth['call_id']}.opus", SAMPLE_DIR / f"{truth['call_id']}.8k.flac"]


@dataclass
class Tally:
    true_positive: int = 0
    false_positive: int = 0
    false_negative: int = 0

    def add(self, other: Tally) -> None:
        self.true_positive += other.true_positive
        self.false_positive += other.false_positive
        self.false_negative += other.false_negative

    @property
    def precision(self) -> float:
        found = self.true_positive + self.false_positive
        return self.true_positive / found if found else 1.0

    @property
    def recall(self) -> float:
        expected = self.true_positive + self.false_negative
        return self.true_positive / expected if expected else 1.0


def spans_match(found: dict, expected: dict) -> bool:
    return (found["start"] < expected["end_s"] + MATCH_TOLERANCE_S
            and expected["start_s"] < found["end"] + MATCH_TOLERANCE_S)


def matched_pairs(found: list[dict], expected: list[dict]) -> list[tuple[dict, dict]]:
    """Greedy one-to-one pairs of same-speaker events whose spans overlap (within tolerance)."""
    pairs, used = [], set()
    for truth in expected:
        for index, event in enumerate(found):
            if index not in used and event["speaker"] == truth["speaker"] and spans_match(event, truth):
                pairs.append((event, truth))
                used.add(index)
                break
    return pairs


def tally(report: dict, truth: dict, event_type: str) -> Tally:
    found = [e for e in report["events"] if e["type"] == event_type]
    expected = [e for e in truth["events"] if e["type"] == event_type]
    hits = len(matched_pairs(found, expected))
    return Tally(true_positive=hits, false_positive=len(found) - hits,
                 false_negative=len(expected) - hits)


def word_error_rate(reference: str, hypothesis: str) -> float:
    expected = normalize_text(reference).split()
    heard = normalize_text(hypothesis).split()
    return Levenshtein.distance(expected, heard) / max(1, len(expected))


def speaker_word_error_rates(report: dict, truth: dict) -> dict[str, float]:
    """Word error rate of each party's whole transcript against the script."""
    rates = {}
    for party in ("agent", "customer"):
        reference = " ".join(t["text"] for t in truth["turns"] if t["speaker"] == party)
        heard = " ".join(u["text"] for u in report["transcript"] if u["speaker"] == party)
        rates[party] = word_error_rate(reference, heard)
    return rates


def check_outcomes(report: dict, truth: dict) -> tuple[int, list[tuple[str, bool, bool | None]]]:
    """How many check outcomes the truth expects, and ``(check, expected, got)`` for each miss."""
    wrong = []
    for check_id, expected in truth["checks"].items():
        got = report["checks"][check_id]["met"]
        if got is not expected:
            wrong.append((check_id, expected, got))
    return len(truth["checks"]), wrong
