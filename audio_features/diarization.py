"""Two-speaker diarization math: local speakers per window to two global speakers per frame.

The recipe follows pyannote's (Bredin, "pyannote.audio 2.1 speaker diarization pipeline",
Interspeech 2023): a segmentation model scores up to three *local* speakers, and overlapped
speech, in each window; one embedding per local speaker is clustered into global speakers;
each window's local scores are then added to the global speaker they were clustered into and
averaged over the windows that cover a frame. A call has exactly two parties, so clustering
is two-means on the unit sphere, and every step here is numpy only.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import linear_sum_assignment

# segmentation-3.0 scores 7 "powerset" classes per frame: nobody, each of three speakers
# alone, and each pair. Columns are the local speakers each class contains.
POWERSET_SPEAKERS = np.array([
    [0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 0], [1, 0, 1], [0, 1, 1]], dtype=np.float32)


def powerset_to_speakers(log_probabilities: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-speaker and overlap probabilities from powerset log-probabilities.

    Args:
        log_probabilities: ``(..., frames, 7)`` log-softmax scores.

    Returns:
        ``(..., frames, 3)`` probability that each local speaker talks, and ``(..., frames)``
        probability that two speakers talk at once.
    """
    probabilities = np.exp(np.asarray(log_probabilities, dtype=np.float32))
    return probabilities @ POWERSET_SPEAKERS, probabilities[..., 4:].sum(axis=-1)


