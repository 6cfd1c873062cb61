"""Supervisor reviews of calls, and the review queue: calls ranked worst first.

The queue ranks a call by its worst flag (high > medium > low), then by how many flags it has,
then by its overall score (lowest first), newest call first among equals. Scope arguments
(``scope_agent_ids``, ``scope_teams``) restrict what a caller may see; ``None`` means no
restriction and an empty tuple means nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Mapping

from sqlalchemy import (Column, ForeignKey, Index, Integer, Select, String, Table, Text, case,
                        exists, func, select)

from pipeline.errors import NotFoundError
from pipeline.store.calls import call_from_row
from pipeline.store.database import Database, as_utc, utc_now
from pipeline.store.records import CallRecord
from pipeline.store.schema import (CALL_ID_LENGTH, Timestamp, calls, check_results, events, flags,
                                   metadata, reports)

logger = logging.getLogger(__name__)

SEVERITY_RANK = {"low": 1, "medium": 2, "high": 3}

reviews = Table(
    "reviews", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("call_id", String(CALL_ID_LENGTH), ForeignKey("calls.id", ondelete="CASCADE"),
           nullable=False),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="SET NULL")),
    Column("reviewer", String(200), nullable=False),  # kept when the user is deleted
    Column("note", Text, nullable=False),
    Column("created_at", Timestamp, nullable=False),
    Index(None, "call_id", "created_at"),
)


@dataclass(frozen=True, slots=True, kw_only=True)
class ReviewRecord:
    id: int
    call_id: str
    user_id: int | None
    reviewer: str
    note: str
    created_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class QueueFilter:
    """What to list; every field left None does not filter."""

    status: str | None = None
    flagged: bool | None = None
    min_severity: str | None = None
    agent_id: str | None = None
    team: str | None = None
    since: datetime | None = None  # call start, inclusive
    until: datetime | None = None  # call start, exclusive
    check_met: str | None = None  # a check id that must be met
    check_missed: str | None = None  # a check id that must be not met
    event_type: str | None = None
    reviewed: bool | None = None
    scope_agent_ids: tuple[str, ...] | None = None
    scope_teams: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class QueueItem:
    call: CallRecord
    worst_severity: str | None
    flag_count: int
    score_overall: float | None
    review_count: int
    last_reviewed_at: datetime | None


@dataclass(frozen=True, slots=True, kw_only=True)
class QueuePage:
    items: tuple[QueueItem, ...]
    total: int


def _severity_rank(column) -> Any:
    return case(*((column == name, rank) for name, rank in SEVERITY_RANK.items()), else_=0)


def _in_scope(query: Select, *, agent_ids, teams) -> Select:
    if agent_ids is not None:
        query = query.where(calls.c.agent_id.in_(agent_ids))
    if teams is not None:
        query = query.where(calls.c.team.in_(teams))
    return query


def _has(table: Table, *conditions) -> Any:
    return exists(select(table.c.id).where(table.c.call_id == calls.c.id, *conditions))


class ReviewsOps(Database):
    """Reviews and the review queue; mixed into :class:`pipeline.store.Store`."""

    audio_dir: Any

    def add_review(self, call_id: str, *, user_id: int | None, reviewer: str,
                   note: str) -> ReviewRecord:
        """Mark a call reviewed with a note; every review is kept as history."""
        with self.transaction() as connection:
            if connection.execute(select(calls.c.id).where(calls.c.id == call_id)).first() is None:
                raise NotFoundError(f"no call with id {call_id!r}")
            review_id = connection.execute(reviews.insert().values(
                call_id=call_id, user_id=user_id, reviewer=reviewer, note=note,
                created_at=utc_now()).returning(reviews.c.id)).scalar_one()
            row = connection.execute(select(reviews).where(reviews.c.id == review_id)).one()
        logger.info("call %s reviewed by %s", call_id, reviewer)
        return _review_from_row(row)

    def list_reviews(self, call_id: str) -> list[ReviewRecord]:
        """A call's reviews, oldest first."""
        query = (select(reviews).where(reviews.c.call_id == call_id)
                 .order_by(reviews.c.created_at, reviews.c.id))
        with self.read() as connection:
            return [_review_from_row(row) for row in connection.execute(query)]

    def review_queue(self, wanted: QueueFilter, *, limit: int = 50, offset: int = 0) -> QueuePage:
        """Calls matching ``wanted``, worst first, one page of them and the total count."""
        worst = (select(flags.c.call_id, func.max(_severity_rank(flags.c.severity)).label("rank"),
                        func.count().label("flag_count")).group_by(flags.c.call_id).subquery())
        done = (select(reviews.c.call_id, func.count().label("review_count"),
                       func.max(reviews.c.created_at).label("last_reviewed_at"))
                .group_by(reviews.c.call_id).subquery())
        score = reports.c.document["scores"]["overall"].as_float()
        rank = func.coalesce(worst.c.rank, 0)
        query = (select(calls, rank.label("q_rank"),
                        func.coalesce(worst.c.flag_count, 0).label("q_flags"),
                        score.label("q_score"), func.coalesce(done.c.review_count, 0).label("q_reviews"),
                        done.c.last_reviewed_at.label("q_reviewed_at"))
                 .select_from(calls.outerjoin(worst, worst.c.call_id == calls.c.id)
                              .outerjoin(reports, (reports.c.call_id == calls.c.id)
                                         & reports.c.is_current)
                              .outerjoin(done, done.c.call_id == calls.c.id)))
        query = _filtered_queue(query, wanted, rank=rank, reviewed=done.c.review_count)
        with self.read() as connection:
            total = connection.execute(select(func.count()).select_from(query.subquery())).scalar_one()
            rows = connection.execute(query.order_by(
                rank.desc(), func.coalesce(worst.c.flag_count, 0).desc(),
                score.is_(None), score.asc(), calls.c.started_at.is_(None),
                calls.c.started_at.desc(), calls.c.id).limit(limit).offset(offset)).all()
        return QueuePage(items=tuple(self._queue_item(row) for row in rows), total=total)

    def current_reports(self, *, agent_id: str, scope_teams: tuple[str, ...] | None = None
                        ) -> list[tuple[CallRecord, Mapping[str, Any]]]:
        """An agent's calls that have a report, each with its current report, oldest first."""
        query = (select(calls, reports.c.document.label("q_document"))
                 .join(reports, (reports.c.call_id == calls.c.id) & reports.c.is_current)
                 .where(calls.c.agent_id == agent_id)
                 .order_by(calls.c.started_at, calls.c.created_at))
        query = _in_scope(query, agent_ids=None, teams=scope_teams)
        with self.read() as connection:
            rows = connection.execute(query).all()
        return [(self._call_part(row), row.q_document) for row in rows]

    def _call_part(self, row) -> CallRecord:
        values = {key: value for key, value in row._mapping.items() if not key.startswith("q_")}
        return call_from_row(_Mapped(values), audio_dir=self.audio_dir)

    def _queue_item(self, row) -> QueueItem:
        rank = int(row.q_rank)
        worst = next((name for name, value in SEVERITY_RANK.items() if value == rank), None)
        return QueueItem(call=self._call_part(row), worst_severity=worst,
                         flag_count=int(row.q_flags), score_overall=row.q_score,
                         review_count=int(row.q_reviews),
                         last_reviewed_at=as_utc(row.q_reviewed_at))


