"""Transcription adapter: faster-whisper in, callcoach ``Utterance`` values out.

Only the speech intervals the pipeline found (its own bleed-guarded VAD, widened a little where
the other party is silent: ``pipeline.heard_speech``) are transcribed, so the other party's
leakage, hold music and silence never reach Whisper. The intervals are cut out of the channel,
packed back to back (with a short digital silence between them) into clips of at most
``MAX_CLIP_S``, and decoded together by ``BatchedInferencePipeline``; each word is then mapped
back to the call's clock through the interval it came from. This mirrors what
faster-whisper does with its own VAD (``collect_chunks`` / ``restore_speech_timestamps``), with
the pipeline's intervals in place of Silero's.

This module and ``pipeline.vad`` are the only ones that import faster_whisper.
"""

from __future__ import annotations

import bisect
import functools
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

import ctranslate2
import numpy as np
from faster_whisper import BatchedInferencePipeline, WhisperModel

from pipeline.config import TranscriptionConfig
from pipeline.errors import InvalidAudioError, TranscriptionError
from pipeline.heard_speech import heard_speech
from pipeline.models import resolve_model
from pipeline.types import CallAudio, Interval, Speaker, Utterance, Word

logger = logging.getLogger(__name__)

WHISPER_RATE_HZ = 16000
# Whisper's own "silent segment" rule (openai/whisper transcribe.py: no_speech_threshold 0.6
# together with logprob_threshold -1.0); the batched pipeline reports both but applies neither.
MAX_NO_SPEECH_PROBABILITY = 0.6
MIN_AVG_LOGPROB = -1.0
# Whisper's compression_ratio_threshold: text that gzips this well is a repetition loop.
MAX_COMPRESSION_RATIO = 2.4
# Utterances split at pauses longer than this, so one never spans a long silence.
UTTERANCE_MAX_PAUSE_S = 1.0
# Whisper invents words ("you", "Thank you.") for blips this short; no real word fits in them.
MIN_INTERVAL_S = 0.2
# Whisper decodes 30 s windows and the encoder costs the same however much of one is speech, so
# clips fill nearly a whole window (a little short of it, so rounding never spills over). A small
# model sometimes skips a sentence of a full window; the speaking-rate retry below catches that.
# Measured on the sample calls against 15 s clips: 39 % fewer windows, half the decoding time,
# and word error rates and check outcomes as good or better.
MAX_CLIP_S = 29.0
# Digital silence between packed intervals, long enough that a word Whisper stretches over a
# join still has one end clearly inside the interval it was spoken in.
JOIN_GAP_S = 0.4
# A clip with this much speech or more, transcribed at under MIN_WORDS_PER_S, lost sentences:
# measured on the sample calls, speech without its pauses runs at 3-4.5 words a second, and
# greedy decoding sometimes skips a sentence or stops after the first word.
RETRY_MIN_SPEECH_S = 2.0
MIN_WORDS_PER_S = 2.0
# Frame used to find the quietest moment when an interval longer than a clip must be cut.
CUT_FRAME_S = 0.05


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class LoadedWhisper:
    """A Whisper model loaded once per process, with where and how it runs."""

    model: WhisperModel
    model_path: Path
    device: str
    compute_type: str


def choose_device(device: str, compute_type: str) -> tuple[str, str]:
    """Resolve ``auto`` settings: CUDA with float16 when a GPU is visible, else CPU with int8."""
    if device == "auto":
        device = "cuda" if ctranslate2.get_cuda_device_count() > 0 else "cpu"
    if compute_type == "auto":
        compute_type = "float16" if device == "cuda" else "int8"
    return device, compute_type


