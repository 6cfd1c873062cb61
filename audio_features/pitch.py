"""Fundamental frequency per frame: ``librosa.yin`` for the period, plus a voicing decision.

YIN always returns a period, even for noise and silence, so each frame is also scored for
periodicity (normalised autocorrelation of the frame at the YIN period, de Cheveigne &
Kawahara 2002, sec. II) and level; frames failing either are NaN. ``librosa.pyin`` gives its
own voicing but is an order of magnitude slower (see ``bench/pitch_methods.py``). YIN works on
the period, not on a spectral peak, so telephone audio whose fundamental is filtered out
(300-3400 Hz) still yields the right F0.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import librosa
import numpy as np

from audio_features.binarize import intervals_to_mask, mask_to_runs
from audio_features.signal import check_audio, frame_count, samples_per
from audio_features.smoothing import running_median

logger = logging.getLogger(__name__)

_OCTAVE_TOLERANCE_SEMITONES = 2.0  # how close to a whole octave a jump must be to be one
_MIN_NEIGHBOURS = 3  # voiced frames a neighbourhood needs before it can judge a frame
_CHUNK_FRAMES = 1024  # frames analysed per librosa.yin call: bounds memory on long calls
_PERIODICITY_BLOCK = 64  # frames per voicing block: ~0.5 MB temporaries stay in cache


def f0_hz(samples: np.ndarray, *, sample_rate_hz: float, frame_s: float, hop_s: float,
          f0_min_hz: float, f0_max_hz: float, spans: np.ndarray | None = None,
          min_periodicity: float = 0.5, min_level_dbfs: float = -60.0,
          trough_threshold: float = 0.2) -> np.ndarray:
    """F0 per frame in Hz; frame ``i`` is centred at ``i * hop_s`` (as in ``loudness_dbfs``).

    Args:
        samples: ``(samples,)`` one channel, floats in [-1, 1].
        sample_rate_hz: sampling rate, Hz.
        frame_s, hop_s: analysis window and step, seconds. The window must hold two periods
            of ``f0_min_hz``.
        f0_min_hz, f0_max_hz: pitch search range, Hz.
        spans: float ``(n, 2)`` intervals in seconds; only frames centred inside them are
            analysed (speech only, for speed). None analyses the whole signal.
        min_periodicity: normalised autocorrelation at the period (0..1) a voiced frame needs.
        min_level_dbfs: frames quieter than this are unvoiced.
        trough_threshold: YIN absolute threshold (``librosa.yin``); higher favours the first
            dip, which guards against octave-down errors on band-limited audio.

    Returns:
        ``(frames,)`` float64 Hz, NaN where unvoiced or outside ``spans``;
        ``frames = 1 + samples // hop``.
    """
    check_audio(samples, sample_rate_hz=sample_rate_hz, mono=True)
    return f0_hz_streamed(signal_reader(samples), samples.shape[-1],
                          sample_rate_hz=sample_rate_hz, frame_s=frame_s, hop_s=hop_s,
                          f0_min_hz=f0_min_hz, f0_max_hz=f0_max_hz, spans=spans,
                          min_periodicity=min_periodicity, min_level_dbfs=min_level_dbfs,
                          trough_threshold=trough_threshold)


def f0_hz_streamed(read: Callable[[int, int], np.ndarray], n_samples: int, *,
                   sample_rate_hz: float, frame_s: float, hop_s: float, f0_min_hz: float,
                   f0_max_hz: float, spans: np.ndarray | None = None,
                   min_periodicity: float = 0.5, min_level_dbfs: float = -60.0,
                   trough_threshold: float = 0.2) -> np.ndarray:
    """``f0_hz`` of a signal of ``n_samples`` that is read, run of frames by run of frames,
    through ``read(start, stop)`` (samples ``[start, stop)``, zeros outside the signal): only
    the speech being analysed is ever in memory."""
    frame_len = samples_per(frame_s, sample_rate_hz=sample_rate_hz, name="frame_s")
    hop_len = samples_per(hop_s, sample_rate_hz=sample_rate_hz, name="hop_s")
    _check_search_range(f0_min_hz, f0_max_hz, sample_rate_hz=sample_rate_hz, frame_len=frame_len)
    n_frames = frame_count(n_samples, hop_len=hop_len)
    if spans is None:
        runs = np.array([[0, n_frames]])
    else:
        runs = mask_to_runs(intervals_to_mask(spans, hop_s=hop_len / sample_rate_hz,
                                              n_frames=n_frames))
    f0 = np.full(n_frames, np.nan)
    for chunk in _chunks(runs):
        buffer, kept, frame_index = _gather_frames(read, chunk, frame_len=frame_len,
                                                   hop_len=hop_len)
        estimate = librosa.yin(buffer, fmin=f0_min_hz, fmax=f0_max_hz, sr=sample_rate_hz,
                               frame_length=frame_len, hop_length=hop_len, center=False,
                               trough_threshold=trough_threshold)[kept]
        periodicity, level_dbfs = _periodicity(buffer, kept * hop_len, sample_rate_hz / estimate,
                                               frame_len=frame_len)
        voiced = (periodicity >= min_periodicity) & (level_dbfs >= min_level_dbfs) \
            & (estimate >= f0_min_hz) & (estimate <= f0_max_hz)
        f0[frame_index] = np.where(voiced, estimate, np.nan)
    return f0


def continuous_pitch(f0_hz: np.ndarray, *, hop_s: float, window_s: float,
                     max_jump_semitones: float) -> np.ndarray:
    """Repair octave errors and drop stray frames by continuity with the neighbouring frames.

    A pitch tracker's errors are jumps: a frame an octave off its neighbours (YIN locking onto
    a sub-harmonic or the second harmonic), or a few frames on a formant when a telephone line
    has filtered the fundamental away. A real voice moves smoothly, even when it rises by an
    octave into a shout, so each frame is compared with the running median of the frames
    around it (``window_s``, centred): one about a whole octave off is moved back by that
    octave, and one still more than ``max_jump_semitones`` off is dropped. No frame is judged
    against the speaker's overall median, which a shout rightly leaves far behind.

    Args:
        f0_hz: ``(frames,)`` Hz, NaN where unvoiced.
        hop_s: step between frames, seconds.
        window_s: span of the neighbourhood, seconds.
        max_jump_semitones: furthest a kept frame may sit from its neighbourhood.

    Returns:
        A new ``(frames,)`` array, NaN where unvoiced or dropped.
    """
    f0 = np.asarray(f0_hz, dtype=float)
    window = max(3, int(round(window_s / hop_s))) | 1
    with np.errstate(invalid="ignore", divide="ignore"):
        octaves = np.log2(f0)
    local = running_median(octaves, window=window, min_count=_MIN_NEIGHBOURS)
    offset = octaves - local
    # Only whole-octave errors are repaired: anything else off by more than the limit is dropped.
    shift = np.where(np.abs(offset - np.round(offset)) * 12 <= _OCTAVE_TOLERANCE_SEMITONES,
                     np.round(offset), 0.0)
    repaired = offset - shift
    with np.errstate(invalid="ignore"):
        keep = np.abs(repaired) * 12 <= max_jump_semitones
    return np.where(keep, f0 / np.exp2(shift), np.nan)


def semitones_between(f0_hz: np.ndarray | float, reference_hz: np.ndarray | float) -> np.ndarray:
    """Pitch interval ``12 * log2(f0_hz / reference_hz)`` in semitones, elementwise.

    NaN where either side is NaN (unvoiced frames, no baseline); broadcasts like numpy.

    Raises:
        ValueError: if a finite frequency is zero or negative.
    """
    f0 = np.asarray(f0_hz, dtype=float)
    reference = np.asarray(reference_hz, dtype=float)
    if np.any(f0[np.isfinite(f0)] <= 0) or np.any(reference[np.isfinite(reference)] <= 0):
        raise ValueError("frequencies must be positive Hz; mark unvoiced frames with NaN, not 0")
    return 12.0 * np.log2(f0 / reference)


def _periodicity(buffer: np.ndarray, starts: np.ndarray, period_samples: np.ndarray, *,
                 frame_len: int) -> tuple[np.ndarray, np.ndarray]:
    """Normalised autocorrelation of each frame at its (fractional) period, 0..1 for voicing,
    and each frame's level.

    Args:
        buffer: ``(samples,)`` float32; frame ``i`` is ``buffer[starts[i]: starts[i] + frame_len]``.
        starts: ``(frames,)`` first sample of each frame.
        period_samples: ``(frames,)`` period in samples (from YIN).

    Returns:
        ``(frames,)`` correlation in [-1, 1] (0 for silent frames), and ``(frames,)`` mean-square
        level, dBFS.
    """
    # The frame one period later is read straight from the buffer (a row copy per frame), not
    # gathered sample by sample through an index array: the same values wherever they count
    # (the overlap stays inside the frame), at a fraction of the cost. Blocks of frames keep
    # the float64 temporaries in cache; every frame's sums are the same as over all at once.
    padded = np.concatenate([buffer, np.zeros(frame_len + 1, dtype=buffer.dtype)])
    windows = np.lib.stride_tricks.sliding_window_view(padded, frame_len)
    correlation = np.empty(starts.shape[0])
    level_dbfs = np.empty(starts.shape[0], dtype=buffer.dtype)
    for first in range(0, starts.shape[0], _PERIODICITY_BLOCK):
        block = slice(first, first + _PERIODICITY_BLOCK)
        correlation[block], level_dbfs[block] = _block_periodicity(
            windows, starts[block], period_samples[block], frame_len=frame_len)
    return correlation, level_dbfs


def _block_periodicity(windows: np.ndarray, starts: np.ndarray, period_samples: np.ndarray, *,
                       frame_len: int) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_periodicity` for one block of frames; ``windows[s]`` is the frame at sample s."""
    frames = windows[starts]
    level_dbfs = 10 * np.log10(np.maximum(np.mean(np.square(frames), axis=1), 1e-20))
    whole = np.clip(np.floor(period_samples), 1, frame_len - 2).astype(np.int64)
    frac = np.clip(period_samples - whole, 0.0, 1.0)[:, None]
    valid = np.arange(frame_len)[None, :] < (frame_len - whole - 1)[:, None]
    # Linear interpolation gives the signal one fractional period later: at 8 kHz a period is
    # only 20-60 samples, and rounding it would decorrelate the upper harmonics.
    shifted = (1 - frac) * windows[starts + whole] + frac * windows[starts + whole + 1]
    now = np.where(valid, frames, 0.0)
    shifted = np.where(valid, shifted, 0.0)
    energy = np.sqrt(np.sum(now * now, axis=1) * np.sum(shifted * shifted, axis=1))
    return np.sum(now * shifted, axis=1) / np.maximum(energy, 1e-20), level_dbfs


