"""Review-queue sort keys on each report version, and the indexes the queue walks.

Every stored version, current or not, gets its keys (from its document, and its call's start
time from the call), so the columns mean the same on every row.

Revision ID: 0003
Revises: 0002
Create Date: 2025-01-03
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
_INDEX = "ix_reports_queue"  # named in pipeline.store.schema
_NOT_DONE_INDEX = "ix_calls_started_at_id"  # the naming convention's name
_BATCH_ROWS = 500

# The keys as this revision reads them from a stored document; kept here rather than imported,
# so the migration does the same on every database however the application changes later.
_SEVERITY_RANK = {"low": 1, "medium": 2, "high": 3}

_reports = sa.table("reports", sa.column("id", sa.Integer), sa.column("call_id", sa.String),
                    sa.column("is_current", sa.Boolean), sa.column("document", _JSON),
                    sa.column("flag_rank", sa.Integer), sa.column("flag_count", sa.Integer),
                    sa.column("score_overall", sa.Float), sa.column("unscored", sa.Boolean),
                    sa.column("call_started_at", sa.DateTime(timezone=True)))
_calls = sa.table("calls", sa.column("id", sa.String), sa.column("status", sa.String),
                  sa.column("started_at", sa.DateTime(timezone=True)))


def upgrade() -> None:
    op.add_column("reports", sa.Column("flag_rank", sa.Integer, nullable=False,
                                       server_default=sa.text("0")))
    op.add_column("reports", sa.Column("flag_count", sa.Integer, nullable=False,
                                       server_default=sa.text("0")))
    op.add_column("reports", sa.Column("score_overall", sa.Float))
    op.add_column("reports", sa.Column("unscored", sa.Boolean, nullable=False,
                                       server_default=sa.true()))
    op.add_column("reports", sa.Column("call_started_at", sa.DateTime(timezone=True)))
    _backfill(op.get_bind())
    # The indexes come after the backfill, which is quicker without them to keep up.
    current = _reports.c.is_current == sa.true()
    op.create_index(_INDEX, "reports", [sa.desc("flag_rank"), sa.desc("flag_count"), "unscored",
                                        "score_overall", sa.desc("call_started_at"), "call_id"],
                    sqlite_where=current, postgresql_where=current)
    not_done = _calls.c.status != sa.literal_column("'done'")  # written out, as in the schema
    op.create_index(_NOT_DONE_INDEX, "calls", [sa.desc("started_at"), "id"],
                    sqlite_where=not_done, postgresql_where=not_done)


def downgrade() -> None:
    op.drop_index(_NOT_DONE_INDEX, table_name="calls")
    op.drop_index(_INDEX, table_name="reports")
    # Plain ALTER TABLE ... DROP COLUMN (SQLite >= 3.35): copying the table instead, as batch
    # mode would, drops the old one, and with foreign keys on that deletes every finding row.
    for column in ("call_started_at", "unscored", "score_overall", "flag_count", "flag_rank"):
        op.drop_column("reports", column)


def _backfill(connection: sa.Connection) -> None:
    """Every stored version's keys: its call's start, and the rest read from its document a
    batch of rows at a time."""
    started_at = (sa.select(_calls.c.started_at).where(_calls.c.id == _reports.c.call_id)
                  .scalar_subquery())
    connection.execute(sa.update(_reports).values(call_started_at=started_at))
    update = (sa.update(_reports).where(_reports.c.id == sa.bindparam("report_id"))
              .values(flag_rank=sa.bindparam("rank"), flag_count=sa.bindparam("count"),
                      score_overall=sa.bindparam("score"), unscored=sa.bindparam("no_score")))
    for batch in _batches(connection):
        connection.execute(update, [{"report_id": report_id, **_keys(document)}
                                    for report_id, document in batch])


def _batches(connection: sa.Connection) -> Iterator[list[tuple[int, Any]]]:
    last_id = 0
    while True:
        batch = connection.execute(
            sa.select(_reports.c.id, _reports.c.document).where(_reports.c.id > last_id)
            .order_by(_reports.c.id).limit(_BATCH_ROWS)).all()
        if not batch:
            return
        yield [tuple(row) for row in batch]
        last_id = batch[-1].id


def _keys(document: Any) -> dict[str, Any]:
    document = document if isinstance(document, Mapping) else {}
    flags = [flag for flag in document.get("flags") or () if isinstance(flag, Mapping)]
    ranks = [_SEVERITY_RANK.get(str(flag.get("severity")), 0) for flag in flags]
    scores = document.get("scores")
    score = _finite(scores.get("overall")) if isinstance(scores, Mapping) else None
    return {"rank": max(ranks, default=0), "count": len(flags), "score": score,
            "no_score": score is None}


def _finite(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None
