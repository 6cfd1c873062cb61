"""Assess a transcribed call: rubric checks, sentiment, personal data, scores, flags, coaching.

Each piece lives in its own module; this one runs them in the order their inputs need and
bundles the results for the report.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Mapping

from pipeline.checks import run_checks
from pipeline.coaching import CoachingItem, coach
from pipeline.flags import Flag, flag_call, review_priority
from pipeline.redaction import Redaction, find_redactions
from pipeline.rubric import Rubric
from pipeline.scoring import Scores, score_call
from pipeline.sentiment import (
    SentimentTrajectory,
    UtteranceSentiment,
    customer_trajectory,
    score_utterances,
)
from pipeline.types import Acoustics, CallMetadata, CheckResult, Utterance

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class Assessment:
    checks: Mapping[str, CheckResult]
    sentiment: tuple[UtteranceSentiment, ...]  # one per utterance, in transcript order
    trajectory: SentimentTrajectory
    redactions: tuple[Redaction, ...]
    scores: Scores
    flags: tuple[Flag, ...]
    review_priority: float
    coaching: tuple[CoachingItem, ...]
    rubric: Rubric


def assess(acoustics: Acoustics, transcript: tuple[Utterance, ...], metadata: CallMetadata, *,
           rubric: Rubric, duration_s: float) -> Assessment:
    """Everything the report says about the agent's words and the customer's mood."""
    checks = run_checks(transcript, rubric, customer_name=metadata.customer_name)
    sentiment = score_utterances(transcript)
    trajectory = customer_trajectory(sentiment, duration_s=duration_s)
    scores = score_call(acoustics.events, checks, duration_s=duration_s,
                        metrics=acoustics.party_metrics, trajectory=trajectory)
    flags = flag_call(acoustics.events, checks, trajectory=trajectory)
    logger.info("assessed: overall %s, %d flags, customer %s", scores.overall, len(flags),
                trajectory.verdict)
    return Assessment(
        checks=checks,
        sentiment=sentiment,
        trajectory=trajectory,
        redactions=find_redactions(transcript),
        scores=scores,
        flags=flags,
        review_priority=review_priority(flags, scores),
        coaching=coach(acoustics.events, checks, trajectory=trajectory),
        rubric=rubric,
    )
