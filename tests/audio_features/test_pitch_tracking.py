import numpy as np
import pytest

from audio_features.pitch import continuous_pitch, f0_hz, semitones_between

SETTINGS = {"frame_s": 0.064, "hop_s": 0.016, "f0_min_hz": 65.0, "f0_max_hz": 400.0}


@pytest.mark.parametrize("rate_hz", [16000, 8000])
@pytest.mark.parametrize("true_f0_hz", [85.0, 120.0, 210.0, 330.0])
def test_steady_voice(voice, rate_hz, true_f0_hz):
    samples = voice(true_f0_hz, sample_rate_hz=rate_hz, duration_s=0.6)
    f0 = f0_hz(samples, sample_rate_hz=rate_hz, **SETTINGS)
    inner = f0[4:-4]
    assert np.isfinite(inner).all()
    np.testing.assert_allclose(inner, true_f0_hz, rtol=0.01)


@pytest.mark.parametrize("true_f0_hz", [95.0, 140.0, 230.0])
def test_telephone_band_voice_without_fundamental(voice, phone_band, true_f0_hz):
    clean = voice(true_f0_hz, sample_rate_hz=8000, duration_s=0.6)
    samples = phone_band(clean, sample_rate_hz=8000)
    f0 = f0_hz(samples, sample_rate_hz=8000, **SETTINGS)[4:-4]
    assert np.mean(np.isfinite(f0)) > 0.95
    np.testing.assert_allclose(np.nanmedian(f0), true_f0_hz, rtol=0.01)
    assert np.nanmax(np.abs(semitones_between(f0, true_f0_hz))) < 0.5  # no octave errors


def test_gliding_voice_is_followed(voice):
    rate_hz = 16000
    glide_hz = np.linspace(100, 200, rate_hz)
    f0 = f0_hz(voice(glide_hz, sample_rate_hz=rate_hz, duration_s=1.0), sample_rate_hz=rate_hz,
               **SETTINGS)
    frame_time_s = np.arange(len(f0)) * 0.016
    expected = np.interp(frame_time_s, np.linspace(0, 1, rate_hz), glide_hz)
    np.testing.assert_allclose(f0[4:-4], expected[4:-4], rtol=0.02)


@pytest.mark.parametrize("rate_hz", [16000, 8000])
def test_noise_and_silence_are_unvoiced(phone_band, rate_hz):
    noise = np.random.default_rng(0).normal(0, 0.05, rate_hz)
    if rate_hz == 8000:
        noise = phone_band(noise, sample_rate_hz=rate_hz)
    samples = np.concatenate([noise, np.zeros(rate_hz), 1e-5 * np.ones(100)])
    f0 = f0_hz(samples, sample_rate_hz=rate_hz, **SETTINGS)
    assert np.mean(np.isfinite(f0)) < 0.02


def test_spans_limit_the_analysis(voice):
    rate_hz = 16000
    samples = voice(150.0, sample_rate_hz=rate_hz, duration_s=2.0)
    spans = np.array([[0.2, 0.5], [1.0, 1.6]])
    f0 = f0_hz(samples, sample_rate_hz=rate_hz, spans=spans, **SETTINGS)
    full = f0_hz(samples, sample_rate_hz=rate_hz, **SETTINGS)
    inside = np.zeros(len(f0), dtype=bool)
    for start_s, end_s in spans:
        inside[int(np.ceil(start_s / 0.016 - 1e-9)): int(np.ceil(end_s / 0.016 - 1e-9))] = True
    assert np.isnan(f0[~inside]).all()
    np.testing.assert_allclose(f0[inside], full[inside])  # same frames as a whole-signal run


def test_voice_between_noise_is_found_frame_exactly(voice):
    rate_hz = 16000
    rng = np.random.default_rng(1)
    samples = np.concatenate([rng.normal(0, 0.03, rate_hz), voice(180.0, sample_rate_hz=rate_hz,
                             duration_s=1.0), rng.normal(0, 0.03, rate_hz)])
    voiced = np.isfinite(f0_hz(samples, sample_rate_hz=rate_hz, **SETTINGS))
    frames_s = np.arange(len(voiced)) * 0.016
    assert voiced[(frames_s > 1.05) & (frames_s < 1.95)].all()
    assert voiced[(frames_s < 0.95) | (frames_s > 2.05)].mean() < 0.02


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"f0_min_hz": 30.0}, "frame_s"),
    ({"f0_min_hz": 300.0, "f0_max_hz": 200.0}, "f0_min_hz < f0_max_hz"),
    ({"f0_max_hz": 5000.0}, "at most"),
])
def test_bad_search_range_names_the_fix(kwargs, message):
    with pytest.raises(ValueError, match=message):
        f0_hz(np.zeros(16000), sample_rate_hz=16000, **{**SETTINGS, **kwargs})


