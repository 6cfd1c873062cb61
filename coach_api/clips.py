"""Cutting a short WAV clip around a finding, with personal data bleeped.

Clips are cut on demand from the stored recording: both channels, the finding's span widened
by ``pad_s`` each side, and a 1 kHz tone over every redacted time range (and, for trainers,
the customer's spoken name), so a clip can be shared in training without the customer's card
number or phone number in it. Only the clip's own stretch of the recording is decoded.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

BLEEP_HZ = 1000.0
BLEEP_LEVEL = 0.3  # peak amplitude of the tone, full scale = 1


@dataclass(frozen=True, slots=True, kw_only=True)
class ClipWindow:
    """The part of the call a clip covers, in seconds from the start of the call."""

    start_s: float
    end_s: float


def clip_window(start_s: float, end_s: float, *, pad_s: float, duration_s: float) -> ClipWindow:
    """``[start_s - pad_s, end_s + pad_s]`` kept inside ``[0, duration_s]``."""
    return ClipWindow(start_s=max(0.0, start_s - pad_s),
                      end_s=min(duration_s, max(end_s, start_s) + pad_s))


def cut(samples: np.ndarray, *, sample_rate_hz: int, window: ClipWindow) -> np.ndarray:
    """``samples`` (channels, n) restricted to ``window``; a copy, (channels, m)."""
    first = int(round(window.start_s * sample_rate_hz))
    last = int(round(window.end_s * sample_rate_hz))
    return np.array(samples[:, first:last], dtype=np.float32, copy=True)


def bleep(clip: np.ndarray, *, sample_rate_hz: int, offset_s: float,
          spans_s: Sequence[tuple[float, float]], tone_hz: float = BLEEP_HZ) -> np.ndarray:
    """``clip`` (channels, n), which starts ``offset_s`` into the call, with every channel
    replaced by a ``tone_hz`` sine over each ``(start_s, end_s)`` span of the call."""
    out = np.array(clip, dtype=np.float32, copy=True)
    length = out.shape[1]
    for start_s, end_s in spans_s:
        first = max(0, int(np.floor((start_s - offset_s) * sample_rate_hz)))
        last = min(length, int(np.ceil((end_s - offset_s) * sample_rate_hz)))
        if last <= first:
            continue
        time_s = (np.arange(first, last) / sample_rate_hz) + offset_s
        out[:, first:last] = BLEEP_LEVEL * np.sin(2 * np.pi * tone_hz * time_s)
    return out


def wav_bytes(clip: np.ndarray, *, sample_rate_hz: int) -> bytes:
    """``clip`` (channels, n) in [-1, 1] as a 16-bit PCM WAV file."""
    import soundfile

    buffer = io.BytesIO()
    soundfile.write(buffer, np.clip(clip, -1.0, 1.0).T, sample_rate_hz, format="WAV",
                    subtype="PCM_16")
    return buffer.getvalue()


def read_window(audio_path: Path, window: ClipWindow) -> tuple[np.ndarray, int]:
    """The stored recording's samples inside ``window``, (2, n) float32 at the file's own
    rate; only that stretch is decoded (``pipeline.decode.decode_window`` seeks to it)."""
    from pipeline.decode import decode_window

    return decode_window(audio_path, start_s=window.start_s, end_s=window.end_s)


def render_clip(audio_path: Path, *, window: ClipWindow,
                bleep_spans_s: Sequence[tuple[float, float]]) -> bytes:
    """The WAV clip of a stored call over ``window``, the ``bleep_spans_s`` bleeped."""
    clip, rate_hz = read_window(audio_path, window)
    clip = bleep(clip, sample_rate_hz=rate_hz, offset_s=window.start_s, spans_s=bleep_spans_s)
    return wav_bytes(clip, sample_rate_hz=rate_hz)
