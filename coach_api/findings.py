"""Findings across calls: events and check results, each with a quote and a clip URL."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from coach_api.access import Scope
from coach_api.clip_budget import trainer_clippable
from coach_api.masking import PersonalData
from coach_api.schemas import API_PREFIX, Finding
from pipeline.call_report import CallReport, read_report, upgrade_document
from pipeline.errors import NotFoundError

QUOTE_CHARS = 240
_OLDEST = dt.datetime.min.replace(tzinfo=dt.UTC)


@dataclass(frozen=True, slots=True, kw_only=True)
class FindingQuery:
    kind: str | None = None  # "event", "check" or None for both
    type: str | None = None
    check_id: str | None = None
    met: bool | None = None
    skill: str | None = None
    severity: str | None = None
    speaker: str | None = None
    agent_id: str | None = None
    team: str | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None


def _teams_to_search(query: FindingQuery, scope: Scope) -> list[str | None]:
    if scope.teams is None:
        return [query.team]
    return [team for team in scope.teams if query.team in (None, team)]


def _agent_to_search(query: FindingQuery, scope: Scope) -> list[str | None]:
    if scope.agent_ids is None:
        return [query.agent_id]
    return [agent for agent in scope.agent_ids if query.agent_id in (None, agent)]


def search(store, query: FindingQuery, scope: Scope) -> list[Finding]:
    """Every finding matching ``query`` inside ``scope``, newest call first (no quotes yet)."""
    found: list[Finding] = []
    wants_events = query.kind in (None, "event") and query.check_id is None and \
        query.met is None and query.skill is None
    wants_checks = query.kind in (None, "check") and query.type is None and query.severity is None
    for team in _teams_to_search(query, scope):
        for agent_id in _agent_to_search(query, scope):
            common = {"speaker": query.speaker, "agent_id": agent_id, "team": team,
                      "since": query.since, "until": query.until}
            if wants_events:
                found += [_event_finding(row) for row in store.search_events(
                    type=query.type, severity=query.severity, **common)]
            if wants_checks:
                found += [_check_finding(row) for row in store.search_checks(
                    check_id=query.check_id, met=query.met, skill=query.skill, **common)]
    found.sort(key=lambda f: (f.call_started_at or _OLDEST, f.call_id, -(f.start_s or 0.0)),
               reverse=True)
    return found


def clip_url(call_id: str, finding_id: str) -> str:
    return f"{API_PREFIX}/calls/{call_id}/events/{finding_id}/clip"


def _event_finding(row) -> Finding:
    return Finding(kind="event", call_id=row.call_id, finding_id=row.event_key, type=row.type,
                   check_id=None, met=None, skill=None, severity=row.severity,
                   speaker=row.speaker, start_s=row.start_s, end_s=row.end_s, quote=None,
                   agent_id=row.agent_id, team=row.team, call_started_at=row.call_started_at,
                   clip_url=clip_url(row.call_id, row.event_key))


def _check_finding(row) -> Finding:
    first = row.evidence[0] if row.evidence else {}
    end_s = first.get("end", row.start_s)
    return Finding(kind="check", call_id=row.call_id, finding_id=row.check_id, type=None,
                   check_id=row.check_id, met=row.met, skill=row.skill, severity=None,
                   speaker=row.speaker, start_s=row.start_s,
                   end_s=float(end_s) if end_s is not None else None,
                   quote=(str(first.get("text"))[:QUOTE_CHARS] if first.get("text") else None),
                   agent_id=row.agent_id, team=row.team, call_started_at=row.call_started_at,
                   clip_url=clip_url(row.call_id, row.check_id) if row.start_s is not None
                   else None)


def quote_at(report: CallReport | None, *, start_s: float, end_s: float,
             speaker: str | None) -> str | None:
    """What ``speaker`` (anyone when None) said overlapping ``[start_s, end_s]``."""
    turns = report.transcript if report is not None else ()
    parts = [turn.text.strip() for turn in turns
             if turn.start < end_s and turn.end > start_s and speaker in (None, turn.speaker)]
    text = " ".join(part for part in parts if part)
    return text[:QUOTE_CHARS] or None


def with_quotes(store, findings: list[Finding], *, masked: bool) -> list[Finding]:
    """Fill in event quotes from the calls' transcripts; mask every quote when ``masked``,
    and then leave out the clip URL of a finding past the call's trainer clip budget (a
    trainer's player would meet a 403 there)."""
    reports: dict[str, tuple[CallReport, dict[str, Any]] | None] = {}
    out = []
    for finding in findings:
        quote = finding.quote
        if (finding.kind == "event" or masked) and finding.call_id not in reports:
            reports[finding.call_id] = _stored_report(store, finding.call_id)
        held = reports.get(finding.call_id)
        if finding.kind == "event":
            quote = quote_at(held[0] if held else None, start_s=finding.start_s or 0.0,
                             end_s=finding.end_s or 0.0, speaker=finding.speaker)
        clip = finding.clip_url
        if masked:
            report, document = held if held else (None, {})
            if quote:
                quote = PersonalData.of(document, customer_name=report.customer_name if report
                                        else None).mask_string(quote)
            if finding.finding_id not in _clippable(document, finding.call_id, reports):
                clip = None
        out.append(finding.model_copy(update={"quote": quote, "clip_url": clip}))
    return out


def _clippable(document: dict[str, Any], call_id: str, cache: dict) -> frozenset[str]:
    key = ("clippable", call_id)
    if key not in cache:
        duration_s = float(document.get("duration_s") or 0.0)
        cache[key] = trainer_clippable(document, duration_s=duration_s) if document else frozenset()
    return cache[key]


def _stored_report(store, call_id: str) -> tuple[CallReport, dict[str, Any]] | None:
    """The call's current report, typed, and as JSON for the masking (which walks it)."""
    try:
        document = upgrade_document(store.latest_report(call_id).document)
    except NotFoundError:
        return None
    return read_report(document), document
