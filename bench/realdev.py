"""Real recordings for the accuracy benchmark, read from ``../shared/realdev`` beside the project.

They are never copied into the project (RAVDESS and TESS are non-commercial). This module finds
them, builds stereo test calls out of the acted clips, and derives the energy reference that
tells who talks when on a real call with one track per party.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import librosa
import numpy as np
import soundfile as sf

from audio_features import binarize, intervals

ROOT = Path(__file__).resolve().parent.parent
REALDEV = ROOT.parent / "shared" / "realdev"
RATE_HZ = 16000
TURN_GAP_S = 0.4  # silence between one party's clip and the other's reply
# The energy reference: 20 ms frames above -40 dBFS, gaps under 0.2 s filled. On a track that
# holds one party alone (no leakage, quiet line) it is a close record of who talks when.
REFERENCE_FRAME_S = 0.02
REFERENCE_LEVEL_DBFS = -40.0
REFERENCE_MAX_GAP_S = 0.2


@dataclass(frozen=True, slots=True, kw_only=True)
class Clip:
    path: Path
    speaker: str  # actor or speaker id
    sex: str  # "female" | "male"
    emotion: str  # "neutral" | "angry"
    intensity: str  # "normal" | "strong" | "" where the corpus does not say
    corpus: str


@dataclass(frozen=True, slots=True, kw_only=True)
class PlacedClip:
    clip: Clip
    channel: int  # 0 the speaker under test, 1 the other party
    start_s: float
    end_s: float
    speech: np.ndarray  # (n, 2) seconds of the clip's own speech, from the energy reference


@dataclass(frozen=True, slots=True, kw_only=True)
class ActedCall:
    name: str
    path: Path
    placed: tuple[PlacedClip, ...]

    @property
    def target(self) -> PlacedClip:
        """The angry clip the call was built around."""
        return next(p for p in self.placed if p.channel == 0 and p.clip.emotion == "angry")


def available() -> bool:
    return REALDEV.is_dir()


def ravdess_clips() -> list[Clip]:
    folder = REALDEV / "ravdess"
    with open(folder / "labels.csv", newline="") as handle:
        return [Clip(path=folder / row["file"], speaker=row["actor"], sex=row["sex"],
                     emotion=row["emotion"], intensity=row["intensity"], corpus="RAVDESS")
                for row in csv.DictReader(handle)]


def tess_clips() -> list[Clip]:
    folder = REALDEV / "tess"
    with open(folder / "labels.csv", newline="") as handle:
        return [Clip(path=folder / row["file"], speaker=row["speaker"],
                     sex="female" if row["sex"] == "F" else "male", emotion=row["emotion"],
                     intensity="", corpus="TESS")
                for row in csv.DictReader(handle)]


def load_clip(path: Path) -> np.ndarray:
    samples, rate_hz = sf.read(path, dtype="float32", always_2d=True)
    mono = samples.mean(axis=1)
    return librosa.resample(mono, orig_sr=rate_hz, target_sr=RATE_HZ) if rate_hz != RATE_HZ else mono


def energy_reference(samples: np.ndarray, *, rate_hz: int = RATE_HZ) -> np.ndarray:
    """(n, 2) seconds where one party's own track is above the reference level."""
    frame = round(REFERENCE_FRAME_S * rate_hz)
    whole = samples.size // frame
    level_db = 10 * np.log10(np.mean(np.square(samples[: whole * frame].reshape(whole, frame),
                                               dtype=np.float64), axis=1) + 1e-12)
    runs = binarize.mask_to_runs(level_db > REFERENCE_LEVEL_DBFS)
    spans = binarize.runs_to_intervals(runs, hop_s=REFERENCE_FRAME_S)
    return intervals.merge_close(spans, max_gap_s=REFERENCE_MAX_GAP_S)


def build_acted_calls(clips: list[Clip], partners: list[Clip], folder: Path) -> list[ActedCall]:
    """One stereo call per angry clip, as a real call runs: the speaker's calm clips first and
    in the majority, the angry clip late, another speaker's calm replies on channel 1 between.

    Channel 0 (the agent side) holds the speaker under test; their calm clips rotate from call
    to call so every call's baseline differs.
    """
    calls = []
    by_speaker: dict[str, list[Clip]] = {}
    for clip in clips:
        by_speaker.setdefault(clip.speaker, []).append(clip)
    calm_partners = [clip for clip in partners if clip.emotion == "neutral"]
    folder.mkdir(parents=True, exist_ok=True)
    for speaker, own in sorted(by_speaker.items()):
        calm = [clip for clip in own if clip.emotion == "neutral"]
        replies = _one_partner(calm_partners, speaker, turn=len(calls))
        for index, angry in enumerate(clip for clip in own if clip.emotion == "angry"):
            rotated = [calm[(index + k) % len(calm)] for k in range(4)]
            sequence = [*rotated[:3], angry, rotated[3]]
            name = f"{angry.corpus.lower()}_{angry.path.stem}"
            calls.append(_write_call(name, sequence, replies, index, folder))
    return calls


def _one_partner(calm: list[Clip], speaker: str, *, turn: int) -> list[Clip]:
    """The calm clips of one other speaker: a call has two parties, each with one voice."""
    others = sorted({clip.speaker for clip in calm if clip.speaker != speaker})
    partner = others[turn % len(others)]
    return [clip for clip in calm if clip.speaker == partner]


def _write_call(name: str, sequence: list[Clip], replies: list[Clip], index: int,
                folder: Path) -> ActedCall:
    channels: list[list[np.ndarray]] = [[], []]
    placed, cursor = [], 0.0
    for turn, clip in enumerate(sequence):
        for channel, part in ((0, clip), (1, replies[(index * 5 + turn) % len(replies)])):
            if channel == 1 and turn == len(sequence) - 1:
                break
            samples = load_clip(part.path)
            start = round(cursor * RATE_HZ)
            channels[channel].append((start, samples))
            speech = energy_reference(samples) + cursor
            placed.append(PlacedClip(clip=part, channel=channel, start_s=cursor,
                                     end_s=cursor + samples.size / RATE_HZ, speech=speech))
            cursor += samples.size / RATE_HZ + TURN_GAP_S
    stereo = np.zeros((2, round((cursor + 1.0) * RATE_HZ)), dtype=np.float32)
    for channel, pieces in enumerate(channels):
        for start, samples in pieces:
            stereo[channel, start: start + samples.size] += samples
    path = folder / f"{name}.wav"
    sf.write(path, stereo.T, RATE_HZ, subtype="FLOAT")
    return ActedCall(name=name, path=path, placed=tuple(placed))
