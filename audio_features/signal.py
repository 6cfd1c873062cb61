"""The one validation guard for audio arrays, and the frame arithmetic shared by the features.

Audio is channels-first: a 1-D array is one channel, a 2-D array is ``(channels, samples)``.
Samples are floats, nominally in [-1, 1] (full scale).
"""

from __future__ import annotations

import logging
import math

import numpy as np

logger = logging.getLogger(__name__)


def check_audio(samples: np.ndarray, *, sample_rate_hz: float, channels: int | None = None,
                mono: bool = False) -> np.ndarray:
    """Validate an audio array and return it unchanged (no copy).

    Args:
        samples: ``(samples,)`` or channels-first ``(channels, samples)`` floats in [-1, 1].
        sample_rate_hz: sampling rate in Hz; must be positive and finite.
        channels: when given, ``samples`` must be 2-D with exactly this many channels.
        mono: when true, ``samples`` must be a single 1-D channel.

    Raises:
        ValueError: saying what is wrong and how to fix it.
    """
    if isinstance(sample_rate_hz, bool) or not isinstance(sample_rate_hz, (int, float, np.number)) \
            or not math.isfinite(sample_rate_hz) or sample_rate_hz <= 0:
        raise ValueError(f"sample_rate_hz must be a positive number of samples per second, "
                         f"got {sample_rate_hz!r}")
    if not isinstance(samples, np.ndarray):
        raise ValueError(f"audio must be a numpy array, got {type(samples).__name__}; "
                         "wrap it with np.asarray(..., dtype=np.float32)")
    if not np.issubdtype(samples.dtype, np.floating):
        raise ValueError(f"audio must hold floats in [-1, 1], got dtype {samples.dtype}; convert "
                         "integer PCM first, e.g. samples.astype(np.float32) / 32768 for int16")
    if mono and samples.ndim != 1:
        raise ValueError(f"expected one channel as a 1-D array, got shape {samples.shape}; "
                         "pass a single channel, e.g. samples[0]")
    if samples.ndim not in (1, 2):
        raise ValueError(f"audio must be 1-D (samples,) or 2-D (channels, samples), got shape "
                         f"{samples.shape}; squeeze or reshape it")
    if channels is not None and (samples.ndim != 2 or samples.shape[0] != channels):
        raise ValueError(f"expected {channels} channel(s) as a channels-first (channels, samples) "
                         f"array, got shape {samples.shape}; transpose (samples, channels) input "
                         "with samples.T")
    if samples.shape[-1] == 0:
        raise ValueError("audio is empty (0 samples); check the decoder output or skip this file")
    if not np.isfinite(samples).all():
        raise ValueError("audio contains NaN or infinite samples; repair or re-decode the file")
    return samples


def samples_per(duration_s: float, *, sample_rate_hz: float, name: str) -> int:
    """``duration_s`` rounded to a whole number (>= 1) of samples; ``name`` is used in errors."""
    if not math.isfinite(duration_s) or duration_s <= 0:
        raise ValueError(f"{name} must be a positive number of seconds, got {duration_s!r}")
    count = int(round(duration_s * sample_rate_hz))
    if count < 1:
        raise ValueError(f"{name} = {duration_s} s is shorter than one sample at "
                         f"{sample_rate_hz} Hz; use at least {1 / sample_rate_hz:.6f} s")
    return count


def frame_count(n_samples: int, *, hop_len: int) -> int:
    """Number of centred frames: frame ``i`` is centred on sample ``i * hop_len``.

    Matches ``librosa.util.frame`` after centre padding (``1 + n_samples // hop_len``), so
    loudness and pitch tracks of the same signal have the same length.
    """
    return 1 + n_samples // hop_len
