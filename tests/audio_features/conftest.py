"""Generated signals with known answers for the feature-math tests."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.signal


def make_voice(f0_hz: np.ndarray | float, *, sample_rate_hz: int, duration_s: float,
               level_dbfs: float = -20.0, harmonics: int = 30, seed: int = 0,
               envelope_hz: float = 0.0) -> np.ndarray:
    """A harmonic complex (1/h amplitudes, like a glottal source) with an F0 contour.

    ``f0_hz`` is a scalar or a per-sample contour; ``envelope_hz`` > 0 adds syllable-like
    on/off modulation. The result is scaled to ``level_dbfs`` RMS over its voiced part.
    """
    rng = np.random.default_rng(seed)
    n = int(round(duration_s * sample_rate_hz))
    f0 = np.broadcast_to(np.asarray(f0_hz, dtype=float), (n,))
    phase = 2 * np.pi * np.cumsum(f0) / sample_rate_hz
    voice = np.zeros(n)
    for h in range(1, harmonics + 1):
        audible = h * f0 < 0.45 * sample_rate_hz
        voice += audible * np.sin(h * phase + rng.uniform(0, 2 * np.pi)) / h
    voice *= 10 ** (level_dbfs / 20) / np.sqrt(np.mean(voice ** 2))
    if envelope_hz > 0:
        t = np.arange(n) / sample_rate_hz
        voice *= np.sqrt(np.clip(np.sin(2 * np.pi * envelope_hz * t + rng.uniform(0, 6)), 0, 1))
    return voice


def random_contour(low_hz: float, high_hz: float, *, sample_rate_hz: int, duration_s: float,
                   seed: int, knots_per_s: float = 5.0) -> np.ndarray:
    """A smooth random intonation contour between ``low_hz`` and ``high_hz``, per sample."""
    rng = np.random.default_rng(seed)
    knots = rng.uniform(low_hz, high_hz, int(duration_s * knots_per_s) + 2)
    t = np.arange(int(round(duration_s * sample_rate_hz))) / sample_rate_hz
    return np.interp(t, np.linspace(0, duration_s, len(knots)), knots)


def telephone_band(samples: np.ndarray, *, sample_rate_hz: int) -> np.ndarray:
    """300-3400 Hz band-pass, as a telephone line (removes the fundamental of most voices)."""
    sos = scipy.signal.butter(6, (300, 3400), btype="bandpass", fs=sample_rate_hz, output="sos")
    return scipy.signal.sosfiltfilt(sos, samples)


@pytest.fixture
def voice():
    return make_voice


@pytest.fixture
def contour():
    return random_contour


@pytest.fixture
def phone_band():
    return telephone_band
