"""Set arithmetic on time intervals.

An interval array is float ``(n, 2)`` of half-open ``[start_s, end_s)`` spans in seconds.
Every function accepts unsorted or overlapping input (it is normalised first: sorted, with
overlapping or touching spans merged and empty spans dropped) and returns normalised output.
"""

from __future__ import annotations

import logging

import numpy as np

logger = logging.getLogger(__name__)


def as_intervals(intervals: np.ndarray | list, *, name: str = "intervals") -> np.ndarray:
    """Validate and normalise to a sorted, non-overlapping float ``(n, 2)`` array.

    Touching spans (``end_s == next start_s``) are merged; zero-length spans are dropped.
    """
    array = np.asarray(intervals, dtype=float)
    if array.size == 0:
        return np.empty((0, 2))
    if array.ndim != 2 or array.shape[1] != 2:
        raise ValueError(f"{name} must have shape (n, 2) as (start_s, end_s) rows, got "
                         f"{array.shape}; stack starts and ends with np.column_stack")
    if not np.isfinite(array).all():
        raise ValueError(f"{name} contain NaN or infinite times; drop those rows first")
    if np.any(array[:, 1] < array[:, 0]):
        raise ValueError(f"{name} have end_s < start_s; swap those columns or drop the rows")
    return merge_close(array, max_gap_s=0.0)


def merge_close(intervals: np.ndarray, *, max_gap_s: float) -> np.ndarray:
    """Merge intervals whose gap is at most ``max_gap_s`` seconds (0 merges only touching).

    Args:
        intervals: float ``(n, 2)`` in seconds, any order, may overlap.
        max_gap_s: largest gap (inclusive) bridged, seconds.

    Returns:
        float ``(m, 2)`` sorted, non-overlapping, without zero-length spans.
    """
    if not max_gap_s >= 0:
        raise ValueError(f"max_gap_s must be >= 0 seconds, got {max_gap_s!r}")
    array = np.asarray(intervals, dtype=float).reshape(-1, 2)
    array = array[array[:, 1] > array[:, 0]]
    if len(array) == 0:
        return np.empty((0, 2))
    array = array[np.lexsort((array[:, 1], array[:, 0]))]
    # A span opens a new group when it starts after every earlier span ended (plus the gap).
    reach = np.maximum.accumulate(array[:, 1])
    new_group = np.concatenate(([True], array[1:, 0] > reach[:-1] + max_gap_s))
    group = np.cumsum(new_group) - 1
    starts = array[new_group, 0]
    ends = np.zeros(len(starts))
    np.maximum.at(ends, group, array[:, 1])
    return np.column_stack([starts, ends])


def _combine(a: np.ndarray, b: np.ndarray, keep) -> np.ndarray:
    """Intervals where ``keep(in_a, in_b)`` holds, from the elementary spans between boundaries."""
    a, b = as_intervals(a, name="a"), as_intervals(b, name="b")
    bounds = np.unique(np.concatenate([a.ravel(), b.ravel()]))
    if len(bounds) < 2:
        return np.empty((0, 2))
    pieces = np.column_stack([bounds[:-1], bounds[1:]])
    middle = pieces.mean(axis=1)
    selected = pieces[keep(_contains(a, middle), _contains(b, middle))]
    return merge_close(selected, max_gap_s=0.0)


def _contains(intervals: np.ndarray, times_s: np.ndarray) -> np.ndarray:
    """Bool per time: inside some interval of a normalised array."""
    index = np.searchsorted(intervals[:, 0], times_s, side="right") - 1
    inside = index >= 0
    inside[inside] = times_s[inside] < intervals[index[inside], 1]
    return inside


def union(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Time covered by ``a`` or ``b``: float ``(n, 2)`` seconds."""
    a, b = as_intervals(a, name="a"), as_intervals(b, name="b")
    return merge_close(np.concatenate([a, b]), max_gap_s=0.0)


def intersect(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Time covered by both ``a`` and ``b``: float ``(n, 2)`` seconds."""
    return _combine(a, b, lambda in_a, in_b: in_a & in_b)


def subtract(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Time covered by ``a`` but not ``b``: float ``(n, 2)`` seconds."""
    return _combine(a, b, lambda in_a, in_b: in_a & ~in_b)


def total_duration_s(intervals: np.ndarray) -> float:
    """Seconds covered by ``intervals`` (overlaps counted once)."""
    array = as_intervals(intervals)
    return float(np.sum(array[:, 1] - array[:, 0]))


def gaps(intervals: np.ndarray, *, start_s: float, end_s: float) -> np.ndarray:
    """The complement of ``intervals`` within ``[start_s, end_s)``: float ``(n, 2)`` seconds."""
    if not end_s >= start_s:
        raise ValueError(f"end_s ({end_s}) must be >= start_s ({start_s}); pass the call span")
    return subtract(np.array([[start_s, end_s]]), intervals)


def durations_s(intervals: np.ndarray) -> np.ndarray:
    """``(n,)`` length in seconds of each row of a float ``(n, 2)`` interval array."""
    array = np.asarray(intervals, dtype=float).reshape(-1, 2)
    return array[:, 1] - array[:, 0]
