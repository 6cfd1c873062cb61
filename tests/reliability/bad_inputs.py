"""The bad-input table: files (and sidecars) that must each get a clear outcome of their own
without stopping anything else. ``expect`` is what the pipeline must say (a fragment of the
reason), or None for files that are analysed."""

from __future__ import annotations

import json
import struct
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

RATE_HZ = 16000


@dataclass(frozen=True)
class BadInput:
    name: str  # file name in the batch
    make: Callable[[Path], None]
    expect: str | None  # a fragment of the failure reason; None: analysed
    upload_status: int  # what an upload of it answers


def _tones(seconds: float, channels: int = 2) -> np.ndarray:
    t = np.arange(int(seconds * RATE_HZ)) / RATE_HZ
    rows = [0.2 * np.sin(2 * np.pi * (220 + 110 * c) * t) for c in range(channels)]
    return np.stack(rows, axis=1)


def _wav(seconds=2.0, channels=2, subtype="PCM_16", samples=None):
    def make(path: Path) -> None:
        data = _tones(seconds, channels) if samples is None else samples
        sf.write(path, data, RATE_HZ, subtype=subtype)
    return make


def _bytes(content: bytes):
    return lambda path: path.write_bytes(content)


def _truncated(path: Path) -> None:
    _wav(6.0)(path)
    path.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 2])


def _claims_five_hours(path: Path) -> None:
    """A short WAV whose header says it lasts five hours: refused from the header alone."""
    _wav(1.0)(path)
    raw = bytearray(path.read_bytes())
    data = raw.index(b"data")
    raw[data + 4:data + 8] = struct.pack("<I", 5 * 3600 * RATE_HZ * 4)
    path.write_bytes(bytes(raw))


def _nan(path: Path) -> None:
    samples = _tones(2.0)
    samples[100:200, 0] = np.nan
    sf.write(path, samples, RATE_HZ, subtype="FLOAT")


def _with_sidecar(sidecar: dict):
    def make(path: Path) -> None:
        _wav(2.0)(path)
        path.with_suffix(".json").write_text(json.dumps(sidecar))
    return make


TABLE = [
    BadInput("good.wav", _wav(2.0), None, 202),
    BadInput("silent.wav", _wav(samples=np.zeros((2 * RATE_HZ, 2))), None, 202),
    BadInput("truncated.wav", _truncated, None, 202),
    BadInput("corrupt.wav", _bytes(b"RIFF\x00\x00\x00\x00WAVEfmt garbage" * 3), "decoded", 422),
    BadInput("empty.wav", _bytes(b""), "empty", 422),
    BadInput("not-audio.wav", _bytes(b"just some text, renamed\n" * 10), "decoded", 415),
    BadInput("nan.wav", _nan, "non-finite", 202),
    BadInput("five-hours.wav", _claims_five_hours, "maximum", 413),
    BadInput("mono.wav", _wav(2.0, channels=1), None, 202),  # separated into two parties
    BadInput("three-channels.wav", _wav(2.0, channels=3), "3 channels", 422),
    BadInput("call $(reboot); 'x' ünï.wav", _wav(2.0), None, 202),
    BadInput("control-chars.wav", _with_sidecar({"agent_name": "Ann\x1b[31m"}),
             "control characters", 400),
    BadInput("year-one.wav", _with_sidecar({"started_at": "0001-01-01T00:00:00+01:00"}),
             "ISO 8601", 400),
    # A form field is always text, so an upload cannot carry this mistake: 202.
    BadInput("not-text.wav", _with_sidecar({"agent_id": True}), "must be text", 202),
]


def write_table(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    for seed, item in enumerate(TABLE):
        item.make(folder / item.name)
        # distinct bytes for every file, so none is a duplicate of another
        if (folder / item.name).stat().st_size > 100 and item.name.endswith(".wav") and \
                item.expect in (None, "control characters", "ISO 8601", "must be text"):
            with open(folder / item.name, "ab") as handle:
                handle.write(bytes([seed]))
    return [folder / item.name for item in TABLE]


def sidecar_fields(path: Path) -> dict:
    sidecar = path.with_suffix(".json")
    return json.loads(sidecar.read_text()) if sidecar.is_file() else {}
