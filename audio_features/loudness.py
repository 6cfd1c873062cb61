"""Frame-wise RMS level in dBFS.

0 dBFS is the RMS of a full-scale square wave (mean square 1), so a full-scale sine reads
-3.01 dBFS. This is the convention of ``librosa.feature.rms`` followed by ``amplitude_to_db``
with ``ref=1``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import numpy as np

from audio_features.signal import check_audio, frame_count, samples_per

logger = logging.getLogger(__name__)


def frame_mean_square(samples: np.ndarray, *, frame_len: int, hop_len: int) -> np.ndarray:
    """Mean square of centred frames: frame ``i`` covers samples around ``i * hop_len``.

    Uses a running sum of squares (O(samples), no framed copy), with zeros beyond the edges.

    Args:
        samples: ``(..., samples)`` floats.
        frame_len, hop_len: frame length and step in samples.

    Returns:
        ``(..., frames)`` float64, ``frames = 1 + samples // hop_len``.
    """
    n_samples = samples.shape[-1]
    n_frames = frame_count(n_samples, hop_len=hop_len)
    pad = [(0, 0)] * (samples.ndim - 1) + [(frame_len // 2 + 1, frame_len - frame_len // 2)]
    # float64 running sum: over hours of audio float32 would lose the quiet frames entirely.
    running = np.cumsum(np.pad(np.square(samples, dtype=np.float64), pad), axis=-1)
    first = np.arange(n_frames) * hop_len
    sums = running[..., first + frame_len] - running[..., first]
    return np.maximum(sums, 0.0) / frame_len


def loudness_dbfs(samples: np.ndarray, *, sample_rate_hz: float, frame_s: float, hop_s: float,
                  floor_dbfs: float = -100.0) -> np.ndarray:
    """RMS level per frame in dBFS; frame ``i`` is centred at ``i * hop_s`` seconds.

    Args:
        samples: ``(samples,)`` or channels-first ``(channels, samples)`` floats in [-1, 1].
        sample_rate_hz: sampling rate, Hz.
        frame_s: analysis window, seconds.
        hop_s: step between frames, seconds.
        floor_dbfs: level reported for silence (and anything quieter).

    Returns:
        ``(frames,)`` or ``(channels, frames)`` float64 dBFS, ``frames = 1 + samples // hop``.
    """
    check_audio(samples, sample_rate_hz=sample_rate_hz)
    frame_len = samples_per(frame_s, sample_rate_hz=sample_rate_hz, name="frame_s")
    hop_len = samples_per(hop_s, sample_rate_hz=sample_rate_hz, name="hop_s")
    mean_square = frame_mean_square(samples, frame_len=frame_len, hop_len=hop_len)
    return 10.0 * np.log10(np.maximum(mean_square, 10.0 ** (floor_dbfs / 10.0)))


def loudness_dbfs_streamed(read: Callable[[int, int], np.ndarray], n_samples: int, *,
                           sample_rate_hz: float, frame_s: float, hop_s: float,
                           floor_dbfs: float = -100.0,
                           block_frames: int = 1 << 12) -> np.ndarray:
    """``loudness_dbfs`` of one channel read ``block_frames`` frames at a time.

    ``read(start, stop)`` gives samples ``[start, stop)``, zeros outside the signal. Each
    block reads the samples under its frames (half a frame more either side), so memory does
    not grow with the signal; the levels agree with ``loudness_dbfs`` to rounding (the
    running sum restarts per block, which if anything is more exact).

    Returns:
        ``(frames,)`` float64 dBFS, ``frames = 1 + n_samples // hop``.
    """
    frame_len = samples_per(frame_s, sample_rate_hz=sample_rate_hz, name="frame_s")
    hop_len = samples_per(hop_s, sample_rate_hz=sample_rate_hz, name="hop_s")
    n_frames = frame_count(n_samples, hop_len=hop_len)
    levels = np.empty(n_frames)
    for first in range(0, n_frames, block_frames):
        count = min(block_frames, n_frames - first)
        start = first * hop_len - frame_len // 2
        block = read(start, start + (count - 1) * hop_len + frame_len)
        running = np.concatenate(([0.0], np.cumsum(np.square(block, dtype=np.float64))))
        offsets = np.arange(count) * hop_len
        mean_square = np.maximum(running[offsets + frame_len] - running[offsets], 0.0) / frame_len
        levels[first: first + count] = 10.0 * np.log10(
            np.maximum(mean_square, 10.0 ** (floor_dbfs / 10.0)))
    return levels
