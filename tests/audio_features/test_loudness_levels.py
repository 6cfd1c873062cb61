import numpy as np
import pytest

from audio_features.loudness import loudness_dbfs

RATE_HZ = 16000
HOP_S = 0.016


def sine(amplitude: float, *, duration_s: float = 1.0, frequency_hz: float = 1000.0) -> np.ndarray:
    time_s = np.arange(int(duration_s * RATE_HZ)) / RATE_HZ
    return amplitude * np.sin(2 * np.pi * frequency_hz * time_s)


@pytest.mark.parametrize(("amplitude", "expected_dbfs"),
                         [(1.0, -3.01), (0.1, -23.01), (0.01, -43.01)])
def test_sine_level(amplitude, expected_dbfs):
    level = loudness_dbfs(sine(amplitude), sample_rate_hz=RATE_HZ, frame_s=0.064, hop_s=HOP_S)
    assert np.median(level) == pytest.approx(expected_dbfs, abs=0.05)


def test_silence_reads_the_floor():
    level = loudness_dbfs(np.zeros(8000), sample_rate_hz=RATE_HZ, frame_s=0.064, hop_s=HOP_S,
                          floor_dbfs=-90.0)
    np.testing.assert_array_equal(level, -90.0)


def test_frames_are_centred_on_multiples_of_the_hop():
    # Silence, then a tone from frame 64 (1.024 s): the frame centred there is half tone (-3 dB).
    step = 64
    samples = np.concatenate([np.zeros(step * 256), sine(0.5)])
    level = loudness_dbfs(samples, sample_rate_hz=RATE_HZ, frame_s=0.064, hop_s=HOP_S)
    assert level.shape == (1 + len(samples) // 256,)
    on = -3.01 - 6.02
    assert level[step] == pytest.approx(on - 3.01, abs=0.1)
    assert level[step - 3] < -90 and level[step + 3] == pytest.approx(on, abs=0.05)


def test_level_step_is_measured():
    samples = np.concatenate([sine(0.05, duration_s=2), sine(0.05 * 10 ** 0.5, duration_s=2)])
    level = loudness_dbfs(samples, sample_rate_hz=RATE_HZ, frame_s=0.064, hop_s=HOP_S)
    assert np.median(level[130:]) - np.median(level[:120]) == pytest.approx(10.0, abs=0.05)


def test_channels_first_input_gives_one_track_per_channel():
    stereo = np.stack([sine(1.0), sine(0.1)])
    level = loudness_dbfs(stereo, sample_rate_hz=RATE_HZ, frame_s=0.064, hop_s=HOP_S)
    assert level.shape == (2, 1 + RATE_HZ // 256)
    assert np.median(level[0]) - np.median(level[1]) == pytest.approx(20.0, abs=0.05)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"frame_s": 0.0}, "frame_s"), ({"hop_s": -0.01}, "hop_s"), ({"hop_s": 1e-6}, "hop_s")])
def test_bad_frames_are_rejected(kwargs, message):
    with pytest.raises(ValueError, match=message):
        loudness_dbfs(sine(0.1), **{"sample_rate_hz": RATE_HZ, "frame_s": 0.064, "hop_s": HOP_S,
                                    **kwargs})
