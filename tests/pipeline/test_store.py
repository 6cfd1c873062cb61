"""The store on SQLite and (when CALLCOACH_TEST_POSTGRES_URL is set) PostgreSQL."""

from __future__ import annotations

import json
import math
import threading
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from pipeline.errors import NotFoundError, StoreError
from pipeline.store import (CallStatus, InvalidMetadataError, InvalidReportError, Store,
                            StoreLocation, claim_owner, location_from_env)
from pipeline.store import reports as reports_module
from pipeline.store.audio import sha256_of_file
from pipeline.store.schema import calls
from pipeline.types import CallMetadata


def audio_file(folder: Path, name: str, content: bytes) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path


def sample_report(call_id: str, *, rubric_version: str = "1", n_events: int = 2) -> dict:
    events = [{"id": f"ev-{i}", "type": "interruption" if i % 2 else "raised_voice",
               "speaker": "agent" if i % 2 else "customer", "start": 10.0 * i, "end": 10.0 * i + 1.5,
               "details": {"overlap_s": 0.8}} for i in range(1, n_events + 1)]
    return {
        "schema_version": 1, "call_id": call_id, "agent_id": "a1", "duration_s": 61.5,
        "rubric_version": rubric_version,
        "events": events,
        "checks": {
            "empathy_statement": {"met": True, "skill": "empathy", "evidence": [
                {"speaker": "agent", "start": 4.0, "text": "I understand how annoying that is"}]},
            "customer_escalation_request": {"met": None, "evidence": []},
        },
        "flags": [{"reason": "agent interrupting", "severity": "high", "event_ids": ["ev-1"]}],
        "coaching": [{"skill": "listening", "message": "let the customer finish",
                      "evidence": ["ev-1"]}],
        "redactions": [{"kind": "card_number", "speaker": "customer", "start": 30.0, "end": 33.0}],
        "scores": {"overall": 71},
        "config": {"digest": "abc123"},
    }


def metadata(call_id: str = "call-1", **values) -> CallMetadata:
    return CallMetadata(call_id=call_id, agent_id="a1", agent_name="Ann", team="blue",
                        customer_name="Bo", started_at="2024-05-01T14:03:00+00:00", **values)


def test_register_copies_audio_under_its_hash_and_queues(store, tmp_path):
    source = audio_file(tmp_path / "inbox", "call-1.opus", b"opus bytes")
    registration = store.register_call(source, metadata())
    call = registration.call
    assert registration.created
    assert (call.id, call.status, call.agent_name) == ("call-1", CallStatus.QUEUED, "Ann")
    assert call.audio_path.read_bytes() == b"opus bytes"
    assert call.audio_path.name == f"{call.sha256}.opus"
    assert call.sha256 == sha256_of_file(source)
    assert call.started_at == datetime(2024, 5, 1, 14, 3, tzinfo=UTC)
    assert call.metadata.call_id == "call-1"


def test_same_audio_under_another_name_is_the_same_call(store, tmp_path):
    first = store.register_call(audio_file(tmp_path, "a.opus", b"same"), metadata("a"))
    second = store.register_call(audio_file(tmp_path, "copy/b.opus", b"same"), metadata("b"))
    assert not second.created
    assert second.call.id == first.call.id == "a"
    assert len(store.list_calls()) == 1


def test_taken_call_id_with_other_audio_gets_a_hash_suffix(store, tmp_path):
    store.register_call(audio_file(tmp_path, "x/call.opus", b"one"), metadata("call"))
    other = store.register_call(audio_file(tmp_path, "y/call.opus", b"two"), metadata("call"))
    assert other.created
    assert other.call.id == f"call-{other.call.sha256[:8]}"


