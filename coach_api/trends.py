"""An agent's week-by-week trends, from the current reports of their calls."""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

# Checks that are "met" when the agent did something to avoid, or that the customer did;
# neither counts towards the agent's share of checks met (DESIGN.md, transcript checks).
NOT_AGENT_GOALS = frozenset({"negative_language", "blame_language", "dismissive_phrase",
                             "over_apology", "customer_escalation_request", "customer_abuse",
                             "customer_threat"})


@dataclass(frozen=True, slots=True, kw_only=True)
class WeekTrend:
    week_start: dt.date  # the Monday
    calls: int
    mean_score: float | None
    interruptions_per_call: float
    raised_voices_per_call: float
    checks_met_share: float | None  # of the agent's applicable goal checks


def week_start(when: dt.datetime) -> dt.date:
    day = when.date()
    return day - dt.timedelta(days=day.weekday())


def _agent_events(report: Mapping[str, Any], event_type: str) -> int:
    return sum(1 for event in report.get("events") or ()
               if event.get("type") == event_type and event.get("speaker") == "agent")


def _goal_checks(report: Mapping[str, Any]) -> tuple[int, int]:
    """(met, applicable) over the agent's goal checks; skipped checks are not applicable."""
    results = [result.get("met") for check_id, result in (report.get("checks") or {}).items()
               if check_id not in NOT_AGENT_GOALS and isinstance(result, Mapping)]
    applicable = [met for met in results if met is not None]
    return sum(1 for met in applicable if met), len(applicable)


def _score(report: Mapping[str, Any]) -> float | None:
    value = (report.get("scores") or {}).get("overall")
    return float(value) if isinstance(value, (int, float)) else None


def weekly_trends(calls: Iterable[tuple[dt.datetime, Mapping[str, Any]]]) -> list[WeekTrend]:
    """One row per week with calls, from ``(call start, report)`` pairs; oldest week first."""
    weeks: dict[dt.date, list[Mapping[str, Any]]] = {}
    for started_at, report in calls:
        weeks.setdefault(week_start(started_at), []).append(report)
    rows = []
    for monday in sorted(weeks):
        reports = weeks[monday]
        scores = [score for report in reports if (score := _score(report)) is not None]
        met, applicable = map(sum, zip(*(_goal_checks(report) for report in reports)))
        rows.append(WeekTrend(
            week_start=monday, calls=len(reports),
            mean_score=round(statistics.fmean(scores), 1) if scores else None,
            interruptions_per_call=round(sum(_agent_events(r, "interruption") for r in reports)
                                         / len(reports), 2),
            raised_voices_per_call=round(sum(_agent_events(r, "raised_voice") for r in reports)
                                         / len(reports), 2),
            checks_met_share=round(met / applicable, 3) if applicable else None))
    return rows
