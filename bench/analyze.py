"""Full ``analyze`` speed against bare faster-whisper, per model, on the same calls.

For each model this times, call by call:
  bare: decode, then faster-whisper's ``BatchedInferencePipeline`` on each channel with its own
        Silero VAD (vad_filter=True) and word timestamps: transcription and nothing else;
  full: ``pipeline.analyze.analyze_call``: decode, VAD with the bleed guard, prosody, events,
        transcription of the guarded speech, rubric checks, sentiment, scoring, the report.
Both use the same model, compute type (int8 on CPU), batch size and beam width. Each model
runs in its own process, so the peak memory printed is that model's alone. Targets: full
<= 1.10 x bare, >= 15x real time with tiny.en, peak memory <= 1.5 GB.

    .venv/bin/python bench/analyze.py                    # tiny.en and base, all sample calls
    .venv/bin/python bench/analyze.py --models tiny.en --calls sample_calls/long_hold.opus
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from faster_whisper import BatchedInferencePipeline  # noqa: E402

from pipeline.analyze import analyze_call, get_transcriber  # noqa: E402
from pipeline.config import Config  # noqa: E402
from pipeline.decode import decode_call  # noqa: E402
from pipeline.types import CallMetadata, Speaker  # noqa: E402


def bare_transcription(path: Path, transcriber, config: Config) -> None:  # noqa: ANN001
    audio = decode_call(path, config=config.decode)
    pipeline = BatchedInferencePipeline(transcriber.model.model)
    for speaker in Speaker:
        segments, _ = pipeline.transcribe(
            audio.channel(speaker), language=config.transcription.language,
            beam_size=config.transcription.beam_size, batch_size=config.transcription.batch_size,
            word_timestamps=True, vad_filter=True)
        list(segments)  # the generator does the work


def bench_model(model: str, paths: list[Path]) -> str:
    config = Config().replace("transcription", model=model)
    with tempfile.TemporaryDirectory() as home:
        transcriber = get_transcriber(config.transcription, Path(home))
        analyze_call(paths[0], CallMetadata(call_id="warm-up"), config=config,
                     transcriber=transcriber)
        audio_s = bare_s = full_s = 0.0
        for path in paths:
            audio_s += decode_call(path, config=config.decode).duration_s
            started = time.perf_counter()
            bare_transcription(path, transcriber, config)
            bare_s += time.perf_counter() - started
            started = time.perf_counter()
            analyze_call(path, CallMetadata(call_id=path.stem), config=config,
                         transcriber=transcriber)
            full_s += time.perf_counter() - started
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return (f"{model:8s} {audio_s:8.0f} {audio_s / bare_s:9.1f}x {audio_s / full_s:9.1f}x "
            f"{full_s / bare_s:10.2f} {peak_mib:9.0f}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=["tiny.en", "base"])
    parser.add_argument("--calls", nargs="+", type=Path,
                        default=sorted((ROOT / "sample_calls").glob("*.opus")))
    args = parser.parse_args(argv)
    print(f"{len(args.calls)} calls; x real time counts call seconds (both channels at once)")
    print(f"{'model':8s} {'audio s':>8s} {'bare':>10s} {'full':>10s} {'full/bare':>10s} {'peak MiB':>9s}")
    context = multiprocessing.get_context("spawn")
    for model in args.models:
        with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
            print(pool.submit(bench_model, model, args.calls).result(), flush=True)


if __name__ == "__main__":
    main()
