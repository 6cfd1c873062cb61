import numpy as np
import pytest

from audio_features.intervals import (as_intervals, gaps, intersect, merge_close, subtract,
                                      total_duration_s, union)

A = [[0.0, 2.0], [3.0, 5.0], [8.0, 9.0]]
B = [[1.0, 3.5], [4.0, 4.5], [9.0, 10.0]]


@pytest.mark.parametrize(("operation", "a", "b", "expected"), [
    (union, A, B, [[0, 5], [8, 10]]),
    (intersect, A, B, [[1, 2], [3, 3.5], [4, 4.5]]),
    (subtract, A, B, [[0, 1], [3.5, 4], [4.5, 5], [8, 9]]),
    (subtract, B, A, [[2, 3], [9, 10]]),
    (intersect, A, [], []),
    (union, [], [], []),
    (subtract, A, [], A),
    (subtract, [], A, []),
    (intersect, [[0, 1]], [[1, 2]], []),  # touching spans share no time
])
def test_set_operations(operation, a, b, expected):
    result = operation(np.array(a, dtype=float), np.array(b, dtype=float))
    np.testing.assert_allclose(result, np.array(expected, dtype=float).reshape(-1, 2))


@pytest.mark.parametrize(("intervals", "max_gap_s", "expected"), [
    ([[0, 1], [1.2, 2], [3, 4]], 0.2, [[0, 2], [3, 4]]),
    ([[0, 1], [1.3, 2]], 0.2, [[0, 1], [1.3, 2]]),
    ([[3, 4], [0, 2], [1, 1.5]], 0.0, [[0, 2], [3, 4]]),  # unsorted, nested
    ([[0, 0], [1, 2]], 0.0, [[1, 2]]),  # empty span dropped
])
def test_merge_close(intervals, max_gap_s, expected):
    np.testing.assert_allclose(merge_close(np.array(intervals, dtype=float), max_gap_s=max_gap_s),
                               expected)


def test_total_duration_counts_overlap_once():
    assert total_duration_s(np.array([[0, 2], [1, 3], [5, 5.5]])) == pytest.approx(3.5)
    assert total_duration_s(np.empty((0, 2))) == 0.0


def test_gaps_are_the_complement_within_the_span():
    np.testing.assert_allclose(gaps(np.array(A), start_s=-1.0, end_s=8.5),
                               [[-1, 0], [2, 3], [5, 8]])
    np.testing.assert_allclose(gaps(np.empty((0, 2)), start_s=0, end_s=4), [[0, 4]])


def test_random_sets_obey_inclusion_exclusion():
    rng = np.random.default_rng(3)
    a = merge_close(np.sort(rng.uniform(0, 100, (40, 2)), axis=1), max_gap_s=0)
    b = merge_close(np.sort(rng.uniform(0, 100, (40, 2)), axis=1), max_gap_s=0)
    assert total_duration_s(union(a, b)) == pytest.approx(
        total_duration_s(a) + total_duration_s(b) - total_duration_s(intersect(a, b)))
    assert total_duration_s(subtract(a, b)) == pytest.approx(
        total_duration_s(a) - total_duration_s(intersect(a, b)))


@pytest.mark.parametrize(("intervals", "message"), [
    ([[1, 0]], "swap"),
    ([[0, np.nan]], "NaN"),
    ([1, 2, 3], "column_stack"),
])
def test_bad_intervals_name_the_fix(intervals, message):
    with pytest.raises(ValueError, match=message):
        as_intervals(np.array(intervals, dtype=float))
