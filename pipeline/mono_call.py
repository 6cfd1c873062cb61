"""A mono call's two separated voices become the agent and the customer.

Separation (``pipeline.separation``) gives two voices, the first to speak first. Until the
words are known the first voice is taken to be the agent (or the one the config names); once
Whisper has heard the call, ``party_naming`` may swap them. The whole call is transcribed
once, and each word goes to the party speaking at its time, so a word is never heard twice
where the two talk over each other.
"""

from __future__ import annotations

import dataclasses
import functools
from typing import Any

import numpy as np

from audio_features import binarize, intervals
from pipeline.config import Config
from pipeline.party_naming import agent_voice_from_words
from pipeline.separation import FRAME_S, separate_read, voice_intervals
from pipeline.types import (CallAudio, Interval, Separation, Speaker, SpeechActivity, Utterance,
                            interval_tuple)

METHOD = "mono-diarized"
# Words closer together than this stay in one utterance, as on stereo transcripts.
UTTERANCE_MAX_PAUSE_S = 1.0


def separate_parties(audio: CallAudio, config: Config
                     ) -> tuple[dict[Speaker, SpeechActivity], Separation]:
    """Each party's speech on a mono call, and how it was separated."""
    masks = separate_read(functools.partial(audio.read, Speaker.AGENT), audio.n_samples,
                          config=config.separation, activity=config.activity)
    first, second = (interval_tuple(spans) for spans in voice_intervals(masks))
    choice = config.separation.agent_speaker
    agent, customer = (second, first) if choice == "second" else (first, second)
    overlap = binarize.runs_to_intervals(binarize.mask_to_runs(masks.overlap), hop_s=FRAME_S)
    separation = Separation(method=METHOD, confidence=round(masks.confidence, 3),
                            overlap=interval_tuple(overlap),
                            agent_named_by="first_speaker" if choice == "auto" else "setting")
    return party_activity(agent, customer), separation


def party_activity(agent: tuple[Interval, ...], customer: tuple[Interval, ...]
                   ) -> dict[Speaker, SpeechActivity]:
    return {Speaker.AGENT: SpeechActivity(speaker=Speaker.AGENT, segments=agent, bleed_removed=()),
            Speaker.CUSTOMER: SpeechActivity(speaker=Speaker.CUSTOMER, segments=customer,
                                             bleed_removed=())}


def swapped(activity: dict[Speaker, SpeechActivity]) -> dict[Speaker, SpeechActivity]:
    """The same voices with the agent and customer names exchanged."""
    return party_activity(activity[Speaker.CUSTOMER].segments, activity[Speaker.AGENT].segments)


def anybody_speaking(activity: dict[Speaker, SpeechActivity]) -> tuple[Interval, ...]:
    """Where either party speaks: what Whisper hears of a mono call."""
    return interval_tuple(intervals.union(activity[Speaker.AGENT].spans,
                                        activity[Speaker.CUSTOMER].spans))


def attribute_words(transcript: tuple[Utterance, ...], activity: dict[Speaker, SpeechActivity]
                    ) -> tuple[Utterance, ...]:
    """Each word of a one-voice transcript given to the party speaking at its midpoint.

    Where both speak (an overlap) the word stays with the previous word's speaker, since
    Whisper follows one voice through a clash; where neither does, it goes to the nearer
    party's speech.
    """
    words = [word for utterance in transcript for word in utterance.words]
    spans = {speaker: activity[speaker].spans for speaker in Speaker}
    owners: list[Speaker] = []
    for word in words:
        middle_s = (word.start_s + word.end_s) / 2
        distance = {speaker: _distance_s(spans[speaker], middle_s) for speaker in Speaker}
        both = distance[Speaker.AGENT] == 0 and distance[Speaker.CUSTOMER] == 0
        owners.append(owners[-1] if both and owners else min(Speaker, key=distance.__getitem__))
    return _group(words, owners)


def _distance_s(spans: np.ndarray, time_s: float) -> float:
    """Seconds from ``time_s`` to the nearest interval in ``spans`` (0 inside one)."""
    if len(spans) == 0:
        return np.inf
    return float(np.min(np.maximum(spans[:, 0] - time_s, 0) + np.maximum(time_s - spans[:, 1], 0)))


def _group(words: list, owners: list[Speaker]) -> tuple[Utterance, ...]:
    groups: list[tuple[Speaker, list]] = []
    for word, owner in zip(words, owners):
        if groups and groups[-1][0] is owner \
                and word.start_s - groups[-1][1][-1].end_s <= UTTERANCE_MAX_PAUSE_S:
            groups[-1][1].append(word)
        else:
            groups.append((owner, [word]))
    return tuple(Utterance(speaker=owner, start_s=group[0].start_s, end_s=group[-1].end_s,
                           text=" ".join(word.word for word in group), words=tuple(group))
                 for owner, group in groups)


def name_by_words(transcript: tuple[Utterance, ...], separation: Separation
                  ) -> tuple[bool, tuple[Utterance, ...], Separation]:
    """Whether the words say the provisional customer is the agent (only when naming is
    auto), with the transcript and separation renamed accordingly."""
    if separation.agent_named_by != "first_speaker":
        return False, transcript, separation
    voices = tuple(tuple(u for u in transcript if u.speaker is speaker)
                   for speaker in (Speaker.AGENT, Speaker.CUSTOMER))
    agent_voice = agent_voice_from_words(voices)
    if agent_voice is None:
        return False, transcript, separation
    named = dataclasses.replace(separation, agent_named_by="words")
    if agent_voice == 0:
        return False, transcript, named
    renamed = sorted((dataclasses.replace(u, speaker=u.speaker.other) for u in transcript),
                     key=lambda u: (u.start_s, u.end_s))
    return True, tuple(renamed), named


def report_section(separation: Separation | None) -> dict[str, Any]:
    """What the report says about how the parties were told apart."""
    if separation is None:
        return {"separation": "stereo-channels"}
    return {"separation": separation.method, "separation_details": {
        "confidence": separation.confidence,
        "agent_named_by": separation.agent_named_by,
        "overlap_s": round(sum(span.duration_s for span in separation.overlap), 3),
        "note": ("mono call: the two parties were separated automatically; talk-over findings "
                 "(interruptions, overlap time) are claimed only where overlapped speech is "
                 "clearly heard, so some are missed; check the audio before acting on them"),
    }}
