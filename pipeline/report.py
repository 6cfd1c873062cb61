"""Building the per-call report: the stage results turned, once, into a :class:`CallReport`.

Floats are rounded here (times to the ms), so the typed report is already what the store saves
and the API sends; see :mod:`pipeline.call_report` for the contract and its versions.
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
from pipeline.call_report import (
    SCHEMA_VERSION,
    CallReport,
    CheckEvidence,
    CheckOutcome,
    CoachingNote,
    ConfigEcho,
    RedactedSpan,
    ReportEvent,
    ReportFlag,
    ReportScores,
    RubricEcho,
    TranscriptTurn,
    TranscriptWord,
)
from pipeline.check_meanings import CHECK_MEANINGS
from pipeline.coaching import CoachingItem
from pipeline.config import Config
from pipeline.redaction import mask_text
from pipeline.tracks import compact_track
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


def assemble_report(audio: CallAudio, metadata: CallMetadata, acoustics: Acoustics,
                    transcript: tuple[Utterance, ...], *, config: Config,
                    assessment: Assessment | None = None,
                    separation: Mapping[str, Any] | None = None) -> CallReport:
    """The report of one call; the transcript-based sections come from ``assessment``, how
    the parties were told apart from ``separation`` (``mono_call.report_section``)."""
    has_speech = any(acoustics.activity[speaker].segments for speaker in Speaker)
    separation = dict(separation or {})
    details = separation.get("separation_details")
    notes = (() if has_speech else ("no speech: neither channel contains speech",)) + \
        ((details["note"],) if details else ())
    return CallReport(
        schema_version=SCHEMA_VERSION,
        call_id=metadata.call_id,
        agent_id=metadata.agent_id,
        agent_name=metadata.agent_name,
        team=metadata.team,
        customer_name=metadata.customer_name,
        started_at=metadata.started_at,
        duration_s=round(audio.duration_s, 3),
        channels={"agent": audio.channel_index(Speaker.AGENT),
                  "customer": audio.channel_index(Speaker.CUSTOMER)},
        source={"format": audio.source_format, "sample_rate_hz": audio.source_sample_rate_hz},
        speech_found=has_speech,
        notes=notes,
        transcript=transcript_turns(transcript, assessment),
        events=tuple(report_event(event) for event in acoustics.events),
        activity=activity_section(acoustics),
        tracks={speaker.value: compact_track(acoustics.prosody[speaker],
                                             duration_s=audio.duration_s)
                for speaker in Speaker},
        metrics=metrics_section(acoustics),
        config=ConfigEcho(**config.to_dict(), digest=config.digest),
        generated_at=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        generator={"name": "callcoach", "version": _package_version()},
        **separation,
        **(assessment_sections(assessment) if assessment is not None else {}),
    )


def transcript_turns(transcript: tuple[Utterance, ...],
                     assessment: Assessment | None = None) -> tuple[TranscriptTurn, ...]:
    """The transcript; with an assessment, each turn's sentiment and its masked text."""
    sentiment = assessment.sentiment if assessment is not None else (None,) * len(transcript)
    return tuple(TranscriptTurn(
        speaker=utterance.speaker.value, start=_t(utterance.start_s), end=_t(utterance.end_s),
        text=utterance.text,
        words=tuple(TranscriptWord(word=w.word, start=_t(w.start_s), end=_t(w.end_s),
                             probability=round(w.probability, 3)) for w in utterance.words),
        sentiment=None if scored is None else round(scored.compound, 3),
        text_masked=_masked_text(utterance, assessment),
    ) for utterance, scored in zip(transcript, sentiment, strict=True))


def _masked_text(utterance: Utterance, assessment: Assessment | None) -> str | None:
    if assessment is None:
        return None
    within = tuple(r for r in assessment.redactions
                   if r.start_s < utterance.end_s and utterance.start_s < r.end_s)
    masked = mask_text(utterance.text, within)
    return masked if masked != utterance.text else None


def assessment_sections(assessment: Assessment) -> dict[str, Any]:
    """The transcript-based sections: checks, sentiment, redactions, scores, flags, coaching."""
    return {
        "checks": {check_id: check_outcome(result)
                   for check_id, result in assessment.checks.items()},
        "sentiment": {"customer": _plain(assessment.trajectory)},
        "redactions": tuple(RedactedSpan(id=f"pii-{index}", kind=str(r.kind),
                                         speaker=_speaker(r.speaker), start=_t(r.start_s),
                                         end=_t(r.end_s))
                            for index, r in enumerate(assessment.redactions, start=1)),
        "scores": ReportScores(
            overall=assessment.scores.overall, skills=dict(assessment.scores.skills),
            details={skill: _plain(detail) for skill, detail in assessment.scores.details.items()}),
        "flags": tuple(ReportFlag(**_plain(flag)) for flag in assessment.flags),
        "review_priority": assessment.review_priority,
        "coaching": tuple(coaching_note(item) for item in assessment.coaching),
        "rubric": RubricEcho(version=assessment.rubric.version, digest=assessment.rubric.digest),
    }


def check_outcome(result: CheckResult) -> CheckOutcome:
    meaning = CHECK_MEANINGS.get(result.check_id)
    return CheckOutcome(
        met=result.met, confidence=result.confidence,
        evidence=tuple(CheckEvidence(speaker=e.speaker.value, start=_t(e.start_s),
                                     end=_t(e.end_s), text=e.text) for e in result.evidence),
        skill=meaning.skill if meaning else None, polarity=meaning.polarity if meaning else None)


def coaching_note(item: CoachingItem) -> CoachingNote:
    return CoachingNote(skill=item.skill, kind=item.kind, message=item.message,
                        evidence=item.evidence,
                        start=_t(item.start_s) if item.start_s is not None else None,
                        quote=item.quote)


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


def transcript_from_turns(turns: tuple[TranscriptTurn, ...]) -> tuple[Utterance, ...]:
    """The stage values back from report turns (the flows cache transcripts as turns)."""
    return tuple(Utterance(
        speaker=Speaker(turn.speaker), start_s=turn.start, end_s=turn.end, text=turn.text,
        words=tuple(Word(word=w.word, start_s=w.start, end_s=w.end, probability=w.probability)
                    for w in turn.words),
    ) for turn in turns)


def report_event(event: Event) -> ReportEvent:
    return ReportEvent(id=event.id, type=event.type.value, speaker=_speaker(event.speaker),
                       start=_t(event.start_s), end=_t(event.end_s), details=dict(event.details))


def activity_section(acoustics: Acoustics) -> dict[str, Any]:
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


def metrics_section(acoustics: Acoustics) -> dict[str, dict[str, Any]]:
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
