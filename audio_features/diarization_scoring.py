"""Diarization error rate and overlap detection scores, frame by frame.

The definitions are NIST's (md-eval) as pyannote.metrics implements them: each reference
speaker is mapped to at most one hypothesis speaker so that they agree the most; then, per
frame, missed speech is reference speakers beyond the hypothesis count, false alarm the
reverse, and confusion the speakers both sides count but the mapping does not pair. A collar
ignores the frames within ``collar_s`` of every reference boundary, where human labels
disagree anyway.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment

from audio_features import binarize

SCORING_HOP_S = 0.01


@dataclass(frozen=True, slots=True, kw_only=True)
class DiarizationScore:
    reference_s: float  # reference speech, counted once per speaker
    missed_s: float
    false_alarm_s: float
    confusion_s: float
    overlap_reference_s: float  # frames where the reference has two or more speakers
    overlap_found_s: float  # frames where the hypothesis has two or more speakers
    overlap_correct_s: float  # both

    @property
    def error_rate(self) -> float:
        return (self.missed_s + self.false_alarm_s + self.confusion_s) / max(self.reference_s, 1e-9)

    @property
    def confusion_rate(self) -> float:
        return self.confusion_s / max(self.reference_s, 1e-9)

    @property
    def overlap_precision(self) -> float | None:
        return self.overlap_correct_s / self.overlap_found_s if self.overlap_found_s else None

    @property
    def overlap_recall(self) -> float | None:
        if not self.overlap_reference_s:
            return None
        return self.overlap_correct_s / self.overlap_reference_s

    @property
    def false_overlap_s(self) -> float:
        return self.overlap_found_s - self.overlap_correct_s


def speaker_masks(speakers: list[np.ndarray], *, n_frames: int) -> np.ndarray:
    """``(speakers, n_frames)`` bool from each speaker's ``(n, 2)`` intervals in seconds."""
    return np.array([binarize.intervals_to_mask(spans, hop_s=SCORING_HOP_S, n_frames=n_frames)
                     for spans in speakers], dtype=bool).reshape(len(speakers), n_frames)


def score_diarization(reference: list[np.ndarray], hypothesis: list[np.ndarray], *,
                      scored_s: tuple[float, float], collar_s: float = 0.0) -> DiarizationScore:
    """Score ``hypothesis`` speakers' intervals against ``reference`` speakers' intervals.

    Only ``scored_s`` (the UEM: start and end, seconds) counts, less the collar.
    """
    n_frames = int(np.ceil(scored_s[1] / SCORING_HOP_S))
    ref = speaker_masks(reference, n_frames=n_frames)
    hyp = speaker_masks(hypothesis, n_frames=n_frames)
    scored = np.arange(n_frames) * SCORING_HOP_S >= scored_s[0]
    if collar_s > 0:
        scored &= ~_near_boundaries(ref, frames=round(collar_s / SCORING_HOP_S))
    ref, hyp = ref[:, scored], hyp[:, scored]
    agreement = ref.astype(np.int64) @ hyp.T.astype(np.int64)  # (ref, hyp) frames both talk
    rows, cols = linear_sum_assignment(-agreement)
    n_ref, n_hyp = ref.sum(axis=0), hyp.sum(axis=0)
    correct = np.zeros(ref.shape[1], dtype=np.int64)
    for row, col in zip(rows, cols):
        correct += ref[row] & hyp[col]
    seconds = lambda frames: float(np.sum(frames)) * SCORING_HOP_S  # noqa: E731
    return DiarizationScore(
        reference_s=seconds(n_ref),
        missed_s=seconds(np.maximum(n_ref - n_hyp, 0)),
        false_alarm_s=seconds(np.maximum(n_hyp - n_ref, 0)),
        confusion_s=seconds(np.minimum(n_ref, n_hyp) - correct),
        overlap_reference_s=seconds(n_ref >= 2),
        overlap_found_s=seconds(n_hyp >= 2),
        overlap_correct_s=seconds((n_ref >= 2) & (n_hyp >= 2)),
    )


def _near_boundaries(masks: np.ndarray, *, frames: int) -> np.ndarray:
    """Frames within ``frames`` of any speaker's start or end."""
    edges = np.zeros(masks.shape[1], dtype=bool)
    for mask in masks:
        change = np.flatnonzero(np.diff(np.concatenate(([False], mask, [False])).astype(np.int8)))
        edges[np.clip(change, 0, masks.shape[1] - 1)] = True
    return binarize.dilate(edges, frames=frames)
