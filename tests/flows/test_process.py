"""The process/batch/reprocess flows with stand-in analysis stages (fast)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from prefect.task_runners import ThreadPoolTaskRunner

from flows import tasks
from flows.outcomes import BatchSummary, format_summary
from flows.process import process_batch, process_call, process_call_in_process
from flows.reprocess import reprocess_calls
from flows.runtime import store_for
from pipeline.errors import StoreError
from pipeline.store import CallStatus, Store

from .conftest import write_call


def run_batch(paths, workspace, **options) -> BatchSummary:
    batch = process_batch.with_options(task_runner=ThreadPoolTaskRunner(max_workers=2))
    return BatchSummary.from_json(batch([str(p) for p in paths], workspace=workspace.to_params(),
                                        **options))


@pytest.fixture
def inbox(tmp_path) -> Path:
    folder = tmp_path / "inbox"
    for seed in range(3):
        write_call(folder / f"call-{seed}.wav", seed=seed)
    (folder / "call-1.json").write_text(json.dumps(
        {"agent_id": "a7", "agent_name": "Ann", "team": "blue", "agent_channel": 1,
         "started_at": "2024-05-01T09:00:00Z", "ground_truth": {"ignored": True}}))
    (folder / "corrupt.wav").write_bytes(b"RIFF\x00\x00\x00\x00WAVEfmt garbage")
    (folder / "copy-of-0.wav").write_bytes((folder / "call-0.wav").read_bytes())
    return folder


def test_batch_statuses_no_duplicates_and_rerun_does_nothing(inbox, workspace, fake_stages):
    first = run_batch([inbox], workspace)
    assert first.counts == {"done": 3, "skipped": 1, "failed": 1}
    failure, = first.failures
    assert failure.path.endswith("corrupt.wav") and "decoded" in failure.reason
    store = store_for(workspace)
    assert store.count_calls_by_status() == {CallStatus.QUEUED: 0, CallStatus.PROCESSING: 0,
                                             CallStatus.DONE: 3, CallStatus.FAILED: 1}
    assert sorted(fake_stages.reported) == ["call-0", "call-1", "call-2"]
    call = store.get_call("call-1")
    assert (call.agent_id, call.team, call.agent_channel) == ("a7", "blue", 1)
    assert store.get_call("corrupt").error_kind == "InvalidAudioError"

    second = run_batch([inbox], workspace)
    assert second.counts == {"done": 0, "skipped": 4, "failed": 1}
    assert len(fake_stages.reported) == 3  # nothing analysed again
    assert [len(store.report_versions(f"call-{i}")) for i in range(3)] == [1, 1, 1]
    assert "failed: " in format_summary(second) and "corrupt.wav" in format_summary(second)


def test_missing_file_and_bad_sidecar_are_failures_with_reasons(tmp_path, workspace, fake_stages):
    good = write_call(tmp_path / "x.wav", seed=5)
    (tmp_path / "x.json").write_text('{"agent_channel": 3}')
    summary = run_batch([good, tmp_path / "absent.wav"], workspace)
    reasons = {Path(o.path).name: o.reason for o in summary.failures}
    assert reasons.keys() == {"x.wav", "absent.wav"}
    assert "agent_channel must be 0 or 1" in reasons["x.wav"]
    assert "not found" in reasons["absent.wav"]
    assert fake_stages.reported == []


def test_transient_store_error_is_retried(tmp_path, workspace, fake_stages, monkeypatch):
    monkeypatch.setattr(tasks, "RETRY_DELAYS_S", [0.0])
    save = Store.save_report
    attempts = []

    def flaky_save(self, call_id, report):
        attempts.append(call_id)
        if len(attempts) == 1:
            raise StoreError("connection reset")
        return save(self, call_id, report)

    monkeypatch.setattr(Store, "save_report", flaky_save)
    outcome = process_call(str(write_call(tmp_path / "r.wav", seed=9)),
                           workspace=workspace.to_params())
    assert outcome["kind"] == "done"
    assert attempts == ["r", "r"]


def test_bad_audio_is_not_retried(tmp_path, workspace, fake_stages, monkeypatch):
    decodes = []
    original = fake_stages.transcribe

    def counting(*args, **kwargs):
        decodes.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr("flows.stages.transcribe", counting)
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"\x00" * 100)
    outcome = process_call(str(bad), workspace=workspace.to_params())
    assert outcome["kind"] == "failed"
    assert len(decodes) == 1


def test_a_call_left_processing_by_a_dead_run_is_redone_once(tmp_path, workspace, fake_stages):
    path = write_call(tmp_path / "k.wav", seed=11)
    store = store_for(workspace)
    call = store.register_call(path, process_call_metadata("k")).call
    assert store.claim_call(call.id, owner="gone-host:1:1")  # a worker that no longer answers
    store.claim_timeout_s = 0.0  # its claim is stale at once
    summary = run_batch([path], workspace)
    assert summary.counts == {"done": 1, "skipped": 0, "failed": 0}
    assert [v.version for v in store.report_versions("k")] == [1]


def test_reprocess_adds_a_version_and_reuses_the_cached_transcript(tmp_path, workspace,
                                                                   fake_stages):
    path = write_call(tmp_path / "v.wav", seed=21)
    assert process_call(str(path), workspace=workspace.to_params())["kind"] == "done"
    rubric = tmp_path / "rubric-v2.toml"
    rubric.write_text("rubric_version = '2'\n")
    summary = BatchSummary.from_json(reprocess_calls(["v", "no-such-call"], rubric=str(rubric),
                                                     workspace=workspace.to_params()))
    assert summary.counts == {"done": 1, "skipped": 0, "failed": 1}
    assert len(fake_stages.transcribed) == 1  # Whisper ran once; the second time was cached
    versions = store_for(workspace).report_versions("v")
    assert [(v.version, v.is_current) for v in versions] == [(1, False), (2, True)]
    assert versions[1].rubric_version == str(rubric)


def process_call_metadata(call_id: str):
    from pipeline.types import CallMetadata

    return CallMetadata(call_id=call_id)


def test_a_call_run_in_process_has_no_heartbeat_thread_to_wait_for(tmp_path, workspace,
                                                                    fake_stages, monkeypatch):
    seen = []
    original = fake_stages.transcribe

    def noting(*args, **kwargs):
        from prefect.settings import get_current_settings

        seen.append(get_current_settings().flows.heartbeat_frequency)
        return original(*args, **kwargs)

    monkeypatch.setattr("flows.stages.transcribe", noting)
    outcome = process_call_in_process(str(write_call(tmp_path / "h.wav", seed=31)),
                                      workspace=workspace.to_params())
    assert outcome["kind"] == "done"
    assert seen == [None]
    assert store_for(workspace).get_call(outcome["call_id"]).status is CallStatus.DONE


def test_the_agent_channel_travels_beside_the_config(inbox, workspace, fake_stages):
    """Calls analysed with the same thresholds carry the same config digest, whichever
    channel their agent is on; the channel still decides the transcript cache entry."""
    from flows.tasks import transcript_cache_key
    from pipeline.config import Config

    run_batch([inbox], workspace)
    store = store_for(workspace)
    assert store.get_call("call-1").agent_channel == 1
    digests = {store.latest_report(f"call-{seed}").report.config.digest for seed in range(3)}
    assert digests == {Config().digest}
    keys = {transcript_cache_key(None, {"sha256": "s", "config": Config(), "agent_channel": channel})
            for channel in (0, 1)}
    assert len(keys) == 2


def test_a_stored_call_is_analysed_by_id_without_touching_the_environment(
        tmp_path, workspace, fake_stages, monkeypatch):
    """The API's entry: the call's stored metadata and channel are used as they are."""
    import os

    from flows.service import analyse_stored_call
    from pipeline.types import CallMetadata

    store = store_for(workspace)
    metadata = CallMetadata(call_id="up-1", agent_id="a9", team="red", customer_name="Bo")
    call = store.register_call(write_call(tmp_path / "u.wav", seed=41), metadata,
                               agent_channel=1).call
    before = dict(os.environ)
    outcome = analyse_stored_call(call.id, workspace=workspace)
    assert dict(os.environ) == before
    assert outcome["kind"] == "done"
    assert fake_stages.reported == ["up-1"]
    stored = store.get_call("up-1")
    assert (stored.status, stored.agent_id, stored.agent_channel) == (CallStatus.DONE, "a9", 1)
    again = analyse_stored_call(call.id, workspace=workspace)
    assert again["kind"] == "skipped" and fake_stages.reported == ["up-1"]
