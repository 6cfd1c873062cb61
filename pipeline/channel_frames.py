"""Per-window measures of a call's channels, computed a stretch at a time.

The speech-activity stage works on 32 ms VAD windows. Everything it needs from the samples
is computed here over stretches of a few minutes (``call_samples.BLOCK_SAMPLES``, a whole
number of windows), so a four-hour call costs what a five-minute one does; the per-window
results (one number per 512 samples) are small and are kept for the whole call. Each
function gives exactly the values of its whole-array counterpart in ``audio_features``:
stretches start on window boundaries, and measures that look past a window (the bleed
guard's band filter, lags and neighbours) get the real samples either side.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.signal

from audio_features import bleed, speech_energy
from pipeline.call_samples import BLOCK_SAMPLES
from pipeline.types import CallAudio, Speaker
from pipeline.vad import VAD_WINDOW_SAMPLES

_BLOCK_WINDOWS = BLOCK_SAMPLES // VAD_WINDOW_SAMPLES
def window_levels_db(audio: CallAudio, speaker: Speaker) -> np.ndarray:
    """``speech_energy.frame_level_db`` of the party's channel, per VAD window."""
    block = _BLOCK_WINDOWS * VAD_WINDOW_SAMPLES
    return np.concatenate([
        speech_energy.frame_level_db(audio.read(speaker, start, min(start + block,
                                                                    audio.n_samples)),
                                     VAD_WINDOW_SAMPLES)
        for start in range(0, audio.n_samples, block)]) if audio.n_samples else np.zeros(0)


def window_periodicity(audio: CallAudio, speaker: Speaker, *, frame_index: np.ndarray,
                       f0_range_hz: tuple[float, float]) -> np.ndarray:
    """``speech_energy.periodicity`` of the given VAD windows (sorted) of the party's channel."""
    result = np.zeros(frame_index.shape[0])
    bounds = np.searchsorted(frame_index, np.arange(0, frame_index[-1] + _BLOCK_WINDOWS + 1,
                                                    _BLOCK_WINDOWS)) if frame_index.size else []
    for first_window, lo, hi in zip(range(0, 1 << 62, _BLOCK_WINDOWS), bounds[:-1], bounds[1:]):
        if hi == lo:
            continue
        start = first_window * VAD_WINDOW_SAMPLES
        samples = audio.read(speaker, start,
                             min(start + _BLOCK_WINDOWS * VAD_WINDOW_SAMPLES, audio.n_samples))
        result[lo:hi] = speech_energy.periodicity(
            samples, frame_len=VAD_WINDOW_SAMPLES, sample_rate_hz=audio.sample_rate_hz,
            f0_min_hz=f0_range_hz[0], f0_max_hz=f0_range_hz[1],
            frame_index=frame_index[lo:hi] - first_window)
    return result


def window_bleed(audio: CallAudio, speaker: Speaker, *, levels_db: dict[Speaker, np.ndarray],
                 margin_db: float, min_correlation: float,
                 max_lag_samples: int, only: np.ndarray | None = None) -> np.ndarray:
    """``bleed.bleed_frames`` of the party's channel against the other one, per VAD window.

    ``only``: a mask of the windows to test (the rest come back False); None tests them all.

    Both channels are band-filtered stretch by stretch with the filter's state carried over
    (the filter is causal, so this is the whole-call filter); each stretch is correlated with
    ``context`` windows of filtered signal either side, enough for the neighbours and lags
    the correlation reads.
    """
    frame_len, rate = VAD_WINDOW_SAMPLES, audio.sample_rate_hz
    gap_db = levels_db[speaker.other] - levels_db[speaker]
    wanted = gap_db >= margin_db
    if only is not None:
        wanted &= np.pad(only, (0, max(0, wanted.size - only.size)))[:wanted.size]
    candidates = np.flatnonzero(wanted)
    flagged = np.zeros(gap_db.shape[0], dtype=bool)
    if candidates.size == 0:
        return flagged
    context = 1 + math.ceil(max_lag_samples / frame_len)
    filters = {party: _CarriedFilter(bleed.analysis_band_sos(sample_rate_hz=rate))
               for party in (speaker, speaker.other)}
    behind = {party: np.zeros(0) for party in filters}
    for first in range(0, gap_db.shape[0], _BLOCK_WINDOWS):
        last = min(first + _BLOCK_WINDOWS, gap_db.shape[0])
        segments = {}
        for party, band in filters.items():
            start, stop = first * frame_len, min(last * frame_len, audio.n_samples)
            block = band.run(audio.read(party, start, stop))
            ahead = band.peek(audio.read(party, stop, min(stop + context * frame_len,
                                                          audio.n_samples)))
            segments[party] = np.concatenate([behind[party], block, ahead])
            behind[party] = block[-context * frame_len:]
        offset = first - (0 if first == 0 else context)
        chosen = candidates[(candidates >= first) & (candidates < last)]
        if chosen.size:
            correlation = bleed.frame_correlation(
                segments[speaker], segments[speaker.other], frame_len=frame_len,
                max_lag_samples=max_lag_samples, frame_index=chosen - offset)
            flagged[chosen] = correlation >= min_correlation
    return flagged


class _CarriedFilter:
    """A second-order-sections filter run over consecutive stretches, its state carried."""

    def __init__(self, sos: np.ndarray) -> None:
        self.sos = sos
        self.state = np.zeros((sos.shape[0], 2))

    def run(self, samples: np.ndarray) -> np.ndarray:
        if samples.size == 0:
            return np.zeros(0)
        out, self.state = scipy.signal.sosfilt(self.sos, samples, zi=self.state)
        return out

    def peek(self, samples: np.ndarray) -> np.ndarray:
        """The filtered continuation, without moving the state on."""
        if samples.size == 0:
            return np.zeros(0)
        return scipy.signal.sosfilt(self.sos, samples, zi=self.state)[0]
