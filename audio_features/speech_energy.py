"""Speech evidence from a channel's own level: a level to hand the VAD, and loud voiced frames.

Silero scores loud and shouted speech lower than the same speech at a moderate level (on a
real call whose caller spoke at about -15 dBFS it found a third of her speech; some strongly
angry sentences never reach 0.5 at all). Two remedies, both per channel:

- hand the VAD the channel brought to a fixed speech level, whatever the recorder's gain;
- count frames that are loud *for this channel* (well above its noise floor and within the
  usual dynamic range of its loud speech) and periodic (voiced) as speech whatever the VAD
  says. On a per-party track, once leakage is guarded against, a loud voiced frame is that
  party talking; typing, clicks and line noise are not periodic.

Frames are non-overlapping blocks of ``frame_len`` samples from sample 0, the last one
zero-padded, as in the VAD.
"""

from __future__ import annotations

import numpy as np

_TINY = 1e-20
_CHUNK_FRAMES = 4096  # frames per FFT batch: bounds memory on long calls
_LEVEL_BLOCK_FRAMES = 256  # frames squared at a time for their levels (256 x 512 x 8 B = 1 MB)


def frame_level_db(samples: np.ndarray, frame_len: int) -> np.ndarray:
    """``(frames,)`` mean-square level of each frame, dB re full scale."""
    whole = samples.shape[0] // frame_len
    framed = samples[: whole * frame_len].reshape(whole, frame_len)
    sums = np.empty(-(-samples.shape[0] // frame_len))
    # Squared in float64 a block of frames at a time: one float64 copy of a whole long call
    # (77 MB for ten minutes) is bound by memory, a block stays in cache. Each frame's sum is
    # the same either way.
    for first in range(0, whole, _LEVEL_BLOCK_FRAMES):
        block = framed[first: first + _LEVEL_BLOCK_FRAMES]
        sums[first: first + block.shape[0]] = np.sum(np.square(block, dtype=np.float64), axis=1)
    if samples.shape[0] > whole * frame_len:
        sums[-1] = np.sum(np.square(samples[whole * frame_len:], dtype=np.float64))
    return 10 * np.log10(np.maximum(sums / frame_len, _TINY))


def noise_floor_db(level_db: np.ndarray, *, percentile: float) -> float:
    """A channel's noise floor: the ``percentile`` of its frame levels (every call has pauses)."""
    return float(np.percentile(level_db, percentile))


def loud_speech_level_db(level_db: np.ndarray, *, floor_db: float, above_floor_db: float,
                         loud_percentile: float) -> float:
    """The level of a channel's loud speech: the ``loud_percentile`` of frames standing
    ``above_floor_db`` over its noise floor ``floor_db``.

    NaN when no frame stands out of the floor (a silent or noise-only channel).
    """
    active = level_db[level_db >= floor_db + above_floor_db]
    return float(np.percentile(active, loud_percentile)) if active.size else float("nan")


def level_gain_db(loud_db: float, *, target_dbfs: float, max_boost_db: float,
                  max_cut_db: float) -> float:
    """Gain, dB, that brings loud speech at ``loud_db`` to ``target_dbfs`` (0 for NaN)."""
    if not np.isfinite(loud_db):
        return 0.0
    return float(np.clip(target_dbfs - loud_db, -max_cut_db, max_boost_db))


def loud_frames(level_db: np.ndarray, *, floor_db: float, above_floor_db: float,
                loud_db: float, below_loud_db: float) -> np.ndarray:
    """``(frames,)`` bool: frames ``above_floor_db`` over the noise floor ``floor_db`` and no
    more than ``below_loud_db`` under the channel's loud speech level ``loud_db``."""
    if not np.isfinite(loud_db):
        return np.zeros(level_db.shape, dtype=bool)
    return level_db >= max(floor_db + above_floor_db, loud_db - below_loud_db)


def periodicity(samples: np.ndarray, *, frame_len: int, sample_rate_hz: float, f0_min_hz: float,
                f0_max_hz: float, frame_index: np.ndarray) -> np.ndarray:
    """Peak normalised autocorrelation over pitch lags, ``(k,)`` in [-1, 1], for the given frames.

    Near 1 for a voiced frame (a vowel, shouted or not), near 0 for noise, clicks and
    fricatives. Lags cover periods of ``1 / f0_max_hz`` to ``1 / f0_min_hz``, capped at half
    the frame.

    Args:
        samples: ``(samples,)`` one channel.
        frame_len: frame length, samples.
        frame_index: ``(k,)`` frames to measure.
    """
    shortest = max(1, int(sample_rate_hz / f0_max_hz))
    longest = min(frame_len // 2, int(np.ceil(sample_rate_hz / f0_min_hz)))
    lags = np.arange(shortest, longest + 1)
    padded = np.pad(samples, (0, (-samples.shape[0]) % frame_len)).reshape(-1, frame_len)
    result = np.zeros(frame_index.shape[0])
    for first in range(0, frame_index.shape[0], _CHUNK_FRAMES):
        frames = padded[frame_index[first: first + _CHUNK_FRAMES]].astype(np.float64)
        frames -= frames.mean(axis=1, keepdims=True)
        spectrum = np.fft.rfft(frames, 2 * frame_len, axis=1)
        products = np.fft.irfft(np.square(np.abs(spectrum)), 2 * frame_len, axis=1)[:, lags]
        # Normalised by the energy of the two overlapping parts (not the whole frame), so a
        # long period (a low voice) is not penalised for its shorter overlap.
        running = np.concatenate([np.zeros((frames.shape[0], 1)),
                                  np.cumsum(np.square(frames), axis=1)], axis=1)
        head = running[:, frame_len - lags]  # samples [0, N - lag)
        tail = running[:, -1:] - running[:, lags]  # samples [lag, N)
        result[first: first + frames.shape[0]] = \
            (products / np.sqrt(np.maximum(head * tail, _TINY))).max(axis=1)
    return result
