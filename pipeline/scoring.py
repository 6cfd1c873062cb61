"""Per-skill scores (0-100) and an overall score for the agent on one call.

Each skill is the weighted mean of the parts that apply to the call, plus a few adjustments
in points, clamped to 0..100 and rounded. A check that is null (it cannot apply) is left out
of the mean, never counted as failed; a skill with no part that applies is not scored (None).
Only the agent's own behaviour moves a score: customer interruptions, customer raised voice,
abuse and threats are context, never a fault.

| skill | part (weight) | part score |
| --- | --- | --- |
| listening | agent interruptions (3) | 100 - 25 per interruption per 5 min of call (*) |
| | paraphrase_or_clarify (2) | met 100, not met 40 |
| | adjustment | +4 per agent backchannel (at most +12) |
| | adjustment | -50 x (agent talk share - 0.7) when the share is above 0.7 |
| empathy | empathy_statement (3) | met 100, not met 30 |
| | apology (2) | met 100, not met 50 |
| | adjustment | over_apology met: -10 |
| composure | agent raised voice (3) | 100 - 40 per agent raised-voice event |
| | dismissive_phrase (2) | met 20 (-10 per further quote), not met 100 |
| positive_language | negative_language (1) | met 40 (-10 per further quote), not met 100 |
| | blame_language (1) | met 20 (-10 per further quote), not met 100 |
| resolution | solution_offered (3) | met 100, not met 30 |
| | next_steps_set (2) | met 100, not met 40 |
| | closing_check (1) | met 100, not met 50 |
| | customer sentiment (2) | turned_around / stayed_positive 100, stayed_neutral 80, |
| | | stayed_negative 35, worsened 10; left out on not_enough_speech |
| professionalism | agent_introduction (2) | met 100, not met 40 |
| | customer_name_used (1) | met 100, not met 60 |
| | boundary under abuse (2) | 100, only when customer_abuse and agent_boundary_set are met |
| | escalation when asked (2) | when customer_escalation_request is met: |
| | | escalation_offered met 100, otherwise 30 |
| overall | scored skills | weighted mean: composure 1.5, resolution 1.5, the rest 1 |

(*) A call shorter than 5 minutes counts as 5 minutes. Part scores never go below 0.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from types import MappingProxyType
from typing import Mapping, Sequence

from pipeline.sentiment import SentimentTrajectory, Verdict
from pipeline.types import CheckResult, Event, EventType, PartyMetrics, Speaker

logger = logging.getLogger(__name__)

SKILLS = ("listening", "empathy", "composure", "positive_language", "resolution", "professionalism")
SKILL_WEIGHTS = MappingProxyType({"listening": 1.0, "empathy": 1.0, "composure": 1.5,
                                  "positive_language": 1.0, "resolution": 1.5, "professionalism": 1.0})
_SENTIMENT_SCORES = {Verdict.TURNED_AROUND: 100.0, Verdict.STAYED_POSITIVE: 100.0,
                     Verdict.STAYED_NEUTRAL: 80.0, Verdict.STAYED_NEGATIVE: 35.0,
                     Verdict.WORSENED: 10.0}


@dataclass(frozen=True, slots=True, kw_only=True)
class ScorePart:
    name: str  # a check id, or what was counted ("agent_interruptions")
    weight: float
    score: float  # 0..100


@dataclass(frozen=True, slots=True, kw_only=True)
class Adjustment:
    name: str
    points: float  # added to the weighted mean (negative lowers the score)


@dataclass(frozen=True, slots=True, kw_only=True)
class SkillScore:
    skill: str
    score: int | None  # None when no part applied to this call
    parts: tuple[ScorePart, ...]
    adjustments: tuple[Adjustment, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Scores:
    overall: int  # 0..100
    skills: Mapping[str, int | None]  # every skill in SKILLS
    details: Mapping[str, SkillScore]  # how each skill score was reached


def check_met(checks: Mapping[str, CheckResult], check_id: str) -> bool | None:
    """The check's ``met``; None when it is null or missing."""
    result = checks.get(check_id)
    return None if result is None else result.met


def agent_events(events: Sequence[Event], event_type: EventType) -> list[Event]:
    """Events of one type that the agent caused, in time order."""
    return sorted((e for e in events if e.type is event_type and e.speaker is Speaker.AGENT),
                  key=lambda e: e.start_s)


def _check_part(checks: Mapping[str, CheckResult], check_id: str, *, weight: float,
                met: float, not_met: float, per_extra_quote: float = 0.0) -> list[ScorePart]:
    """A part scored from one check; no part at all when the check is null."""
    state = check_met(checks, check_id)
    if state is None:
        return []
    extra = max(len(checks[check_id].evidence) - 1, 0) if state else 0
    score = max((met if state else not_met) - per_extra_quote * extra, 0.0)
    return [ScorePart(name=check_id, weight=weight, score=score)]


