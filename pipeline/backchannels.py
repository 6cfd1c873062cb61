"""Use the words of short overlapping speech to tell a backchannel from a bid for the floor.

Timing alone cannot separate "mm-hmm, right" from "no, wait" when both are short. Once the
transcript exists, the words decide: overlapping speech made only of acknowledgement tokens is
a backchannel (active listening, credited), while anything else that overlaps long enough is
an interruption (DESIGN.md, "Backchannel" and "Interruption").

But words are only as good as Whisper's hearing of them, and a half-second murmur is where it
hears worst: tiny.en writes "mm-hmm" under a louder voice as "in my mom" or "remember", with
low confidence. So the words overrule the timing only when they are clear: content words heard
with at least ``min_word_probability`` on average, or any number ("2019", "42": never an
acknowledgement). Murmured words leave a short run inside the other's turn a backchannel. A
short echo of the other party's own words ("the fourteenth") that does not take the floor is
a backchannel too.
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
ECHO_LOOKBACK_S = 3.0  # an echo repeats what the other party said this recently


def refine_with_words(events: tuple[Event, ...], transcript: tuple[Utterance, ...], *,
                      config: TurnConfig) -> tuple[Event, ...]:
    """Re-decide short overlaps from their words; other events pass through unchanged."""
    refined = []
    for event in events:
        if event.type in (EventType.INTERRUPTION, EventType.BACKCHANNEL) and event.speaker:
            words = overlapping_words(transcript, event)
            event = _decide(event, words, _held_words(transcript, event), config=config) \
                if words else event
        if event is not None:
            refined.append(event)
    return number_events(refined)


def overlapping_words(transcript: tuple[Utterance, ...], event: Event) -> tuple[Word, ...]:
    """The entrant's words spoken during the entrant's run that started the event."""
    run_end_s = event.start_s + _run_s(event)
    return tuple(word for utterance in transcript if utterance.speaker is event.speaker
                 for word in utterance.words
                 if event.start_s - WORD_SLACK_S <= word.start_s < run_end_s + WORD_SLACK_S)


def is_acknowledgement(words: tuple[Word, ...]) -> bool:
    """True when the words are only acknowledgement tokens ("mm-hmm", "yeah, right", "I see")."""
    return not content_tokens(words)


def content_tokens(words: tuple[Word, ...]) -> list[tuple[str, float]]:
    """The tokens that are not acknowledgements, with their word's probability."""
    tokens = [(token, word.probability) for word in words for token in _token(word.word).split()]
    spoken = [token for token, _ in tokens]
    acknowledged = [token in ACKNOWLEDGEMENTS for token in spoken]
    for phrase in ACKNOWLEDGEMENT_PHRASES:  # only whole phrases: "i" or "see" alone is content
        parts = phrase.split()
        for start in range(len(spoken) - len(parts) + 1):
            if spoken[start: start + len(parts)] == parts:
                acknowledged[start: start + len(parts)] = [True] * len(parts)
    return [pair for pair, known in zip(tokens, acknowledged) if not known]


def clearly_heard(content: list[tuple[str, float]], *, min_probability: float) -> bool:
    """Content words strong enough to overrule the timing: any number, or a confident mean."""
    if any(any(ch.isdigit() for ch in token) for token, _ in content):
        return True
    return bool(content) and sum(p for _, p in content) / len(content) >= min_probability


def _decide(event: Event, words: tuple[Word, ...], held: set[str], *,
            config: TurnConfig) -> Event | None:
    spoken = " ".join(word.word.strip() for word in words)
    run_s = _run_s(event)
    overlap_s = float(event.details["overlap_s"])
    other = event.speaker.other if isinstance(event.speaker, Speaker) else None
    content = content_tokens(words)
    if not content:
        if event.type is EventType.BACKCHANNEL or run_s <= 2 * config.backchannel_max_s:
            return _as_backchannel(event, other, run_s=run_s, overlap_s=overlap_s, spoken=spoken,
                                   decided_by="words")
        return event  # a long stream of "yeah"s that holds the floor stays an interruption
    if event.type is EventType.BACKCHANNEL:
        if _echoes(content, held):
            return _as_backchannel(event, other, run_s=run_s, overlap_s=overlap_s, spoken=spoken,
                                   decided_by="echo")
        if not clearly_heard(content, min_probability=config.min_word_probability):
            return _as_backchannel(event, other, run_s=run_s, overlap_s=overlap_s, spoken=spoken,
                                   decided_by="timing")
        if overlap_s > config.interruption_min_overlap_s:
            return _as_interruption(event, other, run_s=run_s, overlap_s=overlap_s, spoken=spoken)
        return None  # a short real word inside the other's turn: neither credit nor fault
    return dataclasses.replace(event, details=MappingProxyType({**event.details, "words": spoken}))


def _echoes(content: list[tuple[str, float]], held: set[str]) -> bool:
    """Whether every content word repeats one the other party has just said."""
    return all(token in held for token, _ in content)


def _held_words(transcript: tuple[Utterance, ...], event: Event) -> set[str]:
    """The tokens the other party said in the seconds before and during the entrant's run."""
    if not isinstance(event.speaker, Speaker):
        return set()
    run_end_s = event.start_s + _run_s(event)
    return {token for utterance in transcript if utterance.speaker is event.speaker.other
            for word in utterance.words
            if event.start_s - ECHO_LOOKBACK_S <= word.start_s < run_end_s
            for token in _token(word.word).split()}


def _as_backchannel(event: Event, other: Speaker, *, run_s: float, overlap_s: float,
                    spoken: str, decided_by: str) -> Event:
    return dataclasses.replace(event, type=EventType.BACKCHANNEL, end_s=round(event.start_s + run_s, 3),
                               details=MappingProxyType({
                                   "during_turn_of": other.value, "overlap_s": overlap_s,
                                   "run_s": round(run_s, 3), "words": spoken,
                                   "decided_by": decided_by}))


def _as_interruption(event: Event, other: Speaker, *, run_s: float, overlap_s: float,
                     spoken: str) -> Event:
    return dataclasses.replace(event, type=EventType.INTERRUPTION,
                               end_s=round(event.start_s + overlap_s, 3),
                               details=MappingProxyType({
                                   "interrupted": other.value, "overlap_s": overlap_s,
                                   "yielded": False, "run_s": round(run_s, 3), "words": spoken,
                                   "decided_by": "words"}))


def _run_s(event: Event) -> float:
    """How long the entrant's run lasted (older events without ``run_s``: the event itself)."""
    return float(event.details.get("run_s", event.end_s - event.start_s))


def _token(word: str) -> str:
    """Lower-case and strip punctuation and hyphens, keeping digits: "Mm-hmm." -> "mmhmm",
    "2019." -> "2019" (a number is content, never an acknowledgement)."""
    return re.sub(r"[^a-z0-9 ]", "", word.lower()).strip()
