"""Public request and response bodies; separate from the store's records on purpose, so a new
column never leaks out and personal data is dropped for trainers in one place."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from coach_api.errors import without_paths
# The report is published as the pipeline builds it: one typed model, no second copy here.
from pipeline.call_report import CallReport, Severity  # noqa: F401
from pipeline.store import CallRecord, CallStatus
from pipeline.store.collections import CollectionItemRecord, CollectionRecord
from pipeline.store.follow_up import AgentStanding, ReplyKind, ReplyRecord
from pipeline.store.reviews import QueueItem, ReviewRecord
from pipeline.store.users import Role, UserRecord

API_PREFIX = "/api/v1"


class Health(BaseModel):
    status: Literal["ok"] = "ok"


class UserOut(BaseModel):
    id: int
    name: str
    role: Role
    agent_id: str | None
    teams: list[str]

    @classmethod
    def of(cls, user: UserRecord) -> UserOut:
        return cls(id=user.id, name=user.name, role=user.role, agent_id=user.agent_id,
                   teams=list(user.teams))


class UserCreate(BaseModel):
    # The schema says what the store requires, so a client (or a fuzzer) reading it never
    # sends a body that passes the schema and is then refused: a name with a visible
    # character, and an agent_id for agents.
    model_config = ConfigDict(json_schema_extra={
        "if": {"properties": {"role": {"const": "agent"}}, "required": ["role"]},
        "then": {"required": ["agent_id"],
                 "properties": {"agent_id": {"type": "string", "pattern": r"\S"}}}})

    name: str = Field(min_length=1, max_length=200, pattern=r"\S")
    role: Role
    teams: list[str] = Field(default_factory=list, max_length=50)
    agent_id: str | None = Field(None, max_length=200, description="required for agents")

    @model_validator(mode="after")
    def _agent_has_an_id(self) -> UserCreate:
        if self.role is Role.AGENT and not (self.agent_id or "").strip():
            raise ValueError("an agent user needs agent_id, the id their calls carry")
        return self


class IssuedToken(BaseModel):
    user: UserOut
    token: str = Field(description="shown once; only its hash is stored")


class Revoked(BaseModel):
    revoked: int


class CallOut(BaseModel):
    id: str
    status: CallStatus
    agent_id: str | None
    agent_name: str | None
    team: str | None
    customer_name: str | None = Field(description="null for trainers")
    started_at: dt.datetime | None
    duration_s: float | None
    agent_channel: int
    error: str | None = Field(description="why analysis failed, for failed calls")
    created_at: dt.datetime
    updated_at: dt.datetime
    report_url: str
    audio_url: str

    @classmethod
    def of(cls, call: CallRecord, *, masked: bool) -> CallOut:
        base = f"{API_PREFIX}/calls/{call.id}"
        return cls(id=call.id, status=call.status, agent_id=call.agent_id,
                   agent_name=call.agent_name, team=call.team,
                   customer_name=None if masked else call.customer_name,
                   started_at=call.started_at, duration_s=call.duration_s,
                   agent_channel=call.agent_channel,
                   error=without_paths(call.error) if call.error else None,
                   created_at=call.created_at, updated_at=call.updated_at,
                   report_url=f"{base}/report", audio_url=f"{base}/audio")


class QueueFlagOut(BaseModel):
    reason: str
    severity: str
    kind: str | None = Field(description="what the flag is about: the queue's flag_kind filter")


class QueueEntry(BaseModel):
    call: CallOut
    worst_severity: Severity | None
    flag_count: int
    score_overall: float | None
    review_count: int
    last_reviewed_at: dt.datetime | None
    flags: list[QueueFlagOut] = Field(description="why the call is in the queue, worst first")
    speech_found: bool | None = Field(description="false: the analysis heard nobody speak; "
                                                  "null: not analysed, or not said")

    @classmethod
    def of(cls, item: QueueItem, *, masked: bool) -> QueueEntry:
        return cls(call=CallOut.of(item.call, masked=masked), worst_severity=item.worst_severity,
                   flag_count=item.flag_count, score_overall=item.score_overall,
                   review_count=item.review_count, last_reviewed_at=item.last_reviewed_at,
                   flags=[QueueFlagOut(reason=f.reason, severity=f.severity, kind=f.kind)
                          for f in item.flags],
                   speech_found=item.speech_found)


class CallPage(BaseModel):
    items: list[QueueEntry]
    total: int
    limit: int
    offset: int


class Accepted(BaseModel):
    call_id: str
    status: CallStatus
    status_url: str
    report_url: str


class Finding(BaseModel):
    kind: Literal["event", "check"]
    call_id: str
    finding_id: str = Field(description="event id (ev-N) or check id; the clip route takes it")
    type: str | None = Field(description="event type, for events")
    check_id: str | None
    met: bool | None
    skill: str | None
    severity: str | None
    speaker: str | None
    start_s: float | None
    end_s: float | None
    quote: str | None
    agent_id: str | None
    team: str | None
    call_started_at: dt.datetime | None
    clip_url: str | None


class FindingPage(BaseModel):
    items: list[Finding]
    total: int
    limit: int
    offset: int


class ReviewIn(BaseModel):
    note: str = Field(min_length=1, max_length=5000)


class ReplyIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={
        "if": {"properties": {"kind": {"const": "reply"}}, "required": ["kind"]},
        "then": {"required": ["note"], "properties": {"note": {"type": "string",
                                                              "pattern": r"\S"}}}})

    kind: ReplyKind = Field(description="`acknowledged`: read and understood; `reply`: an "
                                        "answer in words (`note`)")
    note: str | None = Field(None, max_length=5000, description="required for a reply")

    @model_validator(mode="after")
    def _reply_has_words(self) -> ReplyIn:
        if self.kind is ReplyKind.REPLY and not (self.note or "").strip():
            raise ValueError("a reply needs a note; send kind `acknowledged` to only "
                             "acknowledge the review")
        return self


class ReplyOut(BaseModel):
    id: int
    review_id: int
    author: str
    kind: ReplyKind
    note: str | None
    created_at: dt.datetime

    @classmethod
    def of(cls, reply: ReplyRecord) -> ReplyOut:
        return cls(id=reply.id, review_id=reply.review_id, author=reply.author, kind=reply.kind,
                   note=reply.note, created_at=reply.created_at)


class ReviewOut(BaseModel):
    id: int
    call_id: str
    reviewer: str
    note: str
    created_at: dt.datetime
    replies: list[ReplyOut] = Field(default_factory=list,
                                    description="the agent's acknowledgements and answers")

    @classmethod
    def of(cls, review: ReviewRecord, replies: list[ReplyRecord] = ()) -> ReviewOut:
        return cls(id=review.id, call_id=review.call_id, reviewer=review.reviewer,
                   note=review.note, created_at=review.created_at,
                   replies=[ReplyOut.of(reply) for reply in replies])


class WeekOut(BaseModel):
    week_start: dt.date
    calls: int
    mean_score: float | None
    interruptions_per_call: float
    raised_voices_per_call: float
    checks_met_share: float | None
    skill_scores: dict[str, float] = Field(default_factory=dict,
                                           description="mean score per skill that week")


class AgentStandingOut(BaseModel):
    agent_id: str
    agent_name: str | None
    teams: list[str]
    calls: int
    mean_score: float | None
    flagged_calls: int
    last_call_at: dt.datetime | None
    reviews: int
    unanswered_reviews: int = Field(description="reviews the agent has not acknowledged or "
                                                "answered")

    @classmethod
    def of(cls, standing: AgentStanding) -> AgentStandingOut:
        return cls(**{name: getattr(standing, name) for name in cls.model_fields
                      if name != "teams"}, teams=list(standing.teams))


class AgentSummary(BaseModel):
    agent_id: str
    calls: int
    weeks: list[WeekOut]


class ClipOut(BaseModel):
    finding_id: str = Field(description="event id (ev-N) or check id")
    start_s: float = Field(description="where the clip starts in the call")
    end_s: float
    url: str


class CollectionIn(BaseModel):
    name: str = Field(min_length=1, max_length=200, pattern=r"\S")
    description: str = Field("", max_length=2000)


class CollectionOut(BaseModel):
    id: int
    name: str
    description: str
    creator: str
    created_at: dt.datetime
    item_count: int

    @classmethod
    def of(cls, record: CollectionRecord) -> CollectionOut:
        return cls(id=record.id, name=record.name, description=record.description,
                   creator=record.creator, created_at=record.created_at,
                   item_count=record.item_count)


class CollectionItemIn(BaseModel):
    call_id: str = Field(min_length=1, max_length=200)
    finding_id: str = Field(min_length=1, max_length=100)
    note: str = Field("", max_length=2000)


class CollectionItemOut(BaseModel):
    id: int
    finding_id: str
    label: str = Field(description="what the finding is, in words")
    call_id: str | None = Field(description="null where the call is outside the reader's scope")
    quote: str | None = Field(description="masked as for a trainer")
    duration_s: float | None = Field(description="of the clip")
    note: str
    added_by: str
    added_at: dt.datetime
    clip_url: str | None = Field(description="null when the call's report no longer has it")

    @classmethod
    def of(cls, record: CollectionItemRecord, **values: Any) -> CollectionItemOut:
        return cls(id=record.id, finding_id=record.finding_id, note=record.note,
                   added_by=record.added_by, added_at=record.added_at, **values)


class CollectionDetail(CollectionOut):
    items: list[CollectionItemOut]


class ErrorOut(BaseModel):
    detail: str | list[Any]
