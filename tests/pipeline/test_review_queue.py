"""The review queue: the sort keys stored with each report version, the order and filters they
serve, the index a page walks, and the migration that gives stored reports their keys.

On SQLite and (when CALLCOACH_TEST_POSTGRES_URL is set) PostgreSQL.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from pipeline.store import Store, claim_owner, migrate
from pipeline.store.database import as_utc
from pipeline.store.reports import queue_keys
from pipeline.store.reviews import QueueFilter
from pipeline.store.schema import metadata, reports
from pipeline.types import CallMetadata

QUEUE_INDEXES = {"reports": "ix_reports_queue", "calls": "ix_calls_started_at_id"}
QUEUE_COLUMNS = ("flag_rank", "flag_count", "score_overall", "unscored", "call_started_at")
DAY_ONE = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)


def report(call_id: str, *, severities: tuple[str, ...] = (), score: float | None = None) -> dict:
    return {"schema_version": 1, "call_id": call_id, "config": {"digest": "d1"},
            "flags": [{"reason": f"flag {n}", "severity": severity, "event_ids": []}
                      for n, severity in enumerate(severities)],
            "scores": {"overall": score}}


def add_call(store: Store, folder: Path, call_id: str, *, day: int | None,
             team: str = "blue") -> str:
    audio = folder / f"{call_id}.opus"
    audio.parent.mkdir(parents=True, exist_ok=True)
    audio.write_bytes(call_id.encode())
    started = None if day is None else (DAY_ONE + timedelta(days=day)).isoformat()
    metadata = CallMetadata(call_id=call_id, agent_id="a1", team=team, started_at=started)
    return store.register_call(audio, metadata).call.id


def stored_keys(engine: sa.Engine, call_id: str) -> list[tuple]:
    """(version, is_current, flag_rank, flag_count, score_overall, unscored, call_started_at)
    of each version."""
    query = (sa.select(reports.c.version, reports.c.is_current,
                       *(reports.c[name] for name in QUEUE_COLUMNS))
             .where(reports.c.call_id == call_id).order_by(reports.c.version))
    with engine.connect() as connection:
        return [(*row[:-1], as_utc(row[-1])) for row in connection.execute(query)]


def index_names(engine: sa.Engine) -> set[str]:
    inspector = sa.inspect(engine)
    return {index["name"] for table in QUEUE_INDEXES for index in inspector.get_indexes(table)}


@pytest.mark.parametrize("stored, keys", [
    (report("c", severities=("low", "high", "low"), score=64),
     {"flag_rank": 3, "flag_count": 3, "score_overall": 64.0, "unscored": False}),
    (report("c", severities=("medium",), score=0),  # a score of 0 is a score
     {"flag_rank": 2, "flag_count": 1, "score_overall": 0.0, "unscored": False}),
    (report("c", severities=("urgent",), score=None),  # counted, though its rank is unknown
     {"flag_rank": 0, "flag_count": 1, "score_overall": None, "unscored": True}),
    ({"schema_version": 1, "config": {"digest": "d1"}},
     {"flag_rank": 0, "flag_count": 0, "score_overall": None, "unscored": True}),
])
def test_queue_keys_of_a_report(stored, keys):
    assert queue_keys(stored) == keys


def test_keys_are_stored_with_each_version_and_a_new_one_replaces_them(store, tmp_path):
    add_call(store, tmp_path, "c", day=1)
    started = DAY_ONE + timedelta(days=1)
    store.save_report("c", report("c", severities=("low", "high", "low"), score=64))
    assert stored_keys(store.engine, "c") == [(1, True, 3, 3, 64.0, False, started)]
    store.save_report("c", report("c", severities=("medium",), score=None))
    assert stored_keys(store.engine, "c") == [(1, False, 3, 3, 64.0, False, started),
                                              (2, True, 2, 1, None, True, started)]
    [item] = store.review_queue(QueueFilter()).items
    assert (item.worst_severity, item.flag_count, item.score_overall) == ("medium", 1, None)


# id, day the call started (None: unknown), team, report (flag severities, overall score) or
# None for a call without one
CALLS = (
    ("high-two", 1, "blue", (("high", "low"), 80)),
    ("high-90", 3, "blue", (("high",), 90)),
    ("high-50-old", 2, "red", (("high",), 50)),
    ("high-50-undated", None, "blue", (("high",), 50)),
    ("high-50-new", 5, "blue", (("high",), 50)),
    ("high-unscored", 9, "blue", (("high",), None)),
    ("tie-b", 4, "blue", (("medium",), 60)),
    ("tie-a", 4, "blue", (("medium",), 60)),
    ("reanalysing", 2, "blue", (("low",), 70)),  # has a report, claimed again
    ("urgent", 1, "blue", (("urgent",), 20)),
    ("unflagged-30", 1, "blue", ((), 30)),
    ("unflagged-unscored", 6, "blue", ((), None)),
    ("queued", 7, "blue", None),
    ("failed", 3, "blue", None),
    ("queued-undated", None, "red", None),
)
WORST_FIRST = [
    "high-two",  # two flags, one high
    "high-50-new", "high-50-old", "high-50-undated",  # lowest score; newest, undated last
    "high-90", "high-unscored",  # unscored after scored
    "tie-a", "tie-b",  # equal in everything but the id
    "reanalysing", "urgent",  # a flag of unknown severity still counts as a flag
    "unflagged-30", "queued", "unflagged-unscored", "failed", "queued-undated",
]


@pytest.fixture
def queue_store(store, tmp_path) -> Store:
    for call_id, day, team, stored in CALLS:
        add_call(store, tmp_path / "inbox", call_id, day=day, team=team)
        if stored is not None:
            severities, score = stored
            store.save_report(call_id, report(call_id, severities=severities, score=score))
    store.claim_call("reanalysing", owner=claim_owner(), force=True)
    store.mark_failed("failed", reason="undecodable", kind="InvalidAudioError")
    return store


def queue_ids(store: Store, wanted: QueueFilter, **page) -> tuple[list[str], int]:
    listed = store.review_queue(wanted, **page)
    return [item.call.id for item in listed.items], listed.total


def test_the_queue_is_worst_first(queue_store):
    assert queue_ids(queue_store, QueueFilter()) == (WORST_FIRST, len(CALLS))
    pages = [queue_ids(queue_store, QueueFilter(), limit=4, offset=offset)[0]
             for offset in range(0, len(CALLS), 4)]
    assert sum(pages, []) == WORST_FIRST
    items = {item.call.id: item for item in queue_store.review_queue(QueueFilter()).items}
    assert [(items[c].worst_severity, items[c].flag_count, items[c].score_overall)
            for c in ("high-two", "reanalysing", "urgent", "unflagged-30", "queued")] == [
        ("high", 2, 80.0), ("low", 1, 70.0), (None, 1, 20.0), (None, 0, 30.0), (None, 0, None)]


@pytest.mark.parametrize("wanted, expected", [
    (QueueFilter(flagged=True), WORST_FIRST[:10]),
    (QueueFilter(flagged=False), WORST_FIRST[10:]),
    (QueueFilter(min_severity="medium"), WORST_FIRST[:8]),
    (QueueFilter(min_severity="high", scope_teams=("red",)), ["high-50-old"]),
    (QueueFilter(scope_teams=("red",)), ["high-50-old", "queued-undated"]),
    (QueueFilter(scope_teams=()), []),
    (QueueFilter(status="processing"), ["reanalysing"]),
    (QueueFilter(status="queued"), ["queued", "queued-undated"]),
    (QueueFilter(flagged=False, status="failed"), ["failed"]),
    (QueueFilter(since=DAY_ONE + timedelta(days=5)),
     ["high-50-new", "high-unscored", "queued", "unflagged-unscored"]),
])
def test_queue_filters_and_totals(queue_store, wanted, expected):
    assert queue_ids(queue_store, wanted) == (expected, len(expected))
    assert queue_ids(queue_store, wanted, limit=2, offset=1) == (expected[1:3], len(expected))


def test_reviews_are_counted_on_the_page(queue_store):
    for call_id, note in (("tie-b", "first"), ("queued", "not analysed"), ("tie-b", "second")):
        queue_store.add_review(call_id, user_id=None, reviewer="sup", note=note)
    last = queue_store.list_reviews("tie-b")[-1].created_at
    reviewed = queue_store.review_queue(QueueFilter(reviewed=True))
    assert [(item.call.id, item.review_count) for item in reviewed.items] == [
        ("tie-b", 2), ("queued", 1)]
    assert (reviewed.total, reviewed.items[0].last_reviewed_at) == (2, last)
    unreviewed = queue_ids(queue_store, QueueFilter(reviewed=False))
    assert unreviewed == ([c for c in WORST_FIRST if c not in ("tie-b", "queued")],
                          len(CALLS) - 2)
    untouched = queue_store.review_queue(QueueFilter(), limit=1).items[0]
    assert (untouched.review_count, untouched.last_reviewed_at) == (0, None)


def listing_statements(store: Store, wanted: QueueFilter) -> list[tuple[str, object]]:
    """Each SELECT a listing runs, with its parameters."""
    statements = []

    def record(_connection, _cursor, statement, parameters, *_):
        statements.append((statement, parameters))

    sa.event.listen(store.engine, "before_cursor_execute", record)
    store.review_queue(wanted, limit=5, offset=5)
    sa.event.remove(store.engine, "before_cursor_execute", record)
    return [(statement, parameters) for statement, parameters in statements
            if statement.lstrip().startswith("SELECT")]


def query_plans(store: Store, wanted: QueueFilter) -> list[dict[int, tuple[int, str]]]:
    """SQLite's plan of each statement a listing runs: step id → (parent id, what it does)."""
    with store.engine.connect() as connection:
        return [{row.id: (row.parent, row.detail) for row in connection.exec_driver_sql(
            "EXPLAIN QUERY PLAN " + statement, parameters)}
            for statement, parameters in listing_statements(store, wanted)]


