"""Cost against call length: peak memory of analysing 10-minute, 1-hour and 4-hour calls, and
the latency and extra memory of cutting one clip from a 1-hour call.

The long calls are the sample calls joined end to end (a 4-hour call is 4 hours of real
conversation, not silence), written once as 16 kHz stereo FLAC into a temporary folder. Each
analysis runs as ``callcoach analyze`` in its own process and its peak resident memory is read
from the kernel (``wait4``). The clip figures come from the API's own clip path
(``coach_api.clips.render_clip``) in this process: wall time and tracemalloc's peak.

    .venv/bin/python bench/long_calls.py                  # 10 min, 1 h, 4 h; acoustics only
    .venv/bin/python bench/long_calls.py --transcript     # with Whisper tiny.en as well
    .venv/bin/python bench/long_calls.py --lengths 600    # just the 10-minute call
    .venv/bin/python bench/long_calls.py --mono           # mono calls (separation first)
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np
import soundfile as sf

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from coach_api.clips import ClipWindow, render_clip  # noqa: E402
from pipeline.config import DecodeConfig  # noqa: E402
from pipeline.decode import decode_call  # noqa: E402

RATE_HZ = 16000
TARGET_PEAK_MB = 1500.0  # a 4-hour call
TARGET_CLIP_MS, TARGET_CLIP_MB = 200.0, 50.0  # one clip from a 1-hour call
MEBIBYTE = 1 << 20


def long_call(seconds: int, folder: Path, *, mono: bool = False) -> Path:
    """The sample calls joined end to end to ``seconds``, written block by block (``mono``:
    both parties mixed into one channel, as a recorder without separate tracks makes them)."""
    target = folder / f"call_{seconds}s{'_mono' if mono else ''}.flac"
    if target.exists():
        return target
    pieces = [decode_call(path, config=DecodeConfig()).samples.whole()
              for path in sorted((ROOT / "sample_calls").glob("*.opus"))]
    if mono:
        pieces = [np.clip(piece.sum(axis=0, keepdims=True), -1.0, 1.0) for piece in pieces]
    with sf.SoundFile(target, "w", samplerate=RATE_HZ, channels=1 if mono else 2,
                      subtype="PCM_16") as out:
        written = 0
        while written < seconds * RATE_HZ:
            for piece in pieces:
                block = piece[:, : seconds * RATE_HZ - written]
                out.write(np.ascontiguousarray(block.T))
                written += block.shape[1]
    return target


def peak_of_analysis(path: Path, *, transcript: bool) -> tuple[float, float]:
    """(peak resident MiB, wall seconds) of ``callcoach analyze`` on ``path``."""
    command = [sys.executable, "-m", "pipeline.cli", "analyze", str(path)]
    if not transcript:
        command.append("--no-transcript")
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)
    _pid, status, usage = os.wait4(process.pid, 0)
    elapsed_s = time.perf_counter() - started
    error = process.stderr.read().decode()
    process.stderr.close()
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"analyze failed on {path.name}: {error[-2000:]}")
    return usage.ru_maxrss / 1024, elapsed_s  # ru_maxrss is in KiB on Linux


def clip_cost(path: Path, *, count: int = 7) -> tuple[float, float]:
    """(median ms, peak traced MiB) of 6-second clips at spread-out places in ``path``."""
    duration_s = sf.info(path).duration
    timings_ms, peaks_mb = [], []
    for start_s in np.linspace(60.0, duration_s - 60.0, count):
        window = ClipWindow(start_s=float(start_s), end_s=float(start_s) + 6.0)
        tracemalloc.start()
        started = time.perf_counter()
        render_clip(path, window=window, bleep_spans_s=[(start_s + 1.0, start_s + 2.0)])
        timings_ms.append((time.perf_counter() - started) * 1000)
        peaks_mb.append(tracemalloc.get_traced_memory()[1] / MEBIBYTE)
        tracemalloc.stop()
    return statistics.median(timings_ms[1:]), max(peaks_mb)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lengths", type=int, nargs="+", default=[600, 3600, 14400],
                        help="call lengths in seconds (default 10 min, 1 h, 4 h)")
    parser.add_argument("--transcript", action="store_true", help="run Whisper tiny.en too")
    parser.add_argument("--mono", action="store_true",
                        help="one mixed channel: the parties are separated first")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="callcoach-long-") as folder:
        print(f"{'call':>8s} {'analysis':>15s} {'peak MiB':>9s} {'wall s':>8s}")
        for seconds in args.lengths:
            path = long_call(seconds, Path(folder), mono=args.mono)
            peak_mb, wall_s = peak_of_analysis(path, transcript=args.transcript)
            kind = ("mono " if args.mono else "") + ("full" if args.transcript else "acoustics")
            print(f"{seconds / 60:>6.0f} m {kind:>15s} {peak_mb:>9.0f} {wall_s:>8.1f}")
        hour = long_call(3600, Path(folder))
        median_ms, peak_mb = clip_cost(hour)
        print(f"clip from a 1-hour call: median {median_ms:.0f} ms (target < {TARGET_CLIP_MS:.0f}),"
              f" peak {peak_mb:.1f} MiB traced (target < {TARGET_CLIP_MB:.0f})")
        print(f"target for a 4-hour call: peak < {TARGET_PEAK_MB:.0f} MiB")


if __name__ == "__main__":
    main()
