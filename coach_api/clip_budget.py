"""How much of a call a trainer may hear: short clips, and only a share of each call.

Trainers pull example clips; they must never be able to put a whole recording back together
from them. So a trainer's clip is the finding's span with at most :data:`TRAINER_MAX_PAD_S`
each side, no longer than :data:`TRAINER_MAX_CLIP_S`; and of a call's findings only those
whose windows together stay inside the call's budget (a quarter of the call, at least one
clip's worth, at most :data:`TRAINER_CALL_MAX_S`) can be clipped. The budget is decided from
the report alone, in the report's order, so it holds across requests, processes and restarts
without remembering who asked for what.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from coach_api.clips import ClipWindow, clip_window
from coach_api.errors import PermissionDeniedError

TRAINER_MAX_PAD_S = 2.0
TRAINER_MAX_CLIP_S = 20.0
TRAINER_CALL_SHARE = 0.25
TRAINER_CALL_MAX_S = 120.0


def finding_spans(report: Mapping[str, Any]) -> Iterator[tuple[str, float, float]]:
    """``(finding_id, start_s, end_s)`` of every event, then every evidenced check."""
    for event in report.get("events") or ():
        yield str(event.get("id")), float(event["start"]), float(event["end"])
    for check_id, check in (report.get("checks") or {}).items():
        evidence = (check or {}).get("evidence") or ()
        if evidence and evidence[0].get("start") is not None:
            start_s = float(evidence[0]["start"])
            yield check_id, start_s, float(evidence[0].get("end") or start_s)


def trainer_window(start_s: float, end_s: float, *, pad_s: float,
                   duration_s: float) -> ClipWindow:
    """The finding's window for a trainer: padding capped, length capped from its start."""
    pad_s = min(pad_s, TRAINER_MAX_PAD_S)
    window = clip_window(start_s, end_s, pad_s=pad_s, duration_s=duration_s)
    return ClipWindow(start_s=window.start_s,
                      end_s=min(window.end_s, window.start_s + TRAINER_MAX_CLIP_S))


def call_budget_s(duration_s: float) -> float:
    return min(TRAINER_CALL_MAX_S, max(TRAINER_MAX_CLIP_S, TRAINER_CALL_SHARE * duration_s))


def trainer_clippable(report: Mapping[str, Any], *, duration_s: float) -> frozenset[str]:
    """The findings a trainer may clip: each in turn while the union of their windows (at
    the largest padding) stays inside the call's budget."""
    budget_s = call_budget_s(duration_s)
    heard: list[tuple[float, float]] = []
    allowed = set()
    for finding_id, start_s, end_s in finding_spans(report):
        window = trainer_window(start_s, end_s, pad_s=TRAINER_MAX_PAD_S, duration_s=duration_s)
        more = [*heard, (window.start_s, window.end_s)]
        if covered_s(more) <= budget_s + 1e-6:
            heard = more
            allowed.add(finding_id)
    return frozenset(allowed)


def covered_s(windows: list[tuple[float, float]]) -> float:
    """Seconds of the call inside at least one of ``windows``."""
    total_s, reach_s = 0.0, float("-inf")
    for start_s, end_s in sorted(windows):
        if end_s > reach_s:
            total_s += end_s - max(start_s, reach_s)
            reach_s = end_s
    return total_s


def require_trainer_clip(report: Mapping[str, Any], finding_id: str, *,
                         duration_s: float) -> None:
    """403 when a trainer's clips of this call would pass its budget with this finding."""
    if finding_id not in trainer_clippable(report, duration_s=duration_s):
        raise PermissionDeniedError(
            f"trainers may hear at most {call_budget_s(duration_s):.0f} s of a call in clips, "
            f"and finding {finding_id!r} is past that share; ask a supervisor of the call's team")
