"""A real server analysing an upload: it keeps answering a bounded burst of reads, and when it
is killed with SIGKILL mid-analysis its Prefect server dies with it and a restarted server
finishes the call."""

from __future__ import annotations

import os
import signal
import statistics
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from bench.long_calls import long_call
from tests.coach_api.test_server import admin_token, start_server
from tests.reliability.processes import prefect_servers_under, wait_until_gone

pytestmark = pytest.mark.slow
BURST_REQUESTS, BURST_CLIENTS = 300, 10
REPORT_TIMEOUT_S = 400.0


def status_of(client: httpx.Client, url: str) -> str:
    return client.get(url).json()["status"]


def burst(url: str, token: str, path: str) -> list[tuple[int, float]]:
    """(status, seconds) of BURST_REQUESTS reads from BURST_CLIENTS clients at once."""
    def one(_n: int) -> tuple[int, float]:
        started = time.perf_counter()
        response = httpx.get(f"{url}{path}", headers={"Authorization": f"Bearer {token}"},
                             timeout=30)
        return response.status_code, time.perf_counter() - started

    with ThreadPoolExecutor(BURST_CLIENTS) as pool:
        return list(pool.map(one, range(BURST_REQUESTS)))


def test_reads_stay_answered_while_analysing_and_a_killed_server_recovers(tmp_path, table):
    home = tmp_path / "home"
    token = admin_token(home)
    audio = long_call(240, tmp_path)  # four minutes of conversation: a long enough analysis
    started: list[subprocess.Popen] = []
    server = start_server(home, workers=1, started=started)
    url = next(server)
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=url, headers=headers, timeout=30) as client:
        with open(audio, "rb") as handle:
            accepted = client.post("/api/v1/calls", files={"audio": (audio.name, handle)},
                                   data={"agent_id": "a1", "team": "blue"})
        assert accepted.status_code == 202, accepted.text
        call_url = accepted.json()["status_url"]
        deadline = time.monotonic() + 120
        while status_of(client, call_url) != "processing" or not \
                prefect_servers_under(started[0].pid):
            assert time.monotonic() < deadline, "analysis did not start"
            time.sleep(0.5)
        results = burst(url, token, "/api/v1/calls")
        latencies = sorted(seconds for _status, seconds in results)
        p95_s = latencies[int(0.95 * len(latencies)) - 1]
        table("server under load").row(
            phase="reads while analysing", requests=len(results),
            ok=sum(status == 200 for status, _ in results),
            median_ms=f"{statistics.median(latencies) * 1000:.0f}", p95_ms=f"{p95_s * 1000:.0f}")
        assert all(status == 200 for status, _ in results)
        assert p95_s < 2.0
        assert status_of(client, call_url) == "processing", "analysis ended before the kill"
        prefect = prefect_servers_under(started[0].pid)

    os.kill(started[0].pid, signal.SIGKILL)  # mid-analysis
    started[0].wait()
    assert wait_until_gone(prefect, timeout_s=20) == []
    server.close()

    restarted = start_server(home, workers=1)
    url = next(restarted)
    try:
        with httpx.Client(base_url=url, headers=headers, timeout=30) as client:
            deadline = time.monotonic() + REPORT_TIMEOUT_S
            while (status := status_of(client, call_url)) in ("queued", "processing"):
                assert time.monotonic() < deadline, "the stuck call was not finished"
                time.sleep(1.0)
            table("server under load").row(phase="after SIGKILL and restart", requests=1,
                                           ok=int(status == "done"), median_ms="-", p95_ms="-")
            assert status == "done"
            assert client.get(f"{call_url}/report").status_code == 200
    finally:
        restarted.close()


def test_long_call_fixture_is_what_it_says(tmp_path):
    import soundfile as sf

    path = long_call(30, Path(tmp_path))
    info = sf.info(path)
    assert (info.channels, round(info.duration)) == (2, 30)
