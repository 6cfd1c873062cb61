"""Talk metrics per party and per call (DESIGN.md, "Talk metrics")."""

from __future__ import annotations

import dataclasses

import numpy as np

from audio_features import intervals, turns
from pipeline.config import TurnConfig
from pipeline.events import PARTIES, silences_between_speech
from pipeline.types import CallMetrics, PartyMetrics, Speaker, SpeechActivity, Utterance


def party_metrics(activity: dict[Speaker, SpeechActivity], *,
                  config: TurnConfig) -> dict[Speaker, PartyMetrics]:
    """Talk time and share, overlap, longest monologue and median response latency per party."""
    spans = {speaker: activity[speaker].spans for speaker in PARTIES}
    total_talk_s = sum(intervals.total_duration_s(spans[speaker]) for speaker in PARTIES)
    overlap_s = intervals.total_duration_s(intervals.intersect(*spans.values()))
    metrics = {}
    for speaker in PARTIES:
        own, other = spans[speaker], spans[speaker.other]
        talk_s = intervals.total_duration_s(own)
        latencies_s = turns.response_latencies_s(own, other,
                                                 backchannel_max_s=config.backchannel_max_s,
                                                 max_pause_s=config.turn_max_pause_s)
        metrics[speaker] = PartyMetrics(
            talk_time_s=round(talk_s, 2),
            talk_share=round(talk_s / total_talk_s, 3) if total_talk_s else 0.0,
            overlap_time_s=round(overlap_s, 2),
            longest_monologue_s=round(float(turns.longest_monologue_s(
                own, other, max_pause_s=config.non_talk_min_silence_s,
                backchannel_max_s=config.backchannel_max_s)), 2),
            median_response_latency_s=(round(float(np.median(latencies_s)), 2)
                                       if len(latencies_s) else None),
        )
    return metrics


def call_metrics(activity: dict[Speaker, SpeechActivity], *, duration_s: float,
                 config: TurnConfig) -> CallMetrics:
    """Non-talk time: the silences of ``non_talk_min_silence_s`` or more, as time and share."""
    quiet = silences_between_speech(activity, min_silence_s=config.non_talk_min_silence_s)
    non_talk_s = intervals.total_duration_s(quiet)
    return CallMetrics(duration_s=round(duration_s, 2), non_talk_time_s=round(non_talk_s, 2),
                       non_talk_share=round(non_talk_s / duration_s, 3) if duration_s else 0.0)


def with_words_per_minute(metrics: dict[Speaker, PartyMetrics],
                          transcript: tuple[Utterance, ...]) -> dict[Speaker, PartyMetrics]:
    """Add words per minute of each party's own talk time, once a transcript exists."""
    updated = {}
    for speaker, party in metrics.items():
        words = sum(len(utterance.words) for utterance in transcript if utterance.speaker is speaker)
        wpm = round(words / (party.talk_time_s / 60.0), 1) if party.talk_time_s > 0 else None
        updated[speaker] = dataclasses.replace(party, words_per_minute=wpm)
    return updated
