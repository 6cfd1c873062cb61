"""Transcription adapter: faster-whisper in, callcoach ``Utterance`` values out.

Only the speech intervals the pipeline found (its own bleed-guarded VAD, widened a little where
the other party is silent: ``pipeline.heard_speech``) are transcribed, so the other party's
leakage, hold music and silence never reach Whisper. The intervals are cut out of the channel,
packed back to back into clips of at most 30 s (``pipeline.speech_packing``), and decoded
together by ``BatchedInferencePipeline``; each word is then mapped back to the call's clock
through the interval it came from.

The clips are decoded ``CLIPS_PER_RUN`` at a time, each run's samples read from the call just
before it (``speech_packing.render``), so a long call never holds all its speech at once.
What the segments become (quality checks, utterances) is ``pipeline.whisper_output``.

This module and ``pipeline.vad`` are the only ones that import faster_whisper.
"""

from __future__ import annotations

import bisect
import functools
import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import ctranslate2
import numpy as np
from faster_whisper import BatchedInferencePipeline, WhisperModel

from pipeline.config import TranscriptionConfig
from pipeline.errors import InvalidAudioError, TranscriptionError
from pipeline.heard_speech import heard_speech
from pipeline.models import resolve_model
from pipeline.speech_packing import (WHISPER_RATE_HZ, PackedSpeech, SpeechPiece, join_packed,
                                     plan_speech, render, with_spoken_time)
from pipeline.types import CallAudio, Interval, Speaker, Utterance, interval_array
from pipeline.whisper_output import (clip_looks_right, is_credible, merge_transcripts, segments_in,
                                     shifted, to_utterances)

logger = logging.getLogger(__name__)

# Clips decoded per Whisper run (rounded up to whole batches): 32 clips are about 15 minutes
# of packed speech, 60 MB of samples and 30 MB of features, whatever the call's length. A call
# with up to 32 clips (about 15 minutes of speech) is one run: decoded all at once.
CLIPS_PER_RUN = 32

Reader = Callable[[int, int], np.ndarray]  # read(start, stop): samples [start, stop) of a channel


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
    readers = {speaker: (_array_reader(_one_channel(samples)), len(samples), speech)
               for speaker, (samples, speech) in channels.items()}
    return transcribe_read(model, readers, config=config)


def transcribe_read(model: LoadedWhisper,
                    channels: Mapping[Speaker, tuple[Reader, int, tuple[Interval, ...]]], *,
                    config: TranscriptionConfig,
                    spoken: Mapping[Speaker, tuple[Interval, ...]] | None = None
                    ) -> tuple[Utterance, ...]:
    """``transcribe_parties`` for channels given as (``read(start, stop)``, length in
    samples, speech): the speech is read from the call clip group by clip group.

    ``spoken``: each party's own speech, when ``speech`` is that widened for Whisper
    (``pipeline.heard_speech``): its pauses are where a clip may be topped up
    (``speech_packing.plan_speech``), and a clip's speaking rate is judged on it alone."""
    plans = {speaker: plan_speech(read, n_samples, speech, sample_rate_hz=WHISPER_RATE_HZ,
                                  spoken=None if spoken is None else spoken.get(speaker, ()))
             for speaker, (read, n_samples, speech) in channels.items()}
    joined, starts_s = join_packed(tuple(plans.values()))
    if not joined.pieces:
        return ()
    speakers = tuple(plans)

    def owner(piece: SpeechPiece) -> int:
        return bisect.bisect_right(starts_s, piece.packed_start_s) - 1

    if spoken is not None:
        spans = {speaker: interval_array(tuple(sorted(spoken.get(speaker, ()))))
                 for speaker in speakers}
        joined = with_spoken_time(joined, lambda piece: spans[speakers[owner(piece)]])

    def read_piece(piece: SpeechPiece, start: int, stop: int) -> np.ndarray:
        return channels[speakers[owner(piece)]][0](start, stop)

    words: dict[Speaker, list] = {speaker: [] for speaker in plans}
    for segment in _transcribe_in_runs(model, joined, read_piece, config=config):
        if not is_credible(segment):
            logger.debug("dropped a likely hallucination %r (no_speech %.2f, logprob %.2f, "
                         "ratio %.1f)", segment.text, segment.no_speech_prob,
                         segment.avg_logprob, segment.compression_ratio)
            continue
        for word in segment.words or ():
            words[speakers[owner(joined.piece_of_word(word.start, word.end))]].append(word)
    return merge_transcripts(*(to_utterances(words[speaker], joined, speaker=speaker)
                               for speaker in speakers))


def _array_reader(samples: np.ndarray) -> Reader:
    def read(start: int, stop: int) -> np.ndarray:
        return samples[start:stop]
    return read


