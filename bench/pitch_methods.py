"""Speed and agreement of librosa.yin (with callcoach's voicing) against librosa.pyin.

Prints, for a few seconds of a synthetic voice (harmonics on a moving F0) at 16 kHz and at
8 kHz through a 300-3400 Hz telephone band: seconds of audio per second of compute ("x real
time") and how often each method lands within 50 cents of the true F0 and of each other.

    .venv/bin/python bench/pitch_methods.py
"""

from __future__ import annotations

import time

import librosa
import numpy as np
import scipy.signal

from audio_features.pitch import f0_hz

DURATION_S = 4.0
FRAME_S, HOP_S = 0.064, 0.016
F0_MIN_HZ, F0_MAX_HZ = 65.0, 400.0


def synthetic_voice(sample_rate_hz: int) -> tuple[np.ndarray, np.ndarray]:
    """Harmonic voice on a sinusoidal F0 contour (100-180 Hz), and the contour per sample."""
    t = np.arange(int(DURATION_S * sample_rate_hz)) / sample_rate_hz
    contour_hz = 140 + 40 * np.sin(2 * np.pi * 0.4 * t)
    phase = 2 * np.pi * np.cumsum(contour_hz) / sample_rate_hz
    harmonics = np.arange(1, 30)[:, None]
    audible = harmonics * contour_hz[None, :] < 0.45 * sample_rate_hz
    samples = np.sum(audible * np.sin(harmonics * phase) / harmonics, axis=0)
    samples += np.random.default_rng(0).normal(0, 0.01, samples.shape)
    return 0.1 * samples / np.max(np.abs(samples)), contour_hz


def timed(function, *, repeats: int = 2) -> tuple[np.ndarray, float]:
    """Result and best wall time of ``repeats`` runs (the first pays one-off JIT and caches)."""
    best_s = np.inf
    for _ in range(repeats):
        started = time.perf_counter()
        result = function()
        best_s = min(best_s, time.perf_counter() - started)
    return result, best_s


def cents_agree(estimate: np.ndarray, reference: np.ndarray) -> float:
    both = np.isfinite(estimate) & np.isfinite(reference)
    return float(np.mean(np.abs(1200 * np.log2(estimate[both] / reference[both])) < 50))


def main() -> None:
    for sample_rate_hz, telephone in [(16000, False), (8000, True)]:
        samples, contour_hz = synthetic_voice(sample_rate_hz)
        if telephone:
            sos = scipy.signal.butter(6, (300, 3400), btype="bandpass", fs=sample_rate_hz,
                                      output="sos")
            samples = scipy.signal.sosfiltfilt(sos, samples)
        frame_len, hop_len = round(FRAME_S * sample_rate_hz), round(HOP_S * sample_rate_hz)
        truth = contour_hz[np.minimum(np.arange(1 + len(samples) // hop_len) * hop_len,
                                      len(contour_hz) - 1)]
        yin, yin_s = timed(lambda: f0_hz(samples, sample_rate_hz=sample_rate_hz, frame_s=FRAME_S,
                                         hop_s=HOP_S, f0_min_hz=F0_MIN_HZ, f0_max_hz=F0_MAX_HZ))
        (pyin, _, _), pyin_s = timed(lambda: librosa.pyin(
            samples, fmin=F0_MIN_HZ, fmax=F0_MAX_HZ, sr=sample_rate_hz, frame_length=frame_len,
            hop_length=hop_len))
        label = f"{sample_rate_hz} Hz" + (" telephone band" if telephone else "")
        print(f"{label}: yin+voicing {DURATION_S / yin_s:7.0f}x real time, "
              f"voiced {np.mean(np.isfinite(yin)):.0%}, "
              f"within 50 cents {cents_agree(yin, truth):.0%}")
        print(f"{label}: pyin         {DURATION_S / pyin_s:7.0f}x real time, "
              f"voiced {np.mean(np.isfinite(pyin)):.0%}, "
              f"within 50 cents {cents_agree(pyin, truth):.0%}")
        print(f"{label}: yin vs pyin agree within 50 cents on {cents_agree(yin, pyin):.0%} of "
              f"frames both call voiced; pyin is {pyin_s / yin_s:.1f}x slower")


if __name__ == "__main__":
    main()
