"""Turn-taking and prosody findings as report events.

The feature math lives in ``audio_features``; this module only decides which party did what
and gives every finding a stable id (``ev-1``, ``ev-2``, ... in time order).
"""

from __future__ import annotations

import dataclasses
import logging
from types import MappingProxyType

import numpy as np

from audio_features import raised, turns
from pipeline.config import Config
from pipeline.types import Event, EventType, ProsodyTrack, Speaker, SpeechActivity

logger = logging.getLogger(__name__)

PARTIES = (Speaker.AGENT, Speaker.CUSTOMER)  # index 0 and 1 in audio_features.turns


def find_events(activity: dict[Speaker, SpeechActivity], prosody: dict[Speaker, ProsodyTrack], *,
                config: Config) -> tuple[Event, ...]:
    """Every interruption, backchannel, raised voice and long silence in the call, in time order."""
    found = [
        *overlap_events(activity, config=config),
        *(event for speaker in PARTIES
          for event in raised_voice_events(prosody[speaker], activity[speaker], config=config)),
        *long_silence_events(activity, config=config),
    ]
    return number_events(found)


def number_events(events: list[Event] | tuple[Event, ...]) -> tuple[Event, ...]:
    """Sort by time and give ids ``ev-1``... so the same call always yields the same ids."""
    ordered = sorted(events, key=lambda event: (event.start_s, event.end_s, event.type))
    return tuple(dataclasses.replace(event, id=f"ev-{index}")
                 for index, event in enumerate(ordered, start=1))


def overlap_events(activity: dict[Speaker, SpeechActivity], *, config: Config) -> list[Event]:
    """Interruptions from overlapping runs, and backchannels whether they overlap or not."""
    spans = floor_turns(activity, max_pause_s=config.turns.turn_max_pause_s)
    findings = turns.classify_overlaps(
        *spans,
        interruption_min_overlap_s=config.turns.interruption_min_overlap_s,
        backchannel_max_s=config.turns.backchannel_max_s,
        yield_window_s=config.turns.yield_window_s,
    )
    events = [_interruption(finding) for finding in findings if finding.kind == "interruption"]
    overlap_s = {(PARTIES[f.entrant], round(f.start_s, 3)): f.overlap_s for f in findings}
    taken = {(event.speaker, event.start_s) for event in events}
    for index, speaker in enumerate(PARTIES):
        own, other = spans[index], spans[1 - index]
        mask = turns.backchannel_mask(own, other, backchannel_max_s=config.turns.backchannel_max_s,
                                      max_pause_s=config.turns.turn_max_pause_s)
        for start_s, end_s in own[mask]:
            key = (speaker, round(float(start_s), 3))
            if key not in taken:
                events.append(_event(EventType.BACKCHANNEL, speaker, start_s, end_s, {
                    "during_turn_of": speaker.other.value,
                    "overlap_s": round(overlap_s.get(key, 0.0), 3),
                    "run_s": round(float(end_s - start_s), 3)}))
    return events


def floor_turns(activity: dict[Speaker, SpeechActivity], *, max_pause_s: float) -> list[np.ndarray]:
    """Each party's turns: speech runs joined across pauses in which the other stayed silent.

    "Mm-hmm" followed by a breath and a full sentence is one bid for the floor, not a
    backchannel; VAD runs alone would split it.
    """
    agent, customer = (activity[speaker].spans for speaker in PARTIES)
    return [turns.merge_floor_pauses(agent, customer, max_pause_s=max_pause_s),
            turns.merge_floor_pauses(customer, agent, max_pause_s=max_pause_s)]


def _interruption(finding: turns.OverlapFinding) -> Event:
    speaker = PARTIES[finding.entrant]
    # The interruption lasts as long as both talk; the entrant's whole run is kept in details.
    return _event(EventType.INTERRUPTION, speaker, finding.start_s, finding.end_s, {
        "interrupted": speaker.other.value, "overlap_s": round(finding.overlap_s, 3),
        "yielded": bool(finding.holder_yielded), "run_s": round(finding.entrant_run_s, 3)})


def raised_voice_events(track: ProsodyTrack, activity: SpeechActivity, *,
                        config: Config) -> list[Event]:
    if not np.isfinite(track.baseline_loudness_dbfs) or not np.isfinite(track.baseline_f0_hz):
        return []
    regions = raised.raised_regions(
        track.loudness_dbfs, track.f0_hz, hop_s=track.hop_s, speech_mask=track.speech_mask,
        baseline_loudness_dbfs=track.baseline_loudness_dbfs, baseline_f0_hz=track.baseline_f0_hz,
        rules=config.raised_voice.rules())
    return [_event(EventType.RAISED_VOICE, track.speaker, region.start_s, region.end_s, {
        "delta_db": round(float(region.delta_db), 1),
        "delta_semitones": round(float(region.delta_semitones), 1),
        "baseline_loudness_dbfs": round(track.baseline_loudness_dbfs, 1),
        "baseline_f0_hz": round(track.baseline_f0_hz, 1),
    }) for region in regions]


def long_silence_events(activity: dict[Speaker, SpeechActivity], *, config: Config) -> list[Event]:
    quiet = silences_between_speech(activity, min_silence_s=config.turns.long_silence_s)
    return [_event(EventType.LONG_SILENCE, None, start_s, end_s,
                   {"duration_s": round(float(end_s - start_s), 3)}) for start_s, end_s in quiet]


def silences_between_speech(activity: dict[Speaker, SpeechActivity], *,
                            min_silence_s: float) -> np.ndarray:
    """(n, 2) spans where neither party speaks, between the first and the last word.

    Silence before the first and after the last speech is ringing, recorder lead-in or the
    line after hang-up: nobody kept anyone waiting there.
    """
    agent, customer = (activity[speaker].spans for speaker in PARTIES)
    both = np.concatenate([agent, customer])
    if both.size == 0:
        return np.zeros((0, 2))
    return turns.silences(agent, customer, start_s=float(both[:, 0].min()),
                          end_s=float(both[:, 1].max()), min_silence_s=min_silence_s)


def _event(kind: EventType, speaker: Speaker | None, start_s: float, end_s: float,
           details: dict[str, object]) -> Event:
    return Event(id="", type=kind, speaker=speaker, start_s=round(float(start_s), 3),
                 end_s=round(float(end_s), 3), details=MappingProxyType(details))
