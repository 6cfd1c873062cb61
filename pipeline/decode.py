"""Decode a call recording into channels-first float32 samples at the analysis rate.

PyAV (FFmpeg) reads every common container and codec (wav, flac, mp3, ogg/opus, m4a), so
one decoder serves all of them. The samples are resampled here, once, and streamed block by
block to one temporary file per channel (``pipeline.call_samples``): memory does not grow
with the call's length, and every later stage reads the stretches it needs.
"""

from __future__ import annotations

import logging
import struct
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

from pipeline.config import DecodeConfig
from pipeline.errors import InvalidAudioError
from pipeline.call_samples import SpooledSamples
from pipeline.types import CallAudio

logger = logging.getLogger(__name__)

# Silero VAD and Whisper both work on 16 kHz audio, so every call is analysed at that rate.
ANALYSIS_RATE_HZ = 16000
_RESAMPLE_BLOCK_SAMPLES = 48000  # decoded samples resampled at a time (1 s at 48 kHz)

def decode_call(path: Path, *, config: DecodeConfig, agent_channel: int | None = None) -> CallAudio:
    """Read ``path`` and return its channels resampled to ``ANALYSIS_RATE_HZ``: one per party,
    or one mixed channel (``CallAudio.is_mono``) whose parties are separated later.

    ``agent_channel`` is a fact about this call (its metadata); None takes the config's
    default, the channel a site's recorder gives the agent.

    Raises InvalidAudioError, with the fix in its message, for anything that is not a
    one- or two-channel audio recording callcoach can analyse.
    """
    path = Path(path)
    _check_file(path)
    samples, source_rate_hz, source_format = _read_resampled(path, config)
    if samples.n_samples == 0:
        raise InvalidAudioError(
            f"{path}: holds no audio samples (zero length); re-export the recording")
    logger.info("decoded %s: %s, %.1f s at %d Hz (source %d Hz)", path.name, source_format,
                samples.n_samples / ANALYSIS_RATE_HZ, ANALYSIS_RATE_HZ, source_rate_hz)
    return CallAudio(
        samples=samples,
        sample_rate_hz=ANALYSIS_RATE_HZ,
        source_sample_rate_hz=source_rate_hz,
        source_format=source_format,
        agent_channel=config.agent_channel if agent_channel is None else agent_channel,
    )


def _check_file(path: Path) -> None:
    if not path.exists():
        raise InvalidAudioError(f"{path}: no such file; check the path")
    if not path.is_file():
        raise InvalidAudioError(f"{path}: is not a file; give the path of one audio recording")
    if path.stat().st_size == 0:
        raise InvalidAudioError(f"{path}: the file is empty (0 bytes); re-export the recording")


def _read_resampled(path: Path, config: DecodeConfig) -> tuple[SpooledSamples, int, str]:
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
            samples = _decode_stream(container, stream, channels, config, path=path)
            _warn_if_truncated(samples.n_samples / ANALYSIS_RATE_HZ, declared_s, path=path)
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


def _decode_stream(container, stream, channels: int, config: DecodeConfig, *,
                   path: Path) -> SpooledSamples:
    """Decode and resample block by block into temporary files, checking each block, and
    stopping as soon as the call is over the maximum length."""
    layout = "mono" if channels == 1 else "stereo"
    resampler = av.AudioResampler(format="fltp", layout=layout, rate=ANALYSIS_RATE_HZ)
    max_samples = int(config.max_duration_s * ANALYSIS_RATE_HZ)
    samples = SpooledSamples(channels)
    pending: list[np.ndarray] = []
    # Codec frames (20 ms of Opus) are gathered into blocks of about a second before they are
    # resampled: one resampler call per frame cost as much as decoding, and the resampler's
    # output does not depend on how its input is cut.
    unresampled = av.AudioFifo()
    for frame in container.decode(stream):
        frame.pts = None  # resample by content; broken timestamps must not insert gaps
        unresampled.write(frame)
        if unresampled.samples >= _RESAMPLE_BLOCK_SAMPLES:
            pending += _resampled(resampler, unresampled.read())
        if sum(block.shape[1] for block in pending) >= _WRITE_BLOCK_SAMPLES:
            _append_checked(samples, pending, path=path)
            pending = []
        if samples.n_samples > max_samples:
            raise _too_long(path, config)
    if unresampled.samples:
        pending += _resampled(resampler, unresampled.read())
    pending += _resampled(resampler, None)
    _append_checked(samples, pending, path=path)
    if samples.n_samples > max_samples:
        raise _too_long(path, config)
    return samples.finish()


