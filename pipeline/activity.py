"""Speech activity per channel: Silero VAD, then the bleed guard, then binarisation.

Silero alone misses loud and shouted speech (see ``audio_features.speech_energy``), so each
channel is brought to a fixed speech level before Silero scores it, and loud voiced frames of
the channel's own count as speech whatever Silero says.

Call recorders leak each party into the other's channel (hybrid echo, crosstalk) at roughly
-20 to -35 dB. Silero happily scores that leakage as speech, which would invent overlaps and
put the customer's words into the agent's transcript. So a VAD window that is a quieter,
correlated copy of the other channel is not counted as this party's speech.
"""

from __future__ import annotations

import logging

import numpy as np

from audio_features import binarize, bleed, intervals, speech_energy
from pipeline import channel_frames
from pipeline.alongside import for_both_parties
from pipeline.config import ActivityConfig
from pipeline.types import CallAudio, Speaker, SpeechActivity, interval_tuple
from pipeline.vad import VAD_WINDOW_SAMPLES, streamed_speech_probabilities

logger = logging.getLogger(__name__)

_FLOOR_PERCENTILE = 10.0  # every call has pauses: its quietest tenth is the channel's noise floor
_LOUD_PERCENTILE = 95.0  # the level of a channel's loud (stressed, vowel) speech
_MAX_CUT_DB = 60.0
# Shouted voices reach 600 Hz and more; 60 Hz is below the deepest speaking voices.
_VOICING_RANGE_HZ = (60.0, 700.0)


def detect_speech(audio: CallAudio, *, config: ActivityConfig) -> dict[Speaker, SpeechActivity]:
    """Where each party speaks, with the other party's leakage removed.

    The samples are read a stretch at a time (``pipeline.channel_frames``); from then on the
    stage works on per-window values only."""
    hop_s = VAD_WINDOW_SAMPLES / audio.sample_rate_hz
    levels_db = {speaker: channel_frames.window_levels_db(audio, speaker) for speaker in Speaker}
    # Silero runs on one thread: the customer's channel is scored alongside the agent's when
    # a core is free (a VAD run of each, some 60 MB, is then held at once).
    probabilities = for_both_parties(lambda speaker: speech_evidence(
        audio, speaker, levels_db=levels_db[speaker], config=config))
    activity = {}
    for speaker in Speaker:
        raw = probabilities[speaker]
        voiced = bleed.own_voice_from_levels(
            levels_db[speaker], levels_db[speaker.other], margin_db=config.bleed_margin_db,
            above_floor_db=config.voice_above_floor_db)
        voiced = _fit(voiced, raw.size)
        # Silero's memory keeps scoring speech for a few windows after a leaked syllable; only
        # windows near this party's own voice may count, and never a window of leakage.
        allowed = binarize.dilate(voiced, frames=round(config.voice_pad_s / hop_s))
        # Only a window that could still turn speech on or keep it on is worth the bleed test:
        # one already under the offset probability, or already ruled out, ends speech anyway.
        undecided = allowed & (raw >= config.offset_probability)
        leaked = channel_frames.window_bleed(
            audio, speaker, levels_db=levels_db, margin_db=config.bleed_margin_db,
            min_correlation=config.bleed_min_correlation,
            max_lag_samples=round(config.bleed_max_lag_ms * audio.sample_rate_hz / 1000),
            only=undecided)
        guarded = np.where(_fit(leaked, raw.size) | ~allowed, 0.0, raw)
        speech = _keep_voiced(_binarise(guarded, hop_s=hop_s, config=config), voiced,
                              hop_s=hop_s, config=config)
        removed = intervals.subtract(_binarise(raw, hop_s=hop_s, config=config), speech)
        activity[speaker] = SpeechActivity(
            speaker=speaker, segments=interval_tuple(speech),
            bleed_removed=interval_tuple(removed))
        logger.info("%s: %.1f s of speech in %d segments, %.1f s removed as bleed", speaker,
                    activity[speaker].talk_time_s, len(speech), intervals.total_duration_s(removed))
    return activity


def speech_evidence(audio: CallAudio, speaker: Speaker, *, levels_db: np.ndarray,
                    config: ActivityConfig) -> np.ndarray:
    """Per VAD window, how sure we are that the party's channel carries speech, 0..1.

    Silero's probability for the channel brought to ``vad_speech_level_dbfs``, raised to 1 in
    windows that are loud for this channel and voiced. ``levels_db``: the channel's
    ``window_levels_db``.
    """
    floor_db = speech_energy.noise_floor_db(levels_db, percentile=_FLOOR_PERCENTILE)
    loud_db = speech_energy.loud_speech_level_db(
        levels_db, floor_db=floor_db, above_floor_db=config.loud_above_floor_db,
        loud_percentile=_LOUD_PERCENTILE)
    gain_db = speech_energy.level_gain_db(loud_db, target_dbfs=config.vad_speech_level_dbfs,
                                          max_boost_db=config.vad_max_boost_db,
                                          max_cut_db=_MAX_CUT_DB)
    gain = np.float32(10 ** (gain_db / 20))
    evidence = streamed_speech_probabilities(
        lambda start, stop: np.clip(audio.read(speaker, start, stop) * gain, -1.0, 1.0),
        audio.n_samples)
    loud = speech_energy.loud_frames(levels_db, floor_db=floor_db,
                                     above_floor_db=config.loud_above_floor_db, loud_db=loud_db,
                                     below_loud_db=config.loud_below_speech_db)
    unsure = np.flatnonzero(_fit(loud, evidence.size) & (evidence < config.onset_probability))
    voicing = channel_frames.window_periodicity(audio, speaker, frame_index=unsure,
                                                f0_range_hz=_VOICING_RANGE_HZ)
    evidence[unsure[voicing >= config.min_periodicity]] = 1.0
    logger.debug("VAD gain %+.1f dB; %d loud voiced windows added", gain_db,
                 int(np.sum(voicing >= config.min_periodicity)))
    return evidence


def _binarise(probabilities: np.ndarray, *, hop_s: float, config: ActivityConfig) -> np.ndarray:
    """Probabilities to (n, 2) speech intervals in seconds: hysteresis, fill gaps, drop blips."""
    mask = binarize.hysteresis(probabilities, onset=config.onset_probability,
                               offset=config.offset_probability)
    runs = binarize.mask_to_runs(mask)
    runs = binarize.fill_short_gaps(runs, max_gap_frames=round(config.min_gap_s / hop_s))
    runs = binarize.drop_short_runs(runs, min_frames=max(1, round(config.min_speech_s / hop_s)))
    return binarize.runs_to_intervals(runs, hop_s=hop_s)


def _keep_voiced(speech: np.ndarray, voiced: np.ndarray, *, hop_s: float,
                 config: ActivityConfig) -> np.ndarray:
    """Drop runs holding less than ``min_voiced_s`` of frames with this party's own voice."""
    counts = np.cumsum(np.concatenate(([0], voiced.astype(np.int64))))
    first = np.clip(np.floor(speech[:, 0] / hop_s).astype(int), 0, voiced.size)
    last = np.clip(np.ceil(speech[:, 1] / hop_s).astype(int), 0, voiced.size)
    return speech[(counts[last] - counts[first]) * hop_s >= config.min_voiced_s]


def _fit(frames: np.ndarray, size: int) -> np.ndarray:
    """Pad or trim a frame mask to the VAD's frame count (Silero pads one more on exact fits)."""
    return np.pad(frames, (0, max(0, size - frames.size)))[:size]