def _check_search_range(f0_min_hz: float, f0_max_hz: float, *, sample_rate_hz: float,
                        frame_len: int) -> None:
    if not 0 < f0_min_hz < f0_max_hz:
        raise ValueError(f"need 0 < f0_min_hz < f0_max_hz, got {f0_min_hz} and {f0_max_hz}")
    if f0_max_hz > sample_rate_hz / 4:
        raise ValueError(f"f0_max_hz = {f0_max_hz} is too high for {sample_rate_hz} Hz audio; "
                         f"use at most {sample_rate_hz / 4} Hz")
    if sample_rate_hz / f0_min_hz >= frame_len // 2:
        raise ValueError(f"frame of {frame_len} samples holds fewer than two periods of "
                         f"f0_min_hz = {f0_min_hz}; raise frame_s to at least "
                         f"{2.05 / f0_min_hz:.3f} s or f0_min_hz")


def _chunks(runs: np.ndarray) -> list[np.ndarray]:
    """Split frame runs into groups of about ``_CHUNK_FRAMES`` frames (long runs are cut)."""
    pieces = []
    for start, stop in runs:
        cuts = np.arange(start, stop, _CHUNK_FRAMES)
        pieces.append(np.column_stack([cuts, np.minimum(cuts + _CHUNK_FRAMES, stop)]))
    if not pieces:
        return []
    pieces = np.concatenate(pieces)
    group = np.cumsum(pieces[:, 1] - pieces[:, 0]) // _CHUNK_FRAMES
    return [pieces[group == g] for g in np.unique(group)]


