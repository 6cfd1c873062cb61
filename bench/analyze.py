"""Full ``analyze`` speed against bare faster-whisper, per model, on the same calls.

For each model this times, call by call:
  bare: decode, then faster-whisper's ``BatchedInferencePipeline`` on each channel with its own
        Silero VAD (vad_filter=True) and word timestamps: transcription and nothing else;
  full: ``pipeline.analyze.analyze_call``: decode, VAD with the bleed guard, prosody, events,
        transcription of the guarded speech, rubric checks, sentiment, scoring, the report.
Both use the same model, compute type (int8 on CPU), batch size and beam width. Each model
runs in its own process, so the peak memory printed is that model's alone. Targets: full
<= 1.10 x bare, >= 15x real time with tiny.en, peak memory <= 1.5 GB.

Each call is timed ``--repeats`` times, bare and full taken in turn (the order alternating
from round to round), and the medians are printed, by the wall clock and in CPU-seconds of
the process (user + system, all threads). On a shared machine the wall clock also counts the
time other work holds the cores, so the CPU ratio is the one that holds under load.

    .venv/bin/python bench/analyze.py                    # tiny.en and base, all sample calls
    .venv/bin/python bench/analyze.py --models tiny.en --repeats 7 --joined 600 --calls \
        ../shared/realdev/aws_call40/Auto_Repairs_40_UTC_stereo_L-agent_R-caller.wav
        # a real 245 s two-party call and a 10-minute one (the sample calls joined end to end)

The ratios hold on a quiet machine only: on busy cores Whisper's threads wait on each other
and for the CPU, bare and full alike, and the ratio moves by tenths from run to run.
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import statistics
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from faster_whisper import BatchedInferencePipeline  # noqa: E402

from bench.long_calls import long_call  # noqa: E402

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


def cpu_seconds() -> float:
    """User + system CPU time of this process, every thread counted (Whisper's included)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def timed(work) -> tuple[float, float]:  # noqa: ANN001
    """(wall seconds, CPU seconds) of ``work()``."""
    wall, cpu = time.perf_counter(), cpu_seconds()
    work()
    return time.perf_counter() - wall, cpu_seconds() - cpu


def bench_model(model: str, paths: list[Path], repeats: int) -> str:
    config = Config().replace("transcription", model=model)
    lines = []
    with tempfile.TemporaryDirectory() as home:
        transcriber = get_transcriber(config.transcription, Path(home))

        def bare(path: Path) -> None:
            bare_transcription(path, transcriber, config)

        def full(path: Path) -> None:
            analyze_call(path, CallMetadata(call_id=path.stem), config=config,
                         transcriber=transcriber)

        bare(paths[0])  # warm-up: every model and cache loaded before any timing
        full(paths[0])
        times = {path: {"bare": [], "full": []} for path in paths}
        for round_ in range(repeats):
            for path in paths:
                order = (("bare", bare), ("full", full))
                for name, work in order if round_ % 2 == 0 else order[::-1]:
                    times[path][name].append(timed(lambda work=work: work(path)))
        total = {"audio": 0.0, "bare": [0.0, 0.0], "full": [0.0, 0.0]}
        for path in paths:
            audio_s = decode_call(path, config=config.decode).duration_s
            medians = {name: [statistics.median(run[i] for run in runs) for i in (0, 1)]
                       for name, runs in times[path].items()}
            lines.append(_row(f"  {path.name[:40]}", audio_s, medians))
            total["audio"] += audio_s
            for name in ("bare", "full"):
                total[name] = [a + b for a, b in zip(total[name], medians[name])]
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    audio_s = total.pop("audio")
    return "\n".join([f"{_row(model, audio_s, total)} {peak_mib:9.0f}", *lines])


def _row(name: str, audio_s: float, seconds: dict[str, list[float]]) -> str:
    (bare_wall, bare_cpu), (full_wall, full_cpu) = seconds["bare"], seconds["full"]
    return (f"{name:42s} {audio_s:7.0f} {audio_s / bare_wall:6.1f}x {audio_s / full_wall:6.1f}x "
            f"{full_wall / bare_wall:6.2f} {bare_cpu:7.1f} {full_cpu:7.1f} "
            f"{full_cpu / bare_cpu:6.2f}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=["tiny.en", "base"])
    parser.add_argument("--calls", nargs="+", type=Path,
                        default=sorted((ROOT / "sample_calls").glob("*.opus")))
    parser.add_argument("--repeats", type=int, default=1,
                        help="times each call is timed (bare and full in turn); medians printed")
    parser.add_argument("--joined", type=int, nargs="*", default=[], metavar="SECONDS",
                        help="also time calls this long made of the sample calls joined end "
                             "to end (written to a temporary folder)")
    args = parser.parse_args(argv)
    missing = [path for path in args.calls if not path.is_file()]
    if missing:
        parser.error(f"no such call: {', '.join(map(str, missing))} (the real call lives in "
                     "../shared/realdev/aws_call40 beside the project)")
    print(f"{len(args.calls) + len(args.joined)} calls, {args.repeats} round(s), medians; x real time counts call "
          "seconds (both channels at once); CPU = user + system seconds of the process")
    print(f"{'model / call':42s} {'audio s':>7s} {'bare':>7s} {'full':>7s} {'f/b':>6s} "
          f"{'bareCPU':>7s} {'fullCPU':>7s} {'f/bCPU':>6s} {'peak MiB':>9s}")
    context = multiprocessing.get_context("spawn")
    with tempfile.TemporaryDirectory() as folder:
        calls = [*args.calls, *(long_call(seconds, Path(folder)) for seconds in args.joined)]
        for model in args.models:
            with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
                print(pool.submit(bench_model, model, calls, args.repeats).result(), flush=True)


if __name__ == "__main__":
    main()
