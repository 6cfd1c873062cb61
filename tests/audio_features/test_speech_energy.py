import numpy as np
import pytest

from audio_features.speech_energy import (frame_level_db, level_gain_db, loud_frames,
                                          loud_speech_level_db, noise_floor_db, periodicity)

RATE_HZ = 16000


@pytest.mark.parametrize("f0_hz", [80.0, 140.0, 260.0, 550.0])
def test_voiced_frames_are_periodic(f0_hz, voice):
    samples = voice(f0_hz, sample_rate_hz=RATE_HZ, duration_s=1.0)
    assert periodicity(samples, frame_len=512, sample_rate_hz=RATE_HZ, f0_min_hz=60,
                       f0_max_hz=700, frame_index=np.arange(2, 28)).min() > 0.9


def test_noise_and_key_clicks_are_not_periodic():
    rng = np.random.default_rng(0)
    noise = rng.standard_normal(RATE_HZ)
    clicks = np.zeros(RATE_HZ)
    for at in rng.integers(0, RATE_HZ - 80, 40):  # a key click: a 5 ms burst of noise
        clicks[at: at + 80] += rng.standard_normal(80) * np.hanning(80)
    for samples in (noise, clicks):
        assert periodicity(samples, frame_len=512, sample_rate_hz=RATE_HZ, f0_min_hz=60,
                           f0_max_hz=700, frame_index=np.arange(30)).max() < 0.4


def test_loud_frames_are_relative_to_the_channel_not_absolute():
    levels = np.array([-70.0] * 20 + [-12.0] * 10 + [-38.0, -45.0, -50.0])
    floor_db = noise_floor_db(levels, percentile=10)
    assert floor_db == pytest.approx(-70.0)
    loud_db = loud_speech_level_db(levels, floor_db=floor_db, above_floor_db=15,
                                   loud_percentile=95)
    assert loud_db == pytest.approx(-12.0)
    found = loud_frames(levels, floor_db=floor_db, above_floor_db=15, loud_db=loud_db,
                        below_loud_db=30)
    np.testing.assert_array_equal(found, [False] * 20 + [True] * 11 + [False, False])
    # The same channel 40 dB quieter finds the same frames: nothing is absolute.
    quieter = loud_frames(levels - 40, floor_db=noise_floor_db(levels - 40, percentile=10),
                          above_floor_db=15, loud_db=loud_db - 40, below_loud_db=30)
    np.testing.assert_array_equal(found, quieter)


def test_gain_brings_loud_speech_to_the_target_within_limits():
    assert level_gain_db(-9.0, target_dbfs=-26.0, max_boost_db=20, max_cut_db=60) == -17.0
    assert level_gain_db(-60.0, target_dbfs=-26.0, max_boost_db=20, max_cut_db=60) == 20.0
    assert level_gain_db(float("nan"), target_dbfs=-26.0, max_boost_db=20, max_cut_db=60) == 0.0
    silent = frame_level_db(np.zeros(4096), 512)
    assert np.isnan(loud_speech_level_db(silent, floor_db=noise_floor_db(silent, percentile=10),
                                         above_floor_db=15, loud_percentile=95))


@pytest.mark.parametrize("n_samples", [0, 5, 512, 513, 256 * 512 * 3 + 700])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_frame_levels_block_by_block_equal_the_whole_signal_at_once(n_samples, dtype):
    samples = np.random.default_rng(n_samples).normal(0, 0.1, n_samples).astype(dtype)
    samples[: n_samples // 3] *= 1e-4  # quiet frames, where rounding would show first
    whole = n_samples // 512
    sums = np.sum(np.square(samples[: whole * 512].reshape(whole, 512), dtype=np.float64), axis=1)
    if n_samples > whole * 512:
        sums = np.append(sums, np.sum(np.square(samples[whole * 512:], dtype=np.float64)))
    expected = 10 * np.log10(np.maximum(sums / 512, 1e-20))
    np.testing.assert_array_equal(frame_level_db(samples, 512), expected)
