"""The task runners behind ``--concurrency`` and ``--dask``: threads by default, Dask worker
processes on request (real Dask clusters, no Whisper)."""

from __future__ import annotations

import os
import time

import pytest
from prefect import flow, task
from prefect.task_runners import ThreadPoolTaskRunner

from flows.outcomes import BatchSummary
from flows.process import process_batch
from flows.runners import task_runner
from flows.runtime import store_for
from pipeline.errors import ConfigError
from pipeline.store import CallStatus


def test_threads_by_default_and_a_concurrency_below_one_is_refused():
    runner = task_runner(concurrency=3)
    assert isinstance(runner, ThreadPoolTaskRunner) and runner._max_workers == 3
    with pytest.raises(ConfigError, match="at least 1"):
        task_runner(concurrency=0, dask=True)


@task
def process_id(_index: int) -> int:
    time.sleep(1.0)  # long enough that the scheduler hands tasks to both idle workers
    return os.getpid()


def test_dask_runs_tasks_in_as_many_worker_processes_as_the_concurrency():
    @flow
    def where_tasks_ran() -> list[int]:
        return [future.result() for future in process_id.map(range(4))]

    pids = set(where_tasks_ran.with_options(task_runner=task_runner(concurrency=2, dask=True))())
    assert len(pids) == 2 and os.getpid() not in pids


def test_dask_batch_records_outcomes_written_by_worker_processes(tmp_path, workspace):
    """Jobs, config and workspace travel to the workers; the store is written from there."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "corrupt.wav").write_bytes(b"RIFF\x00\x00\x00\x00WAVEfmt garbage")
    (inbox / "truncated.opus").write_bytes(b"OggS" + bytes(200))
    batch = process_batch.with_options(task_runner=task_runner(concurrency=2, dask=True))
    summary = BatchSummary.from_json(batch([str(inbox), str(tmp_path / "missing.wav")],
                                           workspace=workspace.to_params()))
    assert summary.counts == {"done": 0, "skipped": 0, "failed": 3}
    store = store_for(workspace)
    assert {call.id: call.status for call in store.list_calls()} == {
        "corrupt": CallStatus.FAILED, "truncated": CallStatus.FAILED}
    assert {store.get_call(name).error_kind for name in ("corrupt", "truncated")} == {
        "InvalidAudioError"}
