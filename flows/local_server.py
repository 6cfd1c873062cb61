"""A Prefect server of our own when none is configured, that dies with its parent.

``callcoach watch``, ``process`` and the API's analysis workers all need a Prefect API. With
``PREFECT_API_URL`` set (a shared server), that server is used. Otherwise they start
``prefect server start`` on a free local port rather than Prefect's embedded (ephemeral) API:
the embedded one runs flows but not the scheduler, so an interval deployment served against
it never fires; and Prefect starts it as a plain child process, which outlives a parent
killed with SIGKILL (about 230 MB each). Ours is started with a parent-death signal (Linux
``PR_SET_PDEATHSIG``), so it is stopped however its parent ends, and in its own process group,
so a clean stop reaches everything it started.
"""

from __future__ import annotations

import atexit
import ctypes
import logging
import os
import signal
import threading
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from pipeline.errors import PrefectServerError

logger = logging.getLogger(__name__)

STARTUP_TIMEOUT_S = 120.0
SCHEDULER_LOOP_S = "5"  # Prefect's default (60 s) would delay the first scan by a minute
PR_SET_PDEATHSIG = 1  # linux/prctl.h


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_healthy(api_url: str, *, process: subprocess.Popen, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise PrefectServerError(f"prefect server exited with code {process.returncode}; "
                                     "run `prefect server start` by hand to see why")
        try:
            with urllib.request.urlopen(f"{api_url}/health", timeout=2) as answer:
                if answer.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.5)
    raise PrefectServerError(f"prefect server at {api_url} not healthy after {timeout_s:.0f} s")


def die_with_parent() -> None:
    """In a child between fork and exec: ask the kernel for SIGTERM when the parent dies.

    The signal follows the thread that forked, so long-lived threads start these servers."""
    parent = os.getppid()
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    except (OSError, AttributeError):  # not Linux: the clean-stop paths still apply
        return
    if os.getppid() != parent:  # the parent died before the request took hold
        os._exit(1)


def start_server(environ: Mapping[str, str], *, services: bool) -> tuple[str, subprocess.Popen]:
    """A local Prefect server, healthy; ``services`` False runs the API alone (no scheduler)."""
    port = free_port()
    api_url = f"http://127.0.0.1:{port}/api"
    server_env = {**environ, "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
                  "PREFECT_UI_ENABLED": "false",
                  "PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS": SCHEDULER_LOOP_S}
    server_env.pop("PREFECT_API_URL", None)
    command = [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1",
               "--port", str(port), "--no-ui", "--analytics-off", "--no-late-runs",
               "--log-level", "WARNING", *(() if services else ("--no-services",))]
    process = subprocess.Popen(command, env=server_env, stdout=subprocess.DEVNULL,
                               start_new_session=True, preexec_fn=die_with_parent)
    try:
        wait_until_healthy(api_url, process=process, timeout_s=STARTUP_TIMEOUT_S)
    except BaseException:
        _stop(process)
        raise
    logger.info("started a local Prefect server at %s (pid %d)", api_url, process.pid)
    return api_url, process


@contextmanager
def prefect_api(environ: Mapping[str, str], *, services: bool = True) -> Iterator[str]:
    """The API URL to use, starting a local server when ``environ`` names none, stopped on
    exit. Sets ``PREFECT_API_URL`` in this process (Prefect must be imported after entering)."""
    if environ.get("PREFECT_API_URL"):
        yield environ["PREFECT_API_URL"]
        return
    api_url, process = start_server(environ, services=services)
    try:
        os.environ["PREFECT_API_URL"] = api_url
        yield api_url
    finally:
        os.environ.pop("PREFECT_API_URL", None)
        _stop(process)


_shared: dict[str, subprocess.Popen] = {}
_shared_lock = threading.Lock()


def shared_prefect_api(environ: Mapping[str, str]) -> str:
    """For a long-lived process (the API server): one local server, started on first use and
    stopped when the process exits, or named by ``PREFECT_API_URL``."""
    with _shared_lock:
        if environ.get("PREFECT_API_URL"):
            return environ["PREFECT_API_URL"]
        api_url, process = start_server(environ, services=False)
        _shared[api_url] = process
        atexit.register(_stop, process)
        os.environ["PREFECT_API_URL"] = api_url
        return api_url


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
