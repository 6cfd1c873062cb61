"""Speech probabilities from the Silero VAD model that ships inside faster-whisper.

This module and ``pipeline.transcribe`` are the only places that import faster_whisper. We
use the raw per-window probabilities rather than faster-whisper's ``get_speech_timestamps``
because that function is tuned for cutting audio into ASR chunks (2 s minimum silence, 400 ms
padding), which would merge separate turns and hide short backchannels.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable

import numpy as np

from pipeline.errors import ModelNotFoundError

logger = logging.getLogger(__name__)

VAD_RATE_HZ = 16000
VAD_WINDOW_SAMPLES = 512  # Silero v5+ scores fixed 32 ms windows at 16 kHz
# faster-whisper's SileroVADModel: each window is scored with the last 64 samples of the one
# before it, in runs of 10,000 windows with the model's state carried from run to run.
_CONTEXT_SAMPLES = 64
_RUN_WINDOWS = 10000


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


def streamed_speech_probabilities(read: Callable[[int, int], np.ndarray],
                                  n_samples: int) -> np.ndarray:
    """``speech_probabilities`` of a signal read a run at a time: ``read(start, stop)`` gives
    samples ``[start, stop)``, zeros past the end.

    The windows, their context and the model's state are those of faster-whisper's own loop
    over the whole signal (runs of 10,000 windows, state carried), so the probabilities are
    the same, and memory holds one run (5.1 M samples) instead of the whole call.
    """
    n_windows = -(-n_samples // VAD_WINDOW_SAMPLES)
    session = _silero_model().session
    state = (np.zeros((1, 1, 128), dtype=np.float32), np.zeros((1, 1, 128), dtype=np.float32))
    tail = np.zeros((1, _CONTEXT_SAMPLES), dtype=np.float32)
    outputs = []
    for first in range(0, n_windows, _RUN_WINDOWS):
        last = min(first + _RUN_WINDOWS, n_windows)
        windows = np.array(read(first * VAD_WINDOW_SAMPLES, last * VAD_WINDOW_SAMPLES),
                           dtype=np.float32).reshape(-1, VAD_WINDOW_SAMPLES)
        if last == n_windows:
            windows[-1, -_CONTEXT_SAMPLES:] = 0  # as faster-whisper does to the final window
        context = np.concatenate([tail, windows[:-1, -_CONTEXT_SAMPLES:]])
        tail = windows[-1:, -_CONTEXT_SAMPLES:].copy()
        output, *state = session.run(None, {"input": np.concatenate([context, windows], 1),
                                            "h": state[0], "c": state[1]})
        outputs.append(np.asarray(output, dtype=np.float32).reshape(-1))
    return np.concatenate(outputs) if outputs else np.zeros(0, dtype=np.float32)
