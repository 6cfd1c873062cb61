"""A call that failed on its metadata is analysed once its sidecar or manifest row is fixed:
by ``process`` again or by the inbox, never by an inbox scan while nothing changed (real store
and flows; stand-in transcription and report building)."""

from __future__ import annotations

import json
import os
import time
from datetime import UTC, datetime
from pathlib import Path

from prefect.task_runners import ThreadPoolTaskRunner

from flows.inbox import watch_inbox
from flows.jobs import MANIFEST_NAME
from flows.outcomes import BatchSummary
from flows.process import process_batch
from flows.reprocess import reprocess_calls
from flows.runtime import store_for
from pipeline.store import CallStatus

from .conftest import write_call

HEADER = "file,agent_id,agent_name,team,customer_name,agent_channel,started_at\n"
GOOD_SIDECAR = {"agent_id": "a7", "agent_name": "Ann", "team": "blue", "customer_name": "Bo",
                "agent_channel": 1, "started_at": "2024-05-01T09:00:00Z"}


def run_process(paths, workspace) -> BatchSummary:
    """What ``callcoach process PATHS`` runs."""
    batch = process_batch.with_options(task_runner=ThreadPoolTaskRunner(max_workers=2))
    return BatchSummary.from_json(batch([str(p) for p in paths], workspace=workspace.to_params()))


def only_outcome(summary: BatchSummary):
    outcome, = summary.outcomes
    return outcome


def write_json(path: Path, values: dict) -> Path:
    path.write_text(json.dumps(values))
    return path


def settle(*paths: Path) -> None:
    """Date files a minute back, so an inbox scan takes them as fully written."""
    for path in paths:
        os.utime(path, (time.time() - 60, time.time() - 60))


def assert_analysed_with_good_metadata(store, call_id: str, fake_stages) -> None:
    call = store.get_call(call_id)
    assert (call.status, call.error, call.error_kind) == (CallStatus.DONE, None, None)
    assert (call.agent_id, call.agent_name, call.team, call.customer_name, call.agent_channel,
            call.started_at) == ("a7", "Ann", "blue", "Bo", 1, datetime(2024, 5, 1, 9, tzinfo=UTC))
    assert store.latest_report(call_id).document["agent_id"] == "a7"  # built from the new metadata
    assert fake_stages.reported == [call_id]
    assert len(store.list_calls()) == 1


def test_a_fixed_sidecar_gets_a_failed_call_analysed(tmp_path, workspace, fake_stages):
    audio = write_call(tmp_path / "calls" / "x.wav", seed=1)
    sidecar = write_json(tmp_path / "calls" / "x.json",
                         GOOD_SIDECAR | {"started_at": "last Tuesday"})
    first = only_outcome(run_process([audio], workspace))
    assert first.kind == "failed" and "started_at 'last Tuesday'" in first.reason
    store = store_for(workspace)
    assert store.get_call("x").error_kind == "InvalidMetadataError"

    write_json(sidecar, GOOD_SIDECAR | {"agent_channel": 3})  # still bad, for another reason
    second = only_outcome(run_process([audio], workspace))
    assert second.kind == "failed" and "agent_channel must be 0 or 1" in second.reason
    assert "started_at" not in second.reason and "recorded earlier" not in second.reason
    assert store.get_call("x").error == second.reason

    write_json(sidecar, GOOD_SIDECAR)
    fixed = run_process([audio], workspace)
    assert fixed.counts == {"done": 1, "skipped": 0, "failed": 0}
    assert_analysed_with_good_metadata(store, "x", fake_stages)
    again = only_outcome(run_process([audio], workspace))
    assert (again.kind, again.reason) == ("skipped", "already processed as x")
    assert len(store.report_versions("x")) == 1


def test_a_fixed_manifest_row_gets_a_failed_call_analysed(tmp_path, workspace, fake_stages):
    folder = tmp_path / "calls"
    write_call(folder / "x.wav", seed=2)
    manifest = folder / MANIFEST_NAME
    manifest.write_text(HEADER + "x.wav,a7,Ann,blue,Bo,1,2024-05-01 9am\n")
    first = only_outcome(run_process([folder], workspace))
    assert first.kind == "failed" and "line 2: started_at '2024-05-01 9am'" in first.reason

    manifest.write_text(HEADER + "x.wav,a7,Ann,blue,Bo,1,2024-05-01T09:00:00Z\n")
    assert run_process([folder], workspace).counts == {"done": 1, "skipped": 0, "failed": 0}
    assert_analysed_with_good_metadata(store_for(workspace), "x", fake_stages)


def test_an_unchanged_bad_sidecar_is_reported_without_a_write(tmp_path, workspace, fake_stages):
    audio = write_call(tmp_path / "x.wav", seed=3)
    write_json(tmp_path / "x.json", {"started_at": "soon"})
    first = only_outcome(run_process([audio], workspace))
    store = store_for(workspace)
    recorded = store.get_call("x")
    second = only_outcome(run_process([audio], workspace))
    assert (second.kind, second.reason) == ("failed", first.reason)
    assert store.get_call("x").updated_at == recorded.updated_at
    assert fake_stages.transcribed == []


def test_a_processed_call_keeps_its_metadata_and_says_so(tmp_path, workspace, fake_stages):
    audio = write_call(tmp_path / "x.wav", seed=4)
    sidecar = write_json(tmp_path / "x.json", GOOD_SIDECAR)
    assert run_process([audio], workspace).counts["done"] == 1
    write_json(sidecar, GOOD_SIDECAR | {"agent_id": "someone-else"})
    outcome = only_outcome(run_process([audio], workspace))
    assert outcome.kind == "skipped" and "stored metadata differs" in outcome.reason
    assert store_for(workspace).get_call("x").agent_id == "a7"
    assert fake_stages.reported == ["x"]


