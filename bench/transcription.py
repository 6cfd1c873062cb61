"""Transcription speed: bare faster-whisper against the callcoach adapter, per model.

For every call and channel this times
  (a) bare faster-whisper: ``BatchedInferencePipeline`` with its own Silero VAD (vad_filter=True);
  (b) the adapter: ``transcribe_channel`` on given speech intervals (the time to find those
      intervals is printed apart, since the pipeline finds them anyway for turn-taking).
Both use the same model, compute type, batch size and beam width. Speed is "x real time":
seconds of audio per second of processing (20x = a 60 s call in 3 s). Each model runs in its
own process so the peak RSS printed is that model's alone.

    .venv/bin/python -m bench.transcription                   # the sample calls
    .venv/bin/python -m bench.transcription call.opus --models tiny.en
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
from faster_whisper import BatchedInferencePipeline
from faster_whisper.vad import VadOptions, get_speech_timestamps

from pipeline.config import DecodeConfig, TranscriptionConfig
from pipeline.decode import decode_call
from pipeline.transcribe import load_whisper, transcribe_channel
from pipeline.types import Interval, Speaker

SAMPLE_CALLS = Path(__file__).resolve().parent.parent / "sample_calls"
RATE_HZ = 16000


def silero_speech(samples: np.ndarray) -> tuple[Interval, ...]:
    """Stand-in speech finder (Silero, no bleed guard) until the pipeline's own is swapped in."""
    options = VadOptions(min_silence_duration_ms=250, speech_pad_ms=100)
    return tuple(Interval(start_s=span["start"] / RATE_HZ, end_s=span["end"] / RATE_HZ)
                 for span in get_speech_timestamps(samples, options))


# Name -> function from one channel's 16 kHz samples to its speech intervals.
SPEECH_FINDERS: dict[str, Callable[[np.ndarray], tuple[Interval, ...]]] = {"silero": silero_speech}


def _timed(action: Callable[[], object]) -> tuple[object, float]:
    start = time.perf_counter()
    result = action()
    return result, time.perf_counter() - start


def bench_model(model_name: str, paths: list[Path], finder_name: str, cache_dir: Path) -> list[str]:
    """Time one model on every channel of ``paths``; returns printable rows and the peak RSS."""
    config = TranscriptionConfig(model=model_name)
    whisper, load_s = _timed(lambda: load_whisper(config, cache_dir=cache_dir))
    find_speech = SPEECH_FINDERS[finder_name]
    bare = BatchedInferencePipeline(whisper.model)
    warm_up = np.zeros(RATE_HZ, dtype=np.float32)
    list(bare.transcribe(warm_up, language=config.language, vad_filter=False)[0])
    rows = [f"{model_name}: loaded in {load_s:.2f} s on {whisper.device} ({whisper.compute_type})"]
    totals = {"audio": 0.0, "bare": 0.0, "vad": 0.0, "adapter": 0.0}
    for path in paths:
        audio = decode_call(path, config=DecodeConfig())
        for speaker in Speaker:
            samples = np.ascontiguousarray(audio.channel(speaker))
            segments, bare_s = _timed(lambda: list(bare.transcribe(
                samples, language=config.language, beam_size=config.beam_size,
                batch_size=config.batch_size, word_timestamps=True, vad_filter=True)[0]))
            speech, vad_s = _timed(lambda: find_speech(samples))
            utterances, adapter_s = _timed(lambda: transcribe_channel(
                whisper, samples, speaker=speaker, speech=speech, config=config))
            audio_s = len(samples) / RATE_HZ
            bare_words = sum(len(segment.words or ()) for segment in segments)
            adapter_words = sum(len(utterance.words) for utterance in utterances)
            rows.append(f"  {path.name:<28} {speaker:<8} {audio_s:6.1f} s | bare {audio_s / bare_s:6.1f}x "
                        f"{bare_words:4d} words | adapter {audio_s / adapter_s:6.1f}x {adapter_words:4d} words"
                        f" (+ {finder_name} {vad_s:.2f} s)")
            for key, value in (("audio", audio_s), ("bare", bare_s), ("vad", vad_s), ("adapter", adapter_s)):
                totals[key] += value
    audio_s = totals["audio"]
    rows.append(f"  total {audio_s:.1f} s | bare {audio_s / totals['bare']:.1f}x | adapter "
                f"{audio_s / totals['adapter']:.1f}x | adapter incl. speech finding "
                f"{audio_s / (totals['adapter'] + totals['vad']):.1f}x")
    rows.append(f"  peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", type=Path, help="call recordings (default: sample_calls/)")
    parser.add_argument("--models", nargs="+", default=["tiny.en", "base"])
    parser.add_argument("--speech", choices=sorted(SPEECH_FINDERS), default="silero")
    parser.add_argument("--cache-dir", type=Path, default=Path.home() / ".cache" / "callcoach")
    args = parser.parse_args(argv)
    paths = args.paths or sorted([*SAMPLE_CALLS.glob("*.opus"), *SAMPLE_CALLS.glob("*.8k.flac")])
    if not paths:
        print(f"no audio given and none found in {SAMPLE_CALLS}", file=sys.stderr)
        return 2
    spawn = multiprocessing.get_context("spawn")
    for model_name in args.models:
        with ProcessPoolExecutor(max_workers=1, mp_context=spawn) as pool:
            rows = pool.submit(bench_model, model_name, paths, args.speech, args.cache_dir).result()
        print("\n".join(rows), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
