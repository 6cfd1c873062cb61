"""Supervisor reviews of calls, and the review queue: calls ranked worst first.

The queue ranks a call by its worst flag (high > medium > low), then by how many flags it has,
then by its overall score (lowest first), newest call first among equals; the keys are stored
with each report version (``pipeline.store.schema``), so a page is a walk down their index
rather than a reading of every report. Scope arguments (``scope_agent_ids``, ``scope_teams``)
restrict what a caller may see; ``None`` means no restriction and an empty tuple means nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (Boolean, Column, Connection, Float, ForeignKey, Index,
                        Integer, Row, Select, String, Table, Text, and_, exists, func,
                        literal_column, null, select, true, union_all)

from pipeline.call_report import CallReport, Severity, read_report
from pipeline.errors import NotFoundError
from pipeline.store.calls import call_from_row
from pipeline.store.database import Database, as_utc, utc_now
from pipeline.store.records import CallRecord
from pipeline.store.queue_rows import QUEUE_ORDERS, QueueFlag, flag_reasons
from pipeline.store.schema import (CALL_ID_LENGTH, CALL_NOT_DONE, CURRENT_REPORT, Timestamp,
                                   calls, check_results, events, flags, metadata, reports)

logger = logging.getLogger(__name__)

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
    flag_kind: str | None = None  # pipeline.call_report.FlagKind: a flag of this kind
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
    flags: tuple[QueueFlag, ...] = ()  # the call's flags, most severe first
    speech_found: bool | None = None  # False: the analysis heard nobody speak


@dataclass(frozen=True, slots=True, kw_only=True)
class QueuePage:
    items: tuple[QueueItem, ...]
    total: int


# A team is matched on ``team || ''`` rather than on the column: a team holds a good share of
# the calls, so walking the queue index and skipping other teams' calls finds a page sooner
# than reading all of a team's calls by ``ix_calls_team`` and sorting them, which is what
# SQLite plans for the bare column (120 ms against 8 ms for a supervisor at 20,000 calls).
_TEAM = calls.c.team + literal_column("''")


def _in_scope(query: Select, *, agent_ids, teams) -> Select:
    if agent_ids is not None:
        query = query.where(calls.c.agent_id.in_(agent_ids))
    if teams is not None:
        query = query.where(_TEAM.in_(teams))
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

    def review_queue(self, wanted: QueueFilter, *, limit: int = 50, offset: int = 0,
                     order: str = "priority") -> QueuePage:
        """Calls matching ``wanted``, worst first (or ``order``: ``newest``, ``oldest``
        started), one page of them and the total count.

        The page merges two lists already in queue order, so it reads no further down them
        than the page reaches: calls with a current report, down the queue index of
        ``reports``, and the few calls without one, which rank as no flags and no score.
        """
        arms = (_reported_calls(wanted), _unreported_calls(wanted))
        ordering = QUEUE_ORDERS[order]
        if self.is_sqlite:
            page = union_all(*arms)  # SQLite merges the two arms, each walked in order
        else:
            page = union_all(*(_queue_top(arm, limit + offset, ordering) for arm in arms))
        page = page.order_by(*ordering(page)).limit(limit).offset(offset)
        with self.read() as connection:
            rows = connection.execute(page).all()
            reviewed = _review_counts(connection, [row.id for row in rows])
            reasons = flag_reasons(connection, [row.id for row in rows if row.q_flags])
            total = connection.execute(_queue_count(wanted, arms)).scalar_one()
        return QueuePage(items=tuple(self._queue_item(row, reviewed.get(row.id),
                                                      reasons.get(row.id, ()))
                                     for row in rows), total=total)

    def current_reports(self, *, agent_id: str, scope_teams: tuple[str, ...] | None = None
                        ) -> list[tuple[CallRecord, CallReport]]:
        """An agent's calls that have a report, each with its current report, oldest first."""
        query = (select(calls, reports.c.document.label("q_document"))
                 .join(reports, (reports.c.call_id == calls.c.id) & CURRENT_REPORT)
                 .where(calls.c.agent_id == agent_id)
                 .order_by(calls.c.started_at, calls.c.created_at))
        query = _in_scope(query, agent_ids=None, teams=scope_teams)
        with self.read() as connection:
            rows = connection.execute(query).all()
        return [(call_from_row(row, audio_dir=self.audio_dir), read_report(row.q_document))
                for row in rows]

    def _queue_item(self, row, reviewed: Row | None,
                    reasons: tuple[QueueFlag, ...]) -> QueueItem:
        return QueueItem(call=call_from_row(row, audio_dir=self.audio_dir),
                         worst_severity=_SEVERITY_NAME.get(row.q_rank),
                         flag_count=int(row.q_flags), score_overall=row.q_score,
                         review_count=reviewed.count if reviewed else 0,
                         last_reviewed_at=as_utc(reviewed.last_at) if reviewed else None,
                         flags=reasons, speech_found=row.q_speech)


