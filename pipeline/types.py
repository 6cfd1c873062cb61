"""Stage contracts: the values that pass between pipeline stages.

Every type is a frozen, slotted, keyword-only dataclass. Sequences are tuples. Times are float
seconds from the start of the call; every numeric name carries its unit. Arrays are read-only
and excluded from equality (two tracks are compared by their metadata, not sample by sample).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Mapping

import numpy as np

from pipeline.call_samples import ArraySamples, CallSamples


class Speaker(enum.StrEnum):
    AGENT = "agent"
    CUSTOMER = "customer"

    @property
    def other(self) -> Speaker:
        return Speaker.CUSTOMER if self is Speaker.AGENT else Speaker.AGENT


class EventType(enum.StrEnum):
    INTERRUPTION = "interruption"
    BACKCHANNEL = "backchannel"
    RAISED_VOICE = "raised_voice"
    LONG_SILENCE = "long_silence"


def read_only(array: np.ndarray) -> np.ndarray:
    """Return ``array`` marked read-only, so a stage cannot change another stage's data."""
    array = np.asarray(array)
    array.flags.writeable = False
    return array


@dataclass(frozen=True, slots=True, kw_only=True, order=True)
class Interval:
    """A closed-open time span ``[start_s, end_s)``."""

    start_s: float
    end_s: float

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s


def interval_array(spans: tuple[Interval, ...]) -> np.ndarray:
    """Intervals as the read-only float ``(n, 2)`` seconds array the feature math takes."""
    return read_only(np.array([(span.start_s, span.end_s) for span in spans],
                              dtype=np.float64).reshape(-1, 2))


def interval_tuple(spans: np.ndarray) -> tuple[Interval, ...]:
    """A ``(n, 2)`` seconds array as Intervals, rounded to the millisecond for stable reports."""
    return tuple(Interval(start_s=round(float(s), 3), end_s=round(float(e), 3)) for s, e in spans)


@dataclass(frozen=True, slots=True, kw_only=True)
class CallAudio:
    """A decoded call: channels-first float32 samples in [-1, 1] at ``sample_rate_hz``.

    ``samples`` may be given as a ``(channels, samples)`` array (tests, tools); it is held as
    a ``CallSamples``, which the stages read a stretch at a time (``read``).
    """

    samples: CallSamples = field(compare=False, repr=False)
    sample_rate_hz: int
    source_sample_rate_hz: int
    source_format: str
    agent_channel: int

    def __post_init__(self) -> None:
        if not isinstance(self.samples, CallSamples):
            object.__setattr__(self, "samples", ArraySamples(self.samples))

    @property
    def n_samples(self) -> int:
        return self.samples.n_samples

    @property
    def duration_s(self) -> float:
        return self.samples.n_samples / self.sample_rate_hz

    @property
    def is_mono(self) -> bool:
        """One mixed channel: the parties must be separated before anything is measured."""
        return self.samples.n_channels == 1

    def channel_index(self, speaker: Speaker) -> int:
        if self.is_mono:
            return 0
        return self.agent_channel if speaker is Speaker.AGENT else 1 - self.agent_channel

    def channel(self, speaker: Speaker) -> np.ndarray:
        """The 1-D samples of one party's whole channel (on a mono call, the one mixed
        channel), in memory: the stages that run on long calls ``read`` stretches instead."""
        return self.samples.channel_array(self.channel_index(speaker))

    def read(self, speaker: Speaker, start: int, stop: int) -> np.ndarray:
        """Samples ``[start, stop)`` of one party's channel; zeros outside the recording."""
        return self.samples.read(self.channel_index(speaker), start, stop)


