import numpy as np
import pytest
import scipy.signal

from audio_features.bleed import bleed_frames

RATE_HZ = 16000
FRAME_LEN = 512
GUARD = {"sample_rate_hz": RATE_HZ, "frame_len": FRAME_LEN, "margin_db": 12.0,
         "min_correlation": 0.35, "max_lag_samples": 128}


def speech_like(voice, contour, *, seed, low_hz, high_hz, duration_s=6.144):
    """Voiced syllables on a moving F0, plus noise bursts (fricatives); and its active frames."""
    rng = np.random.default_rng(seed)
    f0 = contour(low_hz, high_hz, sample_rate_hz=RATE_HZ, duration_s=duration_s, seed=seed)
    voiced = voice(f0, sample_rate_hz=RATE_HZ, duration_s=duration_s, level_dbfs=-20,
                   seed=seed, envelope_hz=3.0)
    bursts = np.repeat(rng.random(voiced.size // 2048) < 0.3, 2048)  # 128 ms blocks
    samples = voiced + bursts * rng.normal(0, 0.05, voiced.shape)
    frame_level = np.mean(samples.reshape(-1, FRAME_LEN) ** 2, axis=1)
    return samples, frame_level > 10 ** (-30 / 10)


def leak_of(samples, *, gain_db=-25.0, delay_s=0.002, cutoff_hz=2500.0):
    delay = int(delay_s * RATE_HZ)
    sos = scipy.signal.butter(4, cutoff_hz, fs=RATE_HZ, output="sos")
    delayed = np.concatenate([np.zeros(delay), samples[:-delay]])
    return 10 ** (gain_db / 20) * scipy.signal.sosfilt(sos, delayed)


@pytest.fixture
def parties(voice, contour):
    loud, loud_active = speech_like(voice, contour, seed=1, low_hz=90, high_hz=180)
    own, own_active = speech_like(voice, contour, seed=2, low_hz=110, high_hz=240)
    line_noise = np.random.default_rng(9).normal(0, 1e-4, loud.shape)
    return loud, loud_active, own, own_active, line_noise


@pytest.mark.parametrize(("gain_db", "delay_s", "cutoff_hz"), [
    (-25.0, 0.002, 2500.0), (-35.0, 0.005, 3400.0), (-20.0, 0.0005, 2000.0)])
def test_leakage_is_flagged(parties, gain_db, delay_s, cutoff_hz):
    loud, loud_active, _, _, line_noise = parties
    leak = leak_of(loud, gain_db=gain_db, delay_s=delay_s, cutoff_hz=cutoff_hz)
    flagged = bleed_frames(leak + line_noise, loud, **GUARD)
    assert flagged[loud_active].mean() > 0.97
    assert not flagged[~loud_active & (np.arange(len(flagged)) > 0)].all()


def test_independent_quiet_speaker_is_not_flagged(parties):
    loud, loud_active, own, own_active, line_noise = parties
    quiet = 10 ** (-15 / 20) * own + line_noise
    flagged = bleed_frames(quiet, loud, **GUARD)
    assert flagged[own_active & loud_active].sum() == 0
    assert flagged.mean() < 0.02


def test_own_speech_over_leakage_is_not_flagged(parties):
    loud, _, own, own_active, line_noise = parties
    flagged = bleed_frames(own + leak_of(loud) + line_noise, loud, **GUARD)
    assert flagged[own_active].sum() == 0


def test_leakage_flagged_only_where_own_speech_stops(parties):
    loud, loud_active, own, own_active, line_noise = parties
    talking = np.arange(len(loud_active)) // 16 % 2 == 0  # own talks 0.5 s, pauses 0.5 s
    gated = own * np.repeat(talking, FRAME_LEN)
    flagged = bleed_frames(gated + leak_of(loud) + line_noise, loud, **GUARD)
    pause_inside = ~talking & np.roll(~talking, 1) & np.roll(~talking, -1)  # not next to speech
    assert flagged[pause_inside & loud_active].mean() > 0.95
    assert flagged[talking & own_active].sum() == 0


def test_silence_is_not_flagged():
    silence = np.zeros(RATE_HZ)
    assert not bleed_frames(silence, silence, **GUARD).any()


def test_frame_count_pads_the_last_frame(parties):
    loud, *_ = parties
    assert bleed_frames(loud[:1000], loud[:1000], **GUARD).shape == (2,)


@pytest.mark.parametrize(("own", "other", "overrides", "message"), [
    (np.zeros(100), np.zeros(90), {}, "trim"),
    (np.zeros((2, 100)), np.zeros(100), {}, r"samples\[0\]"),
    (np.zeros(100), np.zeros(100), {"frame_len": 1}, "frame_len"),
    (np.zeros(100), np.zeros(100), {"sample_rate_hz": 4000}, "resample"),
])
def test_bad_arguments_name_the_fix(own, other, overrides, message):
    with pytest.raises(ValueError, match=message):
        bleed_frames(own, other, **{**GUARD, **overrides})


@pytest.mark.parametrize("rate_hz", [8000, 16000, 44100])
def test_the_analysis_filter_designed_once_filters_as_a_fresh_design(rate_hz):
    from audio_features.bleed import _analysis_band

    samples = np.random.default_rng(0).normal(0, 0.1, rate_hz)
    sos = scipy.signal.butter(2, (200.0, 3000.0), btype="bandpass", fs=rate_hz, output="sos")
    pre_emphasis = np.array([[1.0, -0.9, 0.0, 1.0, 0.0, 0.0]])
    expected = scipy.signal.sosfilt(np.concatenate([sos, pre_emphasis]), samples)
    for _ in range(2):  # the second call reads the cached design
        np.testing.assert_array_equal(_analysis_band(samples, sample_rate_hz=rate_hz), expected)
