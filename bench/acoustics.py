"""Speed of the acoustic analysis: decode + VAD + bleed guard + prosody + events.

Prints x real time for every sample call and for a 10-minute call (sample calls joined end to
end), and the process's peak memory. Run: .venv/bin/python bench/acoustics.py
"""

from __future__ import annotations

import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.analyze import analyze_acoustics  # noqa: E402
from pipeline.config import Config  # noqa: E402
from pipeline.decode import decode_call  # noqa: E402

TARGET_X_REAL_TIME = 100.0


def time_call(path: Path, config: Config) -> tuple[float, float]:
    """(audio seconds, wall seconds) for one full acoustic analysis of ``path``."""
    started = time.perf_counter()
    audio = decode_call(path, config=config.decode)
    analyze_acoustics(audio, config)
    return audio.duration_s, time.perf_counter() - started


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
    audio_s = wall_s = 0.0
    print(f"{'call':40s} {'audio s':>8s} {'wall s':>7s} {'x real time':>12s}")
    for path in paths:
        seconds, elapsed = time_call(path, config)
        audio_s, wall_s = audio_s + seconds, wall_s + elapsed
        print(f"{path.name:40s} {seconds:8.1f} {elapsed:7.2f} {seconds / elapsed:12.0f}")
    print(f"{'all sample calls':40s} {audio_s:8.1f} {wall_s:7.2f} {audio_s / wall_s:12.0f}")
    with tempfile.TemporaryDirectory() as folder:
        long_call = ten_minute_call(paths[: len(paths) // 2], config, Path(folder))
        seconds, elapsed = time_call(long_call, config)
    print(f"{'10-minute call':40s} {seconds:8.1f} {elapsed:7.2f} {seconds / elapsed:12.0f}")
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory (max RSS): {peak_mib:.0f} MiB; target: >= {TARGET_X_REAL_TIME:.0f}x real time")


if __name__ == "__main__":
    main()