def test_semitones_between():
    np.testing.assert_allclose(semitones_between(np.array([220.0, 110.0, np.nan]), 110.0),
                               [12.0, 0.0, np.nan])
    assert np.isnan(semitones_between(100.0, np.nan))
    with pytest.raises(ValueError, match="NaN"):
        semitones_between(np.array([0.0, 100.0]), 100.0)


def test_octave_errors_are_repaired_and_stray_frames_dropped_by_continuity():
    f0 = np.full(60, 200.0)
    f0[20:23] = 100.0  # YIN on a sub-harmonic: an octave down
    f0[40:42] = 200.0 * 2 ** (15.9 / 12)  # a formant, not an octave off
    f0[50] = np.nan
    kept = continuous_pitch(f0, hop_s=0.016, window_s=0.3, max_jump_semitones=5.0)
    np.testing.assert_allclose(kept[20:23], 200.0)
    assert np.all(np.isnan(kept[40:42])) and np.isnan(kept[50])
    np.testing.assert_allclose(np.delete(kept, [40, 41, 50]), 200.0)


def test_a_voice_rising_into_a_shout_is_kept_whole():
    """Shouting 16 semitones above the calm pitch: far from the median, but continuous."""
    calm = np.full(200, 120.0)
    rise = 120.0 * 2 ** (np.linspace(0, 16, 60) / 12)
    shout = np.full(60, 120.0 * 2 ** (16 / 12))
    f0 = np.concatenate([calm, rise, shout])
    kept = continuous_pitch(f0, hop_s=0.016, window_s=0.3, max_jump_semitones=5.0)
    np.testing.assert_allclose(kept, f0)
    assert np.all(np.isnan(continuous_pitch(np.full(3, np.nan), hop_s=0.016, window_s=0.3,
                                            max_jump_semitones=5.0)))


def _gathered_periodicity(frames, period_samples):
    """The voicing measure written the plain way, sample by sample through index arrays: the
    fast block-wise version in ``audio_features.pitch`` must match it exactly."""
    n_frames, frame_len = frames.shape
    whole = np.clip(np.floor(period_samples), 1, frame_len - 2).astype(np.int64)
    frac = np.clip(period_samples - whole, 0.0, 1.0)[:, None]
    lag = np.arange(frame_len)
    valid = lag[None, :] < (frame_len - whole - 1)[:, None]
    rows = np.arange(n_frames)[:, None]
    later = np.minimum(lag[None, :] + whole[:, None], frame_len - 2)
    shifted = (1 - frac) * frames[rows, later] + frac * frames[rows, later + 1]
    now = np.where(valid, frames, 0.0)
    shifted = np.where(valid, shifted, 0.0)
    energy = np.sqrt(np.sum(now * now, axis=1) * np.sum(shifted * shifted, axis=1))
    return np.sum(now * shifted, axis=1) / np.maximum(energy, 1e-20)


@pytest.mark.parametrize("rate_hz", [16000, 8000])
def test_block_wise_periodicity_equals_the_sample_by_sample_measure(voice, rate_hz):
    from audio_features.pitch import _periodicity

    rng = np.random.default_rng(3)
    frame_len, hop_len = round(0.064 * rate_hz), round(0.016 * rate_hz)
    contour = np.linspace(90.0, 420.0, 2 * rate_hz)
    buffer = np.concatenate([voice(contour, sample_rate_hz=rate_hz, duration_s=2.0),
                             rng.normal(0, 0.01, rate_hz), np.zeros(rate_hz)]).astype(np.float32)
    starts = np.arange((buffer.size - frame_len) // hop_len + 1) * hop_len
    # The voice's true periods, random ones over the noise and silence, and the edge cases:
    # under one sample, beyond the frame.
    voiced = starts + frame_len <= 2 * rate_hz
    periods = np.where(voiced, rate_hz / contour[np.minimum(starts + frame_len // 2,
                                                            contour.size - 1)],
                       rng.uniform(rate_hz / 600, rate_hz / 60, starts.size))
    periods[-4:] = [0.3, 1.5, frame_len - 1.5, 3.0 * frame_len]
    frames = np.lib.stride_tricks.sliding_window_view(buffer, frame_len)[starts]
    correlation, level_dbfs = _periodicity(buffer, starts, periods, frame_len=frame_len)
    np.testing.assert_array_equal(correlation, _gathered_periodicity(frames, periods))
    np.testing.assert_array_equal(
        level_dbfs, 10 * np.log10(np.maximum(np.mean(np.square(frames), axis=1), 1e-20)))
    assert (correlation[voiced] > 0.8).all() and (correlation[~voiced][:-4] < 0.5).mean() > 0.9