def steps_under(plan: dict[int, tuple[int, str]], name: str) -> list[str]:
    [top] = [step for step, (_parent, detail) in plan.items() if detail == name]
    return [detail for _step, (parent, detail) in plan.items() if parent == top]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # reads SQLite's plans
def test_a_page_is_a_walk_down_the_queue_index(queue_store):
    """On SQLite: the calls with a report are read down the queue index in order, with no
    sort, and those without one from the index of calls not done. No statement of a listing
    reads a whole table, whatever the filter."""
    walks = (QueueFilter(), QueueFilter(flagged=False), QueueFilter(min_severity="medium"),
             QueueFilter(reviewed=False))
    for wanted in walks:
        page, *_ = query_plans(queue_store, wanted)
        walk, *rest = steps_under(page, "LEFT")
        assert re.fullmatch(rf"(SCAN|SEARCH) reports USING INDEX {QUEUE_INDEXES['reports']}"
                            r"( \(.+\))?", walk), (wanted, walk)
        assert rest[0] == "SEARCH calls USING INDEX sqlite_autoindex_calls_1 (id=?)", wanted
        assert not [step for step in rest if "TEMP B-TREE" in step], wanted  # no sort
        assert f"SCAN calls USING INDEX {QUEUE_INDEXES['calls']}" in steps_under(page, "RIGHT")
    for wanted in (*walks, QueueFilter(scope_teams=("red",)), QueueFilter(status="queued")):
        full_scans = [detail for plan in query_plans(queue_store, wanted)
                      for _parent, detail in plan.values()
                      if detail.removeprefix("SCAN ") in metadata.tables]
        assert full_scans == [], wanted


