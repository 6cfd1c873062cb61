"""Real calls, the real tiny.en model, and the real ``callcoach`` command in subprocesses."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from prefect.task_runners import ThreadPoolTaskRunner

from flows.outcomes import BatchSummary
from flows.process import process_batch
from flows.runtime import store_for
from pipeline.config import DecodeConfig
from pipeline.decode import decode_call
from pipeline.store import CallStatus, Store

from .conftest import callcoach_argv

SAMPLES = Path(__file__).resolve().parents[2] / "sample_calls"
CLIP_S = 20.0
pytestmark = pytest.mark.slow


def short_call(name: str, target: Path, *, offset_s: float = 0.0) -> Path:
    """The first ``CLIP_S`` seconds (after ``offset_s``) of a sample call, with its sidecar."""
    audio = decode_call(SAMPLES / f"{name}.opus", config=DecodeConfig())
    start = int(offset_s * audio.sample_rate_hz)
    clip = audio.samples.whole()[:, start:start + int(CLIP_S * audio.sample_rate_hz)]
    target.parent.mkdir(parents=True, exist_ok=True)
    sf.write(target, np.ascontiguousarray(clip.T), audio.sample_rate_hz)
    shutil.copy(SAMPLES / f"{name}.json", target.with_suffix(".json"))
    return target


@pytest.fixture(scope="module")
def clips(tmp_path_factory) -> list[Path]:
    folder = tmp_path_factory.mktemp("clips")
    names = ["routine_address_change", "over_apologetic", "manager_request"]
    return [short_call(name, folder / f"{name}.wav") for name in names]


def environment(store_url: str, home: Path) -> dict[str, str]:
    (home / "prefect").mkdir(parents=True, exist_ok=True)
    env = {key: value for key, value in os.environ.items() if not key.startswith("PREFECT_")}
    return env | {"CALLCOACH_HOME": str(home), "CALLCOACH_DATABASE_URL": store_url,
                  "PREFECT_HOME": str(home / "prefect"),
                  "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}


def test_batch_of_real_calls_with_a_corrupt_file_and_a_duplicate(clips, tmp_path, workspace):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for clip in clips[:2]:
        shutil.copy(clip, inbox / clip.name)
        shutil.copy(clip.with_suffix(".json"), inbox / clip.with_suffix(".json").name)
    shutil.copy(clips[0], inbox / "same-audio-other-name.wav")
    (inbox / "broken.opus").write_bytes(b"OggS" + bytes(200))
    batch = process_batch.with_options(task_runner=ThreadPoolTaskRunner(max_workers=2))
    first = BatchSummary.from_json(batch([str(inbox)], workspace=workspace.to_params()))
    assert first.counts == {"done": 2, "skipped": 1, "failed": 1}
    store = store_for(workspace)
    broken = store.get_call("broken")
    assert broken.status is CallStatus.FAILED and broken.error
    report = store.latest_report("routine_address_change").document
    sidecar = json.loads(clips[0].with_suffix(".json").read_text())
    assert report["transcript"] and report["agent_id"] == sidecar["agent_id"]
    assert store.search_checks(call_id="routine_address_change")

    again = BatchSummary.from_json(batch([str(inbox)], workspace=workspace.to_params()))
    assert again.counts == {"done": 0, "skipped": 3, "failed": 1}
    assert [len(store.report_versions(c.id)) for c in store.list_calls(status="done")] == [1, 1]


def calls_done(store_url: str, home: Path) -> int:
    with Store.open(store_url, audio_dir=home / "audio") as store:
        return store.count_calls_by_status()[CallStatus.DONE]


def test_a_killed_batch_completes_on_rerun(clips, tmp_path, store_url):
    home = tmp_path / "home"
    env = environment(store_url, home)
    argv = callcoach_argv("process", str(clips[0].parent), "--concurrency", "1")
    victim = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              start_new_session=True)
    deadline = time.monotonic() + 240
    while calls_done(store_url, home) < 1 and time.monotonic() < deadline:
        assert victim.poll() is None, victim.stdout.read().decode()
        time.sleep(0.5)
    os.killpg(victim.pid, signal.SIGKILL)
    victim.wait()
    victim.stdout.close()
    done_before = calls_done(store_url, home)
    assert 1 <= done_before < 3

    rerun = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=400)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert ("3 call(s)" in rerun.stdout and f"{3 - done_before} done" in rerun.stdout
            and f"{done_before} skipped" in rerun.stdout), rerun.stdout
    with Store.open(store_url, audio_dir=home / "audio") as store:
        calls = store.list_calls()
        assert sorted(c.status for c in calls) == [CallStatus.DONE] * 3
        assert [len(store.report_versions(c.id)) for c in calls] == [1, 1, 1]
    listed = subprocess.run(callcoach_argv("calls", "list", "--json"), env=env,
                            capture_output=True, text=True, timeout=60)
    assert sorted(c["status"] for c in json.loads(listed.stdout)) == ["done"] * 3


def test_watch_picks_up_a_file_dropped_after_it_started(clips, tmp_path, store_url):
    home, inbox = tmp_path / "home", tmp_path / "inbox"
    inbox.mkdir()
    env = environment(store_url, home)
    watcher = subprocess.Popen(
        callcoach_argv("watch", str(inbox), "--interval", "2", "--settle", "0.5"), env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        time.sleep(8)  # let it start serving with an empty inbox
        assert watcher.poll() is None, watcher.stdout.read().decode()
        # Metadata from the inbox's manifest; a hostile row fails its own file only.
        (inbox / "manifest.csv").write_text(
            "file,agent_id,team,agent_channel\n"
            "dropped.wav,agent-from-manifest,billing,0\n"
            "hostile.wav,\"=cmd|' /C calc'!A0\",billing,7\n")
        shutil.copy(clips[1], inbox / "dropped.wav")
        shutil.copy(clips[0], inbox / "hostile.wav")
        deadline = time.monotonic() + 240
        while calls_done(store_url, home) < 1 and time.monotonic() < deadline:
            assert watcher.poll() is None, watcher.stdout.read().decode()
            time.sleep(1)
        time.sleep(5)  # a few more scans: the file must not be processed again
        assert watcher.poll() is None, watcher.stdout.read().decode()
    finally:
        os.killpg(watcher.pid, signal.SIGTERM)
        try:
            watcher.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(watcher.pid, signal.SIGKILL)
            watcher.wait()
        watcher.stdout.close()
    with Store.open(store_url, audio_dir=home / "audio") as store:
        call = store.get_call("dropped")
        assert call.status is CallStatus.DONE and call.agent_id == "agent-from-manifest"
        assert len(store.report_versions("dropped")) == 1
        hostile = store.get_call("hostile")
        assert hostile.status is CallStatus.FAILED
        assert "agent_channel must be 0 or 1" in hostile.error
        assert store.report_versions("hostile") == []


def test_dask_task_runner_processes_calls_in_worker_processes(clips, workspace):
    from flows.runners import task_runner

    batch = process_batch.with_options(task_runner=task_runner(concurrency=2, dask=True))
    summary = BatchSummary.from_json(batch([str(c) for c in clips[:2]],
                                           workspace=workspace.to_params()))
    assert summary.counts == {"done": 2, "skipped": 0, "failed": 0}
    store = store_for(workspace)
    assert [len(store.report_versions(c.id)) for c in store.list_calls()] == [1, 1]


def test_a_batch_killed_with_sigkill_leaves_no_prefect_server_behind(clips, tmp_path, store_url):
    from tests.reliability.processes import prefect_servers_under, wait_until_gone

    home = tmp_path / "home"
    argv = callcoach_argv("process", str(clips[0].parent), "--concurrency", "1")
    victim = subprocess.Popen(argv, env=environment(store_url, home), stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while not (servers := prefect_servers_under(victim.pid)):
            assert victim.poll() is None and time.monotonic() < deadline
            time.sleep(0.2)
        os.kill(victim.pid, signal.SIGKILL)  # the parent alone, as an OOM kill would
        victim.wait()
        assert wait_until_gone(servers, timeout_s=20) == []
    finally:
        try:
            os.killpg(victim.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
