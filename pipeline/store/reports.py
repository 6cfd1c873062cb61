"""Saving a report, with its findings as searchable rows, in one transaction."""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Mapping
from dataclasses import fields
from typing import Any

from sqlalchemy import Connection, Row, Text, and_, cast, delete, func, select, update

from pipeline.call_report import (SCHEMA_VERSION, CallReport, Severity, read_report,
                                  upgrade_document)
from pipeline.errors import InvalidReportError, NotFoundError
from pipeline.store.calls import call_from_row, call_not_found
from pipeline.store.database import Database, as_utc, utc_now
from pipeline.store.records import CallRecord, CallStatus, ReportRecord
from pipeline.store.schema import (CALL_CONTEXT_TABLES, CURRENT_REPORT, FINDING_TABLES, calls,
                                   reports)

logger = logging.getLogger(__name__)


def json_safe(value: Any) -> Any:
    """``value`` with NaN and infinities replaced by None, which every JSON column accepts."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {str(key): json_safe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(item) for item in value]
    return value


def stored_document(report: CallReport | Mapping[str, Any]) -> tuple[dict[str, Any], CallReport]:
    """The JSON the store saves for ``report`` and the typed report its rows come from.

    A :class:`CallReport` is serialised here, once; a mapping (an imported or hand-made
    report) is saved as given, upgraded to this schema version, once it reads as a report.
    """
    if isinstance(report, CallReport):
        document = json_safe(report.to_json())
    else:
        document = json_safe(upgrade_document(report))
    typed = read_report(document)
    try:
        json.dumps(document, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise InvalidReportError(f"report is not plain JSON ({exc})") from exc
    return document, typed


def _float(value: Any, default: float | None = 0.0) -> float | None:
    try:
        result = float(value)
    except (TypeError, ValueError):
        return default
    return result if math.isfinite(result) else default


def finding_rows(report: CallReport) -> dict[str, list[dict[str, Any]]]:
    """The rows each finding table gets from one report, keyed by table name (no ids yet)."""
    flag_severity = {key: str(flag.severity) for flag in report.flags for key in flag.event_ids}
    rows: dict[str, list[dict[str, Any]]] = {table.name: [] for table in FINDING_TABLES}
    for event in report.events:
        rows["events"].append({
            "event_key": event.id, "type": event.type, "speaker": event.speaker,
            "start_s": _float(event.start), "end_s": _float(event.end), "details": event.details,
            "severity": event.details.get("severity") or flag_severity.get(event.id)})
    for check_id, outcome in report.checks.items():
        evidence = [item.model_dump(mode="json", exclude_unset=True) for item in outcome.evidence]
        first = outcome.evidence[0] if outcome.evidence else None
        rows["check_results"].append({
            "check_id": check_id, "met": outcome.met, "skill": outcome.skill,
            "speaker": first.speaker if first else None,
            "start_s": _float(first.start, None) if first else None, "evidence": evidence})
    for flag in report.flags:
        rows["flags"].append({"reason": flag.reason, "severity": str(flag.severity),
                              "event_keys": list(flag.event_ids),
                              "kind": flag.kind_or_inferred()})
    for item in report.coaching:
        rows["coaching_items"].append({"skill": item.skill, "message": item.message,
                                       "event_keys": list(item.evidence)})
    for item in report.redactions:
        rows["redactions"].append({
            "kind": item.kind, "speaker": item.speaker, "start_s": _float(item.start),
            "end_s": _float(item.end), "details": item.model_dump(mode="json", exclude_unset=True)})
    return rows


def queue_keys(report: CallReport | Mapping[str, Any]) -> dict[str, Any]:
    """The review queue's sort keys of a report: the values of the ``reports`` columns
    ``flag_rank``, ``flag_count``, ``score_overall`` and ``unscored``."""
    report = read_report(report)
    ranks = [flag.severity.rank if isinstance(flag.severity, Severity) else 0
             for flag in report.flags]  # a severity this version does not know ranks 0
    score = _float(report.scores.overall, None)
    return {"flag_rank": max(ranks, default=0), "flag_count": len(report.flags),
            "score_overall": score, "unscored": score is None}


REPORT_RECORD_COLUMNS = tuple(reports.c[field.name] for field in fields(ReportRecord))
"""The columns a :class:`ReportRecord` is made of (the queue keys are the queue's business)."""


def report_from_row(row: Row) -> ReportRecord:
    values = dict(row._mapping)
    return ReportRecord(**{**values, "created_at": as_utc(values["created_at"])})


class ReportOps(Database):
    """Report versions; mixed into :class:`pipeline.store.Store`."""

    def save_report(self, call_id: str, report: CallReport | Mapping[str, Any]) -> ReportRecord:
        """Store ``report`` as the call's next version and mark the call done.

        The report, its finding rows, its review-queue keys and the call's new status commit
        together or not at all. Earlier versions stay (as JSON); only the new one gets search
        rows, and the queue reads only its keys.
        """
        document, typed = stored_document(report)
        with self.transaction() as connection:
            call = connection.execute(
                select(calls).where(calls.c.id == call_id).with_for_update()).first()
            if call is None:
                raise NotFoundError(f"no call with id {call_id!r} to attach a report to")
            version = 1 + (connection.execute(select(func.max(reports.c.version)).where(
                reports.c.call_id == call_id)).scalar() or 0)
            connection.execute(update(reports).where(reports.c.call_id == call_id).values(
                is_current=False))
            for table in FINDING_TABLES:
                connection.execute(delete(table).where(table.c.call_id == call_id))
            report_id = connection.execute(reports.insert().values(
                call_id=call_id, version=version, is_current=True,
                schema_version=int(document["schema_version"]),
                rubric_version=typed.stored_rubric_version(), config_digest=typed.config.digest,
                created_at=utc_now(), document=document, call_started_at=call.started_at,
                speech_found=typed.speech_found, **queue_keys(typed))
                .returning(reports.c.id)).scalar_one()
            _insert_findings(connection, call, report_id, finding_rows(typed))
            connection.execute(update(calls).where(calls.c.id == call_id).values(
                status=CallStatus.DONE.value, error=None, error_kind=None, claimed_by=None,
                duration_s=_float(typed.duration_s, call.duration_s),
                updated_at=utc_now()))
        logger.info("stored report v%d for call %s", version, call_id)
        return self.latest_report(call_id)

    def latest_report(self, call_id: str) -> ReportRecord:
        query = select(*REPORT_RECORD_COLUMNS).where(reports.c.call_id == call_id,
                                                     CURRENT_REPORT)
        with self.read() as connection:
            row = connection.execute(query).first()
        if row is None:
            raise report_not_found(call_id)
        return report_from_row(row)

    def call_with_report_json(self, call_id: str) -> tuple[CallRecord, str | None]:
        """The call and its current report as the JSON text the database holds (None while it
        has none), in one query: the report route hands the text on without parsing it and
        writing it out again."""
        report_json = cast(reports.c.document, Text).label("report_json")
        query = (select(calls, report_json, reports.c.schema_version.label("report_version"))
                 .outerjoin(reports, and_(reports.c.call_id == calls.c.id, CURRENT_REPORT))
                 .where(calls.c.id == call_id))
        with self.read() as connection:
            row = connection.execute(query).first()
        if row is None:
            raise call_not_found(call_id)
        report_text = row.report_json
        if report_text is not None and row.report_version < SCHEMA_VERSION:  # upgrade on read
            report_text = json.dumps(upgrade_document(json.loads(report_text)))
        return call_from_row(row, audio_dir=self.audio_dir), report_text

    def report_versions(self, call_id: str) -> list[ReportRecord]:
        """Every stored version of a call's report, oldest first."""
        query = (select(*REPORT_RECORD_COLUMNS).where(reports.c.call_id == call_id)
                 .order_by(reports.c.version))
        with self.read() as connection:
            return [report_from_row(row) for row in connection.execute(query)]


def report_not_found(call_id: str) -> NotFoundError:
    return NotFoundError(f"call {call_id!r} has no report yet (is it processed? "
                         "`callcoach calls show` tells its status)")


def _insert_findings(connection: Connection, call: Row, report_id: int,
                     rows: dict[str, list[dict[str, Any]]]) -> None:
    context = {"agent_id": call.agent_id, "team": call.team, "call_started_at": call.started_at}
    for table in FINDING_TABLES:
        table_rows = rows[table.name]
        if not table_rows:
            continue
        extra = {"call_id": call.id, "report_id": report_id}
        if table in CALL_CONTEXT_TABLES:
            extra |= context
        connection.execute(table.insert(), [{**row, **extra} for row in table_rows])