def plan_paths(node: dict, above: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """Every root-to-leaf path of a PostgreSQL JSON plan, as node types (index scans with
    their index: "Index Only Scan ix_reports_queue")."""
    here = (*above, " ".join(filter(None, (node["Node Type"], node.get("Index Name")))))
    children = node.get("Plans", [])
    if not children:
        yield here
    for child in children:
        yield from plan_paths(child, here)


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)  # reads its plans
def test_on_postgresql_a_page_reads_the_queue_index_only_as_far_as_the_page(queue_store):
    """PostgreSQL plans each arm of the union on its own: the arm of reported calls must stop
    at the page's end (a Limit of its own above its walk down the queue index) rather than
    join and sort every current report. Sequential scans are off so that the plan shows what
    a large store gets, not what suits the test's few rows."""
    (page, parameters), *_ = listing_statements(queue_store, QueueFilter())
    with queue_store.engine.begin() as connection:
        connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
        [[plan]] = connection.exec_driver_sql("EXPLAIN (FORMAT JSON) " + page, parameters).one()
    walks = [path for path in plan_paths(plan["Plan"])
             if path[-1].endswith(QUEUE_INDEXES["reports"])]
    assert walks, list(plan_paths(plan["Plan"]))
    for path in walks:
        union = max(n for n, step in enumerate(path) if step.endswith("Append"))
        assert "Limit" in path[union + 1:], path


