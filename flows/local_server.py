"""A Prefect server of our own for ``callcoach watch`` when none is configured.

Prefect's embedded (ephemeral) API runs flows but not the scheduler, so an interval
deployment served against it never fires. With no ``PREFECT_API_URL`` set, the watch command
starts ``prefect server start`` on a free local port for as long as it serves, and stops it
after. With ``PREFECT_API_URL`` set (a shared server), that server is used instead.
"""

from __future__ import annotations

import logging
import os
import signal
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


@contextmanager
def prefect_api(environ: Mapping[str, str]) -> Iterator[str]:
    """The API URL to serve against, starting a local server when ``environ`` names none.
    Sets ``PREFECT_API_URL`` in this process (Prefect must be imported after entering)."""
    if environ.get("PREFECT_API_URL"):
        yield environ["PREFECT_API_URL"]
        return
    port = free_port()
    api_url = f"http://127.0.0.1:{port}/api"
    server_env = {**environ, "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
                  "PREFECT_UI_ENABLED": "false",
                  "PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS": SCHEDULER_LOOP_S}
    process = subprocess.Popen(
        [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1",
         "--port", str(port), "--no-ui", "--analytics-off", "--no-late-runs", "--log-level", "WARNING"],
        env=server_env, stdout=subprocess.DEVNULL, start_new_session=True)
    try:
        wait_until_healthy(api_url, process=process, timeout_s=STARTUP_TIMEOUT_S)
        logger.info("started a local Prefect server at %s", api_url)
        os.environ["PREFECT_API_URL"] = api_url
        yield api_url
    finally:
        os.environ.pop("PREFECT_API_URL", None)
        _stop(process)


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