def test_concurrent_registrations_of_one_file_make_one_call(store, tmp_path):
    source = audio_file(tmp_path, "c.opus", b"raced")
    results = []

    def register() -> None:
        results.append(store.register_call(source, metadata("c")))

    threads = [threading.Thread(target=register) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(result.created for result in results) == 1
    assert {result.call.id for result in results} == {"c"}


def test_report_and_findings_are_stored_and_searchable(store, tmp_path):
    call = store.register_call(audio_file(tmp_path, "c.opus", b"x"), metadata("c")).call
    assert store.claim_call(call.id, owner=claim_owner())
    assert store.get_call(call.id).status is CallStatus.PROCESSING
    stored = store.save_report(call.id, sample_report(call.id))
    assert (stored.version, stored.config_digest, stored.rubric_version) == (1, "abc123", "1")
    done = store.get_call(call.id)
    assert (done.status, done.duration_s, done.claimed_by) == (CallStatus.DONE, 61.5, None)
    interruptions = store.search_events(type="interruption", agent_id="a1")
    assert [(e.event_key, e.speaker, e.severity, e.team) for e in interruptions] == [
        ("ev-1", "agent", "high", "blue")]
    assert [c.check_id for c in store.search_checks(met=True, skill="empathy")] == [
        "empathy_statement"]
    assert store.search_checks(met=False) == []
    assert len(store.search_checks(call_id=call.id)) == 2
    assert [f.event_keys for f in store.search_flags(severity="high")] == [("ev-1",)]
    assert [c.skill for c in store.search_coaching(agent_id="a1")] == ["listening"]
    assert [(r.kind, r.start_s) for r in store.list_redactions(call.id)] == [("card_number", 30.0)]
    window = store.search_events(since=datetime(2024, 5, 2, tzinfo=UTC))
    assert window == []


def test_a_new_rubric_adds_a_version_and_keeps_the_old(store, tmp_path):
    call = store.register_call(audio_file(tmp_path, "c.opus", b"x"), metadata("c")).call
    store.save_report(call.id, sample_report(call.id, rubric_version="1", n_events=2))
    store.save_report(call.id, sample_report(call.id, rubric_version="2", n_events=3))
    versions = store.report_versions(call.id)
    assert [(v.version, v.rubric_version, v.is_current) for v in versions] == [
        (1, "1", False), (2, "2", True)]
    assert len(versions[0].document["events"]) == 2
    assert store.latest_report(call.id).version == 2
    assert len(store.search_events(call_id=call.id)) == 3  # only the current version is indexed


def test_a_failing_write_leaves_no_partial_report(store, tmp_path, monkeypatch):
    call = store.register_call(audio_file(tmp_path, "c.opus", b"x"), metadata("c")).call
    store.claim_call(call.id, owner=claim_owner())
    insert_findings = reports_module._insert_findings

    def insert_then_lose_connection(connection, *args):
        insert_findings(connection, *args)
        assert connection.execute(sa.text("SELECT count(*) FROM events")).scalar() == 2
        raise sa.exc.OperationalError("INSERT", {}, ConnectionError("server closed the connection"))

    monkeypatch.setattr(reports_module, "_insert_findings", insert_then_lose_connection)
    with pytest.raises(StoreError, match="OperationalError"):
        store.save_report(call.id, sample_report(call.id))
    assert store.get_call(call.id).status is CallStatus.PROCESSING
    assert store.report_versions(call.id) == []
    assert store.search_events(call_id=call.id) == []
    assert store.search_checks(call_id=call.id) == []


def test_non_finite_numbers_are_stored_as_null(store, tmp_path):
    call = store.register_call(audio_file(tmp_path, "c.opus", b"x"), metadata("c")).call
    report = sample_report(call.id)
    report["scores"]["pitch"] = math.nan
    stored = store.save_report(call.id, report)
    assert stored.document["scores"] == {"overall": 71, "pitch": None}


def test_claims(store, tmp_path):
    call = store.register_call(audio_file(tmp_path, "c.opus", b"x"), metadata("c")).call
    dead_owner = f"{claim_owner().split(':')[0]}:999999999:1"
    assert store.claim_call(call.id, owner=dead_owner)
    assert store.claim_call(call.id, owner=claim_owner())  # a dead process's claim is taken over
    live_other_thread = claim_owner() + "0"
    assert not store.claim_call(call.id, owner=live_other_thread)
    store.save_report(call.id, sample_report(call.id))
    assert not store.claim_call(call.id, owner=claim_owner())
    assert store.claim_call(call.id, owner=claim_owner(), force=True)


def test_failure_is_recorded_with_reason_and_kind(store, tmp_path):
    call = store.register_call(audio_file(tmp_path, "c.opus", b"x"), metadata("c")).call
    store.mark_failed(call.id, reason="not an audio file", kind="InvalidAudioError")
    failed = store.list_calls(status="failed")
    assert [(c.id, c.error, c.error_kind) for c in failed] == [
        ("c", "not an audio file", "InvalidAudioError")]
    assert store.count_calls_by_status()[CallStatus.FAILED] == 1


@pytest.mark.parametrize("operation", [
    lambda store: store.get_call("nope"),
    lambda store: store.latest_report("nope"),
    lambda store: store.claim_call("nope", owner="o"),
    lambda store: store.mark_failed("nope", reason="r", kind="k"),
    lambda store: store.save_report("nope", sample_report("nope")),
])
def test_missing_call_raises_not_found(store, operation):
    with pytest.raises(NotFoundError):
        operation(store)


@pytest.mark.parametrize("change, error", [
    ({"started_at": "yesterday"}, InvalidMetadataError),
    ({"started_at": "2024-13-01"}, InvalidMetadataError),
])
def test_bad_metadata_is_rejected(store, tmp_path, change, error):
    meta = CallMetadata(call_id="c", **change)
    with pytest.raises(error, match="ISO 8601"):
        store.register_call(audio_file(tmp_path, "c.opus", b"x"), meta)


@pytest.mark.parametrize("broken", [
    lambda report: report.pop("schema_version"),
    lambda report: report.pop("config"),
    lambda report: report.update(config={"values": {}}),
    lambda report: report["scores"].update(overall=object()),
])
def test_reports_without_index_keys_are_rejected(store, tmp_path, broken):
    call = store.register_call(audio_file(tmp_path, "c.opus", b"x"), metadata("c")).call
    report = sample_report(call.id)
    broken(report)
    with pytest.raises(InvalidReportError):
        store.save_report(call.id, report)


def test_unreachable_database_raises_store_error(tmp_path):
    with pytest.raises(StoreError, match="cannot migrate"):
        Store.open("postgresql+psycopg://nobody@127.0.0.1:9/none?connect_timeout=2",
                   audio_dir=tmp_path)


@pytest.mark.parametrize("environ, url_end, audio_end", [
    ({}, ".callcoach/callcoach.db", ".callcoach/audio"),
    ({"CALLCOACH_HOME": "/data/cc"}, "/data/cc/callcoach.db", "/data/cc/audio"),
    ({"CALLCOACH_HOME": "/data/cc", "CALLCOACH_DATABASE_URL": "postgresql+psycopg://u@h/db",
      "CALLCOACH_AUDIO_DIR": "/shared/audio"}, "postgresql+psycopg://u@h/db", "/shared/audio"),
])
def test_location_from_env(environ, url_end, audio_end):
    location = location_from_env(environ)
    assert isinstance(location, StoreLocation)
    assert location.url.endswith(url_end)
    assert str(location.audio_dir).endswith(audio_end)


def in_another_thread(work, *, timeout_s: float = 10.0):
    """``work()``'s result, run on another thread; the test fails if it takes longer than
    ``timeout_s`` (a store operation kept waiting for a lock would wait 60 s)."""
    pool = ThreadPoolExecutor(max_workers=1)
    try:
        return pool.submit(work).result(timeout=timeout_s)
    except FutureTimeout:
        pytest.fail(f"still waiting after {timeout_s} s")
    finally:
        pool.shutdown(wait=False)


def test_a_file_database_is_in_wal_mode(tmp_path):
    with Store.open(f"sqlite:///{tmp_path / 'wal.db'}", audio_dir=tmp_path / "audio") as store:
        with store.read() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


def test_reads_do_not_wait_for_an_open_write(store, tmp_path):
    call = store.register_call(audio_file(tmp_path, "c.opus", b"x"), metadata("c")).call
    store.save_report(call.id, sample_report(call.id))
    with store.transaction() as connection:
        connection.execute(sa.update(calls).where(calls.c.id == call.id).values(agent_name="Cy"))
        seen = in_another_thread(lambda: (
            store.get_call(call.id).agent_name, [c.id for c in store.list_calls()],
            store.latest_report(call.id).version, len(store.search_events(call_id=call.id))))
    assert seen == ("Ann", ["c"], 1, 2)  # what was committed, not the open write
    assert store.get_call(call.id).agent_name == "Cy"


def test_a_write_does_not_wait_for_an_open_read(store, database_url, tmp_path):
    call = store.register_call(audio_file(tmp_path, "c.opus", b"x"), metadata("c")).call
    status = sa.select(calls.c.status).where(calls.c.id == call.id)
    with store.read() as connection:
        before = connection.execute(status).scalar_one()
        assert in_another_thread(lambda: store.claim_call(call.id, owner=claim_owner()))
        during = connection.execute(status).scalar_one()
    assert before == "queued"
    if database_url.startswith("sqlite"):
        assert during == "queued"  # one snapshot for the whole read
    assert store.get_call(call.id).status is CallStatus.PROCESSING


def test_the_stored_report_text_is_the_current_report(store, tmp_path):
    call = store.register_call(audio_file(tmp_path, "c.opus", b"x"), metadata("c")).call
    assert store.call_with_report_json(call.id) == (call, None)
    store.save_report(call.id, sample_report(call.id))
    store.save_report(call.id, {**sample_report(call.id), "score": 12.5})
    done, report_json = store.call_with_report_json(call.id)
    assert done == store.get_call(call.id) and done.status is CallStatus.DONE
    assert json.loads(report_json) == store.latest_report(call.id).document
    assert json.loads(report_json)["score"] == 12.5
    with pytest.raises(NotFoundError, match="no call with id 'nope'"):
        store.call_with_report_json("nope")


def test_update_call_metadata_replaces_it_until_the_call_is_done(store, tmp_path):
    call = store.register_call(audio_file(tmp_path, "c.opus", b"x"), CallMetadata(call_id="c")).call
    store.mark_failed(call.id, reason="sidecar c.json is not readable JSON",
                      kind="InvalidMetadataError")
    fixed = CallMetadata(call_id="ignored", agent_id="a2", agent_name="Al", team="red",
                         customer_name="Cy", started_at="2024-06-02T08:30:00+02:00")
    assert store.update_call_metadata(call.id, fixed, agent_channel=1)
    updated = store.get_call(call.id)
    assert (updated.id, updated.agent_id, updated.agent_name, updated.team, updated.customer_name,
            updated.started_at, updated.agent_channel) == (
        "c", "a2", "Al", "red", "Cy", datetime(2024, 6, 2, 6, 30, tzinfo=UTC), 1)
    assert (updated.status, updated.error_kind) == (CallStatus.FAILED, "InvalidMetadataError")

    with pytest.raises(InvalidMetadataError, match="ISO 8601"):
        store.update_call_metadata(call.id, CallMetadata(call_id="c", agent_id="a3",
                                                         started_at="noon"), agent_channel=0)
    assert store.get_call(call.id).agent_id == "a2"  # nothing of the rejected metadata is kept

    assert store.claim_call(call.id, owner=claim_owner() + "0")  # a live thread of this process
    assert not store.update_call_metadata(call.id, CallMetadata(call_id="c", agent_id="a4"),
                                          agent_channel=0)
    dead_owner = f"{claim_owner().split(':')[0]}:999999999:1"
    store.release_call(call.id)
    assert store.claim_call(call.id, owner=dead_owner)
    assert store.update_call_metadata(call.id, CallMetadata(call_id="c", agent_id="a5"),
                                      agent_channel=0)
    assert (store.get_call(call.id).agent_id, store.get_call(call.id).team) == ("a5", None)

    store.save_report(call.id, sample_report(call.id))
    assert not store.update_call_metadata(call.id, fixed, agent_channel=1)
    assert store.get_call(call.id).agent_id == "a5"
    with pytest.raises(NotFoundError):
        store.update_call_metadata("nope", fixed, agent_channel=0)


def test_new_metadata_reaches_the_rows_an_earlier_report_left(store, tmp_path):
    """A call done once, then failed on its metadata when run again: its search rows and queue
    keys follow the metadata it is given, so searches agree with the call."""
    call = store.register_call(audio_file(tmp_path, "c.opus", b"x"), metadata("c")).call
    store.save_report(call.id, sample_report(call.id))
    assert store.claim_call(call.id, owner=claim_owner(), force=True)
    store.mark_failed(call.id, reason="bad sidecar", kind="InvalidMetadataError")
    fixed = CallMetadata(call_id="c", agent_id="a9", team="blue",
                         started_at="2024-07-01T09:00:00Z")
    assert store.update_call_metadata(call.id, fixed, agent_channel=0)
    events = store.search_events(call_id=call.id)
    assert events and {(row.agent_id, row.team) for row in events} == {("a9", "blue")}
    assert store.search_events(agent_id="a9", since=datetime(2024, 7, 1, tzinfo=UTC))
    with store.read() as connection:
        started = connection.execute(sa.select(reports_module.reports.c.call_started_at)
                                     .where(reports_module.reports.c.call_id == call.id)).scalar()
    assert started is not None and started.replace(tzinfo=UTC) == datetime(2024, 7, 1, 9, tzinfo=UTC)


def test_a_new_sqlite_database_is_readable_by_its_owner_alone(tmp_path):
    from pipeline.store import Store
    from pipeline.types import CallMetadata

    home = tmp_path / "home"
    store = Store.open(f"sqlite:///{home / 'callcoach.db'}", audio_dir=home / "audio")
    source = tmp_path / "x.wav"
    source.write_bytes(b"RIFF" + bytes(64))
    store.register_call(source, CallMetadata(call_id="x"))
    private = [home / "callcoach.db", home / "callcoach.db-wal",
               *(home / "audio").rglob("*.wav")]
    store.close()
    assert home.stat().st_mode & 0o077 == 0
    for path in private:
        if path.exists():
            assert path.stat().st_mode & 0o077 == 0, (path, oct(path.stat().st_mode))
