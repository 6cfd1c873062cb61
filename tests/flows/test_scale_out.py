"""The scale-out path as flows/README.md gives it, for real: ``prefect server start``, a
process work pool made by ``callcoach deploy``, a ``prefect worker`` process, and runs
submitted with ``prefect deployment run`` against one shared database (PostgreSQL when
CALLCOACH_TEST_POSTGRES_URL is set, else a SQLite file)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from flows.local_server import free_port, wait_until_healthy
from pipeline.store import CallStatus, Store

from .conftest import POSTGRES_ENV, callcoach_argv, postgres_schema

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO / "sample_calls"
SERVER_START_S = 120.0
RUN_TIMEOUT_S = 240
pytestmark = pytest.mark.slow


@pytest.fixture
def shared_store_url(tmp_path) -> Iterator[str]:
    base_url = os.environ.get(POSTGRES_ENV)
    if not base_url:
        yield f"sqlite:///{tmp_path / 'shared' / 'callcoach.db'}"
        return
    with postgres_schema(base_url) as url:
        yield url


class Processes:
    """Long-running subprocesses, each logging to a file, stopped with their descendants
    (Prefect starts each flow run in a session of its own)."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.running: dict[str, subprocess.Popen] = {}

    def start(self, name: str, argv: list[str], env: dict[str, str]) -> subprocess.Popen:
        with open(self.log_dir / f"{name}.log", "wb") as log:
            process = subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT,
                                       start_new_session=True)
        self.running[name] = process
        return process

    def log(self, name: str) -> str:
        return (self.log_dir / f"{name}.log").read_text(errors="replace")[-4000:]

    def stop_all(self) -> None:
        for process in reversed(list(self.running.values())):
            _stop_tree(process)


def _stop_tree(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return  # already reaped: its pid may belong to someone else by now
    family = [process.pid, *_descendants(process.pid)]
    _signal_all(family, signal.SIGTERM)
    try:  # a Prefect worker turns SIGTERM into a drain that can take long; then SIGKILL
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        pass
    _signal_all([pid for pid in family if _alive(pid)], signal.SIGKILL)
    process.wait(timeout=10)


def _descendants(pid: int) -> list[int]:
    """Children, grandchildren… of ``pid`` (Linux /proc), whatever session they started."""
    parents: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, frontier = [], [pid]
    while frontier:
        children = parents.get(frontier.pop(), [])
        found += children
        frontier += children
    return found


def _alive(pid: int) -> bool:
    stat = Path(f"/proc/{pid}/stat")
    try:
        return stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _signal_all(pids: list[int], signum: int) -> None:
    for pid in pids:
        try:
            os.kill(pid, signum)
        except ProcessLookupError:
            pass


@pytest.fixture
def processes(tmp_path) -> Iterator[Processes]:
    started = Processes(tmp_path)
    try:
        yield started
    finally:
        started.stop_all()


def cluster_environment(tmp_path: Path, store_url: str, api_url: str) -> dict[str, str]:
    """What every machine of the cluster is given: the server, the shared store and audio."""
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("PREFECT_", "CALLCOACH_"))}
    return env | {
        "PREFECT_HOME": str(tmp_path / "prefect"),
        "PREFECT_API_URL": api_url,
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_WORKER_QUERY_SECONDS": "1",  # pick a new run up within a second, not ten
        "CALLCOACH_HOME": str(tmp_path / "worker-home"),
        "CALLCOACH_DATABASE_URL": store_url,
        "CALLCOACH_AUDIO_DIR": str(tmp_path / "shared" / "audio"),
    }


def start_server(processes: Processes, env: dict[str, str], port: int) -> None:
    server = processes.start("server", [
        sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1",
        "--port", str(port), "--no-ui", "--analytics-off"], env)
    wait_until_healthy(env["PREFECT_API_URL"], process=server, timeout_s=SERVER_START_S)


def deploy(env: dict[str, str], *options: str) -> str:
    done = subprocess.run(callcoach_argv("deploy", "--pool", "calls", *options), env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"{done.stdout}\n{done.stderr}"
    return done.stdout


def submit(processes: Processes, env: dict[str, str], name: str, *params: str) -> str:
    """``prefect deployment run NAME --watch``: exits 0 once the run completed, 1 if it failed."""
    argv = [sys.executable, "-m", "prefect", "deployment", "run", name, "--watch",
            "--watch-interval", "1", "--watch-timeout", str(RUN_TIMEOUT_S)]
    for param in params:
        argv += ["--param", param]
    label = f"run-{len(processes.running)}"
    processes.start(label, argv, env)
    return label


def finish(processes: Processes, label: str) -> None:
    watcher = processes.running[label]
    try:
        watcher.wait(timeout=RUN_TIMEOUT_S + 60)
    except subprocess.TimeoutExpired:
        pass
    assert watcher.returncode == 0, (
        f"{processes.log(label)}\n--- worker:\n{processes.log('worker')}")
    assert processes.running["worker"].poll() is None, processes.log("worker")


def test_worker_runs_deployed_flows_against_the_shared_store(tmp_path, shared_store_url,
                                                             processes):
    (tmp_path / "prefect").mkdir()
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for name in ("manager_request", "over_apologetic"):
        shutil.copy(SAMPLES / f"{name}.opus", inbox)
        shutil.copy(SAMPLES / f"{name}.json", inbox)
    (inbox / "broken.opus").write_bytes(b"OggS" + bytes(200))
    port = free_port()
    env = cluster_environment(tmp_path, shared_store_url, f"http://127.0.0.1:{port}/api")
    start_server(processes, env, port)

    # One deployment set from this checkout, one from the installed package.
    from_checkout = deploy(env, "--source", str(REPO))
    assert "created work pool 'calls'" in from_checkout
    assert "process-call/callcoach" in from_checkout
    installed = deploy(env, "--name", "installed")
    assert "created work pool" not in installed and "process-batch/installed" in installed
    processes.start("worker", [sys.executable, "-m", "prefect", "worker", "start",
                               "--pool", "calls"], env)

    # Two runs at once on the one worker, then a reprocess of a call the first one stored.
    single = submit(processes, env, "process-call/callcoach",
                    f"path={inbox / 'manager_request.opus'}")
    batch = submit(processes, env, "process-batch/installed", "paths=" + json.dumps(
        [str(inbox / "over_apologetic.opus"), str(inbox / "broken.opus")]))
    for label in (single, batch):
        finish(processes, label)
    finish(processes, submit(processes, env, "reprocess-calls/installed",
                             'call_ids=["manager_request"]'))

    with Store.open(shared_store_url, audio_dir=tmp_path / "shared" / "audio") as store:
        statuses = {call.id: call.status for call in store.list_calls()}
        assert statuses == {"manager_request": CallStatus.DONE,
                            "over_apologetic": CallStatus.DONE,
                            "broken": CallStatus.FAILED}, processes.log("worker")
        report = store.latest_report("manager_request").document
        assert report["agent_id"] == "agent-007" and report["transcript"]
        assert store.get_call("broken").error
        assert [len(store.report_versions(call_id)) for call_id in
                ("manager_request", "over_apologetic")] == [2, 1]  # one reprocessed
