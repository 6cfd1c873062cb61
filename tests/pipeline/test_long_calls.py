"""Long calls are analysed a stretch at a time: every stage that reads the samples in blocks
gives the values the same measure gives on the whole array, also across block borders, and
decoding holds one block of the call in memory, never the call."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from audio_features import bleed, loudness, smoothing, speech_energy
from pipeline import channel_frames, speech_packing
from pipeline.activity import detect_speech
from pipeline.call_samples import SpooledSamples
from pipeline.config import Config, DecodeConfig
from pipeline.decode import decode_call
from pipeline.prosody import measure_prosody
from pipeline.types import CallAudio, Interval, Speaker, SpeechActivity
from pipeline.vad import VAD_WINDOW_SAMPLES, speech_probabilities, streamed_speech_probabilities

RATE_HZ = 16000
SAMPLE_CALLS = Path(__file__).resolve().parents[2] / "sample_calls"


def _voice(seconds: float, f0_hz: float, rng: np.random.Generator) -> np.ndarray:
    """Voiced bursts (a few harmonics, on and off every 0.3-1.5 s) over line noise."""
    t = np.arange(int(seconds * RATE_HZ)) / RATE_HZ
    tone = sum(np.sin(2 * np.pi * f0_hz * k * t) / k for k in range(1, 5))
    switches = np.cumsum(rng.uniform(0.3, 1.5, int(seconds) + 2))
    on = (np.searchsorted(switches, t) % 2).astype(float)
    return (0.2 * tone * on + 0.002 * rng.standard_normal(t.size)).astype(np.float32)


def _leaky_call(seconds: float, *, seed: int = 3) -> CallAudio:
    """Two parties, the agent leaking into the customer's channel 26 dB down, 3 samples late."""
    rng = np.random.default_rng(seed)
    agent, customer = _voice(seconds, 140.0, rng), _voice(seconds, 230.0, rng)
    customer[3:] += 0.05 * agent[:-3]
    return CallAudio(samples=np.stack([agent, customer]), sample_rate_hz=RATE_HZ,
                     source_sample_rate_hz=RATE_HZ, source_format="test", agent_channel=0)


@pytest.fixture
def small_blocks(monkeypatch: pytest.MonkeyPatch) -> int:
    """Blocks of 37 VAD windows (1.2 s): a short call crosses dozens of block borders."""
    monkeypatch.setattr(channel_frames, "_BLOCK_WINDOWS", 37)
    return 37


def test_window_levels_and_voicing_in_blocks_match_the_whole_array(small_blocks: int) -> None:
    audio = _leaky_call(20.0)
    whole = audio.channel(Speaker.AGENT)
    levels = channel_frames.window_levels_db(audio, Speaker.AGENT)
    assert np.array_equal(levels, speech_energy.frame_level_db(whole, VAD_WINDOW_SAMPLES))
    index = np.arange(0, levels.size, 2)
    assert np.array_equal(
        channel_frames.window_periodicity(audio, Speaker.AGENT, frame_index=index,
                                          f0_range_hz=(60.0, 700.0)),
        speech_energy.periodicity(whole, frame_len=VAD_WINDOW_SAMPLES, sample_rate_hz=RATE_HZ,
                                  f0_min_hz=60.0, f0_max_hz=700.0, frame_index=index))


def test_the_bleed_guard_in_blocks_matches_the_whole_array_across_borders(
        small_blocks: int) -> None:
    audio = _leaky_call(20.0)
    levels = {speaker: channel_frames.window_levels_db(audio, speaker) for speaker in Speaker}
    options = dict(margin_db=10.0, min_correlation=0.6, max_lag_samples=128)
    in_blocks = channel_frames.window_bleed(audio, Speaker.CUSTOMER, levels_db=levels, **options)
    whole = bleed.bleed_frames(audio.channel(Speaker.CUSTOMER), audio.channel(Speaker.AGENT),
                               sample_rate_hz=RATE_HZ, frame_len=VAD_WINDOW_SAMPLES, **options)
    flagged = np.flatnonzero(whole)
    # The leak is found, and at windows either side of a block border too.
    assert flagged.size > 50
    assert np.isin(flagged % small_blocks, [0, small_blocks - 1]).any()
    assert np.array_equal(in_blocks, whole)


