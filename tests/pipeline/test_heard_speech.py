"""What Whisper hears of a party: their speech, padded and bridged only where the other is silent."""

import pytest

from pipeline.heard_speech import heard_speech
from pipeline.types import Interval


def spans(*pairs: tuple[float, float]) -> tuple[Interval, ...]:
    return tuple(Interval(start_s=start, end_s=end) for start, end in pairs)


def test_short_pauses_are_bridged_and_runs_padded() -> None:
    heard = heard_speech(spans((1.0, 2.0), (2.6, 3.0), (6.0, 7.0)), (),
                         bridge_gap_s=1.0, pad_s=0.15)
    assert heard == spans((0.85, 3.15), (5.85, 7.15))


def test_a_pause_longer_than_the_bridge_stays_a_pause() -> None:
    heard = heard_speech(spans((1.0, 2.0), (3.5, 4.0)), (), bridge_gap_s=1.0, pad_s=0.0)
    assert heard == spans((1.0, 2.0), (3.5, 4.0))


def test_nothing_is_added_where_the_other_party_speaks() -> None:
    own = spans((1.0, 2.0), (2.8, 4.0))
    other = spans((2.2, 2.5), (4.05, 5.0))  # a backchannel in the pause, then a reply
    heard = heard_speech(own, other, bridge_gap_s=1.0, pad_s=0.15)
    assert heard == spans((0.85, 2.2), (2.5, 4.05))


def test_own_speech_is_kept_even_where_both_talk() -> None:
    own = spans((1.0, 3.0))
    heard = heard_speech(own, spans((2.0, 2.5)), bridge_gap_s=1.0, pad_s=0.0)
    assert heard == own


def test_padding_stops_at_the_start_of_the_call() -> None:
    assert heard_speech(spans((0.05, 1.0)), (), bridge_gap_s=0.0, pad_s=0.15) == spans((0.0, 1.15))


def test_no_speech_hears_nothing() -> None:
    assert heard_speech((), spans((1.0, 2.0)), bridge_gap_s=1.0, pad_s=0.15) == ()


@pytest.mark.parametrize("pad_s", [0.0, 0.15, 0.5])
def test_widening_never_reaches_into_the_other_partys_speech(pad_s: float) -> None:
    own = spans((1.0, 1.5), (2.0, 2.4), (5.0, 6.0))
    other = spans((1.55, 1.9), (4.7, 4.95), (6.1, 7.0))
    for interval in heard_speech(own, other, bridge_gap_s=1.0, pad_s=pad_s):
        for theirs in other:
            overlap = min(interval.end_s, theirs.end_s) - max(interval.start_s, theirs.start_s)
            assert overlap <= 1e-9, (interval, theirs)
