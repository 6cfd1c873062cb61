"""The relational layout of the store (SQLAlchemy Core tables).

The Alembic migrations in ``pipeline/migrations`` create exactly these tables; a test compares
the two, so a change here needs a new migration revision.

Reports are kept whole as JSON, one row per version. Their events, check results, flags,
coaching items and redactions are also written as rows, denormalised with the call's agent,
team and start time, so findings can be searched across calls without parsing JSON. Only the
current version of a report has search rows; older versions stay readable as JSON. Each
version also carries the review queue's sort keys, read from its document when it is saved.
"""

from __future__ import annotations

from sqlalchemy import (JSON, Boolean, Column, DateTime, Float, ForeignKey, Index, Integer,
                        MetaData, String, Table, Text, UniqueConstraint, literal_column, text,
                        true)
from sqlalchemy.dialects.postgresql import JSONB

from pipeline.store.records import CallStatus

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
    Column("error_kind", String(100)),  # pipeline.errors.ErrorKind: bad input or a hiccup
    Column("claimed_by", String(300)),  # host:pid of the process analysing the call
    Column("created_at", Timestamp, nullable=False),
    Column("updated_at", Timestamp, nullable=False),
    Index(None, "status"),
    Index(None, "agent_id", "started_at"),
    Index(None, "team"),
)

CALL_NOT_DONE = calls.c.status != literal_column(f"'{CallStatus.DONE.value}'")
"""Calls not analysed (yet), with the status written out, so that SQLite can match the query
that says this to the partial index below (it cannot see through a bound parameter)."""

# The calls not done: the review queue merges those without a report into its walk down
# ``ix_reports_queue``, and as a call has a report once it is done, this index finds them
# without reading every call.
Index(None, calls.c.started_at.desc(), calls.c.id,
      sqlite_where=CALL_NOT_DONE, postgresql_where=CALL_NOT_DONE)

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
    # The review queue's sort keys, written with the version: read from its document, and the
    # call's start time copied as the finding rows copy it. They sit on the version rather
    # than on ``calls`` because they change only when a report is saved, in the transaction
    # that writes this row: a new version replaces them by becoming current, and claims and
    # failures never touch them (a metadata fix updates the start time, as it does in the
    # finding rows).
    Column("flag_rank", Integer, nullable=False, server_default=text("0")),  # worst flag, 0: none
    Column("flag_count", Integer, nullable=False, server_default=text("0")),
    Column("score_overall", Float),
    # Whether score_overall is NULL: the queue lists unscored calls after scored ones, and
    # SQLite keeps NULLs first in an ascending index, so that order needs a column of its own.
    Column("unscored", Boolean, nullable=False, server_default=true()),
    Column("call_started_at", Timestamp),
    # Whether the analysis heard any speech: the queue shows a silent call as such, not as a
    # clean one (NULL for reports that do not say).
    Column("speech_found", Boolean),
    UniqueConstraint("call_id", "version"),
)

CURRENT_REPORT = reports.c.is_current == true()
"""Selects the current version; written once so the partial index below and the queries that
need it match word for word (SQLite uses a partial index only then)."""

QUEUE_INDEX = "ix_reports_queue"
"""Named here: the naming convention's name for it would pass PostgreSQL's 63 characters."""

# The review queue, worst first and newest first among equals: a page is a walk down this
# index of current versions, which holds every column the walk needs from a report.
Index(QUEUE_INDEX, reports.c.flag_rank.desc(), reports.c.flag_count.desc(), reports.c.unscored,
      reports.c.score_overall, reports.c.call_started_at.desc(), reports.c.call_id,
      sqlite_where=CURRENT_REPORT, postgresql_where=CURRENT_REPORT)

# The queue sorted by start time (newest or oldest first): a walk down this index instead of a
# sort of every current report (67 ms against 17 ms for a page at 20,000 calls).
Index(None, reports.c.call_started_at.desc(), reports.c.call_id,
      sqlite_where=CURRENT_REPORT, postgresql_where=CURRENT_REPORT)

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
    Column("kind", String(50)),  # pipeline.call_report.FlagKind; the queue filters on it
    *_call_context(),
    Index(None, "severity"),
    # (kind, call_id): the queue asks "has this call a flag of this kind?" once per call it
    # walks; on kind alone SQLite reads every flag of the kind for each call.
    Index(None, "kind", "call_id"),
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
# The finding tables that carry copies of the call's agent, team and start time.
CALL_CONTEXT_TABLES = tuple(table for table in FINDING_TABLES if "agent_id" in table.c)
