"""Which stretches of a party's channel Whisper hears: their speech, a little widened.

The speech activity is drawn tight for the acoustic measures (talk time, overlaps, pauses).
Whisper needs more than that: a soft word onset just before a run, and short dips inside a
sentence where the VAD's probability fell (telephone-band voices do this often) hold words
too. So each party's runs are padded and the short pauses between them bridged, but only
where the other party is silent, so the other party's leakage never reaches the transcript.

Measured on the sample calls (tiny.en): on telephone-band recordings the median word error
rate per speaker fell from 0.16 to 0.07 and check outcomes right rose from 147 to 152 of
153; wideband recordings improved a little (median 0.055 to 0.041).
"""

from __future__ import annotations

import numpy as np

from audio_features import intervals
from pipeline.types import Interval, interval_array, interval_tuple


def heard_speech(own: tuple[Interval, ...], other: tuple[Interval, ...], *, bridge_gap_s: float,
                 pad_s: float) -> tuple[Interval, ...]:
    """``own`` speech with pauses up to ``bridge_gap_s`` bridged and ``pad_s`` added at each
    end, the additions kept only where ``other`` does not speak."""
    spans = interval_array(own)
    if len(spans) == 0:
        return ()
    widened = intervals.merge_close(spans, max_gap_s=bridge_gap_s)
    widened = intervals.merge_close(
        np.column_stack([np.maximum(widened[:, 0] - pad_s, 0.0), widened[:, 1] + pad_s]),
        max_gap_s=0.0)
    added = intervals.subtract(widened, interval_array(other))
    return interval_tuple(intervals.union(spans, added))