class _Mapped:
    """Enough of a Row for :func:`call_from_row`: a ``_mapping`` of the call's own columns."""

    def __init__(self, values: dict[str, Any]) -> None:
        self._mapping = values


def _filtered_queue(query: Select, wanted: QueueFilter, *, rank, reviewed) -> Select:
    query = _in_scope(query, agent_ids=wanted.scope_agent_ids, teams=wanted.scope_teams)
    for column, value in ((calls.c.status, wanted.status), (calls.c.agent_id, wanted.agent_id),
                          (calls.c.team, wanted.team)):
        if value is not None:
            query = query.where(column == value)
    if wanted.flagged is not None:
        query = query.where(_has(flags) if wanted.flagged else ~_has(flags))
    if wanted.min_severity is not None:
        query = query.where(rank >= SEVERITY_RANK[wanted.min_severity])
    if wanted.since is not None:
        query = query.where(calls.c.started_at >= wanted.since)
    if wanted.until is not None:
        query = query.where(calls.c.started_at < wanted.until)
    if wanted.check_met is not None:
        query = query.where(_has(check_results, check_results.c.check_id == wanted.check_met,
                                 check_results.c.met.is_(True)))
    if wanted.check_missed is not None:
        query = query.where(_has(check_results, check_results.c.check_id == wanted.check_missed,
                                 check_results.c.met.is_(False)))
    if wanted.event_type is not None:
        query = query.where(_has(events, events.c.type == wanted.event_type))
    if wanted.reviewed is not None:
        query = query.where(reviewed.is_not(None) if wanted.reviewed else reviewed.is_(None))
    return query


def _review_from_row(row) -> ReviewRecord:
    values = dict(row._mapping)
    return ReviewRecord(**{**values, "created_at": as_utc(values["created_at"])})
