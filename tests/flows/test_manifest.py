"""CSV manifests: metadata for the files of a batch or an inbox, with every malformed or hostile
row turned into a failure recorded for its file (stand-in analysis stages; fast)."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import pytest
from prefect.task_runners import ThreadPoolTaskRunner

from flows.inbox import watch_inbox
from flows.jobs import MANIFEST_NAME, jobs_for, read_manifest
from flows.outcomes import BatchSummary
from flows.process import process_batch
from flows.runtime import store_for
from pipeline.store import CallStatus, InvalidMetadataError

from .conftest import callcoach_argv, write_call

HEADER = "file,agent_id,agent_name,team,customer_name,agent_channel,started_at\n"


def write_manifest(folder: Path, text: str | bytes, name: str = MANIFEST_NAME) -> Path:
    path = folder / name
    folder.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def test_rows_give_metadata_by_file_name_and_win_over_the_sidecar(tmp_path):
    folder = tmp_path / "calls"
    for seed, name in enumerate(("a.wav", "b.wav", "c.wav")):
        write_call(folder / name, seed=seed)
    (folder / "b.json").write_text(json.dumps({"agent_id": "from-sidecar"}))
    (folder / "c.json").write_text(json.dumps({"agent_id": "c-sidecar", "team": "red"}))
    # A spreadsheet's byte-order mark, spaces after commas and an extra column are all fine.
    write_manifest(folder, "\ufeff" + HEADER.replace("\n", ",notes\n")
                   + "a.wav, a7, Ann, blue, Ben Ode, 1, 2024-05-01T09:00:00Z, first call\n"
                   + 'b.wav,b9,"Bo, Jr.",,,,,\n')
    jobs = {job.path.name: job for job in jobs_for([folder])}
    a, b, c = jobs["a.wav"], jobs["b.wav"], jobs["c.wav"]
    assert (a.metadata.agent_id, a.metadata.agent_name, a.metadata.team,
            a.metadata.customer_name, a.metadata.started_at, a.agent_channel) == (
        "a7", "Ann", "blue", "Ben Ode", "2024-05-01T09:00:00Z", 1)
    assert (b.metadata.agent_id, b.metadata.agent_name, b.agent_channel) == ("b9", "Bo, Jr.", None)
    assert (c.metadata.agent_id, c.metadata.team) == ("c-sidecar", "red")  # not listed
    assert not any(job.problems for job in jobs.values())


@pytest.mark.parametrize(("row", "reason"), [
    ("x.wav,a1,,,,,,extra,fields\n", "line 2 has more fields than the header"),
    ("../elsewhere/x.wav,a1,,,,,\n", "not a path"),
    ("/etc/x.wav,a1,,,,,\n", "not a path"),
    ("x.wav,a1,,,,2,\n", "agent_channel must be 0 or 1"),
    ("x.wav,a1,,,,,yesterday\n", "line 2: started_at 'yesterday' is not an ISO 8601 time"),
    ("x.wav,a1,,,,,0001-01-01T00:00:00+01:00\n", "is not an ISO 8601 time"),
    ("x.wav,a1,,,,,9999-12-31T23:59:59-05:00\n", "is not an ISO 8601 time"),
    ("x.wav,a1,,,,,2999-01-01T00:00:00Z\n", "is not a time a call can have started"),
    ("x.wav," + "a" * 201 + ",,,,,\n", "agent_id is 201 characters long; at most 200"),
    ("x.wav,a1\x00,,,,,\n", "agent_id contains control characters"),
    ('x.wav,"a1\nsecond line",,,,,\n', "agent_id contains control characters"),
    ("x.wav,a1,,,,,\nx.wav,a2,,,,,\n", "lists x.wav twice (lines 2 and 3)"),
], ids=["extra-fields", "parent-path", "absolute-path", "channel", "started-at",
        "started-before-utc-year-1", "started-after-utc-year-9999", "started-in-2999", "too-long",
        "nul", "newline", "listed-twice"])
def test_a_bad_row_is_a_problem_of_its_file_only(tmp_path, row, reason):
    folder = tmp_path / "calls"
    write_call(folder / "x.wav", seed=1)
    write_call(folder / "y.wav", seed=2)
    write_manifest(folder, HEADER + row + "y.wav,b2,,,,,\n")
    jobs = {job.path.name: job for job in jobs_for([folder])}
    problem, = jobs["x.wav"].problems
    assert reason in problem and str(folder / MANIFEST_NAME) in problem
    assert jobs["x.wav"].metadata.agent_id is None  # nothing from the bad row is used
    assert jobs["y.wav"].metadata.agent_id == "b2" and not jobs["y.wav"].problems


@pytest.mark.parametrize(("content", "reason"), [
    (b"", "needs a header row with a 'file' column"),
    (b"name,agent_id\nx.wav,a1\n", "needs a header row with a 'file' column"),
    (b"file,agent_id,agent_id\nx.wav,a1,a2\n", "repeats column(s) agent_id"),
    (b"file,agent_id\nx.wav,J\xe9r\xf4me\n", "is not a readable UTF-8 CSV file"),
    (b"file,agent_id\nx.wav,\"" + b"a" * 200_000 + b"\"\n", "is not a readable UTF-8 CSV file"),
], ids=["empty", "no-file-column", "repeated-column", "latin-1", "huge-field"])
def test_an_unusable_manifest_is_a_problem_of_every_file_in_its_folder(tmp_path, content, reason):
    folder = tmp_path / "calls"
    write_call(folder / "x.wav", seed=1)
    write_call(folder / "y.wav", seed=2)
    (folder / "y.json").write_text(json.dumps({"agent_id": "y-sidecar"}))
    write_manifest(folder, content)
    jobs = jobs_for([folder])
    assert [job.path.name for job in jobs] == ["x.wav", "y.wav"]
    for job in jobs:
        problem, = job.problems
        assert reason in problem


def test_each_folder_uses_its_own_manifest_and_a_named_one_must_be_usable(tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    write_call(first / "same.wav", seed=1)
    write_call(second / "same.wav", seed=2)
    write_manifest(first, HEADER + "same.wav,first-agent,,,,,\n")
    write_manifest(second, HEADER + "same.wav,second-agent,,,,,\n")
    jobs = jobs_for([first, second])
    assert [job.metadata.agent_id for job in jobs] == ["first-agent", "second-agent"]

    named = write_manifest(tmp_path, HEADER + "same.wav,named,,,,,\n", name="all.csv")
    assert [job.metadata.agent_id for job in jobs_for([first, second], manifest_path=named)] == [
        "named", "named"]
    with pytest.raises(InvalidMetadataError, match="needs a header row"):
        jobs_for([first], manifest_path=write_manifest(tmp_path, "oops\n", name="bad.csv"))
    assert read_manifest(tmp_path / "absent.csv").error is not None


def test_batch_records_bad_rows_as_failed_calls_and_processes_the_rest(tmp_path, workspace,
                                                                       fake_stages):
    folder = tmp_path / "calls"
    for seed, name in enumerate(("good.wav", "bad.wav", "unlisted.wav")):
        write_call(folder / name, seed=seed)
    write_manifest(folder, HEADER + "good.wav,g1,Gil,blue,,,\nbad.wav,b1,,,,,not-a-time\n")
    batch = process_batch.with_options(task_runner=ThreadPoolTaskRunner(max_workers=2))
    summary = BatchSummary.from_json(batch([str(folder)], workspace=workspace.to_params()))
    assert summary.counts == {"done": 2, "skipped": 0, "failed": 1}
    store = store_for(workspace)
    assert (store.get_call("good").agent_id, store.get_call("good").team) == ("g1", "blue")
    bad = store.get_call("bad")
    assert bad.status is CallStatus.FAILED and bad.error_kind == "InvalidMetadataError"
    assert "line 3" in bad.error and "not-a-time" in bad.error
    assert sorted(fake_stages.reported) == ["good", "unlisted"]


def test_inbox_scan_uses_the_inbox_manifest_and_survives_a_broken_one(tmp_path, workspace,
                                                                      fake_stages):
    inbox = tmp_path / "inbox"
    write_call(inbox / "one.wav", seed=1)
    manifest = write_manifest(inbox, HEADER + "one.wav,agent-1,,,,,\n")
    os.utime(manifest, (time.time() - 10, time.time() - 10))
    first = watch_inbox(str(inbox), settle_s=0.0, workspace=workspace.to_params())
    assert first["counts"] == {"done": 1, "skipped": 0, "failed": 0}
    assert store_for(workspace).get_call("one").agent_id == "agent-1"

    two_wav = write_call(inbox / "two.wav", seed=2)
    os.utime(two_wav, (time.time() - 10, time.time() - 10))
    write_manifest(inbox, b"\xff\xfe" + "file,agent_id\n".encode("utf-16-le"))
    assert watch_inbox(str(inbox), settle_s=5.0, workspace=workspace.to_params())["counts"] == {
        "done": 0, "skipped": 0, "failed": 0}  # the manifest changed just now: wait for it
    second = watch_inbox(str(inbox), settle_s=0.0, workspace=workspace.to_params())
    assert second["counts"] == {"done": 0, "skipped": 0, "failed": 1}
    two = store_for(workspace).get_call("two")
    assert two.status is CallStatus.FAILED and "not a readable UTF-8 CSV" in two.error
    assert sorted(fake_stages.reported) == ["one"]


def test_process_refuses_an_unusable_named_manifest_before_touching_a_call(tmp_path):
    write_call(tmp_path / "calls" / "x.wav", seed=1)
    env = {key: value for key, value in os.environ.items() if not key.startswith("PREFECT_")}
    env |= {"CALLCOACH_HOME": str(tmp_path / "home"), "PREFECT_HOME": str(tmp_path / "prefect")}
    done = subprocess.run(callcoach_argv("process", str(tmp_path / "calls"), "--manifest",
                                         str(tmp_path / "typo.csv")),
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "typo.csv is not a readable UTF-8 CSV file" in done.stderr
    assert not (tmp_path / "home" / "audio").exists()


@pytest.mark.parametrize(("sidecar", "reason"), [
    ({"agent_id": True}, "agent_id must be text in quotes, not bool true"),
    ({"team": 7}, "team must be text in quotes, not int 7"),
    ({"started_at": "0001-01-01T00:00:00+01:00"}, "is not an ISO 8601 time"),
    ({"started_at": "2999-01-01T00:00:00Z"}, "is not a time a call can have started"),
], ids=["bool", "number", "overflowing-start", "start-in-2999"])
def test_a_bad_sidecar_value_is_a_problem_of_its_file_only(tmp_path, sidecar, reason):
    folder = tmp_path / "calls"
    write_call(folder / "x.wav", seed=1)
    write_call(folder / "y.wav", seed=2)
    (folder / "x.json").write_text(json.dumps(sidecar))
    jobs = {job.path.name: job for job in jobs_for([folder])}
    problem, = jobs["x.wav"].problems
    assert reason in problem
    assert not jobs["y.wav"].problems
