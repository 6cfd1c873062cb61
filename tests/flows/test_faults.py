"""Faults in the machine rather than the input: a data folder that is full or read-only fails
each call at once with the folder named, never after minutes of retries, and a batch goes on."""

from __future__ import annotations

import errno
import time

import pytest
from prefect.task_runners import ThreadPoolTaskRunner
from sqlalchemy import event

from flows import tasks
from flows.outcomes import BatchSummary
from flows.process import process_batch
from flows.runtime import store_for
from pipeline.errors import StoreError
from pipeline.store import CallStatus, Store
from pipeline.store import audio as audio_copies
from pipeline.store.folders import StoreFolderError, check_writable
from pipeline.types import CallMetadata

from .conftest import write_call


class _State:
    def __init__(self, error):
        self._error = error

    def result(self, raise_on_failure=False):
        return self._error


@pytest.mark.parametrize(("error", "retried"), [
    (OSError(errno.ECONNRESET, "Connection reset"), True),
    (StoreError("the database is busy"), True),
    (OSError(errno.ENOSPC, "No space left on device"), False),
    (OSError(errno.EROFS, "Read-only file system"), False),
    (StoreFolderError("cannot write into /x"), False),
], ids=["reset", "store", "disk-full", "read-only", "folder"])
def test_only_passing_faults_are_retried(error, retried):
    assert tasks.retry_transient(None, None, _State(error)) is retried


def full_disk(*_args, **_kwargs):
    raise OSError(errno.ENOSPC, "No space left on device")


def test_a_full_audio_folder_fails_every_call_at_once_naming_it(tmp_path, workspace,
                                                                 fake_stages, monkeypatch,
                                                                 table):
    for seed in range(3):
        write_call(tmp_path / "calls" / f"c{seed}.wav", seed=seed)
    monkeypatch.setattr(audio_copies.os, "replace", full_disk)
    batch = process_batch.with_options(task_runner=ThreadPoolTaskRunner(max_workers=2))
    started = time.perf_counter()
    summary = BatchSummary.from_json(batch([str(tmp_path / "calls")],
                                           workspace=workspace.to_params()))
    elapsed_s = time.perf_counter() - started
    table("faults").row(fault="audio folder full", calls=3, failed=summary.counts["failed"],
                        seconds=f"{elapsed_s:.1f}")
    assert summary.counts == {"done": 0, "skipped": 0, "failed": 3}
    for failure in summary.failures:
        assert "cannot write into" in failure.reason and workspace.audio_dir in failure.reason
    assert elapsed_s < 15  # one retry round alone waits 1 + 5 + 15 s
    assert not list((tmp_path / "home" / "audio").rglob(".incoming-*"))


def test_a_read_only_database_is_named_as_a_folder_problem(tmp_path, table):
    url = f"sqlite:///{tmp_path / 'home' / 'callcoach.db'}"
    store = Store.open(url, audio_dir=tmp_path / "home" / "audio")
    event.listen(store.engine, "connect",
                 lambda connection, _record: connection.execute("PRAGMA query_only=ON"))
    store.engine.dispose()
    with pytest.raises(StoreFolderError, match=r"cannot write into .*home.*readonly database"):
        store.register_call(write_call(tmp_path / "x.wav", seed=1), CallMetadata(call_id="x"))
    table("faults").row(fault="read-only database", calls=1, failed=1, seconds="-")
    store.close()


def test_an_unwritable_home_is_refused_before_any_work(tmp_path, monkeypatch):
    monkeypatch.setattr("tempfile.NamedTemporaryFile", full_disk)
    with pytest.raises(StoreFolderError, match="No space left on device"):
        check_writable(tmp_path / "home")


def test_a_failed_call_is_kept_as_failed_when_the_disk_fills_during_the_report(
        tmp_path, workspace, fake_stages, monkeypatch):
    write_call(tmp_path / "calls" / "c.wav", seed=4)

    def disk_full_on_save(*_args, **_kwargs):
        raise StoreFolderError("cannot write into the data folder (disk full)")

    monkeypatch.setattr(Store, "save_report", disk_full_on_save)
    batch = process_batch.with_options(task_runner=ThreadPoolTaskRunner(max_workers=1))
    summary = BatchSummary.from_json(batch([str(tmp_path / "calls")],
                                           workspace=workspace.to_params()))
    assert summary.counts["failed"] == 1
    assert store_for(workspace).get_call("c").status is CallStatus.FAILED
