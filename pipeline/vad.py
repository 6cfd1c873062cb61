"""Speech probabilities from the Silero VAD model that ships inside faster-whisper.

This module and ``pipeline.transcribe`` are the only places that import faster_whisper. We
use the raw per-window probabilities rather than faster-whisper's ``get_speech_timestamps``
because that function is tuned for cutting audio into ASR chunks (2 s minimum silence, 400 ms
padding), which would merge separate turns and hide short backchannels.
"""

from __future__ import annotations

import functools
import logging

import numpy as np

from pipeline.errors import ModelNotFoundError

logger = logging.getLogger(__name__)

VAD_RATE_HZ = 16000
VAD_WINDOW_SAMPLES = 512  # Silero v5+ scores fixed 32 ms windows at 16 kHz


@functools.cache
def _silero_model():
    try:
        from faster_whisper.vad import get_vad_model
    except ImportError as exc:  # pragma: no cover - faster-whisper is a hard dependency
        raise ModelNotFoundError(
            "the Silero VAD model ships with faster-whisper; install it with "
            "`pip install faster-whisper`") from exc
    try:
        return get_vad_model()
    except Exception as exc:  # onnxruntime raises its own untyped errors on a damaged file
        raise ModelNotFoundError(
            f"the Silero VAD model inside faster-whisper could not be loaded ({exc}); "
            "reinstall faster-whisper") from exc


def speech_probabilities(samples: np.ndarray) -> np.ndarray:
    """Silero speech probability for each 32 ms window of a 16 kHz mono signal.

    Returns shape ``(ceil(samples / 512),)`` float32 in [0, 1]; window ``i`` covers samples
    ``[512 i, 512 (i + 1))``. The last partial window is zero-padded.
    """
    if samples.size == 0:
        return np.zeros(0, dtype=np.float32)
    padding = (-samples.size) % VAD_WINDOW_SAMPLES
    padded = np.pad(np.asarray(samples, dtype=np.float32), (0, padding))
    return np.asarray(_silero_model()(padded), dtype=np.float32).reshape(-1)
