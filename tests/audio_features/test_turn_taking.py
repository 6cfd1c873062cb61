import numpy as np
import pytest

from audio_features import turns

from audio_features.turns import (backchannel_mask, classify_overlaps, longest_monologue_s,
                                  overlaps, response_latencies_s, silences)

RULES = {"interruption_min_overlap_s": 0.5, "backchannel_max_s": 1.0, "yield_window_s": 1.5}


def runs(*pairs):
    return np.array(pairs, dtype=float).reshape(-1, 2)


# (a runs, b runs, kind, entrant, start_s, end_s, overlap_s, entrant_run_s, holder_yielded)
OVERLAP_CASES = {
    "interruption with yield": (runs((0, 6)), runs((5, 9)), "interruption", 1, 5, 6, 1, 4, True),
    "interruption without yield": (runs((0, 10)), runs((3, 5)), "interruption", 1, 3, 5, 2, 2,
                                   False),
    "holder yields too late": (runs((0, 10)), runs((3, 12)), "interruption", 1, 3, 10, 7, 9,
                               False),
    "backchannel inside a turn": (runs((0, 8)), runs((3, 3.6)), "backchannel", 1, 3, 3.6, 0.6,
                                  0.6, False),
    "long backchannel overlap is still one": (runs((0, 8)), runs((3, 4)), "backchannel", 1, 3, 4,
                                              1, 1, False),
    "simultaneous start": (runs((2, 6)), runs((2.05, 4)), "other", 1, 2.05, 4, 1.95, 1.95,
                           False),
    "exact tie, shorter run is the entrant": (runs((2, 6)), runs((2, 4)), "other", 1, 2, 4, 2, 2,
                                              False),
    "early turn-take, 0.2 s": (runs((0, 5)), runs((4.8, 9)), "other", 1, 4.8, 5, 0.2, 4.2, True),
    "early turn-take past the minimum": (runs((0, 5)), runs((4.3, 9)), "interruption", 1, 4.3, 5,
                                         0.7, 4.7, True),
    "short run that outlasts the holder": (runs((0, 5)), runs((4.6, 5.4)), "other", 1, 4.6, 5,
                                           0.4, 0.8, True),
    "a enters over b": (runs((1, 4)), runs((0, 2.2)), "interruption", 0, 1, 2.2, 1.2, 3, True),
}


@pytest.mark.parametrize("case", OVERLAP_CASES.values(), ids=OVERLAP_CASES.keys())
def test_classify_overlaps(case):
    a, b, kind, entrant, start_s, end_s, overlap_s, run_s, yielded = case
    (finding,) = classify_overlaps(a, b, **RULES)
    assert (finding.kind, finding.entrant, finding.holder_yielded) == (kind, entrant, yielded)
    assert (finding.start_s, finding.end_s) == pytest.approx((start_s, end_s))
    assert (finding.overlap_s, finding.entrant_run_s) == pytest.approx((overlap_s, run_s))


def test_classify_a_whole_exchange_in_time_order():
    agent = runs((0, 4), (5, 12), (16, 20))
    customer = runs((2, 2.5), (11.5, 15.8), (17, 17.4), (19, 23))
    kinds = [(f.kind, f.entrant, f.start_s) for f in classify_overlaps(agent, customer, **RULES)]
    assert kinds == [("backchannel", 1, 2.0), ("other", 1, 11.5), ("backchannel", 1, 17.0),
                     ("interruption", 1, 19.0)]


def test_no_overlap_no_findings():
    assert classify_overlaps(runs((0, 1)), runs((1, 2)), **RULES) == ()
    assert classify_overlaps(runs(), runs((1, 2)), **RULES) == ()


def test_overlaps():
    np.testing.assert_allclose(overlaps(runs((0, 4), (6, 9)), runs((3, 7))), [[3, 4], [6, 7]])


def test_silences_keep_only_long_ones():
    a, b = runs((1, 2), (9, 10)), runs((2.5, 3), (3.2, 4))
    np.testing.assert_allclose(silences(a, b, start_s=0, end_s=14, min_silence_s=3.0),
                               [[4, 9], [10, 14]])
    np.testing.assert_allclose(silences(a, b, start_s=0, end_s=14, min_silence_s=0.5),
                               [[0, 1], [2, 2.5], [4, 9], [10, 14]])


@pytest.mark.parametrize(("own", "other", "expected"), [
    (runs((3, 3.5)), runs((0, 5)), [True]),  # overlapping "mm-hmm"
    (runs((3, 3.5)), runs((0, 2.8), (3.6, 6)), [True]),  # in a pause of the other's turn
    (runs((3, 4.5)), runs((0, 6)), [False]),  # too long
    (runs((5.8, 6.4)), runs((0, 6)), [False]),  # the other stops: it takes the floor
    (runs((0, 0.5)), runs((0, 6)), [False]),  # same start: the other had no turn yet
    (runs((3, 3.5)), runs((0, 1), (5, 6)), [False]),  # pause too long to be one turn
])
def test_backchannel_mask(own, other, expected):
    mask = backchannel_mask(own, other, backchannel_max_s=1.0, max_pause_s=1.5)
    np.testing.assert_array_equal(mask, expected)


