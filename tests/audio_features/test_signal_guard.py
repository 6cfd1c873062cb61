import re

import numpy as np
import pytest

from audio_features.signal import check_audio, frame_count, samples_per


def test_valid_audio_is_returned_unchanged():
    samples = np.zeros((2, 160), dtype=np.float32)
    assert check_audio(samples, sample_rate_hz=16000, channels=2) is samples


@pytest.mark.parametrize(("samples", "kwargs", "fix"), [
    (np.zeros(10, dtype=np.int16), {}, "32768"),
    ([0.0, 0.1], {}, "np.asarray"),
    (np.zeros((1, 2, 3)), {}, "reshape"),
    (np.zeros((160, 2)), {"channels": 2}, "samples.T"),
    (np.zeros((2, 0)), {}, "empty"),
    (np.array([0.0, np.nan]), {}, "re-decode"),
    (np.array([0.0, np.inf]), {}, "re-decode"),
    (np.zeros((2, 10)), {"mono": True}, "samples[0]"),
    (np.zeros(10), {"sample_rate_hz": 0}, "positive"),
    (np.zeros(10), {"sample_rate_hz": float("nan")}, "positive"),
])
def test_bad_audio_names_the_fix(samples, kwargs, fix):
    with pytest.raises(ValueError, match=re.escape(fix)):
        check_audio(samples, **{"sample_rate_hz": 16000, **kwargs})


@pytest.mark.parametrize(("duration_s", "rate", "expected"),
                         [(0.016, 16000, 256), (0.064, 8000, 512)])
def test_samples_per_rounds_to_whole_samples(duration_s, rate, expected):
    assert samples_per(duration_s, sample_rate_hz=rate, name="x") == expected


@pytest.mark.parametrize("duration_s", [0.0, -1.0, 1e-6])
def test_samples_per_rejects_too_short(duration_s):
    with pytest.raises(ValueError, match="hop_s"):
        samples_per(duration_s, sample_rate_hz=16000, name="hop_s")


def test_frame_count_matches_centred_framing():
    assert frame_count(1000, hop_len=256) == 4
    assert frame_count(1024, hop_len=256) == 5
