"""Bleed guard: frames where one channel only carries leakage of the other party.

Call recorders leak each party into the other's channel, typically 20-35 dB down, a few
milliseconds late and filtered by the line. A VAD sees that leakage as speech. A frame is
leakage when the channel is much quieter than the other one *and* is a correlated (delayed,
scaled, filtered) copy of it; a quiet party genuinely talking over a loud one is uncorrelated
with it, so it is kept.
"""

from __future__ import annotations

import functools
import logging

import numpy as np
import scipy.fft
import scipy.signal

from audio_features.signal import check_audio
from audio_features.speech_energy import frame_level_db

logger = logging.getLogger(__name__)

# Both channels are compared in the 200-3000 Hz band, pre-emphasised: the band is what
# survives a telephone or headset leakage path, and flattening the spectral tilt keeps two
# *different* voices with nearby fundamentals from correlating through their strong first
# harmonics (on synthetic voices this cut the chance correlation from ~0.6 to below 0.25,
# while low-passed leaks still scored above 0.7).
_BAND_HZ = (200.0, 3000.0)
_PRE_EMPHASIS = 0.9
_CONTEXT_FRAMES = 3  # correlation pooled over the frame and its two neighbours
_CHUNK_FRAMES = 2048  # frames per FFT batch: bounds memory on long calls
_SILENT_ENERGY = 1e-9  # summed squares over a frame: below this it is rounding noise


def bleed_frames(own: np.ndarray, other: np.ndarray, *, sample_rate_hz: float, frame_len: int,
                 margin_db: float, min_correlation: float, max_lag_samples: int) -> np.ndarray:
    """Flag frames of ``own`` that are a quieter, correlated copy of ``other``.

    Frames are non-overlapping blocks of ``frame_len`` samples from sample 0 (the last one
    zero-padded), e.g. 512 samples at 16 kHz to match Silero VAD windows.

    Args:
        own: ``(samples,)`` the channel being checked, floats in [-1, 1].
        other: ``(samples,)`` the other party's channel, same length.
        sample_rate_hz: sampling rate, Hz (at least 8000).
        frame_len: frame length, samples.
        margin_db: ``own`` must be at least this many dB below ``other`` in the frame.
        min_correlation: smallest peak normalised cross-correlation (0..1) that marks a copy.
        max_lag_samples: delays searched, ``-max_lag_samples..+max_lag_samples``.

    Returns:
        ``(frames,)`` bool, ``frames = ceil(samples / frame_len)``.
    """
    check_audio(own, sample_rate_hz=sample_rate_hz, mono=True)
    check_audio(other, sample_rate_hz=sample_rate_hz, mono=True)
    if own.shape != other.shape:
        raise ValueError(f"own and other must have the same length, got {own.shape[0]} and "
                         f"{other.shape[0]} samples; trim both to the shorter one")
    if frame_len < 2 or max_lag_samples < 0:
        raise ValueError(f"need frame_len >= 2 and max_lag_samples >= 0, got {frame_len} and "
                         f"{max_lag_samples}")
    if sample_rate_hz < 2 * _BAND_HZ[1] + 1:
        raise ValueError(f"bleed analysis needs sample_rate_hz >= 8000, got {sample_rate_hz}; "
                         "resample the call first")
    level_gap_db = frame_level_db(other, frame_len) - frame_level_db(own, frame_len)
    # Only frames quiet enough to be leakage need the (costly) correlation.
    candidates = np.flatnonzero(level_gap_db >= margin_db)
    flagged = np.zeros(level_gap_db.shape[0], dtype=bool)
    if candidates.size == 0:
        return flagged
    correlation = frame_correlation(_analysis_band(own, sample_rate_hz=sample_rate_hz),
                                    _analysis_band(other, sample_rate_hz=sample_rate_hz),
                                    frame_len=frame_len, max_lag_samples=max_lag_samples,
                                    frame_index=candidates)
    flagged[candidates] = correlation >= min_correlation
    logger.debug("bleed guard: %d of %d frames quiet enough, %d flagged", candidates.size,
                 flagged.size, int(flagged.sum()))
    return flagged


def own_voice_frames(own: np.ndarray, other: np.ndarray, *, frame_len: int, margin_db: float,
                     above_floor_db: float, floor_percentile: float = 10.0) -> np.ndarray:
    """Frames that clearly carry this party's own voice: ``(frames,)`` bool.

    A frame counts when it stands ``above_floor_db`` over the channel's noise floor (the
    ``floor_percentile`` of its frame levels) and is less than ``margin_db`` quieter than the
    other channel. Leakage fails the second test; line noise and the quiet tails of leaked
    syllables (too buried in noise to correlate) fail the first. A VAD run with no such frame
    is leakage however Silero scored it.
    """
    return own_voice_from_levels(frame_level_db(own, frame_len), frame_level_db(other, frame_len),
                                 margin_db=margin_db, above_floor_db=above_floor_db,
                                 floor_percentile=floor_percentile)


def own_voice_from_levels(own_db: np.ndarray, other_db: np.ndarray, *, margin_db: float,
                          above_floor_db: float, floor_percentile: float = 10.0) -> np.ndarray:
    """``own_voice_frames`` from both channels' ``frame_level_db`` (already measured)."""
    floor_db = np.percentile(own_db, floor_percentile)
    return (own_db >= floor_db + above_floor_db) & (other_db - own_db < margin_db)


def analysis_band_sos(*, sample_rate_hz: float) -> np.ndarray:
    """The band-pass and pre-emphasis the correlation compares both channels through, as
    second-order sections; causal, so it can be run stretch by stretch with its state."""
    # A copy of the cached design: sosfilt wants a writable array, and the cache must not change.
    return _band_filter(float(sample_rate_hz)).copy()


