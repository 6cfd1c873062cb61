"""Decoding: every common format to 16 kHz channels-first, and clear errors for bad input."""

from pathlib import Path

import av
import numpy as np
import pytest
import soundfile as sf

from pipeline.config import DecodeConfig
from pipeline.decode import ANALYSIS_RATE_HZ, decode_call
from pipeline.errors import InvalidAudioError
from pipeline.types import Speaker


def stereo_tones(rate_hz: int, seconds: float = 2.0) -> np.ndarray:
    """(samples, 2): 220 Hz at 0.5 on the left, 330 Hz at 0.25 on the right."""
    t = np.arange(int(rate_hz * seconds)) / rate_hz
    return np.stack([0.5 * np.sin(2 * np.pi * 220 * t), 0.25 * np.sin(2 * np.pi * 330 * t)], axis=1)


def write_with_av(path: Path, frames: np.ndarray, rate_hz: int, codec: str) -> None:
    with av.open(str(path), "w") as container:
        stream = container.add_stream(codec, rate=rate_hz, layout="stereo")
        planar = np.ascontiguousarray(frames.T.astype(np.float32))
        step = stream.codec_context.frame_size or 1024  # encoders want whole codec frames
        for start in range(0, planar.shape[1], step):
            chunk = np.ascontiguousarray(planar[:, start:start + step])
            frame = av.AudioFrame.from_ndarray(chunk, format="fltp", layout="stereo")
            frame.sample_rate = rate_hz
            frame.pts = start
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)


