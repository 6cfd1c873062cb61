"""The per-call report as typed models: the seam between judging a call and keeping it.

The pipeline builds one :class:`CallReport`, the store saves its JSON, the API publishes it as
the report route's response model and ``schemas/report.schema.json`` is its JSON Schema. Every
reader downstream goes through :func:`read_report`, which upgrades what older versions stored.

``schema_version`` changes only when a field changes meaning or disappears; fields may be added
within a version, and a reader keeps fields it does not know (``extra="allow"``), so a report
written by a newer callcoach still loads. Times are seconds from the start of the call.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from pipeline.errors import InvalidReportError

SCHEMA_VERSION = 2
SpeakerName = Literal["agent", "customer"]


class Severity(enum.StrEnum):
    """How urgently a flag asks for a supervisor; the one definition of the three levels."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"

    @property
    def weight(self) -> float:
        """What the flag adds to the call's review priority."""
        return {"low": 1.0, "medium": 4.0, "high": 10.0}[self.value]

    @property
    def rank(self) -> int:
        """1 (low) to 3 (high); the review queue sorts by it, 0 standing for no flag."""
        return {"low": 1, "medium": 2, "high": 3}[self.value]


class FlagKind(enum.StrEnum):
    """What a flag is about: a stable id the queue filters on (its reason is worded for people)."""

    AGENT_RAISED_VOICE = "agent_raised_voice"
    AGENT_INTERRUPTIONS = "agent_interruptions"
    AGENT_HARSH_LANGUAGE = "agent_harsh_language"
    CUSTOMER_ABUSE = "customer_abuse"
    ESCALATION_REQUEST = "escalation_request"
    CUSTOMER_UPSET = "customer_upset"
    CUSTOMER_THREAT = "customer_threat"

    @property
    def label(self) -> str:
        return _FLAG_LABELS[self]


_FLAG_LABELS = {
    FlagKind.AGENT_RAISED_VOICE: "Agent raised their voice",
    FlagKind.AGENT_INTERRUPTIONS: "Agent interrupted the customer",
    FlagKind.AGENT_HARSH_LANGUAGE: "Agent used dismissive or blaming language",
    FlagKind.CUSTOMER_ABUSE: "Customer was abusive",
    FlagKind.ESCALATION_REQUEST: "Customer asked for a manager",
    FlagKind.CUSTOMER_UPSET: "Customer stayed or got more upset",
    FlagKind.CUSTOMER_THREAT: "Customer threatened to leave or complain",
}
# Reports written before flags carried their kind: the reason's opening words tell it.
_REASON_KINDS = (("agent raised", FlagKind.AGENT_RAISED_VOICE),
                 ("agent interrupted", FlagKind.AGENT_INTERRUPTIONS),
                 ("agent used dismissive", FlagKind.AGENT_HARSH_LANGUAGE),
                 ("customer was abusive", FlagKind.CUSTOMER_ABUSE),
                 ("customer asked for a manager", FlagKind.ESCALATION_REQUEST),
                 ("customer ended the call more upset", FlagKind.CUSTOMER_UPSET),
                 ("upset customer", FlagKind.CUSTOMER_UPSET),
                 ("customer threatened", FlagKind.CUSTOMER_THREAT))


def flag_kind_of_reason(reason: str) -> FlagKind | None:
    """The kind of a flag from its reason, for flags stored without one."""
    lowered = reason.strip().lower()
    return next((kind for prefix, kind in _REASON_KINDS if lowered.startswith(prefix)), None)


class Polarity(enum.StrEnum):
    """What a check's ``met`` means for the agent."""

    GOAL = "goal"  # the agent should do it (empathy_statement)
    AVOID = "avoid"  # the agent should not (blame_language): met means it happened
    CUSTOMER = "customer"  # the customer's doing (customer_abuse): context, never the agent's fault


class _Part(BaseModel):
    model_config = ConfigDict(frozen=True, extra="allow")


class TranscriptWord(_Part):
    word: str
    start: float
    end: float
    probability: float


class TranscriptTurn(_Part):
    speaker: SpeakerName
    start: float
    end: float
    text: str
    words: tuple[TranscriptWord, ...] = ()
    sentiment: float | None = Field(None, description="VADER compound, -1..1")
    text_masked: str | None = Field(None, description="text with personal data masked, when any")


