"""Vocal effort from the spectrum: the alpha ratio of each frame, in dB.

A voice pushed harder does not only get louder: its glottal pulses close faster, which puts
relatively more energy into the upper harmonics, so the spectrum's tilt flattens (Sundberg &
Nordenberg 2006, J. Acoust. Soc. Am. 120(1)). The alpha ratio measures that tilt as the energy
above 1 kHz over the energy below it (Frokjaer-Jensen & Prytz 1976; eGeMAPS' ``alphaRatio``,
Eyben et al. 2016). The upper band stops at 3.8 kHz here, not eGeMAPS' 5 kHz, so a telephone
call sampled at 8 kHz is measured on the same bands as a wideband one. Being a ratio of two
bands of one frame, it does not move when the channel's gain does.

``bench/raised_headroom.py`` measures it against each speaker's calm speech. The raised-voice
rule (``raised``) does not use it: ordinary acted anger flattens the tilt less than a calm
real call's livelier phrases do (README, "Accuracy").
"""

from __future__ import annotations

import logging

import numpy as np

from audio_features.signal import check_audio, frame_count, samples_per

logger = logging.getLogger(__name__)

LOW_BAND_HZ = (50.0, 1000.0)
HIGH_BAND_HZ = (1000.0, 3800.0)  # below the 4 kHz Nyquist limit of telephone audio
_BLOCK_FRAMES = 512  # frames transformed at a time: bounds memory on long calls
_SILENT = 1e-20  # band energy below this is no measurement (digital silence)


def alpha_ratio_db(samples: np.ndarray, *, sample_rate_hz: float, frame_s: float, hop_s: float,
                   frames: np.ndarray | None = None,
                   low_band_hz: tuple[float, float] = LOW_BAND_HZ,
                   high_band_hz: tuple[float, float] = HIGH_BAND_HZ) -> np.ndarray:
    """Energy in ``high_band_hz`` over energy in ``low_band_hz`` per frame, dB.

    Frame ``i`` is centred at ``i * hop_s`` seconds (as in ``loudness_dbfs``), Hann-windowed.
    Higher (less negative) means a flatter spectrum: more vocal effort, for the same speaker
    and sounds. Measure it on voiced frames only: in pauses and fricatives the ratio describes
    the line noise or the hiss, not the voice.

    Args:
        samples: ``(samples,)`` one channel, floats in [-1, 1].
        sample_rate_hz: sampling rate, Hz; its Nyquist limit must lie above ``high_band_hz``.
        frame_s, hop_s: analysis window and step, seconds.
        frames: ``(frames,)`` bool, the frames to measure (e.g. voiced speech); None measures
            all of them.
        low_band_hz, high_band_hz: ``(low, high)`` band edges, Hz.

    Returns:
        ``(frames,)`` float64 dB, NaN where not measured or where a band holds no energy;
        ``frames = 1 + samples // hop``.
    """
    check_audio(samples, sample_rate_hz=sample_rate_hz, mono=True)
    _check_bands(low_band_hz, high_band_hz, sample_rate_hz=sample_rate_hz)
    frame_len = samples_per(frame_s, sample_rate_hz=sample_rate_hz, name="frame_s")
    hop_len = samples_per(hop_s, sample_rate_hz=sample_rate_hz, name="hop_s")
    n_frames = frame_count(samples.shape[-1], hop_len=hop_len)
    chosen = np.ones(n_frames, dtype=bool) if frames is None else np.asarray(frames, dtype=bool)
    if chosen.shape != (n_frames,):
        raise ValueError(f"frames must be a (frames,) bool mask of {n_frames} frames, got shape "
                         f"{chosen.shape}; build it with the same hop_s and trim to the shortest")
    ratio = np.full(n_frames, np.nan)
    padded = np.pad(np.asarray(samples, dtype=np.float64), (frame_len // 2, frame_len))
    freqs = np.fft.rfftfreq(frame_len, d=1.0 / sample_rate_hz)
    low = (freqs >= low_band_hz[0]) & (freqs < low_band_hz[1])
    high = (freqs >= high_band_hz[0]) & (freqs < high_band_hz[1])
    window = np.hanning(frame_len)
    indices = np.flatnonzero(chosen)
    for first in range(0, indices.size, _BLOCK_FRAMES):
        block = indices[first: first + _BLOCK_FRAMES]
        power = np.abs(np.fft.rfft(padded[block[:, None] * hop_len + np.arange(frame_len)]
                                   * window, axis=1)) ** 2
        low_energy, high_energy = power[:, low].sum(axis=1), power[:, high].sum(axis=1)
        measured = (low_energy > _SILENT) & (high_energy > _SILENT)
        ratio[block[measured]] = 10.0 * np.log10(high_energy[measured] / low_energy[measured])
    return ratio


def _check_bands(low_band_hz: tuple[float, float], high_band_hz: tuple[float, float], *,
                 sample_rate_hz: float) -> None:
    for name, (start, stop) in (("low_band_hz", low_band_hz), ("high_band_hz", high_band_hz)):
        if not 0 <= start < stop:
            raise ValueError(f"{name} must be (low, high) Hz with 0 <= low < high, got "
                             f"{(start, stop)}")
    if high_band_hz[1] > sample_rate_hz / 2:
        raise ValueError(f"high_band_hz reaches {high_band_hz[1]:g} Hz, above the Nyquist limit "
                         f"{sample_rate_hz / 2:g} Hz of {sample_rate_hz:g} Hz audio; resample "
                         "to at least twice the band's top or lower the band")
