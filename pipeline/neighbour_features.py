"""How close a unit of speech lies to a check's own examples: two columns a head reads beside
the embedding and the n-grams.

A logistic head draws one straight boundary through the embedding space, but a check's
wordings sit in clusters ("that's on you" and "you should have read the terms" are both
blame, far apart), with hard negatives close beside some of them ("that's on us"). Two
columns say on which side of its nearest examples a unit lies: the mean cosine similarity
to its ``NEIGHBOURS`` nearest positive examples less that to its nearest hard negatives,
and the share of positives among its ``NEIGHBOURS`` nearest examples of either kind. It is
the nearest-neighbour idea, learnt and weighed by the head instead of taken as the answer.
Both are relative on purpose: a column of plain nearness to the hard negatives was learnt as
evidence *for* the check (near any example, the check is in play), and "so you won't have
to explain it again", closest of all to hard negatives, then scored as dismissive.

While a head is trained, a training unit is never its own neighbour: the similarities are
taken leaving out the units of its own example, as an unseen sentence would see them.
"""

from __future__ import annotations

import numpy as np

NEIGHBOURS = 3  # nearest examples averaged: one alone is too easily a lucky wording
COLUMNS = 2  # how much nearer the positives are than the hard negatives; their share


def neighbour_columns(embeddings: np.ndarray, references: np.ndarray, positive: np.ndarray, *,
                      excluded: np.ndarray | None = None) -> np.ndarray:
    """``(n, 2)``: for each row of ``embeddings`` (unit vectors), the mean cosine similarity to
    its ``NEIGHBOURS`` nearest ``references`` labelled positive less that to those labelled
    negative (a missing kind counts as similarity 0), then the share of positives among its
    ``NEIGHBOURS`` nearest references of either label. ``excluded``, an
    ``(n, len(references))`` boolean mask, leaves pairs out (a training unit and its own
    example)."""
    embeddings = np.asarray(embeddings, dtype=np.float32)
    columns = np.zeros((len(embeddings), COLUMNS), dtype=np.float32)
    if not len(embeddings) or not len(references):
        return columns
    similarity = embeddings @ np.asarray(references, dtype=np.float32).T
    if excluded is not None:
        similarity = np.where(excluded, np.nan, similarity)
    for sign, wanted in ((1.0, True), (-1.0, False)):
        chosen = similarity[:, positive == wanted]
        if chosen.shape[1]:
            columns[:, 0] += sign * _mean_at_nearest(chosen, chosen, NEIGHBOURS)
    votes = np.broadcast_to(positive.astype(np.float32), similarity.shape)
    columns[:, 1] = _mean_at_nearest(similarity, votes, NEIGHBOURS)
    return columns


def _mean_at_nearest(similarity: np.ndarray, values: np.ndarray, count: int) -> np.ndarray:
    """Row means of ``values`` at each row's ``count`` most similar references (NaN
    similarity: left out); 0 for a row with nothing left. With the similarities as values it
    is how near the nearest are; with the labels, the share of positives among them."""
    filled = np.where(np.isnan(similarity), -np.inf, similarity)
    count = min(count, similarity.shape[1])
    nearest = np.argpartition(-filled, count - 1, axis=1)[:, :count]
    usable = np.isfinite(np.take_along_axis(filled, nearest, axis=1))
    totals = np.where(usable, np.take_along_axis(values, nearest, axis=1), 0.0).sum(axis=1)
    return np.where(usable.any(axis=1), totals / np.maximum(usable.sum(axis=1), 1), 0.0)
