"""Decode a call recording into channels-first float32 samples at the analysis rate.

PyAV (FFmpeg) reads every common container and codec (wav, flac, mp3, ogg/opus, m4a), so
one decoder serves all of them. The samples are converted to ``(channels, samples)`` here,
once, and every later stage relies on that shape.
"""

from __future__ import annotations

import logging
import struct
from pathlib import Path

import av
import numpy as np

from pipeline.config import DecodeConfig
from pipeline.errors import InvalidAudioError
from pipeline.types import CallAudio, read_only

logger = logging.getLogger(__name__)

# Silero VAD and Whisper both work on 16 kHz audio, so every call is analysed at that rate.
ANALYSIS_RATE_HZ = 16000

def decode_call(path: Path, *, config: DecodeConfig) -> CallAudio:
    """Read ``path`` and return its channels resampled to ``ANALYSIS_RATE_HZ``: one per party,
    or one mixed channel (``CallAudio.is_mono``) whose parties are separated later.

    Raises InvalidAudioError, with the fix in its message, for anything that is not a
    one- or two-channel audio recording callcoach can analyse.
    """
    path = Path(path)
    _check_file(path)
    samples, source_rate_hz, source_format = _read_resampled(path, config)
    _check_samples(samples, path=path, config=config)
    logger.info("decoded %s: %s, %.1f s at %d Hz (source %d Hz)", path.name, source_format,
                samples.shape[1] / ANALYSIS_RATE_HZ, ANALYSIS_RATE_HZ, source_rate_hz)
    return CallAudio(
        samples=read_only(samples),
        sample_rate_hz=ANALYSIS_RATE_HZ,
        source_sample_rate_hz=source_rate_hz,
        source_format=source_format,
        agent_channel=config.agent_channel,
    )


def _check_file(path: Path) -> None:
    if not path.exists():
        raise InvalidAudioError(f"{path}: no such file; check the path")
    if not path.is_file():
        raise InvalidAudioError(f"{path}: is not a file; give the path of one audio recording")
    if path.stat().st_size == 0:
        raise InvalidAudioError(f"{path}: the file is empty (0 bytes); re-export the recording")


def _read_resampled(path: Path, config: DecodeConfig) -> tuple[np.ndarray, int, str]:
    try:
        with av.open(str(path), metadata_errors="ignore") as container:
            if not container.streams.audio:
                raise InvalidAudioError(
                    f"{path}: contains no audio stream; give an audio recording (wav, flac, mp3, "
                    "ogg/opus, m4a)")
            stream = container.streams.audio[0]
            channels = stream.codec_context.channels
            _check_channel_count(channels, path)
            source_rate_hz = stream.codec_context.sample_rate or ANALYSIS_RATE_HZ
            source_format = f"{container.format.name}/{stream.codec_context.name}"
            declared_s = wav_header_duration_s(path) or declared_duration_s(container, stream)
            _check_declared_duration(declared_s, path=path, config=config)
            samples = _decode_stream(container, stream, channels, config)
            _warn_if_truncated(samples.shape[1] / ANALYSIS_RATE_HZ, declared_s, path=path)
    except InvalidAudioError:
        raise
    except (av.FFmpegError, ValueError, UnicodeDecodeError, OSError) as exc:
        raise InvalidAudioError(
            f"{path}: could not be decoded as audio ({type(exc).__name__}); the file is corrupt or "
            "not an audio recording - re-export it as wav, flac, mp3, ogg/opus or m4a") from exc
    return samples, source_rate_hz, source_format


TRUNCATION_SLACK_S = 1.0  # encoders pad and round; a missing second is a missing part


def declared_duration_s(container, stream) -> float | None:
    """The duration the container states (header, STREAMINFO, index), read without decoding."""
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return container.duration / av.time_base
    return None


def wav_header_duration_s(path: Path) -> float | None:
    """The length a WAV header states (data chunk bytes / byte rate), or None for other files.
    FFmpeg clamps a WAV's data size to the bytes present, so only the header itself shows
    that a copy was cut short."""
    with open(path, "rb") as handle:
        head = handle.read(4096)
    if head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        return None
    offset, byte_rate = 12, 0
    while offset + 8 <= len(head):
        chunk, size = head[offset:offset + 4], struct.unpack("<I", head[offset + 4:offset + 8])[0]
        if chunk == b"fmt " and offset + 16 <= len(head):
            byte_rate = struct.unpack("<I", head[offset + 16:offset + 20])[0]
        if chunk == b"data":
            return size / byte_rate if byte_rate and size != 0xFFFFFFFF else None
        offset += 8 + size + (size & 1)
    return None


def _check_declared_duration(declared_s: float | None, *, path: Path,
                             config: DecodeConfig) -> None:
    """Refuse a call over the maximum from its container, before a second of decoding."""
    if declared_s is not None and declared_s > config.max_duration_s + TRUNCATION_SLACK_S:
        raise InvalidAudioError(
            f"{path}: lasts {declared_s:.0f} s, longer than the {config.max_duration_s:.0f} s "
            "maximum; split the recording or raise decode.max_duration_s in the config")


def _warn_if_truncated(decoded_s: float, declared_s: float | None, *, path: Path) -> None:
    if declared_s is not None and decoded_s < declared_s - TRUNCATION_SLACK_S:
        logger.warning("%s: the file says it lasts %.1f s but only %.1f s could be decoded; it "
                       "is truncated (a copy cut short?) and is analysed as the shorter call",
                       path, declared_s, decoded_s)


def _check_channel_count(channels: int, path: Path) -> None:
    if channels not in (1, 2):
        raise InvalidAudioError(
            f"{path}: has {channels} channels; callcoach expects 2 (agent and customer) or 1 "
            "(both mixed) - mix the recording down to one channel per party")


def _decode_stream(container, stream, channels: int, config: DecodeConfig) -> np.ndarray:
    """Decode and resample in chunks, stopping as soon as the call is over the maximum length."""
    layout = "mono" if channels == 1 else "stereo"
    resampler = av.AudioResampler(format="fltp", layout=layout, rate=ANALYSIS_RATE_HZ)
    max_samples = int(config.max_duration_s * ANALYSIS_RATE_HZ)
    chunks: list[np.ndarray] = []
    decoded = 0
    for frame in container.decode(stream):
        frame.pts = None  # resample by content; broken timestamps must not insert gaps
        for out in resampler.resample(frame):
            chunks.append(out.to_ndarray())
            decoded += chunks[-1].shape[1]
        if decoded > max_samples:
            raise InvalidAudioError(
                f"{container.name}: is longer than the {config.max_duration_s:.0f} s maximum; split "
                "the recording or raise decode.max_duration_s in the config")
    for out in resampler.resample(None):
        chunks.append(out.to_ndarray())
    if not chunks:
        return np.zeros((channels, 0), dtype=np.float32)
    return np.ascontiguousarray(np.concatenate(chunks, axis=1), dtype=np.float32)


def _check_samples(samples: np.ndarray, *, path: Path, config: DecodeConfig) -> None:
    if samples.shape[1] == 0:
        raise InvalidAudioError(f"{path}: holds no audio samples (zero length); re-export the recording")
    if not np.isfinite(samples).all():
        raise InvalidAudioError(
            f"{path}: contains non-finite samples (NaN or infinity); the file is damaged - "
            "re-export it from the recorder")
    if samples.shape[1] > config.max_duration_s * ANALYSIS_RATE_HZ:
        raise InvalidAudioError(
            f"{path}: is longer than the {config.max_duration_s:.0f} s maximum; split the recording "
            "or raise decode.max_duration_s in the config")