def insert_at_0002(engine: sa.Engine) -> None:
    """A call with two report versions and the current one's flag rows, and an undated call
    with one clean report, written as revision 0002 lays them out."""
    json = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
    calls = sa.table("calls", *(sa.column(name) for name in (
        "id", "source_path", "audio_relpath", "sha256", "started_at", "agent_channel", "status",
        "created_at", "updated_at")))
    versions = sa.table("reports", sa.column("id"), sa.column("call_id"), sa.column("version"),
                        sa.column("is_current"), sa.column("schema_version"),
                        sa.column("config_digest"), sa.column("created_at"),
                        sa.column("document", json))
    flags = sa.table("flags", sa.column("call_id"), sa.column("report_id"), sa.column("reason"),
                     sa.column("severity"), sa.column("event_keys", json))
    with engine.begin() as connection:
        connection.execute(calls.insert(), [
            {"id": call_id, "source_path": f"{call_id}.wav", "audio_relpath": f"{call_id}.wav",
             "sha256": call_id.ljust(64, "0"), "started_at": started_at, "agent_channel": 0,
             "status": "done", "created_at": DAY_ONE, "updated_at": DAY_ONE}
            for call_id, started_at in (("old", DAY_ONE), ("clean", None))])
        same = {"schema_version": 1, "config_digest": "d1", "created_at": DAY_ONE}
        connection.execute(versions.insert(), [
            {**same, "id": 1, "call_id": "old", "version": 1, "is_current": False,
             "document": report("old", severities=("low",), score=90)},
            {**same, "id": 2, "call_id": "old", "version": 2, "is_current": True,
             "document": report("old", severities=("medium", "high"), score=41.5)},
            {**same, "id": 3, "call_id": "clean", "version": 1, "is_current": True,
             "document": report("clean")}])
        connection.execute(flags.insert(), [
            {"call_id": "old", "report_id": 2, "reason": "r", "severity": severity,
             "event_keys": []} for severity in ("medium", "high")])


def test_upgrade_to_0003_fills_the_keys_of_stored_reports_and_downgrade_removes_them(
        engine, tmp_path):
    migrate.upgrade(engine, revision="0002")
    insert_at_0002(engine)
    migrate.upgrade(engine, revision="0003")
    assert stored_keys(engine, "old") == [(1, False, 1, 1, 90.0, False, DAY_ONE),
                                          (2, True, 3, 2, 41.5, False, DAY_ONE)]
    assert stored_keys(engine, "clean") == [(1, True, 0, 0, None, True, None)]
    assert set(QUEUE_INDEXES.values()) <= index_names(engine)
    migrate.upgrade(engine)  # the queue of this version reads 0005's columns too
    listed = Store(engine, audio_dir=tmp_path).review_queue(QueueFilter())
    assert [(item.call.id, item.worst_severity, item.flag_count, item.score_overall)
            for item in listed.items] == [("old", "high", 2, 41.5), ("clean", None, 0, None)]

    migrate.downgrade(engine, revision="0002")
    assert migrate.current_revision(engine) == "0002"
    columns = {column["name"] for column in sa.inspect(engine).get_columns("reports")}
    assert not set(QUEUE_COLUMNS) & columns
    assert not set(QUEUE_INDEXES.values()) & index_names(engine)
    with engine.connect() as connection:  # the reports and their findings are all still there
        assert connection.execute(sa.text("SELECT count(*) FROM reports")).scalar() == 3
        assert connection.execute(sa.text("SELECT count(*) FROM flags")).scalar() == 2
    migrate.upgrade(engine)
    assert stored_keys(engine, "old")[-1] == (2, True, 3, 2, 41.5, False, DAY_ONE)


def test_upgrade_to_0005_reads_flag_kinds_and_speech_from_stored_reports(engine, tmp_path):
    migrate.upgrade(engine, revision="0002")
    insert_at_0002(engine)
    with engine.begin() as connection:  # one flag worded as the pipeline words them
        connection.execute(sa.text("UPDATE flags SET reason = 'Agent raised their voice (once)' "
                                   "WHERE severity = 'high'"))
    migrate.upgrade(engine, revision="0004")
    migrate.upgrade(engine, revision="0005")
    with engine.connect() as connection:
        kinds = connection.execute(sa.text("SELECT severity, kind FROM flags ORDER BY severity"))
        assert kinds.all() == [("high", "agent_raised_voice"), ("medium", None)]
    store = Store(engine, audio_dir=tmp_path)
    assert [item.call.id for item in store.review_queue(
        QueueFilter(flag_kind="agent_raised_voice")).items] == ["old"]
    migrate.downgrade(engine, revision="0004")
    columns = {column["name"] for column in sa.inspect(engine).get_columns("flags")}
    assert "kind" not in columns and "collections" not in sa.inspect(engine).get_table_names()
    with engine.connect() as connection:  # nothing stored was lost on the way down
        assert connection.execute(sa.text("SELECT count(*) FROM flags")).scalar() == 2