def test_the_bleed_guard_tests_only_the_windows_asked_for() -> None:
    audio = _leaky_call(20.0)
    levels = {speaker: channel_frames.window_levels_db(audio, speaker) for speaker in Speaker}
    options = dict(margin_db=10.0, min_correlation=0.6, max_lag_samples=128)
    every = channel_frames.window_bleed(audio, Speaker.CUSTOMER, levels_db=levels, **options)
    only = np.zeros(every.size, dtype=bool)
    only[::3] = True
    some = channel_frames.window_bleed(audio, Speaker.CUSTOMER, levels_db=levels, only=only,
                                       **options)
    assert every[only].any() and every[~only].any()
    assert np.array_equal(some, every & only)


def test_speech_activity_is_the_same_when_the_bleed_guard_tests_every_window(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # The guard skips windows whose outcome it cannot change; testing all of them must agree.
    audio = _leaky_call(30.0)
    config = Config().activity
    pruned = detect_speech(audio, config=config)
    window_bleed = channel_frames.window_bleed

    def every_window(*args, only=None, **kwargs):  # noqa: ANN002, ANN003, ANN202
        return window_bleed(*args, **kwargs)

    monkeypatch.setattr(channel_frames, "window_bleed", every_window)
    tested_everywhere = detect_speech(audio, config=config)
    assert tested_everywhere == pruned
    assert pruned[Speaker.CUSTOMER].bleed_removed  # the leak was there to be removed


def test_speech_activity_does_not_depend_on_the_block_size(monkeypatch: pytest.MonkeyPatch) -> None:
    audio = decode_call(SAMPLE_CALLS / "talk_over.opus", config=DecodeConfig())
    config = Config().activity
    whole = detect_speech(audio, config=config)
    monkeypatch.setattr(channel_frames, "_BLOCK_WINDOWS", 100)  # 3.2 s blocks
    assert detect_speech(audio, config=config) == whole
    assert all(whole[speaker].segments for speaker in Speaker)


def test_silero_read_run_by_run_scores_as_on_the_whole_signal() -> None:
    rng = np.random.default_rng(5)
    # More than one of faster-whisper's 10,000-window runs, and a partial last window.
    samples = _voice(330.0, 180.0, rng)[: 10_000 * VAD_WINDOW_SAMPLES + 3000]
    def read(start: int, stop: int) -> np.ndarray:
        return np.pad(samples[start:stop], (0, max(0, stop - max(start, samples.size))))

    streamed = streamed_speech_probabilities(read, samples.size)
    assert np.array_equal(streamed, speech_probabilities(samples))


def test_loudness_in_blocks_matches_the_whole_array() -> None:
    samples = _voice(7.3, 200.0, np.random.default_rng(2))

    def read(start: int, stop: int) -> np.ndarray:
        out = np.zeros(stop - start, dtype=np.float32)
        first, last = max(start, 0), min(stop, samples.size)
        out[first - start: last - start] = samples[first:last]
        return out

    whole = loudness.loudness_dbfs(samples, sample_rate_hz=RATE_HZ, frame_s=0.064, hop_s=0.016)
    blocks = loudness.loudness_dbfs_streamed(read, samples.size, sample_rate_hz=RATE_HZ,
                                             frame_s=0.064, hop_s=0.016, block_frames=7)
    assert blocks.shape == whole.shape
    # The running sum restarts each block: the levels agree to a millionth of a dB.
    np.testing.assert_allclose(blocks, whole, rtol=0, atol=1e-6)


def test_running_median_in_blocks_matches_one_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    values = np.random.default_rng(4).normal(size=500)
    values[np.random.default_rng(5).random(500) < 0.3] = np.nan
    whole = smoothing.running_median(values, window=51, min_count=3)
    monkeypatch.setattr(smoothing, "_BLOCK", 17)
    assert np.array_equal(smoothing.running_median(values, window=51, min_count=3), whole,
                          equal_nan=True)


def test_prosody_read_from_spooled_samples_matches_the_array() -> None:
    in_memory = _leaky_call(12.0)
    spooled = SpooledSamples(2)
    spooled.append(in_memory.samples.whole())
    on_disk = CallAudio(samples=spooled.finish(), sample_rate_hz=RATE_HZ,
                        source_sample_rate_hz=RATE_HZ, source_format="test", agent_channel=0)
    speech = SpeechActivity(speaker=Speaker.AGENT, segments=(Interval(start_s=0.5, end_s=11.0),),
                            bleed_removed=())
    config = Config()
    tracks = [measure_prosody(audio, speech, config=config.prosody,
                              raised_voice=config.raised_voice) for audio in (in_memory, on_disk)]
    assert np.array_equal(tracks[0].f0_hz, tracks[1].f0_hz, equal_nan=True)
    assert np.array_equal(tracks[0].loudness_dbfs, tracks[1].loudness_dbfs)
    assert np.isfinite(tracks[0].f0_hz).sum() > 100


def test_decoding_a_long_call_holds_one_block_not_the_call(tmp_path: Path) -> None:
    path = tmp_path / "long.wav"
    rng = np.random.default_rng(6)
    with sf.SoundFile(path, "w", samplerate=RATE_HZ, channels=2, subtype="PCM_16") as out:
        for _ in range(6):  # six minutes, written a minute at a time
            out.write((0.1 * rng.standard_normal((60 * RATE_HZ, 2))).astype(np.float32))
    whole_call_mb = 6 * 60 * RATE_HZ * 2 * 4 / 1e6  # 46 MB as float32
    tracemalloc.start()
    try:
        audio = decode_call(path, config=DecodeConfig())
        peak_mb = tracemalloc.get_traced_memory()[1] / 1e6
    finally:
        tracemalloc.stop()
    assert isinstance(audio.samples, SpooledSamples)
    assert peak_mb < whole_call_mb / 4
    assert audio.n_samples == 6 * 60 * RATE_HZ
    # What a stage reads back is the file's content, anywhere in the call.
    expected = sf.read(path, start=5 * 60 * RATE_HZ, frames=RATE_HZ, dtype="float32")[0]
    got = audio.read(Speaker.CUSTOMER, 5 * 60 * RATE_HZ, 5 * 60 * RATE_HZ + RATE_HZ)
    np.testing.assert_allclose(got, expected[:, 1], atol=1e-6)


def test_speech_packed_run_by_run_is_the_packed_buffer() -> None:
    samples = _voice(200.0, 150.0, np.random.default_rng(7))
    speech = tuple(Interval(start_s=s, end_s=s + 3.7) for s in np.arange(1.0, 190.0, 4.5))
    whole = speech_packing.pack_speech(samples, speech, sample_rate_hz=RATE_HZ)
    plan = speech_packing.plan_speech(lambda a, b: samples[a:b], samples.size, speech,
                                      sample_rate_hz=RATE_HZ)
    assert plan.pieces == whole.pieces and plan.clips_s == whole.clips_s
    assert len(plan.clips_s) > 3
    for start_s, end_s in plan.clips_s:
        first, last = round(start_s * RATE_HZ), round(end_s * RATE_HZ)
        run = speech_packing.render(plan, lambda _piece, a, b: samples[a:b], first=first,
                                    last=last, sample_rate_hz=RATE_HZ)
        assert np.array_equal(run, whole.samples[first:last])


def test_a_full_temporary_folder_is_reported_with_the_fix(monkeypatch):
    import errno

    samples = SpooledSamples(2)

    def full_disk(data):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(samples._files[0], "write", full_disk, raising=False)
    with pytest.raises(OSError, match="TMPDIR") as raised:
        samples.append(np.zeros((2, 160), dtype=np.float32))
    assert raised.value.errno == errno.ENOSPC
    samples.close()
