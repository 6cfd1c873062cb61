"""The per-call report: the stage results turned into the JSON contract of DESIGN.md.

``schema_version`` changes only when a field changes meaning or disappears; new fields may be
added within a version. Times are seconds from the start of the call, rounded to the ms.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from pipeline.config import Config
from pipeline.types import (
    Acoustics,
    CallAudio,
    CallMetadata,
    Event,
    Speaker,
    Utterance,
    Word,
)

SCHEMA_VERSION = 1


def build_report(audio: CallAudio, metadata: CallMetadata, acoustics: Acoustics,
                 transcript: tuple[Utterance, ...], *, config: Config,
                 extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """The JSON-ready report of one call. ``extra`` adds the transcript-based sections."""
    has_speech = any(acoustics.activity[speaker].segments for speaker in Speaker)
    body: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "call_id": metadata.call_id,
        "agent_id": metadata.agent_id,
        "agent_name": metadata.agent_name,
        "team": metadata.team,
        "customer_name": metadata.customer_name,
        "started_at": metadata.started_at,
        "duration_s": round(audio.duration_s, 3),
        "channels": {"agent": audio.channel_index(Speaker.AGENT),
                     "customer": audio.channel_index(Speaker.CUSTOMER)},
        "source": {"format": audio.source_format, "sample_rate_hz": audio.source_sample_rate_hz},
        "speech_found": has_speech,
        "notes": [] if has_speech else ["no speech: neither channel contains speech"],
        "transcript": transcript_to_json(transcript),
        "events": [event_to_json(event) for event in acoustics.events],
        "activity": activity_to_json(acoustics),
        "checks": {},
        "metrics": metrics_to_json(acoustics),
        "scores": {"overall": None},
        "flags": [],
        "coaching": [],
        "config": {**config.to_dict(), "digest": config.digest},
        "generated_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "generator": {"name": "callcoach", "version": _package_version()},
    }
    body.update(extra or {})
    return body


def transcript_to_json(transcript: tuple[Utterance, ...]) -> list[dict[str, Any]]:
    return [{
        "speaker": utterance.speaker.value,
        "start": _t(utterance.start_s),
        "end": _t(utterance.end_s),
        "text": utterance.text,
        "words": [{"word": word.word, "start": _t(word.start_s), "end": _t(word.end_s),
                   "probability": round(word.probability, 3)} for word in utterance.words],
    } for utterance in transcript]


def transcript_from_json(rows: list[dict[str, Any]]) -> tuple[Utterance, ...]:
    """The inverse of :func:`transcript_to_json` (used to cache transcripts)."""
    return tuple(Utterance(
        speaker=Speaker(row["speaker"]), start_s=row["start"], end_s=row["end"], text=row["text"],
        words=tuple(Word(word=w["word"], start_s=w["start"], end_s=w["end"],
                         probability=w["probability"]) for w in row["words"]),
    ) for row in rows)


def event_to_json(event: Event) -> dict[str, Any]:
    return {
        "id": event.id,
        "type": event.type.value,
        "speaker": event.speaker.value if event.speaker else None,
        "start": _t(event.start_s),
        "end": _t(event.end_s),
        "details": dict(event.details),
    }


def activity_to_json(acoustics: Acoustics) -> dict[str, Any]:
    """Speech segments per party, what the bleed guard removed, and the prosody baselines."""
    out = {}
    for speaker in Speaker:
        activity, track = acoustics.activity[speaker], acoustics.prosody[speaker]
        out[speaker.value] = {
            "segments": [[_t(s.start_s), _t(s.end_s)] for s in activity.segments],
            "bleed_removed_s": round(sum(s.duration_s for s in activity.bleed_removed), 2),
            "baseline_loudness_dbfs": _finite_or_none(track.baseline_loudness_dbfs, 1),
            "baseline_f0_hz": _finite_or_none(track.baseline_f0_hz, 1),
        }
    return out


def metrics_to_json(acoustics: Acoustics) -> dict[str, Any]:
    parties = {speaker.value: dataclasses.asdict(acoustics.party_metrics[speaker])
               for speaker in Speaker}
    return {**parties, "call": dataclasses.asdict(acoustics.call_metrics)}


def _t(seconds: float) -> float:
    return round(float(seconds), 3)


def _finite_or_none(value: float, digits: int) -> float | None:
    return round(value, digits) if math.isfinite(value) else None


def _package_version() -> str:
    try:
        return version("callcoach")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "0+unknown"
