"""The calls the separation benchmark scores, each with its own reference of who talks when.

- The sample calls: the scripted turns in each call's ground-truth file.
- ``../shared/realdev/aws_call40``: each party's own track, by frame energy (20 ms frames,
  -40 dBFS, gaps under 0.2 s filled), as ``../shared/realdev/README.md`` suggests.
- ``../shared/realdev/ami``: the RTTM turns inside the UEM.
The real recordings are read in place, never copied; they are skipped when absent.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from audio_features import binarize

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_CALLS = ROOT / "sample_calls"
REALDEV = ROOT.parent / "shared" / "realdev"


@dataclass(frozen=True, slots=True, kw_only=True)
class ScoredCall:
    name: str
    audio: Path  # stereo (one party per channel) or, for AMI, already mono
    reference: list[np.ndarray]  # (n, 2) seconds per reference speaker
    scored_s: tuple[float, float]
    stereo: bool


def sample_calls(suffix: str = ".opus") -> list[ScoredCall]:
    calls = []
    for truth_path in sorted(SAMPLE_CALLS.glob("*.json")):
        truth = json.loads(truth_path.read_text())
        turns = defaultdict(list)
        for turn in truth["turns"]:
            turns[turn["speaker"]].append((turn["start_s"], turn["end_s"]))
        calls.append(ScoredCall(
            name=f"{truth_path.stem}{suffix}", audio=truth_path.with_suffix(suffix),
            reference=[np.array(sorted(spans)) for spans in turns.values()],
            scored_s=(0.0, truth["duration_s"]), stereo=True))
    return calls


def energy_activity(samples: np.ndarray, *, sample_rate_hz: int, threshold_dbfs: float = -40.0,
                    frame_s: float = 0.02, max_gap_s: float = 0.2) -> np.ndarray:
    """(n, 2) seconds where one party's own track is above ``threshold_dbfs``."""
    frame = int(frame_s * sample_rate_hz)
    count = len(samples) // frame
    power = np.square(samples[:count * frame].reshape(count, frame)).mean(axis=1)
    loud = 10 * np.log10(np.maximum(power, 1e-12)) > threshold_dbfs
    runs = binarize.fill_short_gaps(binarize.mask_to_runs(loud),
                                    max_gap_frames=round(max_gap_s / frame_s) - 1)
    return binarize.runs_to_intervals(runs, hop_s=frame_s)


def aws_call() -> list[ScoredCall]:
    import soundfile

    folder = REALDEV / "aws_call40"
    if not folder.is_dir():
        return []
    tracks = []
    for party in ("agent", "caller"):
        samples, rate = soundfile.read(folder / f"Auto_Repairs_40_UTC_{party}.wav", dtype="float32")
        tracks.append(energy_activity(samples, sample_rate_hz=rate))
    duration_s = len(samples) / rate
    stereo = folder / "Auto_Repairs_40_UTC_stereo_L-agent_R-caller.wav"
    return [ScoredCall(name="aws_call40", audio=stereo,
                       reference=tracks, scored_s=(0.0, duration_s), stereo=True)]


def ami_excerpts() -> list[ScoredCall]:
    folder = REALDEV / "ami"
    if not folder.is_dir():
        return []
    turns: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    for rttm in folder.glob("*.rttm"):
        for line in rttm.read_text().splitlines():
            fields = line.split()
            if fields and fields[0] == "SPEAKER":
                start_s, length_s = float(fields[3]), float(fields[4])
                turns[fields[1]][fields[7]].append((start_s, start_s + length_s))
    scored = {}
    for uem in folder.glob("*.uem"):
        for line in uem.read_text().splitlines():
            uri, _channel, start_s, end_s = line.split()
            scored[uri] = (float(start_s), float(end_s))
    return [ScoredCall(name=f"ami/{uri}", audio=folder / f"{uri}.wav",
                       reference=[np.array(sorted(spans)) for spans in turns[uri].values()],
                       scored_s=scored[uri], stereo=False)
            for uri in sorted(scored) if (folder / f"{uri}.wav").is_file() and uri in turns]