def test_bad_audio_with_fixed_metadata_fails_once_and_is_then_reported(tmp_path, workspace,
                                                                       fake_stages):
    corrupt = tmp_path / "corrupt.wav"
    corrupt.write_bytes(b"RIFF\x00\x00\x00\x00WAVEfmt garbage")
    sidecar = write_json(tmp_path / "corrupt.json", {"started_at": "never"})
    assert "started_at" in only_outcome(run_process([corrupt], workspace)).reason
    write_json(sidecar, GOOD_SIDECAR)
    decoded = only_outcome(run_process([corrupt], workspace))
    assert decoded.kind == "failed" and "decoded" in decoded.reason
    call = store_for(workspace).get_call("corrupt")
    assert (call.error_kind, call.agent_id) == ("InvalidAudioError", "a7")
    again = only_outcome(run_process([corrupt], workspace))
    assert again.kind == "failed" and "recorded earlier" in again.reason
    assert store_for(workspace).get_call("corrupt").updated_at == call.updated_at


def test_reprocess_leaves_a_metadata_failure_to_process(tmp_path, workspace, fake_stages):
    audio = write_call(tmp_path / "x.wav", seed=5)
    write_json(tmp_path / "x.json", {"started_at": "soon"})
    run_process([audio], workspace)
    summary = BatchSummary.from_json(reprocess_calls(["x"], workspace=workspace.to_params()))
    outcome = only_outcome(summary)
    assert outcome.kind == "failed"
    assert "started_at 'soon'" in outcome.reason
    assert f"callcoach process {audio.resolve()}" in outcome.reason
    store = store_for(workspace)
    assert store.get_call("x").status is CallStatus.FAILED and store.report_versions("x") == []
    assert fake_stages.transcribed == []


def scan(inbox: Path, workspace) -> dict[str, int]:
    return watch_inbox(str(inbox), settle_s=1.0, workspace=workspace.to_params())["counts"]


def test_the_inbox_takes_a_failed_file_again_only_when_its_sidecar_changes(tmp_path, workspace,
                                                                          fake_stages):
    inbox = tmp_path / "inbox"
    audio = write_call(inbox / "x.wav", seed=6)
    sidecar = write_json(inbox / "x.json", GOOD_SIDECAR | {"started_at": "tomorrow"})
    settle(audio, sidecar)
    assert scan(inbox, workspace) == {"done": 0, "skipped": 0, "failed": 1}
    store = store_for(workspace)
    recorded = store.get_call("x")
    assert "started_at 'tomorrow'" in recorded.error
    assert scan(inbox, workspace) == {"done": 0, "skipped": 0, "failed": 0}  # nothing changed
    assert store.get_call("x").updated_at == recorded.updated_at

    write_json(sidecar, GOOD_SIDECAR | {"team": ["blue"]})  # changed, still bad: taken once
    assert scan(inbox, workspace) == {"done": 0, "skipped": 0, "failed": 1}
    assert "team must be text" in store.get_call("x").error
    assert scan(inbox, workspace) == {"done": 0, "skipped": 0, "failed": 0}

    write_json(sidecar, GOOD_SIDECAR)
    assert scan(inbox, workspace) == {"done": 1, "skipped": 0, "failed": 0}
    assert_analysed_with_good_metadata(store, "x", fake_stages)
    assert scan(inbox, workspace) == {"done": 0, "skipped": 0, "failed": 0}


def test_the_inbox_takes_a_failed_file_again_when_its_manifest_row_is_fixed(tmp_path, workspace,
                                                                           fake_stages):
    inbox = tmp_path / "inbox"
    audio = write_call(inbox / "x.wav", seed=7)
    manifest = inbox / MANIFEST_NAME
    manifest.write_text(HEADER + "x.wav,a7,Ann,blue,Bo,2,2024-05-01T09:00:00Z\n")
    settle(audio, manifest)
    assert scan(inbox, workspace) == {"done": 0, "skipped": 0, "failed": 1}
    assert scan(inbox, workspace) == {"done": 0, "skipped": 0, "failed": 0}

    manifest.write_text(HEADER + "x.wav,a7,Ann,blue,Bo,1,2024-05-01T09:00:00Z\n")
    settle(manifest)
    assert scan(inbox, workspace) == {"done": 1, "skipped": 0, "failed": 0}
    assert_analysed_with_good_metadata(store_for(workspace), "x", fake_stages)


def test_a_copy_with_bad_metadata_of_its_own_is_not_taken_by_the_inbox(tmp_path, workspace,
                                                                       fake_stages):
    inbox = tmp_path / "inbox"
    audio = write_call(inbox / "a.wav", seed=8)
    sidecar = write_json(inbox / "a.json", {"started_at": "soon"})
    settle(audio, sidecar)
    assert scan(inbox, workspace) == {"done": 0, "skipped": 0, "failed": 1}
    copy = inbox / "b.wav"
    copy.write_bytes(audio.read_bytes())
    settle(copy, write_json(inbox / "b.json", {"agent_channel": 5}))
    # Taking b would record its problem over a's, and the next scan would take a again.
    assert scan(inbox, workspace) == {"done": 0, "skipped": 0, "failed": 0}
    assert scan(inbox, workspace) == {"done": 0, "skipped": 0, "failed": 0}
    assert "started_at 'soon'" in store_for(workspace).get_call("a").error
