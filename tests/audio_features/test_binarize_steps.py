import numpy as np
import pytest

from audio_features.binarize import (drop_short_runs, fill_short_gaps, hysteresis,
                                     intervals_to_mask, mask_to_runs, runs_to_intervals)


@pytest.mark.parametrize(("scores", "expected"), [
    ([0.1, 0.6, 0.4, 0.4, 0.2, 0.4], [0, 1, 1, 1, 0, 0]),  # stays on between the thresholds
    ([0.4, 0.4, 0.5, 0.34, 0.35], [0, 0, 1, 0, 0]),  # in-between start is off; onset inclusive
    ([0.9, 0.9, 0.9], [1, 1, 1]),
    ([], []),
])
def test_hysteresis(scores, expected):
    mask = hysteresis(np.array(scores), onset=0.5, offset=0.35)
    np.testing.assert_array_equal(mask, np.array(expected, dtype=bool))


def test_hysteresis_rejects_offset_above_onset():
    with pytest.raises(ValueError, match="offset"):
        hysteresis(np.zeros(3), onset=0.3, offset=0.5)


@pytest.mark.parametrize(("mask", "runs"), [
    ([0, 1, 1, 0, 1], [[1, 3], [4, 5]]),
    ([1, 1, 1], [[0, 3]]),
    ([0, 0], []),
    ([], []),
])
def test_mask_to_runs(mask, runs):
    result = mask_to_runs(np.array(mask, dtype=bool))
    np.testing.assert_array_equal(result, np.array(runs, dtype=np.int64).reshape(-1, 2))


@pytest.mark.parametrize(("runs", "max_gap", "expected"), [
    ([[0, 2], [4, 6], [9, 10]], 2, [[0, 6], [9, 10]]),  # gap of 2 bridged, gap of 3 kept
    ([[0, 2], [4, 6]], 1, [[0, 2], [4, 6]]),
    ([[0, 2], [2, 3]], 0, [[0, 3]]),
    ([[0, 2], [4, 6], [8, 9]], 5, [[0, 9]]),
    ([], 3, []),
])
def test_fill_short_gaps(runs, max_gap, expected):
    result = fill_short_gaps(np.array(runs).reshape(-1, 2), max_gap_frames=max_gap)
    np.testing.assert_array_equal(result, np.array(expected).reshape(-1, 2))


@pytest.mark.parametrize(("runs", "min_frames", "expected"), [
    ([[0, 2], [4, 7], [9, 10]], 3, [[4, 7]]),
    ([[0, 2]], 2, [[0, 2]]),  # exactly the minimum is kept
    ([[0, 2]], 0, [[0, 2]]),
])
def test_drop_short_runs(runs, min_frames, expected):
    result = drop_short_runs(np.array(runs), min_frames=min_frames)
    np.testing.assert_array_equal(result, np.array(expected).reshape(-1, 2))


@pytest.mark.parametrize("runs", [[[3, 1]], [[0, 4], [2, 6]], [1, 2, 3]])
def test_bad_runs_are_rejected(runs):
    with pytest.raises(ValueError, match="mask_to_runs"):
        drop_short_runs(np.array(runs), min_frames=1)


def test_runs_to_intervals():
    intervals = runs_to_intervals(np.array([[1, 3], [10, 11]]), hop_s=0.02, offset_s=0.5)
    np.testing.assert_allclose(intervals, [[0.52, 0.56], [0.7, 0.72]])


def test_intervals_to_mask_inverts_runs_to_intervals():
    mask = np.random.default_rng(0).random(500) > 0.6
    runs = mask_to_runs(mask)
    for hop_s in (0.01, 0.016, 0.032):
        back = intervals_to_mask(runs_to_intervals(runs, hop_s=hop_s), hop_s=hop_s, n_frames=500)
        np.testing.assert_array_equal(back, mask)


def test_intervals_to_mask_uses_frame_times_and_clips():
    # Frames at 0, 0.1, ..., 0.9 s: [0.15, 0.4) holds 0.2 and 0.3; [0.85, 5) holds 0.9.
    mask = intervals_to_mask(np.array([[0.15, 0.4], [0.85, 5.0]]), hop_s=0.1, n_frames=10)
    np.testing.assert_array_equal(np.flatnonzero(mask), [2, 3, 9])