def cpu_thread_count() -> int:
    """Threads for CTranslate2 on CPU: the cores this process may use (more only contend)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not available on macOS
        return max(1, os.cpu_count() or 1)


def load_whisper(config: TranscriptionConfig, *, cache_dir: Path) -> LoadedWhisper:
    """Load (once per process) the Whisper model ``config`` names; never downloads.

    Raises ModelNotFoundError when the model is not installed, TranscriptionError when
    CTranslate2 cannot load it on the chosen device.
    """
    model_path = resolve_model(config.model, cache_dir=cache_dir).resolve()
    device, compute_type = choose_device(config.device, config.compute_type)
    return _load_cached(model_path, device, compute_type)


@functools.lru_cache(maxsize=4)
def _load_cached(model_path: Path, device: str, compute_type: str) -> LoadedWhisper:
    threads = cpu_thread_count() if device == "cpu" else 0
    logger.info("loading Whisper from %s on %s (%s, %d CPU threads)", model_path, device,
                compute_type, threads)
    try:
        # A folder path makes faster-whisper skip its hub download entirely.
        model = WhisperModel(str(model_path), device=device, compute_type=compute_type,
                             cpu_threads=threads, local_files_only=True)
    except (RuntimeError, ValueError, OSError) as exc:
        raise TranscriptionError(
            f"could not load the Whisper model in {model_path} on {device} with {compute_type}: "
            f"{exc}; try device = \"cpu\" and compute_type = \"int8\"") from exc
    return LoadedWhisper(model=model, model_path=model_path, device=device, compute_type=compute_type)


@dataclass(frozen=True, slots=True, kw_only=True)
class SpeechPiece:
    """One speech interval (or part of a long one) placed in the packed buffer."""

    source: Interval  # where the piece lies in the call
    packed_start_s: float  # where it starts in the packed buffer
    group: int  # pieces separated by short pauses share a group (one utterance)

    @property
    def packed_end_s(self) -> float:
        return self.packed_start_s + self.source.duration_s

    def to_call_time(self, packed_s: float) -> float:
        """A packed-buffer time as seconds from the call start, kept inside this piece."""
        call_s = self.source.start_s + (packed_s - self.packed_start_s)
        return round(float(min(max(call_s, self.source.start_s), self.source.end_s)), 3)


@dataclass(frozen=True, slots=True, kw_only=True)
class PackedSpeech:
    """Speech intervals cut out of a channel and laid back to back, in clips Whisper can take."""

    samples: np.ndarray = field(compare=False, repr=False)  # (samples,) float32
    pieces: tuple[SpeechPiece, ...]
    clips_s: tuple[tuple[float, float], ...]  # (start, end) in the packed buffer, each <= 30 s
    _starts_s: tuple[float, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_starts_s", tuple(piece.packed_start_s for piece in self.pieces))

    def piece_at(self, packed_s: float) -> SpeechPiece:
        """The piece containing ``packed_s``, or the nearest one when it falls in a join."""
        index = max(0, bisect.bisect_right(self._starts_s, packed_s) - 1)
        candidates = self.pieces[index:index + 2]
        return min(candidates, key=lambda piece: max(piece.packed_start_s - packed_s,
                                                     packed_s - piece.packed_end_s, 0.0))

    def piece_of_word(self, start_s: float, end_s: float) -> SpeechPiece:
        """The piece a word spanning ``[start_s, end_s]`` (packed times) was spoken in.

        Whisper's alignment stretches a word across silence: the first word after a join
        starts early, the last one before it ends late. So an end that lies in a join is
        ignored, as is a start that lies in one; only a word reaching from one piece into
        the next falls back to its midpoint, as faster-whisper's own restore does.
        """
        first, last = self.piece_at(start_s), self.piece_at(end_s)
        start_inside = first.packed_start_s <= start_s <= first.packed_end_s
        end_inside = last.packed_start_s <= end_s <= last.packed_end_s
        if first is last or start_inside == end_inside:
            return self.piece_at((start_s + end_s) / 2)
        return first if start_inside else last


def pack_speech(samples: np.ndarray, speech: tuple[Interval, ...], *, sample_rate_hz: int,
                max_pause_s: float = UTTERANCE_MAX_PAUSE_S) -> PackedSpeech:
    """Cut ``speech`` out of ``samples`` (1-D) and pack it into clips of at most ``MAX_CLIP_S``.

    Intervals are clipped to the signal, those shorter than ``MIN_INTERVAL_S`` dropped, and
    those longer than a clip cut at their quietest moment.
    """
    spans = [_to_samples(interval, sample_rate_hz, len(samples)) for interval in sorted(speech)]
    spans = [span for span in spans if span[1] - span[0] >= MIN_INTERVAL_S * sample_rate_hz]
    max_clip = int(MAX_CLIP_S * sample_rate_hz)
    gap = np.zeros(int(JOIN_GAP_S * sample_rate_hz), dtype=np.float32)
    buffers: list[np.ndarray] = []
    pieces: list[SpeechPiece] = []
    clips: list[tuple[float, float]] = []
    cursor = clip_start = group = 0
    for start, end in (cut for span in spans for cut in _split_long(samples, span, max_clip)):
        if pieces and cursor - clip_start + len(gap) + end - start <= max_clip:
            buffers.append(gap)
            cursor += len(gap)
        elif pieces:
            clips.append((clip_start / sample_rate_hz, cursor / sample_rate_hz))
            clip_start = cursor
        source = Interval(start_s=start / sample_rate_hz, end_s=end / sample_rate_hz)
        if pieces and source.start_s - pieces[-1].source.end_s > max_pause_s:
            group += 1
        pieces.append(SpeechPiece(source=source, packed_start_s=cursor / sample_rate_hz, group=group))
        buffers.append(samples[start:end])
        cursor += end - start
    if pieces:
        clips.append((clip_start / sample_rate_hz, cursor / sample_rate_hz))
    packed = np.concatenate(buffers) if buffers else np.zeros(0, dtype=np.float32)
    return PackedSpeech(samples=packed, pieces=tuple(pieces), clips_s=tuple(clips))


def _to_samples(interval: Interval, sample_rate_hz: int, length: int) -> tuple[int, int]:
    start = min(max(round(interval.start_s * sample_rate_hz), 0), length)
    return start, min(max(round(interval.end_s * sample_rate_hz), start), length)


def _split_long(samples: np.ndarray, span: tuple[int, int], max_len: int) -> list[tuple[int, int]]:
    """Cut a span longer than ``max_len`` samples at its quietest frame in each second half."""
    start, end = span
    cuts = []
    while end - start > max_len:
        low = start + max_len // 2
        cut = low + _quietest_offset(samples[low:start + max_len])
        cuts.append((start, cut))
        start = cut
    return [*cuts, (start, end)]


def _quietest_offset(window: np.ndarray) -> int:
    frame = int(CUT_FRAME_S * WHISPER_RATE_HZ)
    count = len(window) // frame
    energy = np.square(window[:count * frame].reshape(count, frame)).mean(axis=1)
    return int(np.argmin(energy)) * frame + frame // 2


def transcribe_channel(model: LoadedWhisper, samples: np.ndarray, *, speaker: Speaker,
                       speech: tuple[Interval, ...], config: TranscriptionConfig
                       ) -> tuple[Utterance, ...]:
    """Transcribe one party's channel, only inside ``speech``.

    ``samples``: 1-D float32 at 16 kHz, the whole channel from the start of the call.
    Returns utterances in time order; times are seconds from the start of the call.
    """
    return transcribe_parties(model, {speaker: (samples, speech)}, config=config)


def transcribe_parties(model: LoadedWhisper,
                       channels: Mapping[Speaker, tuple[np.ndarray, tuple[Interval, ...]]], *,
                       config: TranscriptionConfig) -> tuple[Utterance, ...]:
    """Transcribe each party's channel (samples, speech) in one batched Whisper run.

    Both parties' clips share the batches: a call has only a few clips per party, and a
    batch of 8 decodes much faster than two of 3 or 4. Returns one chronological transcript.
    """
    packs = {speaker: pack_speech(_one_channel(samples), speech, sample_rate_hz=WHISPER_RATE_HZ)
             for speaker, (samples, speech) in channels.items()}
    joined, starts_s = join_packed(tuple(packs.values()))
    if not joined.pieces:
        return ()
    words: dict[Speaker, list] = {speaker: [] for speaker in packs}
    speakers = tuple(packs)
    for segment in _transcribe_with_retry(model, joined, config=config):
        if not _is_credible(segment):
            logger.debug("dropped a likely hallucination %r (no_speech %.2f, logprob %.2f, "
                         "ratio %.1f)", segment.text, segment.no_speech_prob,
                         segment.avg_logprob, segment.compression_ratio)
            continue
        for word in segment.words or ():
            piece = joined.piece_of_word(word.start, word.end)
            owner = bisect.bisect_right(starts_s, piece.packed_start_s) - 1
            words[speakers[owner]].append(word)
    return merge_transcripts(*(_to_utterances(words[speaker], joined, speaker=speaker)
                               for speaker in speakers))


def _one_channel(samples: np.ndarray) -> np.ndarray:
    samples = np.asarray(samples, dtype=np.float32)
    if samples.ndim != 1:
        raise InvalidAudioError(f"expected one channel of samples (1-D), got shape {samples.shape}")
    return samples


def join_packed(packs: tuple[PackedSpeech, ...]) -> tuple[PackedSpeech, tuple[float, ...]]:
    """Several channels' packed speech laid end to end, and where each one starts (seconds).

    Clips never span two channels, and group numbers stay apart, so no utterance mixes them.
    """
    pieces: list[SpeechPiece] = []
    clips: list[tuple[float, float]] = []
    starts_s: list[float] = []
    cursor = groups = 0
    for pack in packs:
        offset_s = cursor / WHISPER_RATE_HZ
        starts_s.append(offset_s)
        pieces.extend(replace(piece, packed_start_s=piece.packed_start_s + offset_s,
                              group=piece.group + groups) for piece in pack.pieces)
        clips.extend((start_s + offset_s, end_s + offset_s) for start_s, end_s in pack.clips_s)
        groups += pack.pieces[-1].group + 1 if pack.pieces else 0
        cursor += len(pack.samples)
    samples = (np.concatenate([pack.samples for pack in packs]) if packs
               else np.zeros(0, dtype=np.float32))
    return PackedSpeech(samples=samples, pieces=tuple(pieces), clips_s=tuple(clips)), tuple(starts_s)


def _transcribe_with_retry(model: LoadedWhisper, packed: PackedSpeech, *,
                           config: TranscriptionConfig) -> list:
    """Greedy decoding first; clips it got wrong are decoded again with a wider beam.

    The batched pipeline has no temperature fallback (openai's Whisper retries a window whose
    log-probability or compression ratio is off), so the same quality checks pick the clips
    to retry here, plus a speaking-rate check for clips that came back nearly empty.
    """
    segments = _run_whisper(model, packed, clips=packed.clips_s, beam_size=config.beam_size,
                            config=config)
    if config.retry_beam_size <= config.beam_size:
        return segments
    failed = [clip for clip in packed.clips_s
              if not _clip_looks_right(clip, _segments_in(segments, clip), packed)]
    if not failed:
        return segments
    logger.info("decoding %d of %d clips again with beam %d", len(failed), len(packed.clips_s),
                config.retry_beam_size)
    retried = _run_whisper(model, packed, clips=tuple(failed), beam_size=config.retry_beam_size,
                           config=config)
    kept = [segment for clip in packed.clips_s if clip not in failed
            for segment in _segments_in(segments, clip)]
    return sorted(kept + retried, key=lambda segment: segment.start)


def _segments_in(segments: list, clip: tuple[float, float]) -> list:
    """The segments decoded from ``clip``; by midpoint, since edges are rounded."""
    start_s, end_s = clip
    return [segment for segment in segments if start_s <= (segment.start + segment.end) / 2 < end_s]


def _clip_looks_right(clip: tuple[float, float], segments: list, packed: PackedSpeech) -> bool:
    """Every segment passes Whisper's checks, and a clip with speech got enough words for it."""
    speech_s = sum(piece.source.duration_s for piece in packed.pieces
                   if clip[0] <= piece.packed_start_s < clip[1])
    if not all(_is_credible(segment) for segment in segments):
        return False
    words = sum(len(segment.words or ()) for segment in segments)
    return speech_s < RETRY_MIN_SPEECH_S or words >= MIN_WORDS_PER_S * speech_s