def signal_reader(samples: np.ndarray) -> Callable[[int, int], np.ndarray]:
    """``read(start, stop)`` over an in-memory signal: samples ``[start, stop)``, zeros
    outside it."""
    def read(start: int, stop: int) -> np.ndarray:
        out = np.zeros(max(0, stop - start), dtype=samples.dtype)
        first, last = max(start, 0), min(stop, samples.shape[-1])
        if last > first:
            out[first - start: last - start] = samples[first:last]
        return out
    return read


def _gather_frames(read: Callable[[int, int], np.ndarray], runs: np.ndarray, *, frame_len: int,
                   hop_len: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Concatenate the samples under each run of centred frames into one buffer.

    Each run gets a slot whose length is a multiple of ``hop_len``, so uncentred frames of the
    buffer (``librosa`` with ``center=False``) line up with the centred frames of the signal.

    Returns:
        ``buffer`` (float32, zero outside the signal), ``kept``: the ``(frames,)`` indices of
        the uncentred buffer frames that belong to a run (the others straddle two slots), and
        ``frame_index``: the centred frame of the signal each kept frame stands for.
    """
    counts = runs[:, 1] - runs[:, 0]
    segment_len = (counts - 1) * hop_len + frame_len
    slot_len = -(-segment_len // hop_len) * hop_len
    slot_start = np.concatenate(([0], np.cumsum(slot_len)[:-1]))
    source_start = runs[:, 0] * hop_len - frame_len // 2
    # float32: YIN's FFTs and the periodicity run twice as fast as in float64, and the F0 of
    # the sample calls moved by under 0.001 Hz with not one voicing decision changed.
    buffer = np.zeros(int(slot_len.sum()), dtype=np.float32)
    for start, source, length in zip(slot_start, source_start, segment_len):
        buffer[start: start + length] = read(int(source), int(source + length))
    kept = np.repeat(slot_start // hop_len, counts) + _ranges(counts)
    frame_index = np.repeat(runs[:, 0], counts) + _ranges(counts)
    return buffer, kept, frame_index


def _ranges(counts: np.ndarray) -> np.ndarray:
    """``concatenate([arange(c) for c in counts])`` without a Python loop."""
    total = int(counts.sum())
    starts = np.repeat(np.cumsum(counts) - counts, counts)
    return np.arange(total) - starts