_SEVERITY_NAME = {severity.rank: severity.value for severity in Severity}
_NO_FLAGS = literal_column("0", Integer)

# The two halves of the queue before filtering, built once: a page request only adds filters.
_REPORTED = (select(calls, reports.c.flag_rank.label("q_rank"),
                    reports.c.flag_count.label("q_flags"), reports.c.unscored.label("q_unscored"),
                    reports.c.score_overall.label("q_score"),
                    reports.c.call_started_at.label("q_started"),
                    reports.c.call_id.label("q_call"), reports.c.speech_found.label("q_speech"))
             .select_from(reports.join(calls, calls.c.id == reports.c.call_id))
             .where(CURRENT_REPORT))
# A call is marked done in the transaction that stores its report, so the calls without one
# are found among those not done, down their own index, rather than by reading every call.
_UNREPORTED = (select(calls, _NO_FLAGS.label("q_rank"), _NO_FLAGS.label("q_flags"),
                      true().label("q_unscored"), null().cast(Float).label("q_score"),
                      calls.c.started_at.label("q_started"), calls.c.id.label("q_call"),
                      null().cast(Boolean).label("q_speech"))
               .where(CALL_NOT_DONE,
                      ~exists(select(reports.c.id).where(reports.c.call_id == calls.c.id,
                                                         CURRENT_REPORT))))


def _reported_calls(wanted: QueueFilter) -> Select:
    """Calls with a current report, their queue keys read from it."""
    query = _key_filters(_REPORTED, wanted, rank=reports.c.flag_rank,
                         flag_count=reports.c.flag_count)
    return _call_filters(query, wanted)


def _unreported_calls(wanted: QueueFilter) -> Select:
    """Calls without a report: no flags, no score."""
    query = _key_filters(_UNREPORTED, wanted, rank=_NO_FLAGS, flag_count=_NO_FLAGS)
    return _call_filters(query, wanted)


def _queue_top(arm: Select, reach: int, ordering) -> Select:
    """The first ``reach`` rows of one arm of the queue, in queue order. PostgreSQL plans a
    UNION ALL arm that joins two tables on its own, blind to the order wanted of the union,
    so without an order and a limit of its own the arm sorts every report to find a page
    (34 ms against 2 ms at 20,000 calls). SQLite needs no help, and would take twice as long."""
    top = arm.order_by(*ordering(arm)).limit(reach).subquery()
    return select(*top.c)


def _queue_count(wanted: QueueFilter, arms: tuple[Select, Select]) -> Select:
    """How many calls match: counted on ``calls`` alone, every call being in one arm or the
    other, unless a filter needs the keys of the report."""
    if wanted.flagged is None and wanted.min_severity is None:
        return _call_filters(select(func.count()).select_from(calls), wanted)
    return select(func.count()).select_from(
        union_all(*(arm.with_only_columns(calls.c.id) for arm in arms)).subquery())


def _review_counts(connection: Connection, call_ids: list[str]) -> dict[str, Row]:
    """How many reviews each of ``call_ids`` has and when the last was made."""
    if not call_ids:
        return {}
    query = (select(reviews.c.call_id, func.count().label("count"),
                    func.max(reviews.c.created_at).label("last_at"))
             .where(reviews.c.call_id.in_(call_ids)).group_by(reviews.c.call_id))
    return {row.call_id: row for row in connection.execute(query)}


def _key_filters(query: Select, wanted: QueueFilter, *, rank, flag_count) -> Select:
    """The filters on a call's queue keys."""
    if wanted.flagged is not None:
        # A call without flags has rank 0 as well; saying so lets the queue index seek to them.
        query = query.where(flag_count > 0 if wanted.flagged else and_(rank == 0, flag_count == 0))
    if wanted.min_severity is not None:
        query = query.where(rank >= Severity(wanted.min_severity).rank)
    return query


def _call_filters(query: Select, wanted: QueueFilter) -> Select:
    """The filters on the call itself, its findings and its reviews."""
    query = _in_scope(query, agent_ids=wanted.scope_agent_ids, teams=wanted.scope_teams)
    for column, value in ((calls.c.status, wanted.status), (calls.c.agent_id, wanted.agent_id),
                          (_TEAM, wanted.team)):
        if value is not None:
            query = query.where(column == value)
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
    if wanted.flag_kind is not None:
        query = query.where(_has(flags, flags.c.kind == wanted.flag_kind))
    if wanted.reviewed is not None:
        query = query.where(_has(reviews) if wanted.reviewed else ~_has(reviews))
    return query


def _review_from_row(row) -> ReviewRecord:
    values = dict(row._mapping)
    return ReviewRecord(**{**values, "created_at": as_utc(values["created_at"])})
