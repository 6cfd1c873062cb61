"""Clips are cut by seeking: the stretch they hold is the same stretch analysis decoded."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy.signal import resample_poly

from coach_api.clips import ClipWindow, read_window
from pipeline.config import DecodeConfig
from pipeline.decode import ANALYSIS_RATE_HZ, decode_call

REPO = Path(__file__).resolve().parents[2]
SAMPLES = [REPO / "sample_calls/heated_cancellation.opus",
           REPO / "sample_calls/heated_cancellation.8k.flac"]


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.name)
def test_a_seeked_window_matches_the_decoded_call(path):
    whole = decode_call(path, config=DecodeConfig()).samples.whole()
    window = ClipWindow(start_s=20.0, end_s=26.0)
    clip, rate_hz = read_window(path, window)
    assert clip.shape == (2, round(6.0 * rate_hz))
    resampled = resample_poly(clip, ANALYSIS_RATE_HZ, rate_hz, axis=1)
    reference = whole[:, 20 * ANALYSIS_RATE_HZ:26 * ANALYSIS_RATE_HZ]
    for got, want in zip(resampled, reference):
        lags = np.arange(-80, 81)  # ±5 ms
        middle = slice(800, len(want) - 800)
        scores = [np.dot(np.roll(got, lag)[middle], want[middle]) for lag in lags]
        assert abs(int(lags[int(np.argmax(scores))])) <= 16  # 1 ms
        best = np.roll(got, int(lags[int(np.argmax(scores))]))[middle]
        assert np.corrcoef(best, want[middle])[0, 1] > 0.95
