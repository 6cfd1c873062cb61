"""Calls, versioned reports, and searchable findings.

Revision ID: 0001
Revises:
Create Date: 2025-01-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
_TIME = sa.DateTime(timezone=True)


def _refs(table: str) -> list[sa.Column]:
    return [
        sa.Column("call_id", sa.String(200), sa.ForeignKey(
            "calls.id", ondelete="CASCADE", name=f"fk_{table}_call_id_calls"), nullable=False),
        sa.Column("report_id", sa.Integer, sa.ForeignKey(
            "reports.id", ondelete="CASCADE", name=f"fk_{table}_report_id_reports"), nullable=False),
    ]


def _context() -> list[sa.Column]:
    return [sa.Column("agent_id", sa.String(200)), sa.Column("team", sa.String(200)),
            sa.Column("call_started_at", _TIME)]


def _key() -> sa.Column:
    return sa.Column("id", sa.Integer, nullable=False, autoincrement=True)


def _pk(table: str) -> sa.PrimaryKeyConstraint:
    return sa.PrimaryKeyConstraint("id", name=f"pk_{table}")


def _indexes(table: str, *column_sets: tuple[str, ...]) -> None:
    for columns in column_sets:
        op.create_index(f"ix_{table}_{'_'.join(columns)}", table, list(columns))


def upgrade() -> None:
    op.create_table(
        "calls",
        sa.Column("id", sa.String(200), nullable=False),
        sa.Column("source_path", sa.Text, nullable=False),
        sa.Column("audio_relpath", sa.Text, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("agent_id", sa.String(200)),
        sa.Column("agent_name", sa.String(200)),
        sa.Column("team", sa.String(200)),
        sa.Column("customer_name", sa.String(200)),
        sa.Column("started_at", _TIME),
        sa.Column("agent_channel", sa.Integer, nullable=False),
        sa.Column("duration_s", sa.Float),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("error", sa.Text),
        sa.Column("error_kind", sa.String(100)),
        sa.Column("claimed_by", sa.String(300)),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("updated_at", _TIME, nullable=False),
        _pk("calls"),
        sa.UniqueConstraint("sha256", name="uq_calls_sha256"),
    )
    _indexes("calls", ("status",), ("agent_id", "started_at"), ("team",))
    op.create_table(
        "reports",
        _key(),
        sa.Column("call_id", sa.String(200), sa.ForeignKey(
            "calls.id", ondelete="CASCADE", name="fk_reports_call_id_calls"), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("is_current", sa.Boolean, nullable=False),
        sa.Column("schema_version", sa.Integer, nullable=False),
        sa.Column("rubric_version", sa.String(100)),
        sa.Column("config_digest", sa.String(64), nullable=False),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("document", _JSON, nullable=False),
        _pk("reports"),
        sa.UniqueConstraint("call_id", "version", name="uq_reports_call_id_version"),
    )
    op.create_table(
        "events", _key(), *_refs("events"),
        sa.Column("event_key", sa.String(100), nullable=False),
        sa.Column("type", sa.String(50), nullable=False),
        sa.Column("speaker", sa.String(20)),
        sa.Column("severity", sa.String(20)),
        sa.Column("start_s", sa.Float, nullable=False),
        sa.Column("end_s", sa.Float, nullable=False),
        sa.Column("details", _JSON, nullable=False),
        *_context(), _pk("events"),
    )
    _indexes("events", ("type", "speaker"), ("agent_id", "call_started_at"), ("severity",),
             ("call_id",))
    op.create_table(
        "check_results", _key(), *_refs("check_results"),
        sa.Column("check_id", sa.String(100), nullable=False),
        sa.Column("met", sa.Boolean),
        sa.Column("skill", sa.String(100)),
        sa.Column("speaker", sa.String(20)),
        sa.Column("start_s", sa.Float),
        sa.Column("evidence", _JSON, nullable=False),
        *_context(), _pk("check_results"),
    )
    _indexes("check_results", ("check_id", "met"), ("skill",), ("agent_id", "call_started_at"),
             ("call_id",))
    op.create_table(
        "flags", _key(), *_refs("flags"),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("severity", sa.String(20), nullable=False),
        sa.Column("event_keys", _JSON, nullable=False),
        *_context(), _pk("flags"),
    )
    _indexes("flags", ("severity",), ("agent_id", "call_started_at"), ("call_id",))
    op.create_table(
        "coaching_items", _key(), *_refs("coaching_items"),
        sa.Column("skill", sa.String(100), nullable=False),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("event_keys", _JSON, nullable=False),
        *_context(), _pk("coaching_items"),
    )
    _indexes("coaching_items", ("skill",), ("agent_id", "call_started_at"), ("call_id",))
    op.create_table(
        "redactions", _key(), *_refs("redactions"),
        sa.Column("kind", sa.String(50)),
        sa.Column("speaker", sa.String(20)),
        sa.Column("start_s", sa.Float, nullable=False),
        sa.Column("end_s", sa.Float, nullable=False),
        sa.Column("details", _JSON, nullable=False),
        _pk("redactions"),
    )
    _indexes("redactions", ("call_id",))


def downgrade() -> None:
    for table in ("redactions", "coaching_items", "flags", "check_results", "events", "reports",
                  "calls"):
        op.drop_table(table)
