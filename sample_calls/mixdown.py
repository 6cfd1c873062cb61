"""Mix placed turns into a stereo call with telephone-like bleed and line noise, then encode it.

Channel 0 is the agent, channel 1 the customer. Each channel also carries a quiet, slightly
delayed, low-passed copy of the other party (the bleed a headset and a hybrid let through) and
its own low-level noise, so silence is never digital zero.
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf
from scipy import signal

from sample_calls.layout import PlacedTurn

CHANNEL = {"agent": 0, "customer": 1}
BLEED_DB = {0: -28.0, 1: -30.0}  # level of the other party's copy in each channel
BLEED_DELAY_S = {0: 0.002, 1: 0.0015}
BLEED_LOWPASS_HZ = 3000.0
NOISE_DBFS = -58.0
TAIL_S = 0.7
PEAK_CEILING_DBFS = -1.5
OPUS_COMPRESSION_LEVEL = 0.95  # libsndfile maps this to about 38 kb/s
OGG_SERIAL = 0x0CA11C0A
PHONE_BAND_HZ = (300, 3400)
PHONE_RATE_HZ = 8_000


def place_clips(turns: list[PlacedTurn], clips: list[np.ndarray], *, rate_hz: int) -> np.ndarray:
    """Dry stereo mix, channels-first ``(2, n)`` float32: each clip on its speaker's channel."""
    end_s = max(turn.end_s for turn in turns) + TAIL_S
    dry = np.zeros((2, int(round(end_s * rate_hz))), dtype=np.float32)
    for turn, clip in zip(turns, clips, strict=True):
        first = int(round(turn.start_s * rate_hz))
        dry[CHANNEL[turn.speaker], first : first + len(clip)] += clip
    return dry


def _line_noise(n_samples: int, *, rng: np.random.Generator) -> np.ndarray:
    """Brownish noise (white through a leaky integrator) at ``NOISE_DBFS`` RMS; shape ``(n,)``."""
    white = rng.standard_normal(n_samples)
    brownish = signal.lfilter([1.0], [1.0, -0.9], white)
    mixed = brownish / np.std(brownish) + 0.5 * white
    return (mixed / np.std(mixed) * 10.0 ** (NOISE_DBFS / 20.0)).astype(np.float32)


def add_bleed_and_noise(dry: np.ndarray, *, rate_hz: int, seed: int) -> np.ndarray:
    """Each channel plus the other's bleed and its own line noise; peak kept under the ceiling."""
    rng = np.random.default_rng(seed)
    lowpass = signal.butter(4, BLEED_LOWPASS_HZ, btype="low", fs=rate_hz, output="sos")
    mix = dry.copy()
    for channel in (0, 1):
        other = signal.sosfilt(lowpass, dry[1 - channel])
        delay = int(round(BLEED_DELAY_S[channel] * rate_hz))
        bleed = np.concatenate([np.zeros(delay), other[: len(other) - delay]])
        mix[channel] += (bleed * 10.0 ** (BLEED_DB[channel] / 20.0)).astype(np.float32)
        mix[channel] += _line_noise(mix.shape[1], rng=rng)
    ceiling = 10.0 ** (PEAK_CEILING_DBFS / 20.0)
    # One gain for both channels keeps the parties' relative levels.
    return mix * min(1.0, ceiling / float(np.max(np.abs(mix))))


def _ogg_crc(data: bytes) -> int:
    """The Ogg page checksum (CRC-32, polynomial 0x04C11DB7, unreflected, zero start)."""
    crc = 0
    for byte in data:
        crc ^= byte << 24
        for _ in range(8):
            crc = ((crc << 1) ^ 0x04C11DB7 if crc & 0x80000000 else crc << 1) & 0xFFFFFFFF
    return crc


def fix_ogg_serial(path: Path, *, serial: int) -> None:
    """Give every Ogg page the same stream serial, so re-encoding yields identical bytes.

    libsndfile draws a random serial per file; everything else in the stream is deterministic.
    """
    data = bytearray(path.read_bytes())
    offset = 0
    while offset < len(data):
        if data[offset : offset + 4] != b"OggS":
            raise ValueError(f"{path}: no Ogg page at byte {offset}")
        n_segments = data[offset + 26]
        page_end = offset + 27 + n_segments + sum(data[offset + 27 : offset + 27 + n_segments])
        data[offset + 14 : offset + 18] = serial.to_bytes(4, "little")
        data[offset + 22 : offset + 26] = bytes(4)
        crc = _ogg_crc(bytes(data[offset:page_end]))
        data[offset + 22 : offset + 26] = crc.to_bytes(4, "little")
        offset = page_end
    path.write_bytes(bytes(data))


def write_versions(mix: np.ndarray, *, rate_hz: int, stem: Path) -> tuple[Path, Path]:
    """Write ``<stem>.opus`` (Ogg Opus at ``rate_hz``) and ``<stem>.8k.flac`` (telephone band)."""
    opus_path = stem.with_suffix(".opus")
    flac_path = stem.parent / f"{stem.name}.8k.flac"
    sf.write(
        opus_path, mix.T, rate_hz, format="OGG", subtype="OPUS",
        compression_level=OPUS_COMPRESSION_LEVEL,
    )
    fix_ogg_serial(opus_path, serial=OGG_SERIAL)
    with tempfile.TemporaryDirectory(prefix="callcoach-mix-") as tmp:
        wav_path = Path(tmp) / "mix.wav"
        sf.write(wav_path, mix.T, rate_hz, subtype="FLOAT")
        low_hz, high_hz = PHONE_BAND_HZ
        command = [
            "sox", "-D", str(wav_path), "-b", "16", str(flac_path),
            "sinc", f"{low_hz}-{high_hz}", "rate", "-v", str(PHONE_RATE_HZ),
        ]
        subprocess.run(command, check=True, capture_output=True)
    return opus_path, flac_path
