"""Loudness and pitch per party, with each party's own baseline in this call."""

from __future__ import annotations

import logging

import numpy as np

from audio_features import binarize, loudness, pitch, raised
from pipeline.config import ProsodyConfig, RaisedVoiceConfig
from pipeline.types import CallAudio, ProsodyTrack, SpeechActivity, read_only

logger = logging.getLogger(__name__)


def measure_prosody(audio: CallAudio, activity: SpeechActivity, *, config: ProsodyConfig,
                    raised_voice: RaisedVoiceConfig) -> ProsodyTrack:
    """Frame-wise loudness (dBFS) and F0 (Hz) of one party, and that party's baseline.

    Pitch is only tracked inside the party's speech segments: it is the slowest feature, and
    anywhere else it would measure the other party's leakage or line noise. The channel is
    read a stretch at a time, so only the frame tracks are held for the whole call.
    """
    def read(start: int, stop: int) -> np.ndarray:
        return audio.read(activity.speaker, start, stop)

    speech = activity.spans
    level_dbfs = loudness.loudness_dbfs_streamed(read, audio.n_samples,
                                                 sample_rate_hz=audio.sample_rate_hz,
                                                 frame_s=config.frame_s, hop_s=config.hop_s)
    f0_hz = pitch.f0_hz_streamed(read, audio.n_samples, sample_rate_hz=audio.sample_rate_hz,
                                 frame_s=config.frame_s, hop_s=config.hop_s,
                                 f0_min_hz=config.f0_min_hz, f0_max_hz=config.f0_max_hz,
                                 spans=speech)
    f0_hz = pitch.continuous_pitch(f0_hz, hop_s=config.hop_s, window_s=config.pitch_continuity_s,
                                   max_jump_semitones=config.pitch_max_jump_semitones)
    speech_mask = binarize.intervals_to_mask(speech, hop_s=config.hop_s, n_frames=level_dbfs.size)
    baseline_dbfs, baseline_f0_hz = raised.calm_baseline(
        level_dbfs, f0_hz, speech_mask=speech_mask, percentile=config.baseline_percentile,
        hop_s=config.hop_s, rules=raised_voice.rules())
    logger.debug("%s baseline: %.1f dBFS, %.0f Hz", activity.speaker, baseline_dbfs, baseline_f0_hz)
    return ProsodyTrack(
        speaker=activity.speaker,
        hop_s=config.hop_s,
        loudness_dbfs=read_only(level_dbfs),
        f0_hz=read_only(f0_hz),
        speech_mask=read_only(speech_mask),
        baseline_loudness_dbfs=float(baseline_dbfs),
        baseline_f0_hz=float(baseline_f0_hz),
    )

