"""Batch throughput of the Prefect flows, and what Prefect costs per call.

    .venv/bin/python bench/batch.py [--calls 20] [--concurrency 2] [--overhead-calls 6]

Makes ``--calls`` distinct recordings from the sample calls (each copy gets a small gain
change, so every sha256 differs and nothing is skipped or cached), then prints:

* calls/hour and × real time for ``process_batch`` at ``--concurrency``;
* Prefect overhead per call, against the same stages called directly (fresh stores, same
  process, the model already loaded), two ways: each call as its own ``process_call`` flow
  run (as the API runs an upload), paired call by call; and ``--overhead-calls`` calls as
  tasks of one ``process_batch`` run at concurrency 1 (as ``callcoach process`` runs them);
* peak resident memory of this process (and of any worker processes).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")

import numpy as np  # noqa: E402
import soundfile as sf  # noqa: E402

from flows.jobs import jobs_for  # noqa: E402
from flows.outcomes import BatchSummary  # noqa: E402
from flows.process import process_batch, process_call_in_process  # noqa: E402
from flows.runners import task_runner  # noqa: E402
from flows.runtime import Workspace  # noqa: E402
from pipeline import analyze  # noqa: E402
from pipeline.config import Config, DecodeConfig  # noqa: E402
from pipeline.decode import decode_call  # noqa: E402
from pipeline.store import Store  # noqa: E402

SAMPLES = Path(__file__).resolve().parents[1] / "sample_calls"


def make_calls(count: int, folder: Path, *, first_variant: int = 0) -> float:
    """``count`` distinct wav calls (with sidecars) in ``folder``; returns their total seconds."""
    folder.mkdir(parents=True, exist_ok=True)
    sources = sorted(SAMPLES.glob("*.opus"))
    total_s = 0.0
    for index in range(count):
        source = sources[index % len(sources)]
        audio = decode_call(source, config=DecodeConfig())
        gain = 10 ** (-(first_variant + index + 1) * 0.01 / 20)  # 0.01 dB steps: inaudible, new sha256
        target = folder / f"{source.stem}-{first_variant + index:02d}.wav"
        sf.write(target, np.ascontiguousarray(audio.samples.whole().T * gain), audio.sample_rate_hz)
        shutil.copy(source.with_suffix(".json"), target.with_suffix(".json"))
        total_s += audio.duration_s
    return total_s


def workspace_in(folder: Path) -> Workspace:
    return Workspace(store_url=f"sqlite:///{folder / 'callcoach.db'}",
                     audio_dir=str(folder / "audio"),
                     transcript_cache_dir=str(folder / "transcripts"),
                     model_cache_dir=str(folder / "models"))


def run_direct(path: Path, place: Workspace, config: Config) -> float:
    """The same stages without Prefect: register, decode, analyse, transcribe, report, save."""
    store = Store.open(place.store_url, audio_dir=Path(place.audio_dir))
    started_s = time.perf_counter()
    for job in jobs_for([path]):
        call = store.register_call(job.path, job.metadata, agent_channel=job.agent_channel or 0).call
        audio = decode_call(call.audio_path, config=config.decode,
                            agent_channel=call.agent_channel)
        acoustics = analyze.analyze_acoustics(audio, config)
        transcriber = analyze.get_transcriber(config.transcription, Path(place.model_cache_dir))
        transcript = analyze.transcribe_call(audio, acoustics, transcriber)
        report = analyze.report_call(audio, call.metadata, acoustics, transcript, config=config)
        store.save_report(call.id, report)
    return time.perf_counter() - started_s


def run_call_flow(path: Path, place: Workspace) -> float:
    """One call as its own process-call flow run, the way the API runs each upload."""
    started_s = time.perf_counter()
    outcome = process_call_in_process(str(path), workspace=place.to_params())
    if outcome["kind"] != "done":
        sys.exit(f"call did not complete: {outcome}")
    return time.perf_counter() - started_s


def run_flow(folder: Path, place: Workspace, *, concurrency: int, dask: bool = False) -> float:
    batch = process_batch.with_options(task_runner=task_runner(concurrency=concurrency, dask=dask))
    started_s = time.perf_counter()
    summary = BatchSummary.from_json(batch([str(folder)], workspace=place.to_params()))
    elapsed_s = time.perf_counter() - started_s
    if not summary.ok or summary.counts["done"] != len(summary.outcomes):
        sys.exit(f"batch did not complete: {summary.to_json()}")
    return elapsed_s


def peak_rss_mib() -> tuple[float, float]:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return own, children


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=20)
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--overhead-calls", type=int, default=6)
    parser.add_argument("--dask", action="store_true", help="batch on the Dask task runner")
    args = parser.parse_args()
    config = Config()
    with tempfile.TemporaryDirectory(prefix="callcoach-bench-") as temp:
        root = Path(temp)
        # Warm up: Prefect's embedded API and the Whisper model load once, outside the timings.
        make_calls(1, root / "warm", first_variant=900)
        run_flow(root / "warm", workspace_in(root / "warm-ws"), concurrency=1)

        # Overhead: the same recording (two gain variants) direct, then as the process-call
        # flow, pair by pair, so load from other processes hits both sides alike.
        n = args.overhead_calls
        make_calls(n, root / "direct", first_variant=100)
        make_calls(n, root / "flow1", first_variant=100 + n)
        pairs = zip(sorted((root / "direct").glob("*.wav")), sorted((root / "flow1").glob("*.wav")))
        differences_s = []
        direct_total_s = 0.0
        for direct_path, flow_path in pairs:
            direct_s = run_direct(direct_path, workspace_in(root / "direct-ws"), config)
            flow_s = run_call_flow(flow_path, workspace_in(root / "flow1-ws"))
            direct_total_s += direct_s
            differences_s.append(flow_s - direct_s)

        # The same recordings as tasks of one batch run, one at a time.
        make_calls(n, root / "flow2", first_variant=100 + 2 * n)
        in_batch_s = run_flow(root / "flow2", workspace_in(root / "flow2-ws"), concurrency=1)

        audio_s = make_calls(args.calls, root / "batch", first_variant=300)
        batch_s = run_flow(root / "batch", workspace_in(root / "batch-ws"),
                           concurrency=args.concurrency, dask=args.dask)
    own_mib, children_mib = peak_rss_mib()
    runner = "Dask" if args.dask else "threads"
    print(f"cores available: {os.cpu_count()}  (runner: {runner}, concurrency {args.concurrency})")
    print(f"batch: {args.calls} calls, {audio_s / 60:.1f} min of audio in {batch_s:.1f} s "
          f"→ {args.calls / batch_s * 3600:.0f} calls/hour, {audio_s / batch_s:.1f}× real time")
    print(f"direct pipeline: {direct_total_s / n:.2f} s/call; process-call flow overhead: "
          f"median {float(np.median(differences_s)):+.2f} s/call "
          f"(pairs: {', '.join(f'{d:+.2f}' for d in differences_s)})")
    print(f"{n} calls as tasks of one batch run: {in_batch_s / n:.2f} s/call, overhead "
          f"{(in_batch_s - direct_total_s) / n:+.2f} s/call (the run's own start and end "
          "included)")
    print(f"peak memory: {own_mib:.0f} MiB this process, {children_mib:.0f} MiB largest child")


if __name__ == "__main__":
    main()