@pytest.mark.parametrize("name, rate_hz, writer", [
    ("call.wav", 8000, "soundfile"),
    ("call.flac", 16000, "soundfile"),
    ("call.ogg", 44100, "soundfile"),
    ("call.mp3", 8000, "libmp3lame"),
    ("call.m4a", 16000, "aac"),
    ("call.opus", 48000, "libopus"),
])
def test_common_formats_decode_to_16k_channels_first(tmp_path, name, rate_hz, writer):
    path = tmp_path / name
    frames = stereo_tones(rate_hz)
    if writer == "soundfile":
        sf.write(path, frames, rate_hz)
    else:
        write_with_av(path, frames, rate_hz, writer)

    audio = decode_call(path, config=DecodeConfig())

    whole = audio.samples.whole()
    assert whole.shape[0] == 2
    assert audio.sample_rate_hz == ANALYSIS_RATE_HZ
    assert whole.dtype == np.float32
    # Lossy encoders pad: AAC adds a 1024-sample priming frame plus a partial last frame.
    assert audio.duration_s == pytest.approx(2.0, abs=0.15)
    # Compare RMS away from the edges, where lossy encoders ring.
    middle = whole[:, ANALYSIS_RATE_HZ // 2: ANALYSIS_RATE_HZ * 3 // 2]
    rms = np.sqrt(np.mean(middle**2, axis=1))
    assert rms[0] == pytest.approx(0.5 / np.sqrt(2), rel=0.1)
    assert rms[1] == pytest.approx(0.25 / np.sqrt(2), rel=0.1)
    # A stage that changes the stretch it read changes nothing for the next stage.
    stretch = audio.read(Speaker.AGENT, 0, 100)
    stretch[:] = 0.9
    assert not np.any(audio.read(Speaker.AGENT, 0, 100) == 0.9)


def resampled_frame_by_frame(path: Path) -> np.ndarray:
    """The plain way: every decoded codec frame through the resampler on its own."""
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        resampler = av.AudioResampler(format="fltp", layout="stereo", rate=ANALYSIS_RATE_HZ)
        pieces = []
        for frame in container.decode(stream):
            frame.pts = None
            pieces += [out.to_ndarray() for out in resampler.resample(frame)]
        pieces += [out.to_ndarray() for out in resampler.resample(None)]
    return np.concatenate(pieces, axis=1)


@pytest.mark.parametrize("name, rate_hz, writer", [
    ("call.wav", 44100, "soundfile"),
    ("call.flac", 8000, "soundfile"),
    ("call.mp3", 22050, "libmp3lame"),
    ("call.opus", 48000, "libopus"),
])
def test_resampling_in_blocks_gives_the_samples_of_frame_by_frame(tmp_path, name, rate_hz,
                                                                   writer):
    path = tmp_path / name
    noise = np.random.default_rng(0).normal(0, 0.1, (int(rate_hz * 3.3), 2))
    frames = np.clip(stereo_tones(rate_hz, seconds=3.3) * 0.5 + noise, -1, 1)
    if writer == "soundfile":
        sf.write(path, frames, rate_hz)
    else:
        write_with_av(path, frames, rate_hz, writer)

    audio = decode_call(path, config=DecodeConfig())

    np.testing.assert_array_equal(audio.samples.whole(), resampled_frame_by_frame(path))


def test_agent_channel_is_configurable(tmp_path):
    path = tmp_path / "call.wav"
    sf.write(path, stereo_tones(16000), 16000)
    audio = decode_call(path, config=DecodeConfig(agent_channel=1))
    from pipeline.types import Speaker
    assert np.abs(audio.channel(Speaker.AGENT)).max() == pytest.approx(0.25, abs=0.01)
    assert np.abs(audio.channel(Speaker.CUSTOMER)).max() == pytest.approx(0.5, abs=0.01)


def _mono(path):
    sf.write(path, stereo_tones(8000)[:, 0], 8000)


def test_mono_call_decodes_to_one_channel_both_parties_share(tmp_path):
    path = tmp_path / "call.wav"
    _mono(path)
    audio = decode_call(path, config=DecodeConfig())
    from pipeline.types import Speaker
    assert audio.is_mono and audio.samples.whole().shape == (1, 32000)
    assert np.array_equal(audio.channel(Speaker.AGENT), audio.channel(Speaker.CUSTOMER))
    assert np.abs(audio.channel(Speaker.AGENT)).max() == pytest.approx(0.5, abs=0.02)


def _three_channels(path):
    frames = stereo_tones(8000)
    sf.write(path, np.concatenate([frames, frames[:, :1]], axis=1), 8000)


def _non_finite(path):
    frames = stereo_tones(8000).astype(np.float32)
    frames[100, 0] = np.nan
    sf.write(path, frames, 8000, subtype="FLOAT")


def _empty(path):
    path.write_bytes(b"")


def _zero_length(path):
    sf.write(path, np.zeros((0, 2)), 8000)


def _text(path):
    path.write_text("this is not audio\n" * 50)


def _truncated(path):
    sf.write(path, stereo_tones(8000), 8000, format="FLAC")
    path.write_bytes(path.read_bytes()[:60])


def _too_long(path):
    sf.write(path, stereo_tones(8000, seconds=3.0), 8000)


def _directory(path):
    path.mkdir()


@pytest.mark.parametrize("make_file, message", [
    (_three_channels, "3 channels"),
    (_non_finite, "non-finite"),
    (_empty, "empty"),
    (_zero_length, "zero length"),
    (_text, "could not be decoded"),
    (_truncated, "could not be decoded|zero length"),
    (_too_long, "longer than the 2 s maximum"),
    (_directory, "is not a file"),
])
def test_bad_input_gets_an_error_naming_the_fix(tmp_path, make_file, message):
    path = tmp_path / "call.wav"
    make_file(path)
    with pytest.raises(InvalidAudioError, match=message):
        decode_call(path, config=DecodeConfig(max_duration_s=2.0))


def test_missing_file_is_named(tmp_path):
    with pytest.raises(InvalidAudioError, match="no such file"):
        decode_call(tmp_path / "nowhere.wav", config=DecodeConfig())


def test_silent_call_is_valid(tmp_path):
    path = tmp_path / "silent.wav"
    sf.write(path, np.zeros((16000, 2)), 16000)
    audio = decode_call(path, config=DecodeConfig())
    assert audio.duration_s == pytest.approx(1.0)


def test_a_call_over_the_maximum_is_refused_from_its_container_before_decoding(tmp_path,
                                                                              monkeypatch):
    import pipeline.decode as decode

    path = tmp_path / "long.flac"
    sf.write(path, stereo_tones(8000, seconds=10.0), 8000, subtype="PCM_16")

    def must_not_decode(*_args, **_kwargs):
        raise AssertionError("decoded a call its container already showed to be too long")

    monkeypatch.setattr(decode, "_decode_stream", must_not_decode)
    with pytest.raises(InvalidAudioError, match="lasts 10 s, longer than the 5 s maximum"):
        decode_call(path, config=DecodeConfig(max_duration_s=5.0))


def test_a_truncated_file_is_analysed_with_a_warning(tmp_path, caplog):
    path = tmp_path / "cut.wav"
    sf.write(path, stereo_tones(16000, seconds=10.0), 16000, subtype="PCM_16")
    path.write_bytes(path.read_bytes()[:len(path.read_bytes()) // 2])  # a copy cut short
    with caplog.at_level("WARNING", logger="pipeline.decode"):
        audio = decode_call(path, config=DecodeConfig())
    assert audio.n_samples / ANALYSIS_RATE_HZ == pytest.approx(5.0, abs=0.1)
    assert "says it lasts 10.0 s but only 5.0 s could be decoded" in caplog.text