def _listening(events, checks, metrics, duration_s) -> tuple[list[ScorePart], list[Adjustment]]:
    per_5_min = max(duration_s / 300.0, 1.0)
    rate = len(agent_events(events, EventType.INTERRUPTION)) / per_5_min
    parts = [ScorePart(name="agent_interruptions", weight=3.0, score=max(100.0 - 25.0 * rate, 0.0))]
    parts += _check_part(checks, "paraphrase_or_clarify", weight=2.0, met=100.0, not_met=40.0)
    adjustments = []
    backchannels = len(agent_events(events, EventType.BACKCHANNEL))
    if backchannels:
        adjustments.append(Adjustment(name="agent_backchannels", points=min(4.0 * backchannels, 12.0)))
    agent = (metrics or {}).get(Speaker.AGENT)
    if agent is not None and agent.talk_share > 0.7:
        adjustments.append(Adjustment(name="agent_talk_share", points=-50.0 * (agent.talk_share - 0.7)))
    return parts, adjustments


def _empathy(checks) -> tuple[list[ScorePart], list[Adjustment]]:
    parts = (_check_part(checks, "empathy_statement", weight=3.0, met=100.0, not_met=30.0)
             + _check_part(checks, "apology", weight=2.0, met=100.0, not_met=50.0))
    over = [Adjustment(name="over_apology", points=-10.0)] if check_met(checks, "over_apology") else []
    return parts, over


def _composure(events, checks) -> tuple[list[ScorePart], list[Adjustment]]:
    raised = len(agent_events(events, EventType.RAISED_VOICE))
    parts = [ScorePart(name="agent_raised_voice", weight=3.0, score=max(100.0 - 40.0 * raised, 0.0))]
    parts += _check_part(checks, "dismissive_phrase", weight=2.0, met=20.0, not_met=100.0,
                         per_extra_quote=10.0)
    return parts, []


def _positive_language(checks) -> tuple[list[ScorePart], list[Adjustment]]:
    return (_check_part(checks, "negative_language", weight=1.0, met=40.0, not_met=100.0,
                        per_extra_quote=10.0)
            + _check_part(checks, "blame_language", weight=1.0, met=20.0, not_met=100.0,
                          per_extra_quote=10.0)), []


def _resolution(checks, trajectory) -> tuple[list[ScorePart], list[Adjustment]]:
    parts = (_check_part(checks, "solution_offered", weight=3.0, met=100.0, not_met=30.0)
             + _check_part(checks, "next_steps_set", weight=2.0, met=100.0, not_met=40.0)
             + _check_part(checks, "closing_check", weight=1.0, met=100.0, not_met=50.0))
    if trajectory is not None and trajectory.verdict in _SENTIMENT_SCORES:
        parts.append(ScorePart(name=f"customer_sentiment_{trajectory.verdict}", weight=2.0,
                               score=_SENTIMENT_SCORES[trajectory.verdict]))
    return parts, []


def _professionalism(checks) -> tuple[list[ScorePart], list[Adjustment]]:
    parts = (_check_part(checks, "agent_introduction", weight=2.0, met=100.0, not_met=40.0)
             + _check_part(checks, "customer_name_used", weight=1.0, met=100.0, not_met=60.0))
    # Abuse is the customer's doing: a boundary earns credit, its absence costs nothing.
    if check_met(checks, "customer_abuse") and check_met(checks, "agent_boundary_set"):
        parts.append(ScorePart(name="agent_boundary_set", weight=2.0, score=100.0))
    if check_met(checks, "customer_escalation_request"):
        offered = check_met(checks, "escalation_offered")
        parts.append(ScorePart(name="escalation_offered", weight=2.0, score=100.0 if offered else 30.0))
    return parts, []


def combine(skill: str, parts: Sequence[ScorePart], adjustments: Sequence[Adjustment]) -> SkillScore:
    """Weighted mean of ``parts`` plus ``adjustments``, clamped to 0..100 and rounded."""
    total_weight = sum(p.weight for p in parts)
    score = None
    if total_weight > 0:
        mean = sum(p.weight * p.score for p in parts) / total_weight
        score = int(round(min(max(mean + sum(a.points for a in adjustments), 0.0), 100.0)))
    return SkillScore(skill=skill, score=score, parts=tuple(parts), adjustments=tuple(adjustments))


def score_call(
    events: Sequence[Event],
    checks: Mapping[str, CheckResult],
    *,
    duration_s: float,
    metrics: Mapping[Speaker, PartyMetrics] | None = None,
    trajectory: SentimentTrajectory | None = None,
) -> Scores:
    """Score the agent on one call (see the module docstring for the formula)."""
    built = {
        "listening": _listening(events, checks, metrics, duration_s),
        "empathy": _empathy(checks),
        "composure": _composure(events, checks),
        "positive_language": _positive_language(checks),
        "resolution": _resolution(checks, trajectory),
        "professionalism": _professionalism(checks),
    }
    details = {skill: combine(skill, *built[skill]) for skill in SKILLS}
    scored = {s: d.score for s, d in details.items() if d.score is not None}
    weight = sum(SKILL_WEIGHTS[s] for s in scored)
    # Listening and composure always have a part, so at least two skills are scored.
    overall = int(round(sum(SKILL_WEIGHTS[s] * v for s, v in scored.items()) / weight))
    logger.debug("scores: overall %d, skills %s", overall, scored)
    return Scores(overall=overall,
                  skills=MappingProxyType({s: d.score for s, d in details.items()}),
                  details=MappingProxyType(details))
