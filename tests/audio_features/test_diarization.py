import tracemalloc

import numpy as np
import pytest

from audio_features import diarization
from audio_features.diarization_scoring import score_diarization


def voices(seed, n, centre):
    rng = np.random.default_rng(seed)
    return centre + 0.3 * rng.standard_normal((n, len(centre)))


def test_two_means_separates_two_voices_whatever_the_order():
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal(16), rng.standard_normal(16)
    points = np.concatenate([voices(1, 12, a), voices(2, 5, b)])
    order = rng.permutation(len(points))
    labels, centroids = diarization.cluster_two(points[order])
    truth = (order >= 12).astype(int)
    assert np.array_equal(labels, truth) or np.array_equal(labels, 1 - truth)
    assert np.allclose(np.linalg.norm(centroids, axis=1), 1.0)


def test_least_similar_pair_is_found_block_by_block():
    points = diarization.unit_rows(np.random.default_rng(3).standard_normal((50, 8)))
    whole = points @ points.T
    expected = np.unravel_index(np.argmin(whole), whole.shape)
    assert diarization._least_similar_pair(points, block_rows=7) == tuple(map(int, expected))


def test_two_means_memory_does_not_grow_with_the_square_of_the_call():
    # 6,000 embeddings (about 1.5 hours of speech): their whole similarity matrix is 288 MB.
    points = np.random.default_rng(4).standard_normal((6000, 16))
    tracemalloc.start()
    diarization.cluster_two(points)
    peak_mb = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    assert peak_mb < 100


def test_two_means_needs_two_embeddings():
    with pytest.raises(ValueError, match="at least two"):
        diarization.cluster_two(np.ones((1, 4)))


def test_two_local_speakers_of_one_window_get_different_global_speakers():
    # Both local speakers are nearer global speaker 0, but they are two people.
    similarity = np.array([[[0.9, 0.2], [0.6, 0.5], [0.0, 0.0]]])
    active = np.array([[True, True, False]])
    assert diarization.assign_local_speakers(similarity, active).tolist() == [[0, 1, -1]]


def test_powerset_classes_add_up_to_speakers_and_overlap():
    probabilities = np.full((1, 7), 1e-9)
    probabilities[0, 4] = 1.0  # speakers 1 and 2 together
    speakers, overlap = diarization.powerset_to_speakers(np.log(probabilities))
    assert speakers[0].tolist() == pytest.approx([1, 1, 0], abs=1e-6)
    assert overlap[0] == pytest.approx(1.0)


def test_windows_are_averaged_where_they_overlap():
    scores = np.ones((2, 4, 1))
    scores[1] *= 3
    timeline = diarization.aggregate_windows(scores, np.array([0, 2]), n_frames=7)[:, 0]
    assert timeline[[0, 1, 4, 5, 6]].tolist() == pytest.approx([1, 1, 3, 3, 0])
    # Where they overlap, each window counts most away from its own edges.
    assert 1 < timeline[2] < 2 < timeline[3] < 3
    assert timeline[2] + timeline[3] == pytest.approx(4)


def test_local_speakers_sharing_a_window_stay_apart_while_clustering():
    rng = np.random.default_rng(3)
    a, b = rng.standard_normal(8), rng.standard_normal(8)
    near_a = diarization.unit_rows(a + 0.8 * b)  # b's voice, pulled towards a's
    vectors = diarization.unit_rows(np.array([
        [a, near_a, np.zeros(8)], [a, b, np.zeros(8)], [b, a, np.zeros(8)]]))
    weights = np.array([[2.0, 1.0, 0.0], [2.0, 2.0, 0.0], [2.0, 2.0, 0.0]])
    assignment, _ = diarization.cluster_local_speakers(vectors, weights)
    assert assignment[:, 2].tolist() == [-1, -1, -1]
    assert all(row[0] != row[1] for row in assignment)
    assert assignment[1, 0] == assignment[2, 1] == assignment[0, 0]


def test_overlap_is_claimed_only_on_strong_evidence():
    scores = np.array([[0.9, 0.1], [0.9, 0.6], [0.9, 0.6], [0.2, 0.8]])
    overlap = np.array([0.1, 0.4, 0.8, 0.1])
    speech = np.array([True, True, True, True])
    masks, both = diarization.speaker_masks(scores, overlap, speech, overlap_probability=0.5,
                                            second_speaker_probability=0.3,
                                            fallback=np.zeros(4, dtype=int))
    assert both.tolist() == [False, False, True, False]
    assert masks.tolist() == [[True, True, True, False], [False, False, True, True]]


def test_unscored_frames_take_the_nearest_known_label():
    labels = np.array([0, 0, 1, 0, 0, 0, 1])
    known = np.array([True, False, False, False, False, False, True])
    assert diarization.fill_labels(labels, known).tolist() == [0, 0, 0, 0, 1, 1, 1]


def spans(*pairs):
    return np.array(pairs, dtype=float).reshape(-1, 2)


def test_error_rate_counts_miss_false_alarm_and_confusion():
    reference = [spans((0, 4)), spans((4, 8))]
    # Swapped names cost nothing; 1 s of B given to A is confusion, 0.5 s missed.
    hypothesis = [spans((5.5, 8)), spans((0, 5))]
    score = score_diarization(reference, hypothesis, scored_s=(0.0, 10.0))
    assert score.reference_s == pytest.approx(8.0)
    assert score.confusion_s == pytest.approx(1.0)
    assert score.missed_s == pytest.approx(0.5)
    assert score.false_alarm_s == pytest.approx(0.0)
    assert score.error_rate == pytest.approx(1.5 / 8)
    # A second voice where only one speaks is false alarm.
    doubled = score_diarization(reference, [spans((4, 8)), spans((0, 5))], scored_s=(0.0, 10.0))
    assert doubled.false_alarm_s == pytest.approx(1.0) and doubled.confusion_s == 0


def test_collar_forgives_boundaries_and_overlap_is_scored():
    reference = [spans((0, 4)), spans((3, 8))]
    hypothesis = [spans((0, 4.2)), spans((3.1, 8))]
    plain = score_diarization(reference, hypothesis, scored_s=(0.0, 8.0))
    collar = score_diarization(reference, hypothesis, scored_s=(0.0, 8.0), collar_s=0.25)
    assert plain.error_rate > 0 and collar.error_rate == pytest.approx(0.0)
    assert plain.overlap_reference_s == pytest.approx(1.0)
    assert plain.overlap_precision == pytest.approx(0.9 / 1.1, abs=0.01)
    assert plain.overlap_recall == pytest.approx(0.9, abs=0.01)
