"""Sentiment of each utterance, and whether the customer's mood improved over the call.

VADER (a lexicon-and-rules model, Hutto & Gilbert 2014) gives each utterance a compound score
in [-1, 1]. It needs no network and no training, and it still reads lowercase ASR text without
punctuation: the lexicon carries most of the signal; capitals and "!" only intensify it.
``CALL_LEXICON`` adapts the lexicon to phone speech. Lexical sentiment still misses polite or
factual anger ("you took the payment twice"), so it is one weak signal among several.

The customer's trajectory compares the mean compound of the customer's speech in the first
third of the call with the last third. The mean is weighted by word count so a one-word
"okay" (VADER scores it +0.30) cannot outweigh a sentence of complaint.
"""

from __future__ import annotations

import enum
import functools
import logging
from dataclasses import dataclass
from typing import Iterable, Sequence

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from pipeline.types import Speaker, Utterance

logger = logging.getLogger(__name__)


class Verdict(enum.StrEnum):
    TURNED_AROUND = "turned_around"  # started negative, ended neutral or positive
    STAYED_NEGATIVE = "stayed_negative"
    WORSENED = "worsened"  # ended negative after a non-negative start, or fell sharply
    STAYED_POSITIVE = "stayed_positive"  # never negative, ended positive
    STAYED_NEUTRAL = "stayed_neutral"  # never negative, ended neutral
    NOT_ENOUGH_SPEECH = "not_enough_speech"


@dataclass(frozen=True, slots=True, kw_only=True)
class SentimentConfig:
    negative_below: float = -0.05  # VADER's own cut-offs for a negative / positive compound
    positive_above: float = 0.05
    min_words_per_third: int = 3  # fewer customer words than this in a third: no verdict
    worsened_delta: float = -0.3  # a negative start that falls this much more has worsened


@dataclass(frozen=True, slots=True, kw_only=True)
class UtteranceSentiment:
    speaker: Speaker
    start_s: float
    end_s: float
    word_count: int
    compound: float  # VADER compound, -1 (most negative) .. 1 (most positive)


@dataclass(frozen=True, slots=True, kw_only=True)
class SentimentTrajectory:
    """The customer's mood at the start and end of the call (compound means, -1..1)."""

    start_compound: float | None  # None when the first third holds too little customer speech
    end_compound: float | None
    delta: float | None  # end - start
    start_word_count: int
    end_word_count: int
    started_negative: bool  # the first third was below ``negative_below``
    verdict: Verdict


# VADER was built on social-media text. On the phone these words are mostly turn-taking and
# politeness ("yes", "okay", "I'd like to", "can you help"), not mood, so they carry no valence;
# a few billing-complaint words the lexicon lacks get one (VADER's -4..4 scale).
CALL_LEXICON = {
    **dict.fromkeys(("yes", "yeah", "no", "please", "okay", "ok", "alright", "like", "sure",
                     "well", "help", "kind", "promised", "want"), 0.0),
    "bounced": -1.5, "overcharged": -2.0, "nobody": -0.8,
}


@functools.cache
def get_analyzer() -> SentimentIntensityAnalyzer:
    """The one VADER analyser of this process, with ``CALL_LEXICON`` applied (~0.1 s to load)."""
    logger.debug("loading the VADER lexicon")
    analyzer = SentimentIntensityAnalyzer()
    analyzer.lexicon.update(CALL_LEXICON)
    return analyzer


def score_text(text: str) -> float:
    """VADER compound score of ``text`` in [-1, 1]; 0.0 for empty text."""
    if not text.strip():
        return 0.0
    return float(get_analyzer().polarity_scores(text)["compound"])


def _word_count(utterance: Utterance) -> int:
    return len(utterance.words) if utterance.words else len(utterance.text.split())


def score_utterances(utterances: Iterable[Utterance]) -> tuple[UtteranceSentiment, ...]:
    """One compound score per utterance, in the order given."""
    return tuple(
        UtteranceSentiment(speaker=u.speaker, start_s=u.start_s, end_s=u.end_s,
                           word_count=_word_count(u), compound=score_text(u.text))
        for u in utterances
    )


def _weighted_mean(scored: Sequence[UtteranceSentiment]) -> tuple[float | None, int]:
    """Word-weighted mean compound and the number of words behind it."""
    words = sum(s.word_count for s in scored)
    if words == 0:
        return None, 0
    return sum(s.compound * s.word_count for s in scored) / words, words


def classify(start: float, end: float, *, config: SentimentConfig = SentimentConfig()) -> Verdict:
    """The verdict for a start and end compound mean (both -1..1)."""
    started_negative = start < config.negative_below
    ended_negative = end < config.negative_below
    if started_negative and not ended_negative:
        return Verdict.TURNED_AROUND
    if started_negative:
        return Verdict.WORSENED if end - start <= config.worsened_delta else Verdict.STAYED_NEGATIVE
    if ended_negative:
        return Verdict.WORSENED
    return Verdict.STAYED_POSITIVE if end > config.positive_above else Verdict.STAYED_NEUTRAL


def customer_trajectory(
    scored: Sequence[UtteranceSentiment],
    *,
    duration_s: float | None = None,
    config: SentimentConfig = SentimentConfig(),
) -> SentimentTrajectory:
    """Compare the customer's first third of the call with the last third.

    An utterance belongs to the third that holds its midpoint. ``duration_s`` is the call
    length; without it the span from the first to the last utterance is used.
    """
    customer = [s for s in scored if s.speaker is Speaker.CUSTOMER]
    if duration_s is None:
        call_start_s = min((s.start_s for s in scored), default=0.0)
        call_end_s = max((s.end_s for s in scored), default=0.0)
    else:
        call_start_s, call_end_s = 0.0, duration_s
    third_s = (call_end_s - call_start_s) / 3.0
    mid = [((s.start_s + s.end_s) / 2.0, s) for s in customer]
    first = [s for m, s in mid if m < call_start_s + third_s]
    last = [s for m, s in mid if m >= call_end_s - third_s]
    start, start_words = _weighted_mean(first)
    end, end_words = _weighted_mean(last)
    enough = min(start_words, end_words) >= config.min_words_per_third and third_s > 0
    if not enough or start is None or end is None:
        verdict = Verdict.NOT_ENOUGH_SPEECH
    else:
        verdict = classify(start, end, config=config)
    return SentimentTrajectory(
        start_compound=start, end_compound=end,
        delta=None if start is None or end is None else end - start,
        start_word_count=start_words, end_word_count=end_words,
        started_negative=start is not None and start < config.negative_below, verdict=verdict,
    )
