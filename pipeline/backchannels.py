"""Use the words of short overlapping speech to tell a backchannel from a bid for the floor.

Timing alone cannot separate "mm-hmm, right" from "no, wait" when both are short. Once the
transcript exists, the words decide: overlapping speech made only of acknowledgement tokens is
a backchannel (active listening, credited), while anything else that overlaps long enough is
an interruption (DESIGN.md, "Backchannel" and "Interruption").
"""

from __future__ import annotations

import dataclasses
import re
from types import MappingProxyType

from pipeline.config import TurnConfig
from pipeline.events import number_events
from pipeline.types import Event, EventType, Speaker, Utterance, Word

# Acknowledgements that do not take the floor, after lower-casing and dropping punctuation.
# Whisper writes the same sound several ways ("mm-hmm", "mhm", "mm hmm", "hmm").
ACKNOWLEDGEMENTS = frozenset({
    "mm", "mmm", "hmm", "mhm", "mmhmm", "mmhm", "hm", "uhhuh", "uh", "huh", "um", "ah", "oh",
    "yeah", "yes", "yep", "yup", "right", "okay", "ok", "sure", "alright", "true", "exactly",
    "indeed", "understood", "gotcha", "cool",
})
# Multi-word acknowledgements must appear whole: "i", "see", "go", "on" alone mean nothing.
ACKNOWLEDGEMENT_PHRASES = ("i see", "got it", "go on", "all right")
WORD_SLACK_S = 0.25  # Whisper's word times can start slightly before the VAD onset


def refine_with_words(events: tuple[Event, ...], transcript: tuple[Utterance, ...], *,
                      config: TurnConfig) -> tuple[Event, ...]:
    """Re-decide short overlaps from their words; other events pass through unchanged."""
    refined = []
    for event in events:
        if event.type in (EventType.INTERRUPTION, EventType.BACKCHANNEL) and event.speaker:
            words = overlapping_words(transcript, event)
            event = _decide(event, words, config=config) if words else event
        if event is not None:
            refined.append(event)
    return number_events(refined)


def overlapping_words(transcript: tuple[Utterance, ...], event: Event) -> tuple[Word, ...]:
    """The entrant's words spoken during the entrant's run that started the event."""
    run_end_s = event.start_s + float(event.details.get("run_s", event.end_s - event.start_s))
    return tuple(word for utterance in transcript if utterance.speaker is event.speaker
                 for word in utterance.words
                 if event.start_s - WORD_SLACK_S <= word.start_s < run_end_s + WORD_SLACK_S)


def is_acknowledgement(words: tuple[Word, ...]) -> bool:
    """True when the words are only acknowledgement tokens ("mm-hmm", "yeah, right", "I see")."""
    text = " ".join(_token(word.word) for word in words).strip()
    for phrase in ACKNOWLEDGEMENT_PHRASES:
        text = text.replace(phrase, "")
    tokens = [token for token in text.split() if token]
    return all(token in ACKNOWLEDGEMENTS for token in tokens)


def _decide(event: Event, words: tuple[Word, ...], *, config: TurnConfig) -> Event | None:
    spoken = " ".join(word.word.strip() for word in words)
    run_s = float(event.details.get("run_s", event.end_s - event.start_s))
    overlap_s = float(event.details["overlap_s"])
    other = event.speaker.other if isinstance(event.speaker, Speaker) else None
    if is_acknowledgement(words):
        if event.type is EventType.BACKCHANNEL or run_s <= 2 * config.backchannel_max_s:
            return _as_backchannel(event, other, run_s=run_s, overlap_s=overlap_s, spoken=spoken)
        return event  # a long stream of "yeah"s that holds the floor stays an interruption
    if event.type is EventType.BACKCHANNEL:
        if overlap_s > config.interruption_min_overlap_s:
            return _as_interruption(event, other, run_s=run_s, overlap_s=overlap_s, spoken=spoken)
        return None  # a short real word inside the other's turn: neither credit nor fault
    return dataclasses.replace(event, details=MappingProxyType({**event.details, "words": spoken}))


def _as_backchannel(event: Event, other: Speaker, *, run_s: float, overlap_s: float,
                    spoken: str) -> Event:
    return dataclasses.replace(event, type=EventType.BACKCHANNEL, end_s=round(event.start_s + run_s, 3),
                               details=MappingProxyType({
                                   "during_turn_of": other.value, "overlap_s": overlap_s,
                                   "run_s": round(run_s, 3), "words": spoken,
                                   "decided_by": "words"}))


def _as_interruption(event: Event, other: Speaker, *, run_s: float, overlap_s: float,
                     spoken: str) -> Event:
    return dataclasses.replace(event, type=EventType.INTERRUPTION,
                               end_s=round(event.start_s + overlap_s, 3),
                               details=MappingProxyType({
                                   "interrupted": other.value, "overlap_s": overlap_s,
                                   "yielded": False, "run_s": round(run_s, 3), "words": spoken,
                                   "decided_by": "words"}))


def _token(word: str) -> str:
    """Lower-case and strip punctuation and hyphens: "Mm-hmm." -> "mmhmm"."""
    return re.sub(r"[^a-z ]", "", word.lower()).strip()
