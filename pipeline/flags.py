"""Flags that put a call in front of a supervisor, and the call's place in the review queue.

| flag | severity |
| --- | --- |
| agent raised their voice | high when sustained (two stretches, or one of 3 s or more); medium for one short loud phrase |
| agent interrupted the customer | medium from 2 interruptions, high from 4 |
| agent used dismissive or blaming language | medium; high when both kinds, or 3 or more quotes |
| customer was abusive | high (the agent's welfare, not a fault of theirs) |
| customer asked for a manager | medium |
| upset customer not turned around | medium when they stayed negative, high when they got worse |
| customer threatened to leave, cancel, sue or go public | low |

The review priority is the sum of the flags' severity weights (high 10, medium 4, low 1) plus
a tenth of the points the call lost from 100 overall, so with equal flags the weaker call
comes first.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

from pipeline.call_report import FlagKind, Severity
from pipeline.scoring import Scores, agent_events, check_met
from pipeline.sentiment import SentimentTrajectory, Verdict
from pipeline.types import CheckResult, Event, EventType, Speaker

SUSTAINED_RAISED_S = 3.0  # one raised stretch this long is as serious as two


@dataclass(frozen=True, slots=True, kw_only=True)
class Flag:
    reason: str
    severity: Severity
    event_ids: tuple[str, ...] = ()
    check_ids: tuple[str, ...] = ()
    kind: FlagKind | None = None


def _times(count: int) -> str:
    return "once" if count == 1 else f"{count} times"


def _agent_flags(events: Sequence[Event], checks: Mapping[str, CheckResult]) -> list[Flag]:
    flags = []
    raised = agent_events(events, EventType.RAISED_VOICE)
    if raised:
        flags.append(Flag(kind=FlagKind.AGENT_RAISED_VOICE,
                          reason=f"Agent raised their voice ({_times(len(raised))})",
                          severity=_raised_voice_severity(raised),
                          event_ids=tuple(e.id for e in raised)))
    interruptions = agent_events(events, EventType.INTERRUPTION)
    if len(interruptions) >= 2:
        flags.append(Flag(kind=FlagKind.AGENT_INTERRUPTIONS,
                          reason=f"Agent interrupted the customer {len(interruptions)} times",
                          severity=Severity.HIGH if len(interruptions) >= 4 else Severity.MEDIUM,
                          event_ids=tuple(e.id for e in interruptions)))
    harsh = [c for c in ("dismissive_phrase", "blame_language") if check_met(checks, c)]
    if harsh:
        quotes = sum(len(checks[c].evidence) for c in harsh)
        flags.append(Flag(kind=FlagKind.AGENT_HARSH_LANGUAGE,
                          reason="Agent used dismissive or blaming language",
                          severity=Severity.HIGH if len(harsh) == 2 or quotes >= 3 else Severity.MEDIUM,
                          check_ids=tuple(harsh)))
    return flags


def _raised_voice_severity(raised: Sequence[Event]) -> Severity:
    """Severity follows the evidence: one short loud phrase can be a burst of enthusiasm or a
    noisy line; a voice raised twice, or held raised, is a call a supervisor must hear."""
    sustained = len(raised) >= 2 or raised[0].end_s - raised[0].start_s >= SUSTAINED_RAISED_S
    return Severity.HIGH if sustained else Severity.MEDIUM


def _customer_flags(events: Sequence[Event], checks: Mapping[str, CheckResult],
                    trajectory: SentimentTrajectory | None) -> list[Flag]:
    flags = []
    customer_raised = tuple(e.id for e in events
                            if e.type is EventType.RAISED_VOICE and e.speaker is Speaker.CUSTOMER)
    if check_met(checks, "customer_abuse"):
        flags.append(Flag(kind=FlagKind.CUSTOMER_ABUSE,
                          reason="Customer was abusive: check in with the agent",
                          severity=Severity.HIGH, event_ids=customer_raised,
                          check_ids=("customer_abuse",)))
    if check_met(checks, "customer_escalation_request"):
        offered = check_met(checks, "escalation_offered")
        flags.append(Flag(
            kind=FlagKind.ESCALATION_REQUEST,
            reason="Customer asked for a manager" + ("" if offered else " and no escalation was offered"),
            severity=Severity.MEDIUM,
            check_ids=("customer_escalation_request",) + (("escalation_offered",) if offered else ())))
    if trajectory is not None and trajectory.verdict in (Verdict.STAYED_NEGATIVE, Verdict.WORSENED) \
            and (trajectory.started_negative or trajectory.verdict is Verdict.WORSENED):
        worse = trajectory.verdict is Verdict.WORSENED
        flags.append(Flag(kind=FlagKind.CUSTOMER_UPSET,
                          reason="Customer ended the call more upset than they began" if worse
                          else "Upset customer was not turned around",
                          severity=Severity.HIGH if worse else Severity.MEDIUM,
                          event_ids=customer_raised))
    if check_met(checks, "customer_threat"):
        flags.append(Flag(kind=FlagKind.CUSTOMER_THREAT,
                          reason="Customer threatened to leave, cancel or complain publicly",
                          severity=Severity.LOW, check_ids=("customer_threat",)))
    return flags


def flag_call(events: Sequence[Event], checks: Mapping[str, CheckResult], *,
              trajectory: SentimentTrajectory | None = None) -> tuple[Flag, ...]:
    """Every flag the call raises, most severe first (ties keep the table's order)."""
    flags = _agent_flags(events, checks) + _customer_flags(events, checks, trajectory)
    return tuple(sorted(flags, key=lambda f: -f.severity.weight))


def review_priority(flags: Sequence[Flag], scores: Scores | None = None) -> float:
    """Higher is reviewed sooner; 0 for an unflagged call that scored 100."""
    lost = 0.0 if scores is None else (100 - scores.overall) / 10.0
    return round(sum(f.severity.weight for f in flags) + lost, 2)
