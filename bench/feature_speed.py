"""Times the acoustic features on a synthetic 10-minute stereo call at 16 kHz.

Two parties take ~6 s turns (about half the call each), each leaking into the other's
channel at -25 dB. Prints wall time and x real time for loudness (both channels), F0 on
speech spans (both parties) and the bleed guard (both directions), single-threaded numpy.

    .venv/bin/python bench/feature_speed.py
"""

from __future__ import annotations

import time

import numpy as np

from audio_features.bleed import bleed_frames
from audio_features.loudness import loudness_dbfs
from audio_features.pitch import f0_hz

RATE_HZ = 16000
CALL_S = 600.0
TURN_S = 6.0


def synthetic_call() -> tuple[np.ndarray, list[np.ndarray]]:
    """``(2, samples)`` call and each party's speech spans (float ``(n, 2)`` seconds)."""
    rng = np.random.default_rng(0)
    t = np.arange(int(TURN_S * RATE_HZ)) / RATE_HZ
    turns = []
    for f0 in (110.0, 190.0):
        contour = f0 * (1 + 0.15 * np.sin(2 * np.pi * 0.5 * t))
        phase = 2 * np.pi * np.cumsum(contour) / RATE_HZ
        voice = sum(np.sin(h * phase) / h for h in range(1, 25))
        turns.append(0.05 * voice * (np.sin(2 * np.pi * 3 * t) > -0.3))
    n_turns = int(CALL_S / TURN_S)
    channels = np.zeros((2, n_turns * len(t)))
    spans: list[list[tuple[float, float]]] = [[], []]
    for index in range(n_turns):
        party = index % 2
        start = index * len(t)
        channels[party, start: start + len(t)] = turns[party]
        channels[1 - party, start + 32: start + len(t)] += 0.056 * turns[party][:-32]
        spans[party].append((index * TURN_S + 0.2, (index + 1) * TURN_S - 0.2))
    channels += rng.normal(0, 1e-4, channels.shape)
    return channels.astype(np.float32), [np.array(s) for s in spans]


def report(name: str, function) -> None:
    started = time.perf_counter()
    function()
    elapsed_s = time.perf_counter() - started
    print(f"{name:<40} {elapsed_s:6.2f} s  {CALL_S / elapsed_s:7.0f}x real time")


def main() -> None:
    call, spans = synthetic_call()
    f0_hz(call[0, :RATE_HZ], sample_rate_hz=RATE_HZ, frame_s=0.064, hop_s=0.016,
          f0_min_hz=65.0, f0_max_hz=400.0)  # warm-up: librosa's first call compiles
    speech_s = sum(float(np.sum(s[:, 1] - s[:, 0])) for s in spans)
    print(f"{CALL_S / 60:.0f} min stereo at {RATE_HZ} Hz, speech spans {speech_s:.0f} s in all")
    report("loudness_dbfs, both channels", lambda: loudness_dbfs(
        call, sample_rate_hz=RATE_HZ, frame_s=0.064, hop_s=0.016))
    report("f0_hz on speech spans, both parties", lambda: [f0_hz(
        call[party], sample_rate_hz=RATE_HZ, frame_s=0.064, hop_s=0.016, f0_min_hz=65.0,
        f0_max_hz=400.0, spans=spans[party]) for party in (0, 1)])
    report("bleed_frames, both directions", lambda: [bleed_frames(
        call[party], call[1 - party], sample_rate_hz=RATE_HZ, frame_len=512, margin_db=12.0,
        min_correlation=0.35, max_lag_samples=128) for party in (0, 1)])


if __name__ == "__main__":
    main()