@functools.lru_cache(maxsize=8)
def _band_filter(sample_rate_hz: float) -> np.ndarray:
    """The analysis filter's second-order sections, designed once per rate (the design costs
    as much as filtering ten seconds of audio)."""
    sos = scipy.signal.butter(2, _BAND_HZ, btype="bandpass", fs=sample_rate_hz, output="sos")
    pre_emphasis = np.array([[1.0, -_PRE_EMPHASIS, 0.0, 1.0, 0.0, 0.0]])  # one pass, not two
    return np.concatenate([sos, pre_emphasis])


def _analysis_band(samples: np.ndarray, *, sample_rate_hz: float) -> np.ndarray:
    """Band-pass and pre-emphasise; the same causal filter on both channels keeps the delay."""
    return scipy.signal.sosfilt(analysis_band_sos(sample_rate_hz=sample_rate_hz), samples)


def frame_correlation(own: np.ndarray, other: np.ndarray, *, frame_len: int,
                      max_lag_samples: int, frame_index: np.ndarray | None = None) -> np.ndarray:
    """Peak normalised cross-correlation of ``own`` with ``other`` per frame, 0..1.

    Each ``own`` frame is correlated against ``other`` shifted by every lag within
    ``+-max_lag_samples`` (linear, not circular: ``other`` is read beyond the frame edges),
    normalised by both energies over the same samples, and pooled over the frame and its
    neighbours. Signals are taken as zero-mean (band-pass them first).

    Args:
        own, other: ``(samples,)`` same length.
        frame_len: frame length, samples; frames are non-overlapping from sample 0.
        max_lag_samples: largest delay searched either way, samples.
        frame_index: ``(k,)`` sorted frames to evaluate; None evaluates all of them.

    Returns:
        ``(k,)`` or ``(frames,)`` peak |correlation| (0 where either side is silent),
        ``frames = ceil(samples / frame_len)``.
    """
    n_frames = -(-own.shape[0] // frame_len)
    if frame_index is None:
        frame_index = np.arange(n_frames)
    lags = 2 * max_lag_samples + 1
    side = _CONTEXT_FRAMES // 2  # zero frames added at both ends so every frame has neighbours
    own_frames = np.zeros((n_frames + 2 * side) * frame_len, dtype=np.float32)
    own_frames[side * frame_len: side * frame_len + own.shape[0]] = own
    other_padded = np.zeros(own_frames.shape[0] + lags - 1, dtype=np.float32)
    start = side * frame_len + max_lag_samples
    other_padded[start: start + other.shape[0]] = other
    windows = np.lib.stride_tricks.sliding_window_view(other_padded, frame_len + lags - 1)
    own_frames, windows = own_frames.reshape(-1, frame_len), windows[::frame_len]
    correlation = np.empty(frame_index.shape[0])
    for first in range(0, frame_index.shape[0], _CHUNK_FRAMES):
        chunk = frame_index[first: first + _CHUNK_FRAMES]
        # Extended frame f + j (j < _CONTEXT_FRAMES) is frame f or one of its neighbours.
        needed = np.unique(chunk[:, None] + np.arange(_CONTEXT_FRAMES))
        products, other_energy, own_energy = _frame_products(own_frames[needed], windows[needed],
                                                             lags=lags)
        rows = np.searchsorted(needed, chunk)[:, None] + np.arange(_CONTEXT_FRAMES)
        correlation[first: first + chunk.shape[0]] = _pooled_peak(
            products[rows].sum(axis=1), other_energy[rows].sum(axis=1),
            own_energy[rows].sum(axis=1))
    return correlation


def _frame_products(own_frames: np.ndarray, other_windows: np.ndarray, *,
                    lags: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per frame: lagged products and ``other`` energies ``(frames, lags)``, own energy ``(frames,)``.

    ``own_frames`` is ``(frames, len)``; ``other_windows`` is ``(frames, len + lags - 1)``.
    """
    frame_len = own_frames.shape[1]
    size = scipy.fft.next_fast_len(other_windows.shape[1], real=True)
    spectrum = np.conj(scipy.fft.rfft(own_frames, size, axis=1)) \
        * scipy.fft.rfft(other_windows, size, axis=1)
    # A circular correlation of length >= len + lags - 1 does not wrap for lags 0 .. lags-1.
    products = scipy.fft.irfft(spectrum, size, axis=1)[:, :lags]
    # Energies in float64: they are differences of running sums, where float32 would cancel.
    running = np.zeros((other_windows.shape[0], other_windows.shape[1] + 1))
    np.cumsum(np.square(other_windows, dtype=np.float64), axis=1, out=running[:, 1:])
    other_energy = running[:, frame_len: frame_len + lags] - running[:, :lags]
    own_energy = np.sum(np.square(own_frames, dtype=np.float64), axis=1)
    return products, other_energy, own_energy


def _pooled_peak(products: np.ndarray, other_energy: np.ndarray,
                 own_energy: np.ndarray) -> np.ndarray:
    """``max_lag |p| / sqrt(E_own * E_other(lag))``, 0 where either side is silent."""
    audible = other_energy > _SILENT_ENERGY
    ratio = np.where(audible, np.square(products) / np.maximum(other_energy, _SILENT_ENERGY), 0.0)
    peak = np.sqrt(ratio.max(axis=1) / np.maximum(own_energy, _SILENT_ENERGY))
    return np.where(own_energy > _SILENT_ENERGY, np.clip(peak, 0.0, 1.0), 0.0)
