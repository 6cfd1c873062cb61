"""The relational layout of the store (SQLAlchemy Core tables).

The Alembic migrations in ``pipeline/migrations`` create exactly these tables; a test compares
the two, so a change here needs a new migration revision.

Reports are kept whole as JSON, one row per version. Their events, check results, flags,
coaching items and redactions are also written as rows, denormalised with the call's agent,
team and start time, so findings can be searched across calls without parsing JSON. Only the
current version of a report has search rows; older versions stay readable as JSON.
"""

from __future__ import annotations

from sqlalchemy import (JSON, Boolean, Column, DateTime, Float, ForeignKey, Index, Integer,
                        MetaData, String, Table, Text, UniqueConstraint)
from sqlalchemy.dialects.postgresql import JSONB

metadata = MetaData(naming_convention={
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
})

JSONDocument = JSON().with_variant(JSONB(), "postgresql")
Timestamp = DateTime(timezone=True)
CALL_ID_LENGTH = 200


def _call_ref() -> Column:
    return Column("call_id", String(CALL_ID_LENGTH), ForeignKey("calls.id", ondelete="CASCADE"),
                  nullable=False)


def _report_ref() -> Column:
    return Column("report_id", Integer, ForeignKey("reports.id", ondelete="CASCADE"), nullable=False)


def _call_context() -> list[Column]:
    """Copies of the call's who/when, so a search needs no join to ``calls``."""
    return [Column("agent_id", String(200)), Column("team", String(200)),
            Column("call_started_at", Timestamp)]


calls = Table(
    "calls", metadata,
    Column("id", String(CALL_ID_LENGTH), primary_key=True),
    Column("source_path", Text, nullable=False),  # where the file was found
    Column("audio_relpath", Text, nullable=False),  # the content-addressed copy, under audio_dir
    Column("sha256", String(64), nullable=False, unique=True),
    Column("agent_id", String(200)),
    Column("agent_name", String(200)),
    Column("team", String(200)),
    Column("customer_name", String(200)),
    Column("started_at", Timestamp),
    Column("agent_channel", Integer, nullable=False, default=0),
    Column("duration_s", Float),
    Column("status", String(20), nullable=False),
    Column("error", Text),
    Column("error_kind", String(100)),  # exception class, to tell bad input from a hiccup
    Column("claimed_by", String(300)),  # host:pid of the process analysing the call
    Column("created_at", Timestamp, nullable=False),
    Column("updated_at", Timestamp, nullable=False),
    Index(None, "status"),
    Index(None, "agent_id", "started_at"),
    Index(None, "team"),
)

reports = Table(
    "reports", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    _call_ref(),
    Column("version", Integer, nullable=False),
    Column("is_current", Boolean, nullable=False),
    Column("schema_version", Integer, nullable=False),
    Column("rubric_version", String(100)),
    Column("config_digest", String(64), nullable=False),
    Column("created_at", Timestamp, nullable=False),
    Column("document", JSONDocument, nullable=False),
    UniqueConstraint("call_id", "version"),
)

events = Table(
    "events", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    _call_ref(), _report_ref(),
    Column("event_key", String(100), nullable=False),  # the report's own id, "ev-3"
    Column("type", String(50), nullable=False),
    Column("speaker", String(20)),
    Column("severity", String(20)),
    Column("start_s", Float, nullable=False),
    Column("end_s", Float, nullable=False),
    Column("details", JSONDocument, nullable=False),
    *_call_context(),
    Index(None, "type", "speaker"),
    Index(None, "agent_id", "call_started_at"),
    Index(None, "severity"),
    Index(None, "call_id"),
)

check_results = Table(
    "check_results", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    _call_ref(), _report_ref(),
    Column("check_id", String(100), nullable=False),
    Column("met", Boolean),  # NULL where the check could not apply
    Column("skill", String(100)),
    Column("speaker", String(20)),  # of the first piece of evidence
    Column("start_s", Float),
    Column("evidence", JSONDocument, nullable=False),
    *_call_context(),
    Index(None, "check_id", "met"),
    Index(None, "skill"),
    Index(None, "agent_id", "call_started_at"),
    Index(None, "call_id"),
)

flags = Table(
    "flags", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    _call_ref(), _report_ref(),
    Column("reason", Text, nullable=False),
    Column("severity", String(20), nullable=False),
    Column("event_keys", JSONDocument, nullable=False),
    *_call_context(),
    Index(None, "severity"),
    Index(None, "agent_id", "call_started_at"),
    Index(None, "call_id"),
)

coaching_items = Table(
    "coaching_items", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    _call_ref(), _report_ref(),
    Column("skill", String(100), nullable=False),
    Column("message", Text, nullable=False),
    Column("event_keys", JSONDocument, nullable=False),
    *_call_context(),
    Index(None, "skill"),
    Index(None, "agent_id", "call_started_at"),
    Index(None, "call_id"),
)

redactions = Table(
    "redactions", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    _call_ref(), _report_ref(),
    Column("kind", String(50)),
    Column("speaker", String(20)),
    Column("start_s", Float, nullable=False),
    Column("end_s", Float, nullable=False),
    Column("details", JSONDocument, nullable=False),
    Index(None, "call_id"),
)

FINDING_TABLES = (events, check_results, flags, coaching_items, redactions)
