"""Collections of example clips; each flag row's kind and each report's speech_found, so the
review queue can filter by what a call was flagged for and show a silent call as silent; an
index for the queue sorted by start time.

Stored flags get their kind from their reason's opening words, and stored reports their
``speech_found`` from their document.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
_BATCH_ROWS = 500
_STARTED_INDEX = "ix_reports_call_started_at_call_id"  # the naming convention's name
# Kept here rather than imported (pipeline.call_report), so the migration does the same on
# every database however the application changes later.
_REASON_KINDS = (("agent raised", "agent_raised_voice"),
                 ("agent interrupted", "agent_interruptions"),
                 ("agent used dismissive", "agent_harsh_language"),
                 ("customer was abusive", "customer_abuse"),
                 ("customer asked for a manager", "escalation_request"),
                 ("customer ended the call more upset", "customer_upset"),
                 ("upset customer", "customer_upset"),
                 ("customer threatened", "customer_threat"))

_flags = sa.table("flags", sa.column("id", sa.Integer), sa.column("reason", sa.Text),
                  sa.column("kind", sa.String))
_reports = sa.table("reports", sa.column("id", sa.Integer), sa.column("document", _JSON),
                    sa.column("speech_found", sa.Boolean))


def upgrade() -> None:
    op.add_column("flags", sa.Column("kind", sa.String(50)))
    op.add_column("reports", sa.Column("speech_found", sa.Boolean))
    connection = op.get_bind()
    _backfill_kinds(connection)
    _backfill_speech(connection)
    op.create_index("ix_flags_kind_call_id", "flags", ["kind", "call_id"])
    current = sa.column("is_current", sa.Boolean) == sa.true()
    op.create_index(_STARTED_INDEX, "reports", [sa.desc("call_started_at"), "call_id"],
                    sqlite_where=current, postgresql_where=current)
    op.create_table(
        "collections",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("user_id", sa.Integer, sa.ForeignKey(
            "users.id", ondelete="SET NULL", name="fk_collections_user_id_users")),
        sa.Column("creator", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_collections"),
        sa.UniqueConstraint("name", name="uq_collections_name"),
    )
    op.create_table(
        "collection_items",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("collection_id", sa.Integer, sa.ForeignKey(
            "collections.id", ondelete="CASCADE",
            name="fk_collection_items_collection_id_collections"), nullable=False),
        sa.Column("call_id", sa.String(200), sa.ForeignKey(
            "calls.id", ondelete="CASCADE", name="fk_collection_items_call_id_calls"),
            nullable=False),
        sa.Column("finding_id", sa.String(100), nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("added_by", sa.String(200), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_collection_items"),
        sa.UniqueConstraint("collection_id", "call_id", "finding_id",
                            name="uq_collection_items_collection_id_call_id_finding_id"),
    )
    op.create_index("ix_collection_items_call_id", "collection_items", ["call_id"])


def downgrade() -> None:
    op.drop_index("ix_collection_items_call_id", table_name="collection_items")
    op.drop_table("collection_items")
    op.drop_table("collections")
    op.drop_index(_STARTED_INDEX, table_name="reports")
    op.drop_index("ix_flags_kind_call_id", table_name="flags")
    # Plain DROP COLUMN, as 0003 explains: copying the table would cascade-delete rows.
    op.drop_column("reports", "speech_found")
    op.drop_column("flags", "kind")


def _kind(reason: Any) -> str | None:
    lowered = str(reason or "").strip().lower()
    return next((kind for prefix, kind in _REASON_KINDS if lowered.startswith(prefix)), None)


def _backfill_kinds(connection: sa.Connection) -> None:
    rows = connection.execute(sa.select(_flags.c.id, _flags.c.reason)).all()
    update = sa.update(_flags).where(_flags.c.id == sa.bindparam("flag_id")).values(
        kind=sa.bindparam("flag_kind"))
    values = [{"flag_id": row.id, "flag_kind": _kind(row.reason)} for row in rows]
    values = [value for value in values if value["flag_kind"] is not None]
    for start in range(0, len(values), _BATCH_ROWS):
        connection.execute(update, values[start:start + _BATCH_ROWS])


def _backfill_speech(connection: sa.Connection) -> None:
    update = sa.update(_reports).where(_reports.c.id == sa.bindparam("report_id")).values(
        speech_found=sa.bindparam("found"))
    last_id = 0
    while True:
        batch = connection.execute(
            sa.select(_reports.c.id, _reports.c.document).where(_reports.c.id > last_id)
            .order_by(_reports.c.id).limit(_BATCH_ROWS)).all()
        if not batch:
            return
        values = [{"report_id": row.id, "found": row.document.get("speech_found")}
                  for row in batch if isinstance(row.document, Mapping)
                  and isinstance(row.document.get("speech_found"), bool)]
        if values:
            connection.execute(update, values)
        last_id = batch[-1].id