def _run_whisper(model: LoadedWhisper, packed: PackedSpeech, *,
                 clips: tuple[tuple[float, float], ...], beam_size: int,
                 config: TranscriptionConfig) -> list:
    timestamps = [{"start": start_s, "end": end_s} for start_s, end_s in clips]
    # A fresh pipeline per call: it keeps per-run state (last_speech_timestamp) between chunks.
    pipeline = BatchedInferencePipeline(model.model)
    try:
        segments, _info = pipeline.transcribe(
            packed.samples, language=config.language, beam_size=beam_size,
            batch_size=config.batch_size, word_timestamps=True, vad_filter=False,
            clip_timestamps=timestamps, log_progress=False)
        return list(segments)  # the generator does the decoding; errors surface here
    except (RuntimeError, ValueError) as exc:
        raise TranscriptionError(f"Whisper failed on {len(clips)} speech clip(s): {exc}") from exc


def _is_credible(segment) -> bool:  # noqa: ANN001 - a faster_whisper Segment
    """Whisper's own rules for a window that holds no speech or loops on itself."""
    silent = (segment.no_speech_prob > MAX_NO_SPEECH_PROBABILITY
              and segment.avg_logprob < MIN_AVG_LOGPROB)
    looping = segment.compression_ratio > MAX_COMPRESSION_RATIO
    return not (silent or looping)