def _one_channel(samples: np.ndarray) -> np.ndarray:
    samples = np.asarray(samples, dtype=np.float32)
    if samples.ndim != 1:
        raise InvalidAudioError(f"expected one channel of samples (1-D), got shape {samples.shape}")
    return samples


def _transcribe_in_runs(model: LoadedWhisper, packed: PackedSpeech, read_piece, *,  # noqa: ANN001
                        config: TranscriptionConfig) -> list:
    """Whisper over the packed clips, ``CLIPS_PER_RUN`` at a time (a whole number of batches,
    so the batches are those of one run over every clip), each run's samples read from the
    call just before it is decoded."""
    per_run = config.batch_size * max(1, -(-CLIPS_PER_RUN // config.batch_size))
    segments = []
    for first in range(0, len(packed.clips_s), per_run):
        clips = packed.clips_s[first: first + per_run]
        start = round(clips[0][0] * WHISPER_RATE_HZ)
        stop = round(clips[-1][1] * WHISPER_RATE_HZ)
        samples = render(packed, read_piece, first=start, last=stop,
                         sample_rate_hz=WHISPER_RATE_HZ)
        segments += _transcribe_with_retry(model, packed, PackedRun(samples=samples, start=start),
                                           clips=clips, config=config)
    return segments


@dataclass(frozen=True, slots=True, kw_only=True)
class PackedRun:
    """The packed samples of a run of clips, from sample ``start`` of the packed buffer."""

    samples: np.ndarray
    start: int

    def local(self, packed_s: float) -> float:
        """A packed-buffer time (a clip edge, a whole sample) as a time in ``samples``."""
        return (round(packed_s * WHISPER_RATE_HZ) - self.start) / WHISPER_RATE_HZ


def _transcribe_with_retry(model: LoadedWhisper, packed: PackedSpeech, run: PackedRun, *,
                           clips: tuple[tuple[float, float], ...],
                           config: TranscriptionConfig) -> list:
    """Greedy decoding first; clips it got wrong are decoded again with a wider beam.

    The batched pipeline has no temperature fallback (openai's Whisper retries a window whose
    log-probability or compression ratio is off), so the same quality checks pick the clips
    to retry here, plus a speaking-rate check for clips that came back nearly empty.
    """
    segments = _run_whisper(model, run, clips=clips, beam_size=config.beam_size, config=config)
    if config.retry_beam_size <= config.beam_size:
        return segments
    failed = [clip for clip in clips
              if not clip_looks_right(clip, segments_in(segments, clip), packed)]
    if not failed:
        return segments
    logger.info("decoding %d of %d clips again with beam %d", len(failed), len(clips),
                config.retry_beam_size)
    retried = _run_whisper(model, run, clips=tuple(failed), beam_size=config.retry_beam_size,
                           config=config)
    kept = [segment for clip in clips if clip not in failed
            for segment in segments_in(segments, clip)]
    return sorted(kept + retried, key=lambda segment: segment.start)


def _run_whisper(model: LoadedWhisper, run: PackedRun, *,
                 clips: tuple[tuple[float, float], ...], beam_size: int,
                 config: TranscriptionConfig) -> list:
    """Segments of ``clips`` (packed-buffer times), with times on the packed buffer's clock."""
    timestamps = [{"start": run.local(start_s), "end": run.local(end_s)}
                  for start_s, end_s in clips]
    # A fresh pipeline per call: it keeps per-run state (last_speech_timestamp) between chunks.
    pipeline = BatchedInferencePipeline(model.model)
    try:
        segments, _info = pipeline.transcribe(
            run.samples, language=config.language, beam_size=beam_size,
            batch_size=config.batch_size, word_timestamps=True, vad_filter=False,
            clip_timestamps=timestamps, log_progress=False)
        segments = list(segments)  # the generator does the decoding; errors surface here
    except (RuntimeError, ValueError) as exc:
        raise TranscriptionError(f"Whisper failed on {len(clips)} speech clip(s): {exc}") from exc
    return [shifted(segment, run.start / WHISPER_RATE_HZ) for segment in segments] \
        if run.start else segments


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
        channels = {speaker: (functools.partial(audio.read, speaker), audio.n_samples,
                              self._heard(speech, speaker))
                    for speaker in Speaker}
        return transcribe_read(self.model, channels, config=self.config, spoken=speech)

    def _heard(self, speech: Mapping[Speaker, tuple[Interval, ...]], speaker: Speaker
               ) -> tuple[Interval, ...]:
        return heard_speech(tuple(speech.get(speaker, ())), tuple(speech.get(speaker.other, ())),
                            bridge_gap_s=self.config.bridge_gap_s, pad_s=self.config.pad_s)
