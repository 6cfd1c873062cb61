"""Every threshold callcoach uses, grouped by stage, in one place.

Each field has a default, a unit (in its name) and a one-line doc. A config loads from TOML
with unknown keys rejected and ranges checked, and every report echoes the config it used,
with a digest so two reports can be compared at a glance.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline.errors import ConfigError

if TYPE_CHECKING:
    from audio_features.raised import RaisedRules


def setting(default: Any, doc: str, *, low: float | None = None, high: float | None = None,
            choices: tuple[str, ...] | None = None) -> Any:
    """A config field with its doc and allowed range, checked when the config is built."""
    return field(default=default, metadata={"doc": doc, "low": low, "high": high, "choices": choices})


class _Validated:
    """Checks every field against the range declared with :func:`setting`."""

    def __post_init__(self) -> None:
        for spec in dataclasses.fields(self):  # type: ignore[arg-type]
            value = getattr(self, spec.name)
            _check_value(type(self).__name__, spec, value)


def _check_value(group: str, spec: dataclasses.Field, value: Any) -> None:
    name = f"{_GROUP_KEYS.get(group, group)}.{spec.name}"
    low, high, choices = spec.metadata.get("low"), spec.metadata.get("high"), spec.metadata.get("choices")
    if choices is not None:
        if value not in choices:
            raise ConfigError(f"{name} = {value!r} is not one of {', '.join(choices)}")
        return
    if isinstance(spec.default, bool):
        if not isinstance(value, bool):
            raise ConfigError(f"{name} must be true or false, got {value!r}")
        return
    if isinstance(spec.default, (int, float)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise ConfigError(f"{name} must be a number, got {value!r}")
        if isinstance(spec.default, int) and not isinstance(value, int):
            raise ConfigError(f"{name} must be a whole number, got {value!r}")
        if low is not None and value < low or high is not None and value > high:
            raise ConfigError(f"{name} = {value} is outside the allowed range [{low}, {high}]")


@dataclass(frozen=True, slots=True, kw_only=True)
class DecodeConfig(_Validated):
    agent_channel: int = setting(0, "which channel carries the agent (the other is the customer)",
                                 low=0, high=1)
    max_duration_s: float = setting(4 * 3600.0, "longest call accepted", low=1.0, high=48 * 3600.0)


@dataclass(frozen=True, slots=True, kw_only=True)
class ActivityConfig(_Validated):
    onset_probability: float = setting(0.5, "Silero probability that starts speech", low=0.05, high=0.99)
    offset_probability: float = setting(0.35, "Silero probability below which speech ends",
                                        low=0.01, high=0.99)
    min_speech_s: float = setting(0.12, "speech runs shorter than this are dropped", low=0.0, high=2.0)
    min_gap_s: float = setting(0.2, "pauses shorter than this are bridged within a turn "
                               "(0.2 s: the shortest pause listeners perceive as one)",
                               low=0.0, high=3.0)
    bleed_margin_db: float = setting(12.0, "a channel this much quieter than the other, and "
                                     "correlated with it, carries leakage", low=3.0, high=60.0)
    bleed_min_correlation: float = setting(0.35, "normalised cross-correlation that marks a frame "
                                           "as a copy of the other channel", low=0.0, high=1.0)
    voice_above_floor_db: float = setting(10.0, "a frame carries a party's own voice only this far "
                                          "above that channel's noise floor", low=0.0, high=40.0)
    min_voiced_s: float = setting(0.1, "a speech run needs this much own-voice time, else it is "
                                  "leakage", low=0.0, high=2.0)
    voice_pad_s: float = setting(0.1, "speech may extend this far beyond a frame with the "
                                 "party's own voice (soft onsets and endings)", low=0.0, high=1.0)
    bleed_max_lag_ms: float = setting(8.0, "largest delay searched between a voice and its leak",
                                      low=0.0, high=50.0)
    vad_speech_level_dbfs: float = setting(-26.0, "each channel is brought to this loud-speech "
                                           "level before the VAD scores it", low=-50.0, high=-6.0)
    vad_max_boost_db: float = setting(20.0, "most a quiet channel is amplified for the VAD",
                                      low=0.0, high=40.0)
    loud_above_floor_db: float = setting(15.0, "a frame counts as loud speech only this far above "
                                         "the channel's noise floor", low=3.0, high=60.0)
    loud_below_speech_db: float = setting(30.0, "and no further than this below the channel's "
                                          "loud speech level", low=6.0, high=60.0)
    min_periodicity: float = setting(0.5, "a loud frame is voiced speech when its normalised "
                                     "autocorrelation over pitch lags reaches this", low=0.0,
                                     high=1.0)


@dataclass(frozen=True, slots=True, kw_only=True)
class ProsodyConfig(_Validated):
    frame_s: float = setting(0.064, "analysis window for loudness and pitch", low=0.016, high=0.25)
    hop_s: float = setting(0.016, "step between analysis frames", low=0.004, high=0.1)
    f0_min_hz: float = setting(65.0, "lowest pitch searched", low=30.0, high=400.0)
    f0_max_hz: float = setting(600.0, "highest pitch searched (shouting reaches 500 Hz and more)", low=100.0, high=1000.0)
    pitch_continuity_s: float = setting(0.3, "pitch frames are checked against the frames this "
                                        "close around them", low=0.05, high=2.0)
    pitch_max_jump_semitones: float = setting(5.0, "a pitch frame further than this from its "
                                              "neighbours (after octave repair) is a tracking "
                                              "error", low=1.0, high=24.0)
    baseline_percentile: float = setting(50.0, "percentile of a party's own speech frames used "
                                         "as their baseline", low=5.0, high=95.0)


@dataclass(frozen=True, slots=True, kw_only=True)
class TurnConfig(_Validated):
    interruption_min_overlap_s: float = setting(0.5, "overlap longer than this can be an interruption",
                                                low=0.0, high=5.0)
    backchannel_max_s: float = setting(1.0, "longest speech run that can be a backchannel",
                                       low=0.1, high=3.0)
    yield_window_s: float = setting(1.5, "the interrupted party yielded if they stopped within "
                                    "this long after the interruption began", low=0.1, high=10.0)
    min_word_probability: float = setting(0.7, "overlapping words overrule the timing of a short "
                                          "run only when Whisper heard them at least this surely "
                                          "on average (numbers always do)", low=0.0, high=1.0)
    turn_max_pause_s: float = setting(1.0, "pauses up to this long stay within one turn",
                                      low=0.1, high=5.0)
    long_silence_s: float = setting(5.0, "neither party speaking this long is a long silence",
                                    low=1.0, high=120.0)
    non_talk_min_silence_s: float = setting(3.0, "silences at least this long count as non-talk time",
                                            low=0.5, high=120.0)


@dataclass(frozen=True, slots=True, kw_only=True)
class RaisedVoiceConfig(_Validated):
    min_delta_db: float = setting(6.0, "loudness above the speaker's calm baseline", low=1.0,
                                  high=40.0)
    min_delta_semitones: float = setting(1.5, "pitch above the speaker's calm baseline",
                                         low=0.5, high=24.0)
    min_duration_s: float = setting(1.0, "shortest raised stretch reported", low=0.2, high=10.0)
    max_gap_s: float = setting(1.0, "pauses shorter than this do not split a raised stretch",
                               low=0.0, high=3.0)
    smooth_s: float = setting(0.8, "running-median window over loudness and pitch before the "
                              "thresholds", low=0.05, high=3.0)

    def rules(self) -> RaisedRules:
        """These thresholds as the rules ``audio_features.raised`` applies."""
        from audio_features.raised import RaisedRules  # librosa loads only where audio is

        return RaisedRules(min_delta_db=self.min_delta_db,
                           min_delta_semitones=self.min_delta_semitones,
                           min_duration_s=self.min_duration_s, max_gap_s=self.max_gap_s,
                           smooth_s=self.smooth_s)


@dataclass(frozen=True, slots=True, kw_only=True)
class TranscriptionConfig(_Validated):
    model: str = setting("tiny.en", "tiny.en, base, or a faster-whisper model folder", choices=None)
    device: str = setting("auto", "where Whisper runs", choices=("auto", "cpu", "cuda"))
    compute_type: str = setting("auto", "auto picks float16 on CUDA and int8 on CPU",
                                choices=("auto", "int8", "int8_float16", "float16", "float32"))
    batch_size: int = setting(8, "speech chunks decoded together", low=1, high=64)
    beam_size: int = setting(1, "beam width (1 is greedy)", low=1, high=10)
    retry_beam_size: int = setting(5, "beam width for a second pass over clips whose first "
                                   "transcript failed the quality checks (1 turns it off)",
                                   low=1, high=10)
    language: str = setting("en", "spoken language", choices=None)
    bridge_gap_s: float = setting(1.0, "pauses up to this long inside a party's speech are "
                                  "heard by Whisper too, unless the other party talks in them",
                                  low=0.0, high=3.0)
    pad_s: float = setting(0.15, "Whisper hears this much before and after each speech run, "
                           "unless the other party talks there", low=0.0, high=1.0)


@dataclass(frozen=True, slots=True, kw_only=True)
class SeparationConfig(_Validated):
    agent_speaker: str = setting("auto", "on a mono call, which separated voice is the agent: "
                                 "auto (named from what each says), first or second to speak",
                                 choices=("auto", "first", "second"))
    window_step_s: float = setting(2.5, "step between the segmentation model's 10 s windows",
                                   low=0.5, high=10.0)
    embedding_stride_s: float = setting(0.8, "step between 0.8 s speaker embeddings",
                                        low=0.1, high=2.0)
    min_embedding_coverage: float = setting(0.6, "share of a 0.8 s embedding a local speaker "
                                            "must speak alone in for it to count", low=0.1,
                                            high=1.0)
    overlap_min_probability: float = setting(0.5, "overlapped-speech probability (averaged over "
                                             "windows) needed to claim both parties talk",
                                             low=0.0, high=1.0)
    overlap_min_speaker_probability: float = setting(0.3, "the quieter party's own score needed "
                                                     "too", low=0.0, high=1.0)
    overlap_min_s: float = setting(0.3, "shorter stretches of overlap on a mono call are not "
                                   "claimed", low=0.0, high=5.0)
    segmentation_speech_probability: float = setting(
        0.5, "speech the VAD missed counts where the segmentation model's own speech probability "
        "reaches this (1.0: the VAD alone decides)", low=0.0, high=1.0)
    batch_windows: int = setting(8, "segmentation windows scored together", low=1, high=64)


@dataclass(frozen=True, slots=True, kw_only=True)
class Config:
    decode: DecodeConfig = field(default_factory=DecodeConfig)
    activity: ActivityConfig = field(default_factory=ActivityConfig)
    prosody: ProsodyConfig = field(default_factory=ProsodyConfig)
    turns: TurnConfig = field(default_factory=TurnConfig)
    raised_voice: RaisedVoiceConfig = field(default_factory=RaisedVoiceConfig)
    transcription: TranscriptionConfig = field(default_factory=TranscriptionConfig)
    separation: SeparationConfig = field(default_factory=SeparationConfig)

    def to_dict(self) -> dict[str, dict[str, Any]]:
        return dataclasses.asdict(self)

    @property
    def digest(self) -> str:
        """A short sha256 of the canonical JSON of every value."""
        canonical = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()[:16]

    def replace(self, group: str, **values: Any) -> Config:
        """A copy with some values of one group changed (validated like a loaded file)."""
        return from_dict({**self.to_dict(), group: {**self.to_dict()[group], **values}})


_GROUPS = {spec.name: spec.default_factory for spec in dataclasses.fields(Config)}
_GROUP_KEYS = {factory.__name__: name for name, factory in _GROUPS.items()}


def from_dict(raw: dict[str, Any]) -> Config:
    """Build a config from nested tables, rejecting unknown groups and keys."""
    unknown = set(raw) - set(_GROUPS)
    if unknown:
        raise ConfigError(f"unknown config section(s) {sorted(unknown)}; known: {sorted(_GROUPS)}")
    groups = {}
    for name, factory in _GROUPS.items():
        table = raw.get(name, {})
        if not isinstance(table, dict):
            raise ConfigError(f"[{name}] must be a table of settings")
        known = {spec.name for spec in dataclasses.fields(factory)}
        extra = set(table) - known
        if extra:
            raise ConfigError(f"unknown key(s) {sorted(extra)} in [{name}]; known: {sorted(known)}")
        groups[name] = factory(**table)
    return Config(**groups)


def load(path: Path) -> Config:
    """Load a TOML config file; missing keys keep their defaults."""
    try:
        raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"config file {path} does not exist") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from exc
    return from_dict(raw)