class ReportEvent(_Part):
    id: str
    type: str = Field(description="interruption, backchannel, raised_voice or long_silence")
    speaker: SpeakerName | None
    start: float
    end: float
    details: dict[str, Any] = {}


class CheckEvidence(_Part):
    speaker: SpeakerName | None = None
    start: float | None = None
    end: float | None = None
    text: str = ""


class CheckOutcome(_Part):
    met: bool | None = Field(description="null where the check cannot apply to this call")
    confidence: float | None = Field(None, description="0-1 that `met` is right; null where "
                                                       "the check cannot apply")
    evidence: tuple[CheckEvidence, ...] = ()
    skill: str | None = Field(None, description="the skill the check informs; null for "
                                                "customer checks")
    polarity: Polarity | None = None


class ReportFlag(_Part):
    reason: str
    # A severity this version does not know (from a newer writer) is kept as its text.
    severity: Severity | str = Field(union_mode="left_to_right")
    event_ids: tuple[str, ...] = ()
    check_ids: tuple[str, ...] = ()
    kind: FlagKind | str | None = Field(None, union_mode="left_to_right",
                                        description="what the flag is about (FlagKind)")

    def kind_or_inferred(self) -> str | None:
        """The flag's kind, or, for a flag stored before flags had one, read from its reason."""
        return str(self.kind) if self.kind else flag_kind_of_reason(self.reason)


class CoachingNote(_Part):
    skill: str
    kind: Literal["strength", "improve"] | None = None
    message: str
    evidence: tuple[str, ...] = Field((), description="event ids, or check:<check id>")
    start: float | None = None
    quote: str | None = None


class RedactedSpan(_Part):
    id: str | None = None
    kind: str | None = None
    speaker: SpeakerName | None = None
    start: float
    end: float


class PartyTalk(_Part):
    """One party's talk metrics (null where an older report lacks them)."""

    talk_time_s: float | None = None
    talk_share: float | None = Field(None, description="of both parties' talk time, 0..1")
    overlap_time_s: float | None = None
    longest_monologue_s: float | None = None
    median_response_latency_s: float | None = None
    words_per_minute: float | None = None


class CallTalk(_Part):
    duration_s: float | None = None
    non_talk_time_s: float | None = Field(None, description="silences of 3 s or more")
    non_talk_share: float | None = None


class TalkMetrics(_Part):
    agent: PartyTalk = PartyTalk()
    customer: PartyTalk = PartyTalk()
    call: CallTalk = CallTalk()


class PartyActivity(_Part):
    segments: tuple[tuple[float, float], ...] = Field((), description="[start, end] seconds")
    bleed_removed_s: float | None = None
    baseline_loudness_dbfs: float | None = None
    baseline_f0_hz: float | None = None


class PartyTrack(_Part):
    """One party's loudness and pitch, binned compactly for drawing the call's timeline."""

    step_s: float = Field(description="seconds per bin; bin i covers [i*step_s, (i+1)*step_s)")
    loudness_dbfs: tuple[float | None, ...] = Field(
        (), description="mean loudness of the party's own speech in each bin; null: silent")
    f0_hz: tuple[float | None, ...] = Field(
        (), description="median pitch of the party's voiced speech in each bin; null: none")


class CustomerMood(_Part):
    start_compound: float | None = None
    end_compound: float | None = None
    delta: float | None = None
    start_word_count: int | None = None
    end_word_count: int | None = None
    started_negative: bool | None = None
    verdict: str | None = Field(None, description="turned_around, stayed_negative, worsened, "
                                                  "stayed_positive, stayed_neutral or "
                                                  "not_enough_speech")


class Sentiment(_Part):
    customer: CustomerMood | None = None


class ReportScores(_Part):
    overall: int | float | None = None
    skills: dict[str, int | None] = {}
    details: dict[str, Any] = {}


class ConfigEcho(_Part):
    """The thresholds the report was made with, and their digest."""

    digest: str


class RubricEcho(_Part):
    version: str | None = None
    digest: str | None = None


