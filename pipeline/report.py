"""The per-call report: the stage results turned into the JSON contract of DESIGN.md.

``schema_version`` changes only when a field changes meaning or disappears; new fields may be
added within a version. Times are seconds from the start of the call, rounded to the ms.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import math
from collections.abc import Mapping
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from pipeline.assess import Assessment
from pipeline.coaching import CoachingItem
from pipeline.config import Config
from pipeline.redaction import mask_text
from pipeline.types import (
    Acoustics,
    CallAudio,
    CallMetadata,
    CheckResult,
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


def assessment_to_json(assessment: Assessment, transcript: tuple[Utterance, ...]) -> dict[str, Any]:
    """The transcript-based sections: checks, sentiment, redactions, scores, flags, coaching."""
    rows = transcript_to_json(transcript)
    for row, scored, utterance in zip(rows, assessment.sentiment, transcript):
        row["sentiment"] = round(scored.compound, 3)
        masked = mask_text(utterance.text, _redactions_within(assessment, utterance))
        if masked != utterance.text:
            row["text_masked"] = masked
    return {
        "transcript": rows,
        "checks": {check_id: check_to_json(result) for check_id, result in assessment.checks.items()},
        "sentiment": {"customer": _plain(assessment.trajectory)},
        "redactions": [{"id": f"pii-{index}", "kind": str(r.kind), "speaker": _speaker(r.speaker),
                        "start": _t(r.start_s), "end": _t(r.end_s)}
                       for index, r in enumerate(assessment.redactions, start=1)],
        "scores": {"overall": assessment.scores.overall, "skills": dict(assessment.scores.skills),
                   "details": {skill: _plain(detail)
                               for skill, detail in assessment.scores.details.items()}},
        "flags": [_plain(flag) for flag in assessment.flags],
        "review_priority": assessment.review_priority,
        "coaching": [coaching_to_json(item) for item in assessment.coaching],
        "rubric": {"version": assessment.rubric.version, "digest": assessment.rubric.digest},
    }


def check_to_json(result: CheckResult) -> dict[str, Any]:
    return {"met": result.met, "confidence": result.confidence, "evidence": [
        {"speaker": e.speaker.value, "start": _t(e.start_s), "end": _t(e.end_s), "text": e.text}
        for e in result.evidence]}


def coaching_to_json(item: CoachingItem) -> dict[str, Any]:
    return {"skill": item.skill, "kind": item.kind, "message": item.message,
            "evidence": list(item.evidence),
            "start": _t(item.start_s) if item.start_s is not None else None, "quote": item.quote}


def _redactions_within(assessment: Assessment, utterance: Utterance) -> tuple:
    return tuple(r for r in assessment.redactions
                 if r.start_s < utterance.end_s and utterance.start_s < r.end_s)


def _plain(value: Any) -> Any:
    """A dataclass as JSON-ready values: enums to strings, tuples to lists, floats rounded."""
    if dataclasses.is_dataclass(value):
        return {field.name: _plain(getattr(value, field.name)) for field in dataclasses.fields(value)}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, float):
        return round(value, 3)
    return value


def _speaker(speaker: Speaker | None) -> str | None:
    return speaker.value if speaker else None


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