def unit_rows(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (zero rows stay zero)."""
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


def cluster_two(embeddings: np.ndarray, *, weights: np.ndarray | None = None,
                iterations: int = 20) -> tuple[np.ndarray, np.ndarray]:
    """Spherical two-means: ``(n,)`` labels 0/1 and ``(2, dim)`` unit centroids.

    Starts from the two least similar embeddings (a call's two voices are the main split);
    ``weights`` (e.g. seconds of speech behind each embedding) weight the centroids.
    """
    points = unit_rows(np.asarray(embeddings, dtype=np.float64))
    if len(points) < 2:
        raise ValueError(f"need at least two embeddings to find two speakers, got {len(points)}")
    weights = np.ones(len(points)) if weights is None else np.asarray(weights, dtype=np.float64)
    centroids = points[list(_least_similar_pair(points))]
    labels = np.zeros(len(points), dtype=int)
    for _ in range(iterations):
        new_labels = np.argmax(points @ centroids.T, axis=1)
        if _ > 0 and np.array_equal(new_labels, labels):
            break
        labels = new_labels
        for k in (0, 1):
            if np.any(labels == k):
                centroids[k] = unit_rows((weights[labels == k, None] * points[labels == k]).sum(0))
    return labels, centroids


def _least_similar_pair(points: np.ndarray, *, block_rows: int = 256) -> tuple[int, int]:
    """The first pair (in row order) of least cosine similarity among unit ``points``.

    Row block by row block: the whole similarity matrix of a 4-hour call's 14,000 embeddings
    would be 1.6 GB, and grows with the square of the call's length; a block of 256 rows is
    29 MB there."""
    best, pair = np.inf, (0, 0)
    for first in range(0, len(points), block_rows):
        similarity = points[first:first + block_rows] @ points.T
        row, column = np.unravel_index(np.argmin(similarity), similarity.shape)
        if similarity[row, column] < best:
            best, pair = similarity[row, column], (first + int(row), int(column))
    return pair


def assign_local_speakers(similarity: np.ndarray, active: np.ndarray) -> np.ndarray:
    """Global speaker (0/1) of each local speaker of each window, ``(windows, local)``.

    Two local speakers of one window are different people (the segmentation model tells
    voices apart within a window), so the two most active ones get different global speakers
    by best total similarity; any other local speaker takes its most similar global speaker.
    -1 marks a local speaker with no embedding (``active`` false).

    Args:
        similarity: ``(windows, local, 2)`` cosine similarity to each global centroid.
        active: ``(windows, local)`` bool, the local speakers that have an embedding.
    """
    assignment = np.where(active, np.argmax(similarity, axis=-1), -1)
    for window in np.flatnonzero(active.sum(axis=1) >= 2):
        locals_ = np.flatnonzero(active[window])
        rows, cols = linear_sum_assignment(-similarity[window, locals_])
        assignment[window, locals_[rows]] = cols
    return assignment


def cluster_local_speakers(vectors: np.ndarray, weights: np.ndarray, *,
                           iterations: int = 20) -> tuple[np.ndarray, np.ndarray]:
    """Two-means over local speakers' embeddings, keeping each window's speakers apart.

    Starts from :func:`cluster_two`, then alternates :func:`assign_local_speakers` (which
    never puts two local speakers of one window in the same cluster) with centroid updates:
    the segmentation model tells two voices apart within a window even where the embeddings
    of similar voices blur together across the call.

    Args:
        vectors: ``(windows, local, dim)`` unit embeddings.
        weights: ``(windows, local)`` speech behind each one; 0 where there is none.

    Returns:
        ``(windows, local)`` assignment (-1 where no embedding) and ``(2, dim)`` centroids.
    """
    active = weights > 0
    _, centroids = cluster_two(vectors[active], weights=weights[active], iterations=iterations)
    assignment = assign_local_speakers(vectors @ centroids.T, active)
    for _ in range(iterations):
        for k in (0, 1):
            chosen = assignment == k
            if chosen.any():
                centroids[k] = unit_rows((weights[chosen, None] * vectors[chosen]).sum(0))
        updated = assign_local_speakers(vectors @ centroids.T, active)
        if np.array_equal(updated, assignment):
            break
        assignment = updated
    return assignment, centroids


def aggregate_windows(window_scores: np.ndarray, start_frames: np.ndarray, *,
                      n_frames: int) -> np.ndarray:
    """Average overlapping windows' frame scores onto one timeline, each window weighted
    by a Hann taper so its edges (where a voice is cut off mid-word) count least, as
    pyannote's ``Inference.aggregate`` does.

    Args:
        window_scores: ``(windows, frames_per_window, k)`` scores.
        start_frames: ``(windows,)`` first timeline frame of each window.
        n_frames: length of the timeline.

    Returns:
        ``(n_frames, k)`` weighted mean score over the windows covering each frame (0 where
        none does).
    """
    windows, length, k = window_scores.shape
    taper = np.hanning(length + 2)[1:-1, None]  # never exactly zero, so one window still counts
    total = np.zeros((n_frames + length, k))
    weight = np.zeros((n_frames + length, 1))
    for window in range(windows):
        start = int(start_frames[window])
        total[start:start + length] += taper * window_scores[window]
        weight[start:start + length] += taper
    return (total / np.maximum(weight, 1e-12))[:n_frames]


def global_scores(local_probabilities: np.ndarray, assignment: np.ndarray) -> np.ndarray:
    """Each window's local speaker probabilities summed into global speakers 0 and 1.

    ``(windows, frames, local)`` and ``(windows, local)`` in, ``(windows, frames, 2)`` out,
    each score clipped to 1 (two local speakers of one person are still one voice).
    """
    onehot = (assignment[..., None] == np.arange(2)).astype(np.float32)  # (windows, local, 2)
    return np.minimum(np.einsum("wfl,wlg->wfg", local_probabilities, onehot), 1.0)


def speaker_masks(scores: np.ndarray, overlap: np.ndarray, speech: np.ndarray, *,
                  overlap_probability: float, second_speaker_probability: float,
                  fallback: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Frame masks ``(2, frames)`` of who talks, and the ``(frames,)`` mask of strong overlap.

    Inside ``speech`` the louder-scored global speaker talks; where both scores are zero the
    ``fallback`` label (0/1 per frame) decides. Both talk only where the overlap probability
    reaches ``overlap_probability`` and the weaker speaker's score reaches
    ``second_speaker_probability``: overlap is only claimed on strong evidence.
    """
    primary = np.where(scores.max(axis=1) > 0, np.argmax(scores, axis=1), fallback)
    both = speech & (overlap >= overlap_probability) \
        & (scores.min(axis=1) >= second_speaker_probability)
    masks = np.stack([speech & ((primary == k) | both) for k in (0, 1)])
    return masks, both


def fill_labels(labels: np.ndarray, known: np.ndarray) -> np.ndarray:
    """``labels`` with each unknown frame given the label of the nearest known frame."""
    index = np.flatnonzero(known)
    if len(index) == 0:
        return np.zeros_like(labels)
    position = np.clip(np.searchsorted(index, np.arange(len(labels))), 1, len(index) - 1) \
        if len(index) > 1 else np.zeros(len(labels), dtype=int)
    if len(index) > 1:
        left, right = index[position - 1], index[position]
        nearest = np.where(np.arange(len(labels)) - left <= right - np.arange(len(labels)),
                           left, right)
    else:
        nearest = np.full(len(labels), index[0])
    return labels[nearest]