class CallReport(_Part):
    """One call's report (DESIGN.md's contract); trainers get it with personal data masked."""

    schema_version: int
    call_id: str | None = None
    agent_id: str | None = None
    agent_name: str | None = None
    team: str | None = None
    customer_name: str | None = None
    started_at: str | None = None
    duration_s: float | None = None
    channels: dict[SpeakerName, int] = {}
    source: dict[str, Any] = {}
    speech_found: bool | None = None
    separation: str | None = Field(None, description="how the parties were told apart: "
                                                     "stereo-channels, or the mono method")
    separation_details: dict[str, Any] | None = Field(
        None, description="mono calls: confidence, how the agent was named, overlap, a note")
    notes: tuple[str, ...] = ()
    transcript: tuple[TranscriptTurn, ...] = ()
    events: tuple[ReportEvent, ...] = ()
    activity: dict[SpeakerName, PartyActivity] = {}
    tracks: dict[SpeakerName, PartyTrack] = Field(
        {}, description="loudness and pitch per party for the timeline; empty in reports "
                        "made before tracks were kept")
    checks: dict[str, CheckOutcome] = {}
    sentiment: Sentiment = Sentiment()
    redactions: tuple[RedactedSpan, ...] = ()
    metrics: TalkMetrics = TalkMetrics()
    scores: ReportScores = ReportScores()
    flags: tuple[ReportFlag, ...] = ()
    review_priority: float | None = None
    coaching: tuple[CoachingNote, ...] = ()
    rubric: RubricEcho | None = None
    rubric_version: str | None = Field(None, exclude=True)  # hand-made reports' rubric.version
    config: ConfigEcho
    generated_at: str | None = None
    generator: dict[str, Any] = {}

    def to_json(self) -> dict[str, Any]:
        """The report as JSON-ready values: what the store saves and the API sends."""
        return self.model_dump(mode="json")

    def stored_rubric_version(self) -> str | None:
        return self.rubric_version or (self.rubric.version if self.rubric else None)


def _fill_check_meanings(document: dict[str, Any]) -> dict[str, Any]:
    """Version 1 wrote checks without their skill and polarity: take them from the rubric."""
    from pipeline.check_meanings import CHECK_MEANINGS  # imports this module's Polarity

    checks = {}
    for check_id, outcome in (document.get("checks") or {}).items():
        meaning = CHECK_MEANINGS.get(check_id)
        if isinstance(outcome, Mapping) and meaning is not None:
            outcome = {"skill": meaning.skill, "polarity": meaning.polarity.value, **outcome}
        checks[check_id] = outcome
    return {**document, "checks": checks, "schema_version": 2}


UPGRADES: Mapping[int, Callable[[dict[str, Any]], dict[str, Any]]] = {1: _fill_check_meanings}
"""How a stored document of each older version becomes the next version."""


def upgrade_document(document: Mapping[str, Any]) -> dict[str, Any]:
    """``document`` brought up to :data:`SCHEMA_VERSION`, one version step at a time."""
    try:
        version = int(document["schema_version"])
    except (KeyError, TypeError, ValueError) as exc:
        raise InvalidReportError(f"report has no schema_version ({exc!r}); only reports from "
                                 "pipeline.analyze can be stored") from exc
    upgraded = dict(document)
    while version < SCHEMA_VERSION:
        if version not in UPGRADES:
            raise InvalidReportError(f"report schema_version {version} is older than any this "
                                     "callcoach can read")
        upgraded = UPGRADES[version](upgraded)
        version = upgraded["schema_version"]
    return upgraded


def read_report(document: Mapping[str, Any] | CallReport) -> CallReport:
    """A stored (or hand-made) report as a :class:`CallReport`, upgraded to this version."""
    if isinstance(document, CallReport):
        return document
    try:
        return CallReport.model_validate(upgrade_document(document))
    except ValidationError as exc:
        raise InvalidReportError(f"report does not match schema_version {SCHEMA_VERSION}: "
                                 f"{exc.errors(include_url=False)[:3]}; only reports from "
                                 "pipeline.analyze can be stored") from exc


def json_schema() -> dict[str, Any]:
    """The JSON Schema of a report, as ``schemas/report.schema.json`` holds it."""
    return {"$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": f"callcoach-report-v{SCHEMA_VERSION}",
            **CallReport.model_json_schema(mode="serialization")}


if __name__ == "__main__":  # python -m pipeline.call_report > schemas/report.schema.json
    import json
    import sys

    json.dump(json_schema(), sys.stdout, indent=2, sort_keys=True)
    sys.stdout.write("\n")