def test_response_latencies():
    agent = runs((0, 3), (3.6, 6), (10, 14), (17, 18))
    customer = runs((6.4, 9.5), (11, 11.4), (13.5, 16), (16.2, 16.6))
    # Customer answers 0.4 s after the agent's turn and takes over 0.5 s before it ends;
    # the "mm-hmm" at 11 s is ignored.
    np.testing.assert_allclose(response_latencies_s(customer, agent, backchannel_max_s=1.0,
                                                    max_pause_s=1.5), [0.4, -0.5])
    # The agent answers 0.5 s after the customer and 1.0 s after the customer's last run.
    np.testing.assert_allclose(response_latencies_s(agent, customer, backchannel_max_s=1.0,
                                                    max_pause_s=1.5), [0.5, 0.4])


def test_interjection_inside_a_turn_is_not_a_response():
    holder, other = runs((0, 10), (10.5, 20)), runs((4, 6))
    assert response_latencies_s(other, holder, backchannel_max_s=1.0, max_pause_s=1.5).size == 0
    # The holder's resumption is not an answer to the interjection either.
    assert response_latencies_s(holder, other, backchannel_max_s=1.0, max_pause_s=1.5).size == 0


def test_longest_monologue_ignores_backchannels_but_not_interjections():
    own = runs((0, 5), (5.8, 12), (12.3, 20), (30, 33))
    other = runs((3, 3.4), (14, 16), (25, 28))
    # 0..14 (pause of 0.8 s bridged, "mm-hmm" ignored), cut by the 2 s interjection.
    assert longest_monologue_s(own, other, max_pause_s=1.0, backchannel_max_s=1.0) == \
        pytest.approx(14.0)
    # A shorter allowed pause splits at 5 s: the longest stretch is then 5.8..14.
    assert longest_monologue_s(own, runs((14, 16)), max_pause_s=0.5, backchannel_max_s=1.0) == \
        pytest.approx(8.2)
    assert longest_monologue_s(runs(), other, max_pause_s=1.0, backchannel_max_s=1.0) == 0.0


@pytest.mark.parametrize("own, other", [
    (np.array([[1.0, 3.0]]), np.zeros((0, 2))),
    (np.zeros((0, 2)), np.array([[1.0, 3.0]])),
    (np.zeros((0, 2)), np.zeros((0, 2))),
])
def test_a_silent_party_gives_empty_results_not_errors(own, other):
    rules = {"backchannel_max_s": 1.0, "max_pause_s": 1.0}
    assert turns.response_latencies_s(own, other, **rules).size == 0
    assert turns.backchannel_mask(own, other, **rules).size == len(own)
    assert turns.classify_overlaps(own, other, interruption_min_overlap_s=0.5,
                                   backchannel_max_s=1.0, yield_window_s=1.5) == ()
    expected_s = 2.0 if len(own) else 0.0
    assert turns.longest_monologue_s(own, other, max_pause_s=3.0,
                                     backchannel_max_s=1.0) == pytest.approx(expected_s)


@pytest.mark.parametrize("other, expected", [
    # Nobody speaks in the 0.4 s pause: one turn.
    (np.zeros((0, 2)), [[1.0, 4.0]]),
    # The other party speaks in the pause: the pause is a turn boundary.
    (np.array([[2.1, 2.4]]), [[1.0, 2.0], [2.4, 4.0]]),
    # Only the last 30 ms of a run the other was finishing: still one turn.
    (np.array([[0.0, 2.03]]), [[1.0, 4.0]]),
    # Talking over the other in two breaths until they stop: one bid for the floor.
    (np.array([[0.0, 2.8]]), [[1.0, 4.0]]),
    # Two remarks inside the other's run that both end before it does: two separate runs.
    (np.array([[0.0, 5.0]]), [[1.0, 2.0], [2.4, 4.0]]),
])
def test_merge_floor_pauses(other, expected):
    own = np.array([[1.0, 2.0], [2.4, 4.0]])
    merged = turns.merge_floor_pauses(own, other, max_pause_s=1.0)
    if len(expected) == 2:
        expected = own  # unchanged runs
    np.testing.assert_allclose(merged, np.array(expected))


def test_merge_floor_pauses_keeps_long_pauses():
    own = np.array([[1.0, 2.0], [3.5, 4.0]])
    np.testing.assert_allclose(turns.merge_floor_pauses(own, np.zeros((0, 2)), max_pause_s=1.0), own)


def test_resuming_within_a_reaction_time_of_the_other_keeps_the_turn():
    """A pauses mid-sentence; B starts 0.13 s before A goes on: too soon for A to be answering
    B, so A's turn runs through the pause and B started inside it."""
    own = np.array([[0.0, 3.0], [3.45, 5.0]])
    other = np.array([[3.32, 8.0]])
    np.testing.assert_allclose(turns.merge_floor_pauses(own, other, max_pause_s=1.0), [[0.0, 5.0]])
    later = np.array([[3.1, 8.0]])  # B began 0.35 s before: A's restart competes with B
    np.testing.assert_allclose(turns.merge_floor_pauses(own, later, max_pause_s=1.0), own)
