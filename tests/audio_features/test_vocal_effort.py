import numpy as np
import pytest

from audio_features.effort import alpha_ratio_db
from audio_features.loudness import loudness_dbfs

FRAME_S, HOP_S = 0.064, 0.016
F0_HZ = 130.0  # harmonics at 910 and 1040 Hz: none straddles the 1 kHz band edge


def tilted_voice(*, rolloff_db_per_octave, sample_rate_hz=16000, f0_hz=F0_HZ, duration_s=2.0,
                 level_dbfs=-20.0, seed=0):
    """A harmonic voice whose harmonics fall by ``rolloff_db_per_octave``, at ``level_dbfs`` RMS.

    A pressed, loud voice falls off less steeply than a soft one (about -6 against -12 dB per
    octave above the first harmonics)."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(round(duration_s * sample_rate_hz))) / sample_rate_hz
    voice = np.zeros(t.size)
    for h in range(1, int(3900 // f0_hz) + 1):
        amplitude = 10 ** (rolloff_db_per_octave * np.log2(h) / 20)
        voice += amplitude * np.sin(2 * np.pi * h * f0_hz * t + rng.uniform(0, 2 * np.pi))
    return voice * 10 ** (level_dbfs / 20) / np.sqrt(np.mean(voice ** 2))


def expected_ratio_db(rolloff_db_per_octave):
    """The alpha ratio of ``tilted_voice`` from its harmonic powers, the known answer."""
    harmonics = np.arange(1, int(3900 // F0_HZ) + 1)
    power = 10 ** (rolloff_db_per_octave * np.log2(harmonics) / 10)
    freqs = harmonics * F0_HZ
    high = power[(freqs >= 1000) & (freqs < 3800)].sum()
    return 10 * np.log10(high / power[(freqs >= 50) & (freqs < 1000)].sum())


def median_ratio(samples, sample_rate_hz=16000):
    return float(np.nanmedian(alpha_ratio_db(samples, sample_rate_hz=sample_rate_hz,
                                             frame_s=FRAME_S, hop_s=HOP_S)))


def test_flatter_tilt_at_the_same_level_reads_as_more_effort():
    soft = tilted_voice(rolloff_db_per_octave=-12.0)
    pressed = tilted_voice(rolloff_db_per_octave=-6.0)
    same_level = [np.median(loudness_dbfs(v, sample_rate_hz=16000, frame_s=FRAME_S, hop_s=HOP_S))
                  for v in (soft, pressed)]
    assert same_level[0] == pytest.approx(same_level[1], abs=0.2)
    assert median_ratio(soft) == pytest.approx(expected_ratio_db(-12.0), abs=0.5)
    assert median_ratio(pressed) == pytest.approx(expected_ratio_db(-6.0), abs=0.5)
    assert median_ratio(pressed) - median_ratio(soft) > 15.0


@pytest.mark.parametrize("gain_db", [-30.0, -10.0, 6.0])
def test_a_gain_change_alone_does_not_move_the_ratio(gain_db):
    voice = tilted_voice(rolloff_db_per_octave=-9.0)
    ratio = alpha_ratio_db(voice, sample_rate_hz=16000, frame_s=FRAME_S, hop_s=HOP_S)
    scaled = alpha_ratio_db(voice * 10 ** (gain_db / 20), sample_rate_hz=16000, frame_s=FRAME_S,
                            hop_s=HOP_S)
    np.testing.assert_allclose(scaled, ratio, atol=1e-6)


def test_telephone_rate_measures_the_same_bands():
    wide = tilted_voice(rolloff_db_per_octave=-9.0, sample_rate_hz=16000)
    narrow = tilted_voice(rolloff_db_per_octave=-9.0, sample_rate_hz=8000)
    assert median_ratio(narrow, 8000) == pytest.approx(median_ratio(wide, 16000), abs=0.5)


@pytest.mark.parametrize(("tone_hz", "sign"), [(400.0, -1), (2000.0, 1)])
def test_a_tone_lands_in_its_band(tone_hz, sign):
    t = np.arange(16000) / 16000
    ratio = median_ratio(0.3 * np.sin(2 * np.pi * tone_hz * t))
    assert sign * ratio > 30.0


def test_only_the_chosen_frames_are_measured_and_silence_is_nan():
    voice = np.concatenate([tilted_voice(rolloff_db_per_octave=-9.0, duration_s=1.0),
                            np.zeros(16000)])
    n_frames = 1 + voice.size // 256
    chosen = np.zeros(n_frames, dtype=bool)
    chosen[10:40] = True
    chosen[90:100] = True  # inside the silence
    ratio = alpha_ratio_db(voice, sample_rate_hz=16000, frame_s=FRAME_S, hop_s=HOP_S,
                           frames=chosen)
    assert np.isfinite(ratio[10:40]).all()
    assert np.isnan(ratio[~chosen]).all() and np.isnan(ratio[90:100]).all()


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"sample_rate_hz": 6000}, "Nyquist"),
    ({"high_band_hz": (3000.0, 1000.0)}, "low < high"),
    ({"frames": np.ones(3, dtype=bool)}, "same hop_s"),
])
def test_bad_arguments_say_what_to_fix(kwargs, message):
    arguments = {"sample_rate_hz": 16000, "frame_s": FRAME_S, "hop_s": HOP_S} | kwargs
    with pytest.raises(ValueError, match=message):
        alpha_ratio_db(np.zeros(16000, dtype=np.float32), **arguments)