def _to_utterances(words: list, packed: PackedSpeech, *, speaker: Speaker) -> tuple[Utterance, ...]:
    """Map packed word times back to the call and group words between long pauses."""
    groups: list[list[Word]] = []
    last_group = None
    for raw in words:
        text = raw.word.strip()
        if not any(char.isalnum() for char in text):  # a lone "." or "-" is no word
            continue
        piece = packed.piece_of_word(raw.start, raw.end)
        start_s, end_s = piece.to_call_time(raw.start), piece.to_call_time(raw.end)
        word = Word(word=text, start_s=start_s, end_s=max(start_s, end_s),
                    probability=float(raw.probability))
        if piece.group != last_group:
            groups.append([])
            last_group = piece.group
        groups[-1].append(word)
    return tuple(Utterance(speaker=speaker, start_s=group[0].start_s, end_s=group[-1].end_s,
                           text=" ".join(word.word for word in group), words=tuple(group))
                 for group in groups)


def merge_transcripts(*channels: tuple[Utterance, ...]) -> tuple[Utterance, ...]:
    """Both parties' utterances in one chronological sequence (by start, then end)."""
    return tuple(sorted((utterance for channel in channels for utterance in channel),
                        key=lambda utterance: (utterance.start_s, utterance.end_s)))


class Transcriber:
    """Holds a loaded Whisper model and transcribes both parties of a call."""

    def __init__(self, config: TranscriptionConfig, *, cache_dir: Path) -> None:
        self.config = config
        self.model = load_whisper(config, cache_dir=cache_dir)

    def transcribe(self, audio: CallAudio, speech: Mapping[Speaker, tuple[Interval, ...]]
                   ) -> tuple[Utterance, ...]:
        """Transcribe each party where it speaks (see ``pipeline.heard_speech``); one
        chronological transcript."""
        if audio.sample_rate_hz != WHISPER_RATE_HZ:
            raise InvalidAudioError(f"Whisper needs {WHISPER_RATE_HZ} Hz audio, got "
                                    f"{audio.sample_rate_hz} Hz; decode with pipeline.decode")
        channels = {speaker: (audio.channel(speaker), self._heard(speech, speaker))
                    for speaker in Speaker}
        return transcribe_parties(self.model, channels, config=self.config)

    def _heard(self, speech: Mapping[Speaker, tuple[Interval, ...]], speaker: Speaker
               ) -> tuple[Interval, ...]:
        return heard_speech(tuple(speech.get(speaker, ())), tuple(speech.get(speaker.other, ())),
                            bridge_gap_s=self.config.bridge_gap_s, pad_s=self.config.pad_s)
