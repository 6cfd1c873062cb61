"""Frame scores to speech runs to time intervals, one step per function (after pyannote's Binarize).

A *run* is a half-open frame index range ``[start, stop)``; runs are int arrays of shape
``(n, 2)``, sorted and non-overlapping. Frame ``i`` stands for time ``offset_s + i * hop_s``.
A typical chain is ``hysteresis -> mask_to_runs -> fill_short_gaps -> drop_short_runs ->
runs_to_intervals``; each step is usable alone.
"""

from __future__ import annotations

import logging

import numpy as np

logger = logging.getLogger(__name__)

_EPS_FRAMES = 1e-6  # absorbs float error when a time lands exactly on a frame


def hysteresis(scores: np.ndarray, *, onset: float, offset: float) -> np.ndarray:
    """Two-threshold activity decision.

    A frame switches on when its score is ``>= onset`` and stays on until a score ``< offset``;
    scores in between keep the previous state. The state before the first frame is off.

    Args:
        scores: ``(frames,)`` scores, e.g. speech probabilities.
        onset, offset: thresholds with ``offset <= onset``.

    Returns:
        ``(frames,)`` bool activity mask.
    """
    scores = np.asarray(scores, dtype=float)
    if scores.ndim != 1:
        raise ValueError(f"scores must be 1-D (frames,), got shape {scores.shape}")
    if offset > onset:
        raise ValueError(f"offset ({offset}) must not exceed onset ({onset}); lower offset or "
                         "raise onset")
    decided = (scores >= onset) | (scores < offset)
    # Each frame takes the state of the most recent decisive frame (forward fill of indices).
    last = np.where(decided, np.arange(scores.size), -1)
    np.maximum.accumulate(last, out=last)
    return np.where(last >= 0, scores[np.maximum(last, 0)] >= onset, False)


def mask_to_runs(mask: np.ndarray) -> np.ndarray:
    """``(frames,)`` bool mask to ``(n, 2)`` int runs ``[start, stop)`` of true frames."""
    mask = np.asarray(mask)
    if mask.ndim != 1:
        raise ValueError(f"mask must be 1-D (frames,), got shape {mask.shape}")
    edges = np.diff(np.concatenate(([0], mask.astype(np.int8), [0])))
    starts = np.flatnonzero(edges == 1)
    stops = np.flatnonzero(edges == -1)
    return np.stack([starts, stops], axis=1).astype(np.int64)


def _check_runs(runs: np.ndarray) -> np.ndarray:
    runs = np.asarray(runs)
    if runs.size == 0:
        return np.empty((0, 2), dtype=np.int64)
    if runs.ndim != 2 or runs.shape[1] != 2:
        raise ValueError(f"runs must have shape (n, 2) [start, stop), got {runs.shape}; build them "
                         "with mask_to_runs")
    if np.any(runs[:, 1] < runs[:, 0]) or np.any(runs[1:, 0] < runs[:-1, 1]):
        raise ValueError("runs must be sorted, non-overlapping and have stop >= start; build them "
                         "with mask_to_runs")
    return runs.astype(np.int64, copy=False)


def fill_short_gaps(runs: np.ndarray, *, max_gap_frames: int) -> np.ndarray:
    """Merge neighbouring runs separated by at most ``max_gap_frames`` inactive frames.

    Args:
        runs: ``(n, 2)`` int runs.
        max_gap_frames: longest gap (frames, inclusive) that is bridged; 0 merges only runs
            that touch.

    Returns:
        ``(m, 2)`` int runs, ``m <= n``.
    """
    runs = _check_runs(runs)
    if max_gap_frames < 0:
        raise ValueError(f"max_gap_frames must be >= 0, got {max_gap_frames}")
    if len(runs) < 2:
        return runs.copy()
    gap = runs[1:, 0] - runs[:-1, 1]
    new_group = np.concatenate(([True], gap > max_gap_frames))
    starts = runs[new_group, 0]
    stops = runs[np.concatenate((new_group[1:], [True])), 1]
    return np.stack([starts, stops], axis=1)


def drop_short_runs(runs: np.ndarray, *, min_frames: int) -> np.ndarray:
    """Keep runs at least ``min_frames`` frames long (shorter runs are dropped)."""
    runs = _check_runs(runs)
    if min_frames < 0:
        raise ValueError(f"min_frames must be >= 0, got {min_frames}")
    return runs[(runs[:, 1] - runs[:, 0]) >= min_frames]


def runs_to_intervals(runs: np.ndarray, *, hop_s: float, offset_s: float = 0.0) -> np.ndarray:
    """``(n, 2)`` int frame runs to ``(n, 2)`` float intervals in seconds.

    Run ``[a, b)`` becomes ``[offset_s + a * hop_s, offset_s + b * hop_s)``.
    """
    runs = _check_runs(runs)
    if not hop_s > 0:
        raise ValueError(f"hop_s must be a positive number of seconds, got {hop_s!r}")
    return offset_s + runs.astype(float) * hop_s


def intervals_to_mask(intervals: np.ndarray, *, hop_s: float, n_frames: int,
                      offset_s: float = 0.0) -> np.ndarray:
    """``(n, 2)`` intervals in seconds to a ``(n_frames,)`` bool mask.

    Frame ``i`` is on when its time ``offset_s + i * hop_s`` lies in some ``[start_s, end_s)``;
    this is the inverse of :func:`runs_to_intervals`.
    """
    intervals = np.asarray(intervals, dtype=float).reshape(-1, 2)
    if not hop_s > 0:
        raise ValueError(f"hop_s must be a positive number of seconds, got {hop_s!r}")
    if n_frames < 0:
        raise ValueError(f"n_frames must be >= 0, got {n_frames}")
    first = np.ceil((intervals[:, 0] - offset_s) / hop_s - _EPS_FRAMES).astype(np.int64)
    stop = np.ceil((intervals[:, 1] - offset_s) / hop_s - _EPS_FRAMES).astype(np.int64)
    first, stop = np.clip(first, 0, n_frames), np.clip(stop, 0, n_frames)
    keep = stop > first
    # Difference array: +1 where a run starts, -1 where it stops; overlapping input is fine.
    change = np.zeros(n_frames + 1, dtype=np.int64)
    np.add.at(change, first[keep], 1)
    np.add.at(change, stop[keep], -1)
    return np.cumsum(change[:-1]) > 0


def dilate(mask: np.ndarray, *, frames: int) -> np.ndarray:
    """Grow every True run by ``frames`` on both sides: ``(n,)`` bool in, ``(n,)`` bool out."""
    mask = np.asarray(mask, dtype=bool)
    if frames <= 0 or mask.size == 0:
        return mask.copy()
    kernel = np.ones(2 * frames + 1)
    return np.convolve(mask.astype(np.float64), kernel, mode="same") > 0.5
