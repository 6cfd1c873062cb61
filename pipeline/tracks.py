"""Each party's loudness and pitch, binned small enough to ship inside the report.

The call page draws a lane per party from these; the frame-wise tracks themselves (62 frames
a second) would make a 30-minute report some megabytes, so they are summarised into at most
:data:`MAX_BINS` bins: the mean loudness of the party's own speech frames and the median of
their voiced pitch. A bin where the party does not speak holds None, so a lane shows silence
as a gap rather than as the other party's leakage.
"""

from __future__ import annotations

import math

import numpy as np

from pipeline.call_report import PartyTrack
from pipeline.types import ProsodyTrack

MAX_BINS = 1500
MIN_STEP_S = 0.25


def bin_step_s(duration_s: float) -> float:
    """Seconds per bin: a quarter second, or coarser so a call has at most MAX_BINS bins."""
    return max(MIN_STEP_S, math.ceil(duration_s / MAX_BINS * 100) / 100)


def compact_track(track: ProsodyTrack, *, duration_s: float) -> PartyTrack:
    """``track`` summarised into bins of :func:`bin_step_s` seconds."""
    step_s = bin_step_s(duration_s)
    n_bins = max(1, math.ceil(duration_s / step_s))
    frames = np.arange(track.loudness_dbfs.size)
    bins = np.minimum((frames * track.hop_s / step_s).astype(int), n_bins - 1)
    speech = track.speech_mask.astype(bool)
    loudness = _per_bin(track.loudness_dbfs, bins, speech, n_bins, np.mean, digits=1)
    voiced = speech & np.isfinite(track.f0_hz)
    pitch = _per_bin(track.f0_hz, bins, voiced, n_bins, np.median, digits=0)
    return PartyTrack(step_s=step_s, loudness_dbfs=loudness, f0_hz=pitch)


def _per_bin(values: np.ndarray, bins: np.ndarray, keep: np.ndarray, n_bins: int, reduce,
             *, digits: int) -> tuple[float | None, ...]:
    """``reduce`` of the kept ``values`` in each bin, rounded; None for a bin with none."""
    out: list[float | None] = [None] * n_bins
    kept_bins, kept_values = bins[keep], values[keep]
    if kept_bins.size == 0:
        return tuple(out)
    order = np.argsort(kept_bins, kind="stable")
    kept_bins, kept_values = kept_bins[order], kept_values[order]
    starts = np.flatnonzero(np.r_[True, np.diff(kept_bins) > 0])
    for start, end in zip(starts, np.r_[starts[1:], kept_bins.size], strict=True):
        value = float(reduce(kept_values[start:end]))
        if math.isfinite(value):
            out[int(kept_bins[start])] = round(value, digits)
    return tuple(out)
