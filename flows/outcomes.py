"""What happened to each call of a batch, and the summary printed at the end."""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass


class OutcomeKind(enum.StrEnum):
    DONE = "done"
    SKIPPED = "skipped"  # already processed (same audio, maybe under another name)
    FAILED = "failed"


@dataclass(frozen=True, slots=True, kw_only=True)
class Outcome:
    path: str
    call_id: str | None
    kind: OutcomeKind
    reason: str | None = None

    def to_json(self) -> dict[str, str | None]:
        return {**asdict(self), "kind": self.kind.value}


@dataclass(frozen=True, slots=True, kw_only=True)
class BatchSummary:
    outcomes: tuple[Outcome, ...]

    @property
    def counts(self) -> dict[str, int]:
        counted = Counter(outcome.kind for outcome in self.outcomes)
        return {kind.value: counted.get(kind, 0) for kind in OutcomeKind}

    @property
    def failures(self) -> tuple[Outcome, ...]:
        return tuple(o for o in self.outcomes if o.kind is OutcomeKind.FAILED)

    @property
    def ok(self) -> bool:
        return not self.failures

    def to_json(self) -> dict:
        return {"counts": self.counts, "outcomes": [o.to_json() for o in self.outcomes]}

    @classmethod
    def from_json(cls, raw: dict) -> BatchSummary:
        return cls(outcomes=tuple(Outcome(**{**o, "kind": OutcomeKind(o["kind"])})
                                  for o in raw["outcomes"]))


def format_summary(summary: BatchSummary, *, seconds: float | None = None) -> str:
    """Counts on one line, then one line per failure with its reason."""
    counts = summary.counts
    took = f" in {seconds:.1f} s" if seconds is not None else ""
    lines = [f"{len(summary.outcomes)} call(s){took}: {counts['done']} done, "
             f"{counts['skipped']} skipped (already processed), {counts['failed']} failed"]
    lines += [f"  failed: {o.path}" + (f" [{o.call_id}]" if o.call_id else "") + f": {o.reason}"
              for o in summary.failures]
    return "\n".join(lines)


def merge(outcomes: Iterable[Outcome]) -> BatchSummary:
    return BatchSummary(outcomes=tuple(sorted(outcomes, key=lambda o: o.path)))