@dataclass(frozen=True, slots=True, kw_only=True)
class SpeechActivity:
    """Where one party speaks, after the bleed guard removed the other party's leakage."""

    speaker: Speaker
    segments: tuple[Interval, ...]
    bleed_removed: tuple[Interval, ...]  # VAD speech judged to be leakage of the other party
    # ``segments`` in the one form every acoustic stage computes with, converted once here.
    spans: np.ndarray = field(init=False, compare=False, repr=False)  # (n, 2) seconds

    def __post_init__(self) -> None:
        object.__setattr__(self, "spans", interval_array(self.segments))

    @property
    def talk_time_s(self) -> float:
        return sum(segment.duration_s for segment in self.segments)


@dataclass(frozen=True, slots=True, kw_only=True)
class ProsodyTrack:
    """Frame-wise loudness and pitch of one party, with that party's own baseline."""

    speaker: Speaker
    hop_s: float
    loudness_dbfs: np.ndarray = field(compare=False, repr=False)  # (frames,)
    f0_hz: np.ndarray = field(compare=False, repr=False)  # (frames,), NaN where unvoiced
    speech_mask: np.ndarray = field(compare=False, repr=False)  # (frames,) bool, own speech
    baseline_loudness_dbfs: float  # NaN when the party never speaks
    baseline_f0_hz: float  # NaN when no voiced frame was found


@dataclass(frozen=True, slots=True, kw_only=True)
class Word:
    word: str
    start_s: float
    end_s: float
    probability: float


@dataclass(frozen=True, slots=True, kw_only=True)
class Utterance:
    """One stretch of one party's transcript, with word timings."""

    speaker: Speaker
    start_s: float
    end_s: float
    text: str
    words: tuple[Word, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Event:
    """A turn-taking or prosody finding. ``speaker`` is who did it (the interrupter, say)."""

    id: str
    type: EventType
    speaker: Speaker | None
    start_s: float
    end_s: float
    details: Mapping[str, object] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True, slots=True, kw_only=True)
class Evidence:
    speaker: Speaker
    start_s: float
    end_s: float
    text: str


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckResult:
    """One rubric check. ``met`` is None where the check cannot apply to this call."""

    check_id: str
    met: bool | None
    evidence: tuple[Evidence, ...]
    confidence: float | None = None  # 0..1 that ``met`` is right; None where it cannot apply


@dataclass(frozen=True, slots=True, kw_only=True)
class PartyMetrics:
    talk_time_s: float
    talk_share: float  # of the two parties' summed talk time, 0..1
    overlap_time_s: float  # this party speaking while the other also speaks
    longest_monologue_s: float
    median_response_latency_s: float | None  # None when this party never answered a turn
    words_per_minute: float | None = None  # filled once a transcript exists


@dataclass(frozen=True, slots=True, kw_only=True)
class CallMetrics:
    duration_s: float
    non_talk_time_s: float  # silences of at least ``non_talk_min_silence_s``
    non_talk_share: float


@dataclass(frozen=True, slots=True, kw_only=True)
class CallMetadata:
    """What the caller knows about a call beyond its audio."""

    call_id: str
    agent_id: str | None = None
    agent_name: str | None = None
    team: str | None = None
    customer_name: str | None = None
    started_at: str | None = None  # ISO 8601


@dataclass(frozen=True, slots=True, kw_only=True)
class Separation:
    """How a mono call's two parties were told apart (stereo calls need none of this)."""

    method: str  # "mono-diarized"
    confidence: float  # 0..1: how clearly the two voices' frames were told apart
    overlap: tuple[Interval, ...]  # where both parties were heard, on strong evidence only
    agent_named_by: str  # "words", "first_speaker", or "setting"


@dataclass(frozen=True, slots=True, kw_only=True)
class Acoustics:
    """Everything measured from the audio alone, before any transcript exists."""

    activity: Mapping[Speaker, SpeechActivity]
    prosody: Mapping[Speaker, ProsodyTrack]
    events: tuple[Event, ...]
    party_metrics: Mapping[Speaker, PartyMetrics]
    call_metrics: CallMetrics
    separation: Separation | None = None  # set on a mono call
