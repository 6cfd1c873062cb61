"""An agent's week-by-week trends, from the current reports of their calls."""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Iterable
from dataclasses import dataclass

from pipeline.call_report import CallReport, Polarity


@dataclass(frozen=True, slots=True, kw_only=True)
class WeekTrend:
    week_start: dt.date  # the Monday
    calls: int
    mean_score: float | None
    interruptions_per_call: float
    raised_voices_per_call: float
    checks_met_share: float | None  # of the agent's applicable goal checks
    skill_scores: dict[str, float]  # mean per skill over the week's calls that score it


def week_start(when: dt.datetime) -> dt.date:
    day = when.date()
    return day - dt.timedelta(days=day.weekday())


def _agent_events(report: CallReport, event_type: str) -> int:
    return sum(1 for event in report.events
               if event.type == event_type and event.speaker == "agent")


def _goal_checks(report: CallReport) -> tuple[int, int]:
    """(met, applicable) over the agent's goal checks; skipped checks are not applicable.
    Checks the agent should avoid, and the customer's checks, are not the agent's goals."""
    results = [outcome.met for outcome in report.checks.values()
               if outcome.polarity not in (Polarity.AVOID, Polarity.CUSTOMER)]
    applicable = [met for met in results if met is not None]
    return sum(1 for met in applicable if met), len(applicable)


def _score(report: CallReport) -> float | None:
    value = report.scores.overall
    return float(value) if value is not None else None


def _skill_means(reports: list[CallReport]) -> dict[str, float]:
    scored: dict[str, list[float]] = {}
    for report in reports:
        for skill, value in report.scores.skills.items():
            if value is not None:
                scored.setdefault(skill, []).append(float(value))
    return {skill: round(statistics.fmean(values), 1) for skill, values in sorted(scored.items())}


def weekly_trends(calls: Iterable[tuple[dt.datetime, CallReport]]) -> list[WeekTrend]:
    """One row per week with calls, from ``(call start, report)`` pairs; oldest week first."""
    weeks: dict[dt.date, list[CallReport]] = {}
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
            checks_met_share=round(met / applicable, 3) if applicable else None,
            skill_scores=_skill_means(reports)))
    return rows
