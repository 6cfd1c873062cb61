"""What a review-queue page shows beside each call, and the orders the queue can be read in.

Kept apart from :mod:`pipeline.store.reviews`, which builds the queue's query: the orders are
terms over the columns that query selects (``q_rank``, ``q_flags``, ``q_unscored``,
``q_score``, ``q_started``, ``q_call``), and the reasons are read for one page of calls.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import CompoundSelect, Connection, Select, select

from pipeline.call_report import Severity
from pipeline.store.schema import flags


@dataclass(frozen=True, slots=True, kw_only=True)
class QueueFlag:
    reason: str
    severity: str
    kind: str | None


def priority_order(page: Select | CompoundSelect) -> list[Any]:
    """Worst flag, then most flags, then lowest score (unscored last), then newest call
    (undated last, and dated as when its report was saved); the call id keeps pages apart
    where all of that ties. Each term is one of the queue index's, in its direction: SQLite,
    whose NULLs sort first, reads DESC NULLS LAST straight off a descending index."""
    column = page.selected_columns
    return [column.q_rank.desc(), column.q_flags.desc(), column.q_unscored, column.q_score,
            column.q_started.desc().nulls_last(), column.q_call]


def _by_start(newest: bool):
    """Newest (or oldest) call first, undated last; the call id keeps pages apart."""
    def order(page: Select | CompoundSelect) -> list[Any]:
        column = page.selected_columns
        started = column.q_started.desc() if newest else column.q_started.asc()
        return [started.nulls_last(), column.q_call]
    return order


QUEUE_ORDERS = {"priority": priority_order, "newest": _by_start(True), "oldest": _by_start(False)}
"""How the queue may be sorted: worst first (its index's order), or by when calls started."""


def flag_reasons(connection: Connection, call_ids: list[str]) -> dict[str, tuple[QueueFlag, ...]]:
    """The flags of each of ``call_ids`` (their current reports'), most severe first."""
    if not call_ids:
        return {}
    query = (select(flags.c.call_id, flags.c.reason, flags.c.severity, flags.c.kind)
             .where(flags.c.call_id.in_(call_ids)).order_by(flags.c.call_id, flags.c.id))
    found: dict[str, list[QueueFlag]] = {}
    for row in connection.execute(query):
        found.setdefault(row.call_id, []).append(
            QueueFlag(reason=row.reason, severity=row.severity, kind=row.kind))
    rank = {severity.value: severity.rank for severity in Severity}
    return {call_id: tuple(sorted(items, key=lambda f: -rank.get(f.severity, 0)))
            for call_id, items in found.items()}
