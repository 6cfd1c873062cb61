"""Finding findings across calls: events, check results, flags, coaching items, redactions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, Table, select

from pipeline.store.database import Database, as_utc
from pipeline.store.records import CheckRow, CoachingRow, EventRow, FlagRow, RedactionRow
from pipeline.store.schema import check_results, coaching_items, events, flags, redactions


def _filtered(table: Table, *, equal: dict[str, Any], since: datetime | None,
              until: datetime | None, limit: int | None) -> Select:
    """Rows of ``table`` whose columns equal the non-None ``equal`` values, in a time window."""
    query = select(table)
    for name, value in equal.items():
        if value is not None:
            query = query.where(table.c[name] == value)
    if since is not None:
        query = query.where(table.c.call_started_at >= since)
    if until is not None:
        query = query.where(table.c.call_started_at < until)
    return query.order_by(table.c.call_id, table.c.id).limit(limit)


def _values(row: Any, *, drop: tuple[str, ...] = ("id", "report_id")) -> dict[str, Any]:
    values = {key: value for key, value in row._mapping.items() if key not in drop}
    if "call_started_at" in values:
        values["call_started_at"] = as_utc(values["call_started_at"])
    return values


class SearchOps(Database):
    """Searches over the current report of every call; mixed into :class:`pipeline.store.Store`."""

    def search_events(self, *, type: str | None = None, speaker: str | None = None,
                      severity: str | None = None, call_id: str | None = None,
                      agent_id: str | None = None, team: str | None = None,
                      since: datetime | None = None, until: datetime | None = None,
                      limit: int | None = None) -> list[EventRow]:
        """Events matching every given filter; ``since``/``until`` bound the call start time."""
        query = _filtered(events, equal={"type": type, "speaker": speaker, "severity": severity,
                                         "call_id": call_id, "agent_id": agent_id, "team": team},
                          since=since, until=until, limit=limit)
        with self.read() as connection:
            return [EventRow(**_values(row)) for row in connection.execute(query)]

    def search_checks(self, *, check_id: str | None = None, met: bool | None = None,
                      skill: str | None = None, speaker: str | None = None,
                      call_id: str | None = None, agent_id: str | None = None,
                      team: str | None = None, since: datetime | None = None,
                      until: datetime | None = None, limit: int | None = None) -> list[CheckRow]:
        query = _filtered(check_results, equal={
            "check_id": check_id, "met": met, "skill": skill, "speaker": speaker,
            "call_id": call_id, "agent_id": agent_id, "team": team},
            since=since, until=until, limit=limit)
        with self.read() as connection:
            rows = [_values(row) for row in connection.execute(query)]
        return [CheckRow(**{**row, "evidence": tuple(row["evidence"])}) for row in rows]

    def search_flags(self, *, severity: str | None = None, call_id: str | None = None,
                     agent_id: str | None = None, team: str | None = None,
                     since: datetime | None = None, until: datetime | None = None,
                     limit: int | None = None) -> list[FlagRow]:
        query = _filtered(flags, equal={"severity": severity, "call_id": call_id,
                                        "agent_id": agent_id, "team": team},
                          since=since, until=until, limit=limit)
        with self.read() as connection:
            rows = [_values(row) for row in connection.execute(query)]
        return [FlagRow(**{**row, "event_keys": tuple(row["event_keys"])}) for row in rows]

    def search_coaching(self, *, skill: str | None = None, call_id: str | None = None,
                        agent_id: str | None = None, team: str | None = None,
                        since: datetime | None = None, until: datetime | None = None,
                        limit: int | None = None) -> list[CoachingRow]:
        query = _filtered(coaching_items, equal={"skill": skill, "call_id": call_id,
                                                 "agent_id": agent_id, "team": team},
                          since=since, until=until, limit=limit)
        with self.read() as connection:
            rows = [_values(row) for row in connection.execute(query)]
        return [CoachingRow(**{**row, "event_keys": tuple(row["event_keys"])}) for row in rows]

    def list_redactions(self, call_id: str) -> list[RedactionRow]:
        """Spans to bleep when cutting clips of a call, in time order."""
        query = (select(redactions).where(redactions.c.call_id == call_id)
                 .order_by(redactions.c.start_s))
        with self.read() as connection:
            return [RedactionRow(**_values(row)) for row in connection.execute(query)]
