"""A check's decision from its evidence: counts within a time window, the quotes kept, and the
result of a check that cannot apply."""

from __future__ import annotations

from pipeline.rubric import CheckRule
from pipeline.types import CheckResult, Evidence

MAX_EVIDENCE = 12  # per check; a report needs a few quotes, not every repetition


def densest_count(hits: list[Evidence], *, window_s: float | None) -> int:
    """Most matches starting within any ``window_s`` span (all of them when no window)."""
    if window_s is None:
        return len(hits)
    starts = sorted(hit.start_s for hit in hits)
    best, low = 0, 0
    for high, start_s in enumerate(starts):
        while start_s - starts[low] > window_s:
            low += 1
        best = max(best, high - low + 1)
    return best


def decided(rule: CheckRule, met: bool, hits: list[Evidence], *,
            confidence: float = 1.0) -> CheckResult:
    """A decided check; rule-only checks (names, no trained head) are exact, so confidence 1."""
    evidence = tuple(sorted(hits, key=lambda hit: hit.start_s)[:MAX_EVIDENCE]) if met else ()
    return CheckResult(check_id=rule.check_id, met=met, evidence=evidence, confidence=confidence)


def skipped(rule: CheckRule) -> CheckResult:
    return CheckResult(check_id=rule.check_id, met=None, evidence=())