def _resampled(resampler: av.AudioResampler, block) -> list[np.ndarray]:  # noqa: ANN001
    """The resampler's output for one block of decoded audio (None flushes it)."""
    if block is not None:
        block.pts = None
    return [out.to_ndarray() for out in resampler.resample(block)]


def _too_long(path: Path, config: DecodeConfig) -> InvalidAudioError:
    return InvalidAudioError(
        f"{path}: is longer than the {config.max_duration_s:.0f} s maximum; split the "
        "recording or raise decode.max_duration_s in the config")


_WRITE_BLOCK_SAMPLES = ANALYSIS_RATE_HZ * 10  # decoded frames are gathered to 10 s, then written


def _append_checked(samples: SpooledSamples, pending: list[np.ndarray], *, path: Path) -> None:
    if not pending:
        return
    block = np.concatenate(pending, axis=1).astype(np.float32, copy=False)
    if not np.isfinite(block).all():
        raise InvalidAudioError(
            f"{path}: contains non-finite samples (NaN or infinity); the file is damaged - "
            "re-export it from the recorder")
    samples.append(block)


@dataclass(frozen=True, slots=True, kw_only=True)
class AudioProbe:
    channels: int
    duration_s: float


def probe_audio(path: Path) -> AudioProbe:
    """Channels and duration of the first audio stream, from the container (no full decode),
    so an upload is checked before it is accepted."""
    try:
        with av.open(str(path)) as container:
            stream = next((s for s in container.streams if s.type == "audio"), None)
            if stream is None:
                raise InvalidAudioError("the file holds no audio stream")
            channels = stream.codec_context.channels
            duration_s = wav_header_duration_s(path) or \
                declared_duration_s(container, stream) or 0.0
    except (av.FFmpegError, UnicodeDecodeError, ValueError) as exc:
        raise InvalidAudioError("the file cannot be read as audio; upload a wav, flac, ogg/opus, "
                                "mp3 or m4a recording") from exc
    return AudioProbe(channels=channels, duration_s=duration_s)


SEEK_MARGIN_S = 1.0  # decode from this far before the clip: codecs need a little pre-roll


def decode_window(audio_path: Path, *, start_s: float, end_s: float) -> tuple[np.ndarray, int]:
    """A recording's samples from ``start_s`` to ``end_s``, (2, n) float32 at the file's own
    rate. The container is seeked to just before the start and only the stretch is decoded,
    so a clip costs the same from a five-minute call as from a four-hour one."""
    with av.open(str(audio_path), metadata_errors="ignore") as container:
        stream = container.streams.audio[0]
        rate_hz = stream.codec_context.sample_rate
        if start_s > SEEK_MARGIN_S and stream.time_base is not None:
            container.seek(int((start_s - SEEK_MARGIN_S) / stream.time_base),
                           stream=stream)
        pieces, first_s = _decode_until(container, stream, rate_hz=rate_hz, end_s=end_s)
    decoded = np.concatenate(pieces, axis=1) if pieces else np.zeros((2, 0), np.float32)
    first = max(0, int(round((start_s - first_s) * rate_hz)))
    last = max(first, int(round((end_s - first_s) * rate_hz)))
    return np.ascontiguousarray(decoded[:, first:last], dtype=np.float32), rate_hz


def _decode_until(container, stream, *, rate_hz: int, end_s: float):
    """Planar stereo pieces from the current position until ``end_s``, and the time of the
    first one (0 where the stream does not say)."""
    resampler = av.AudioResampler(format="fltp", layout="stereo", rate=rate_hz)
    pieces: list[np.ndarray] = []
    first_s: float | None = None
    for frame in container.decode(stream):
        if first_s is None:
            first_s = float(frame.time) if frame.time is not None else 0.0
        frame.pts = None  # the samples are counted from the first frame on
        pieces += [out.to_ndarray() for out in resampler.resample(frame)]
        if first_s + sum(piece.shape[1] for piece in pieces) / rate_hz >= end_s:
            break
    pieces += [out.to_ndarray() for out in resampler.resample(None)]
    return pieces, first_s or 0.0
