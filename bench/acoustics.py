"""Speed of the acoustic analysis: decode + VAD + bleed guard + prosody + events.

Prints, for every sample call and for a 10-minute call (sample calls joined end to end), x real
time by the wall clock and per CPU-second of this process, and the process's peak memory.

The target (100x real time or faster) is judged per CPU-second: audio seconds over the CPU
seconds the process spent (``time.process_time``, all its threads). The wall clock on a shared
machine also counts the time other work holds the cores, so it is printed with the load
average but does not decide. Run: .venv/bin/python bench/acoustics.py
"""

from __future__ import annotations

import os
import resource
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.analyze import analyze_acoustics  # noqa: E402
from pipeline.config import Config  # noqa: E402
from pipeline.decode import decode_call  # noqa: E402

TARGET_X_REAL_TIME = 100.0


@dataclass(frozen=True, slots=True)
class Timing:
    audio_s: float
    wall_s: float
    cpu_s: float

    def __add__(self, other: Timing) -> Timing:
        return Timing(self.audio_s + other.audio_s, self.wall_s + other.wall_s,
                      self.cpu_s + other.cpu_s)

    def row(self, name: str) -> str:
        return (f"{name:40s} {self.audio_s:8.1f} {self.wall_s:7.2f} {self.cpu_s:6.2f} "
                f"{self.audio_s / self.wall_s:10.0f} {self.audio_s / self.cpu_s:10.0f}")


def time_call(path: Path, config: Config) -> Timing:
    """Audio, wall and CPU seconds of one full acoustic analysis of ``path``."""
    wall, cpu = time.perf_counter(), time.process_time()
    audio = decode_call(path, config=config.decode)
    analyze_acoustics(audio, config)
    return Timing(audio.duration_s, time.perf_counter() - wall, time.process_time() - cpu)


def ten_minute_call(paths: list[Path], config: Config, folder: Path) -> Path:
    """The sample calls joined end to end until ten minutes, as 16 kHz stereo FLAC."""
    pieces, total_samples = [], 0
    while total_samples < 600 * 16000:
        for path in paths:
            samples = decode_call(path, config=config.decode).samples.whole()
            pieces.append(samples)
            total_samples += samples.shape[1]
    joined = np.concatenate(pieces, axis=1)[:, : 600 * 16000]
    target = folder / "ten_minutes.flac"
    sf.write(target, joined.T, 16000)
    return target


def main() -> None:
    config = Config()
    paths = sorted((ROOT / "sample_calls").glob("*.opus")) + sorted(
        (ROOT / "sample_calls").glob("*.8k.flac"))
    if not paths:
        sys.exit("no sample calls found in sample_calls/")
    time_call(paths[0], config)  # load the VAD model and warm caches before timing
    load_before = os.getloadavg()[0]
    print(f"{'call':40s} {'audio s':>8s} {'wall s':>7s} {'CPU s':>6s} "
          f"{'x rt wall':>10s} {'x rt CPU':>10s}")
    total = Timing(0.0, 0.0, 0.0)
    for path in paths:
        timing = time_call(path, config)
        total += timing
        print(timing.row(path.name))
    print(total.row("all sample calls"))
    with tempfile.TemporaryDirectory() as folder:
        long_call = ten_minute_call(paths[: len(paths) // 2], config, Path(folder))
        print(time_call(long_call, config).row("10-minute call"))
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory (max RSS): {peak_mib:.0f} MiB; load average {load_before:.1f} before, "
          f"{os.getloadavg()[0]:.1f} after, on {os.cpu_count()} cores")
    print(f"target: >= {TARGET_X_REAL_TIME:.0f}x real time per CPU-second (x rt CPU); the wall "
          "clock (x rt wall) also counts other work on a shared machine")


if __name__ == "__main__":
    main()
