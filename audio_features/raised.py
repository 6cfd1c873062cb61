"""Raised voice: stretches clearly louder *and* higher than the speaker's own baseline.

Never an absolute level: a speaker who is loud all call long has a loud baseline, so only a
departure from their own habit counts.

The spectrum's tilt (``effort.alpha_ratio_db``) is not a cue here, though it follows vocal
effort: a calm real call's livelier phrases flatten it more than ordinary acted anger does, so
every rule that used it to catch that anger also fired on the calm call
(``bench/raised_headroom.py``; README, "Accuracy").
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from audio_features.binarize import drop_short_runs, fill_short_gaps, mask_to_runs
from audio_features.pitch import semitones_between
from audio_features.smoothing import running_median

logger = logging.getLogger(__name__)

_MIN_VOICED_IN_WINDOW = 3  # voiced frames a smoothed value needs, or it is NaN


@dataclass(frozen=True, slots=True, kw_only=True)
class RaisedRules:
    """What counts as a raised voice (the config's ``raised_voice`` group holds the values)."""

    min_delta_db: float  # median loudness over the baseline, dB
    min_delta_semitones: float  # median pitch over the baseline, semitones
    min_duration_s: float  # shortest stretch kept
    max_gap_s: float  # dips up to this long are bridged
    smooth_s: float  # running-median window over loudness before the threshold


@dataclass(frozen=True, slots=True, kw_only=True)
class RaisedRegion:
    start_s: float
    end_s: float
    delta_db: float  # median loudness of the region's speech frames over the baseline
    delta_semitones: float  # median pitch of its voiced frames over the baseline


def speaker_baseline(loudness_dbfs: np.ndarray, f0_hz: np.ndarray, *, speech_mask: np.ndarray,
                     percentile: float) -> tuple[float, float]:
    """A speaker's habitual level and pitch over their own voiced speech frames.

    Level is taken over voiced frames too: pauses between words and unvoiced consonants sit
    10-20 dB under the vowels, so their share of a turn, not the voice, would move the level.

    Args:
        loudness_dbfs: ``(frames,)`` dBFS.
        f0_hz: ``(frames,)`` Hz, NaN where unvoiced.
        speech_mask: ``(frames,)`` bool, frames where this speaker talks.
        percentile: 0..100, e.g. 50 for the median.

    Returns:
        ``(baseline_loudness_dbfs, baseline_f0_hz)``; both NaN when no speech frame is voiced.
    """
    loudness, f0, speech = _check_tracks(loudness_dbfs, f0_hz, speech_mask)
    if not 0 <= percentile <= 100:
        raise ValueError(f"percentile must be within 0..100, got {percentile}")
    voiced = speech & np.isfinite(f0)
    level = float(np.percentile(loudness[voiced], percentile)) if voiced.any() else np.nan
    pitch = float(np.percentile(f0[voiced], percentile)) if voiced.any() else np.nan
    return level, pitch


def calm_baseline(loudness_dbfs: np.ndarray, f0_hz: np.ndarray, *, speech_mask: np.ndarray,
                  percentile: float, hop_s: float, rules: RaisedRules,
                  rounds: int = 2) -> tuple[float, float]:
    """A speaker's baseline over their *calm* speech: ``(loudness_dbfs, f0_hz)``.

    The plain baseline of an upset speaker is pulled up by the very stretches it should
    expose. So: take the baseline, find raised regions against it by ``rules``, leave them
    out, and measure again, up to ``rounds`` times or until nothing more is left out.
    """
    level, pitch = speaker_baseline(loudness_dbfs, f0_hz, speech_mask=speech_mask,
                                    percentile=percentile)
    calm = np.asarray(speech_mask, dtype=bool).copy()
    for _ in range(rounds):
        regions = raised_regions(loudness_dbfs, f0_hz, hop_s=hop_s, speech_mask=calm,
                                 baseline_loudness_dbfs=level, baseline_f0_hz=pitch,
                                 rules=rules)
        if not regions:
            break
        for region in regions:
            calm[int(round(region.start_s / hop_s)): int(round(region.end_s / hop_s))] = False
        if not calm.any():
            break
        level, pitch = speaker_baseline(loudness_dbfs, f0_hz, speech_mask=calm,
                                        percentile=percentile)
    return level, pitch


def raised_regions(loudness_dbfs: np.ndarray, f0_hz: np.ndarray, *, hop_s: float,
                   speech_mask: np.ndarray, baseline_loudness_dbfs: float,
                   baseline_f0_hz: float, rules: RaisedRules) -> tuple[RaisedRegion, ...]:
    """Stretches of at least ``rules.min_duration_s`` louder by ``rules.min_delta_db`` and
    higher by ``rules.min_delta_semitones`` than the speaker's baseline.

    Candidates come from loudness, the steadier track: a running median over
    ``rules.smooth_s`` of the voiced speech frames, at least ``min_delta_db`` over the
    baseline; dips up to ``max_gap_s`` are bridged and runs shorter than ``min_duration_s``
    dropped. Pitch jumps from syllable to syllable, so it is judged over each whole candidate:
    a stretch is kept when the median loudness and the median pitch of its voiced frames clear
    both thresholds.

    Args:
        loudness_dbfs, f0_hz: ``(frames,)`` tracks; frame ``i`` is at ``i * hop_s`` seconds.
        speech_mask: ``(frames,)`` bool, this speaker's speech frames.
        baseline_loudness_dbfs, baseline_f0_hz: from :func:`speaker_baseline`; NaN gives ().

    Returns:
        A tuple of :class:`RaisedRegion` in time order.
    """
    loudness, f0, speech = _check_tracks(loudness_dbfs, f0_hz, speech_mask)
    if not (np.isfinite(baseline_loudness_dbfs) and np.isfinite(baseline_f0_hz)):
        return ()
    window = max(1, int(round(rules.smooth_s / hop_s))) | 1  # odd, so the window is centred
    voiced_f0 = np.where(speech, f0, np.nan)
    voiced_loudness = np.where(np.isfinite(voiced_f0), loudness, np.nan)
    level = running_median(voiced_loudness, window=window, min_count=_MIN_VOICED_IN_WINDOW)
    with np.errstate(invalid="ignore"):
        louder = speech & (level - baseline_loudness_dbfs >= rules.min_delta_db)
    runs = fill_short_gaps(mask_to_runs(louder),
                           max_gap_frames=int(np.floor(rules.max_gap_s / hop_s)))
    runs = drop_short_runs(runs, min_frames=int(np.ceil(rules.min_duration_s / hop_s - 1e-6)))
    regions = (_describe(run, loudness, voiced_f0, speech, hop_s=hop_s,
                         baseline_loudness_dbfs=baseline_loudness_dbfs,
                         baseline_f0_hz=baseline_f0_hz) for run in runs)
    # The stretch as a whole must clear both thresholds, so the deltas an event reports are
    # never below the rule it was found by.
    return tuple(region for region in regions if region.delta_db >= rules.min_delta_db
                 and region.delta_semitones >= rules.min_delta_semitones)


def _describe(run: np.ndarray, loudness: np.ndarray, voiced_f0: np.ndarray, speech: np.ndarray,
              *, hop_s: float, baseline_loudness_dbfs: float,
              baseline_f0_hz: float) -> RaisedRegion:
    span = slice(int(run[0]), int(run[1]))
    pitch = voiced_f0[span][np.isfinite(voiced_f0[span])]
    delta_semitones = float(semitones_between(np.median(pitch), baseline_f0_hz)) \
        if pitch.size else np.nan
    return RaisedRegion(start_s=float(run[0] * hop_s), end_s=float(run[1] * hop_s),
                        delta_db=float(np.median(loudness[span][np.isfinite(voiced_f0[span])])
                                       - baseline_loudness_dbfs),
                        delta_semitones=delta_semitones)


def _check_tracks(loudness_dbfs: np.ndarray, f0_hz: np.ndarray,
                  speech_mask: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    loudness = np.asarray(loudness_dbfs, dtype=float)
    f0 = np.asarray(f0_hz, dtype=float)
    speech = np.asarray(speech_mask, dtype=bool)
    if not (loudness.ndim == f0.ndim == speech.ndim == 1
            and loudness.shape == f0.shape == speech.shape):
        raise ValueError(f"loudness_dbfs, f0_hz and speech_mask must be 1-D (frames,) of one "
                         f"length, got {loudness.shape}, {f0.shape}, {speech.shape}; compute "
                         "them with the same hop_s and trim to the shortest")
    if not np.isfinite(loudness).all():
        raise ValueError("loudness_dbfs must be finite; give loudness_dbfs a floor_dbfs")
    return loudness, f0, speech
