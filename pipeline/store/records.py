"""What the store hands back: frozen records, never live ORM rows or connections."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Mapping

from pipeline.call_report import CallReport, read_report
from pipeline.errors import ErrorKind
from pipeline.types import CallMetadata


class CallStatus(enum.StrEnum):
    QUEUED = "queued"
    PROCESSING = "processing"
    DONE = "done"
    FAILED = "failed"


@dataclass(frozen=True, slots=True, kw_only=True)
class CallRecord:
    """One stored call. ``audio_path`` is the content-addressed copy inside the data folder."""

    id: str
    source_path: str
    audio_path: Path
    sha256: str
    agent_id: str | None
    agent_name: str | None
    team: str | None
    customer_name: str | None
    started_at: datetime | None
    agent_channel: int
    duration_s: float | None
    status: CallStatus
    error: str | None
    error_kind: ErrorKind | None  # why it failed, for failed calls
    claimed_by: str | None
    created_at: datetime
    updated_at: datetime

    @property
    def metadata(self) -> CallMetadata:
        """The metadata the analysis stages expect, with this call's stored id."""
        return CallMetadata(
            call_id=self.id, agent_id=self.agent_id, agent_name=self.agent_name, team=self.team,
            customer_name=self.customer_name,
            started_at=self.started_at.isoformat() if self.started_at else None)


@dataclass(frozen=True, slots=True, kw_only=True)
class Registration:
    """The outcome of offering a file to the store: the call, and whether it is new."""

    call: CallRecord
    created: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class ReportRecord:
    id: int
    call_id: str
    version: int
    is_current: bool
    schema_version: int
    rubric_version: str | None
    config_digest: str
    created_at: datetime
    document: Mapping[str, Any] = field(repr=False)  # the JSON as stored

    @property
    def report(self) -> CallReport:
        """The stored report, typed and upgraded to this version's schema."""
        return read_report(self.document)


@dataclass(frozen=True, slots=True, kw_only=True)
class EventRow:
    call_id: str
    event_key: str
    type: str
    speaker: str | None
    severity: str | None
    start_s: float
    end_s: float
    details: Mapping[str, Any]
    agent_id: str | None
    team: str | None
    call_started_at: datetime | None


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckRow:
    call_id: str
    check_id: str
    met: bool | None
    skill: str | None
    speaker: str | None
    start_s: float | None
    evidence: tuple[Mapping[str, Any], ...]
    agent_id: str | None
    team: str | None
    call_started_at: datetime | None


@dataclass(frozen=True, slots=True, kw_only=True)
class FlagRow:
    call_id: str
    reason: str
    severity: str
    event_keys: tuple[str, ...]
    agent_id: str | None
    team: str | None
    call_started_at: datetime | None
    kind: str | None = None  # pipeline.call_report.FlagKind


@dataclass(frozen=True, slots=True, kw_only=True)
class CoachingRow:
    call_id: str
    skill: str
    message: str
    event_keys: tuple[str, ...]
    agent_id: str | None
    team: str | None
    call_started_at: datetime | None


@dataclass(frozen=True, slots=True, kw_only=True)
class RedactionRow:
    call_id: str
    kind: str | None
    speaker: str | None
    start_s: float
    end_s: float
    details: Mapping[str, Any]
