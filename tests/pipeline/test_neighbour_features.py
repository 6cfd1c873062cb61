"""The neighbour columns a head reads: how much nearer a check's positive examples are than its
hard negatives, and their share among the nearest, leaving a training unit's own example out."""

import numpy as np
import scipy.sparse

from pipeline.check_heads import Head
from pipeline.neighbour_features import COLUMNS, NEIGHBOURS, neighbour_columns
from pipeline.sentence_encoder import DIMENSION


def unit(*values):
    vector = np.zeros(DIMENSION, dtype=np.float32)
    vector[:len(values)] = values
    return vector / np.linalg.norm(vector)


REFERENCES = np.stack([unit(1, 0), unit(1, 0.1), unit(1, 0.2), unit(1, 0.3), unit(0, 1)])
POSITIVE = np.array([True, True, True, True, False])


def test_columns_are_how_much_nearer_the_positives_are_and_their_share():
    columns = neighbour_columns(unit(1, 0)[None], REFERENCES, POSITIVE)
    nearest = np.sort(REFERENCES[:4] @ unit(1, 0))[::-1][:NEIGHBOURS].mean()
    negative = REFERENCES[4] @ unit(1, 0)
    assert np.allclose(columns, [[nearest - negative, 1.0]], atol=1e-6)


def test_a_near_miss_closer_than_any_positive_scores_below_zero_and_loses_the_vote():
    # Similar to both kinds, but nearest to the two hard negatives.
    references = np.stack([unit(1, 0), unit(0.9, 0.4), unit(1, 0.02), unit(1, 0.04)])
    positive = np.array([False, True, False, True])
    margin, share = neighbour_columns(unit(1, 0.01)[None], references, positive)[0]
    assert margin < 0
    assert np.isclose(share, 1 / 3)  # of the three nearest, one is positive


def test_an_excluded_pair_is_never_a_neighbour():
    excluded = np.zeros((1, 5), dtype=bool)
    excluded[0, 0] = True  # the unit itself, as a training unit of that example
    kept = neighbour_columns(REFERENCES[:1], REFERENCES, POSITIVE)
    left_out = neighbour_columns(REFERENCES[:1], REFERENCES, POSITIVE, excluded=excluded)
    negative = REFERENCES[4] @ REFERENCES[0]
    assert np.isclose(kept[0, 0], (REFERENCES[:3] @ REFERENCES[0]).mean() - negative, atol=1e-6)
    assert np.isclose(left_out[0, 0], (REFERENCES[1:4] @ REFERENCES[0]).mean() - negative,
                      atol=1e-6)
    assert kept[0, 1] == left_out[0, 1] == 1.0  # three positives nearest either way


def test_a_missing_kind_counts_as_similarity_zero_and_no_examples_as_nothing():
    columns = neighbour_columns(unit(1, 0)[None], REFERENCES[:4], POSITIVE[:4])
    assert columns[0, 0] > 0.9 and columns[0, 1] == 1.0  # no hard negative to be nearer
    assert neighbour_columns(unit(1, 0)[None], REFERENCES[:0],
                             POSITIVE[:0]).tolist() == [[0.0] * COLUMNS]


def test_a_head_weighs_the_neighbour_columns_beside_the_features():
    weights = np.zeros(DIMENSION + COLUMNS, dtype=np.float32)
    weights[-COLUMNS:] = (10.0, 0.0)  # nearer the positives: yes; nearer the negatives: no
    head = Head(weights=weights, bias=0.0, threshold=0.5, veto=0.1, alone_threshold=0.5,
                neighbours=REFERENCES, neighbour_positive=POSITIVE)
    near_positive, near_negative = head.probability(
        scipy.sparse.csr_matrix(np.stack([unit(1, 0.05), unit(0.1, 1)])))
    assert near_positive > 0.9 > 0.1 > near_negative
