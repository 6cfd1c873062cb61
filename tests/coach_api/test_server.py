"""A real uvicorn process on a loopback port, driven by httpx, and the pages in headless
Chromium."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest
import soundfile as sf

from coach_api.settings import ApiSettings
from coach_api.storage import ApiStore

from tests.reliability.processes import prefect_servers_under, wait_until_gone

from .synthetic import seed_call

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
REPORT_TIMEOUT_S = 300.0
CLI_MAIN = "import sys; from pipeline.cli import main; sys.exit(main())"  # `callcoach ...`


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(home: Path, *, workers: int, server_workers: int = 1,
                 env_extra: dict[str, str] | None = None, log_level: str = "warning",
                 started: list[subprocess.Popen] | None = None) -> Iterator[str]:
    """The app under uvicorn with ``workers`` analysis threads; ``server_workers`` > 1 runs
    ``callcoach serve --workers`` instead. The process is appended to ``started``."""
    port = free_port()
    env = {**os.environ, "CALLCOACH_HOME": str(home), "CALLCOACH_PROCESSING_WORKERS": str(workers),
           "PREFECT_HOME": str(home / "prefect"), "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
           "PREFECT_LOGGING_LEVEL": "WARNING", **(env_extra or {})}
    command = [sys.executable, "-m", "uvicorn", "--factory", "coach_api.app:app_from_env",
               "--host", "127.0.0.1", "--port", str(port), "--log-level", log_level]
    if server_workers > 1:
        command = [sys.executable, "-c", CLI_MAIN, "serve", "--host", "127.0.0.1",
                   "--port", str(port), "--workers", str(server_workers)]
    log_path = home / "server.log"
    home.mkdir(parents=True, exist_ok=True)
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, cwd=REPO, env=env, stdout=log,
                                   stderr=subprocess.STDOUT)
    if started is not None:
        started.append(process)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        else:
            pytest.fail(f"server did not start: {log_path.read_text(errors='replace')[-2000:]}")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=20)


ROOT_PASSWORD = "root password for tests"


def admin_token(home: Path) -> str:
    """A token of a new admin ``root``, whose password for the pages is ROOT_PASSWORD."""
    location = ApiSettings(home=home).location()
    with ApiStore.open(location.url, audio_dir=location.audio_dir) as store:
        root = store.create_user("root", role="admin")
        store.set_password(root.id, ROOT_PASSWORD)
        return store.issue_token(root.id)


def sample_call(folder: Path) -> Path:
    """A committed sample call, else a stereo call built from the two test recordings."""
    samples = sorted((REPO / "sample_calls").glob("*.opus"))
    if samples:
        return samples[0]
    agent, rate_hz = sf.read(REPO / "tests/fixtures/greeting_16k.flac")
    customer, _ = sf.read(REPO / "tests/fixtures/cancel_request_16k.flac")
    length = int(0.5 * rate_hz) + agent.size + int(1.0 * rate_hz) + customer.size
    stereo = np.zeros((length, 2))
    stereo[int(0.5 * rate_hz):int(0.5 * rate_hz) + agent.size, 0] = agent
    stereo[length - customer.size:, 1] = customer
    path = folder / "fixture-call.wav"
    sf.write(path, stereo, rate_hz, subtype="PCM_16")
    return path


@pytest.mark.slow
def test_upload_analyse_and_clip_over_http(tmp_path):
    home = tmp_path / "home"
    token = admin_token(home)
    audio = sample_call(tmp_path)
    started: list[subprocess.Popen] = []
    for url in start_server(home, workers=1, started=started, log_level="info"):
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"},
                          timeout=30) as client:
            check_upload_round_trip(client, audio)
            servers = prefect_servers_under(started[0].pid)
            assert servers  # the analysis ran against a Prefect server of the server's own
            log_before = (home / "server.log").read_text()
            client.get("/api/v1/me")
    # Stopped normally after analysing an upload: its Prefect server stops too.
    assert wait_until_gone(servers, timeout_s=20) == []
    assert "GET /api/v1/me" in (home / "server.log").read_text()[len(log_before):]


def check_upload_round_trip(client: httpx.Client, audio: Path) -> None:
    """Upload, wait for the report (bounded), fetch a clip and a byte range."""
    with open(audio, "rb") as handle:
        accepted = client.post("/api/v1/calls", files={"audio": (audio.name, handle)},
                               data={"agent_id": "a1", "team": "blue"})
    assert accepted.status_code == 202, accepted.text
    status_url = accepted.json()["status_url"]
    deadline = time.monotonic() + REPORT_TIMEOUT_S
    while (call := client.get(status_url).json())["status"] in ("queued", "processing"):
        assert time.monotonic() < deadline, "no report within the time limit"
        time.sleep(1.0)
    assert call["status"] == "done", call["error"]
    report = client.get(f"{status_url}/report").json()
    finding = report["events"][0] if report["events"] else None
    if finding is None:
        finding_id, check = next((cid, c) for cid, c in report["checks"].items()
                                 if c.get("evidence"))
        start_s, end_s = check["evidence"][0]["start"], check["evidence"][0]["end"]
    else:
        finding_id, start_s, end_s = finding["id"], finding["start"], finding["end"]
    clip = client.get(f"{status_url}/events/{finding_id}/clip", params={"pad_s": 1.0})
    samples, rate_hz = sf.read(io.BytesIO(clip.content), always_2d=True)
    expected_s = min(report["duration_s"], end_s + 1.0) - max(0.0, start_s - 1.0)
    assert samples.shape[1] == 2
    assert samples.shape[0] / rate_hz == pytest.approx(expected_s, abs=0.02)
    part = client.get(f"{status_url}/audio", headers={"Range": "bytes=0-1023"})
    assert part.status_code == 206 and len(part.content) == 1024


def test_serve_with_workers_answers_keep_alive_requests_promptly(tmp_path):
    """`callcoach serve --workers 2` with Nagle's algorithm off: with it on, every response on
    a kept-alive connection waits ~40 ms for the client's delayed ACK (Linux)."""
    home = tmp_path / "home"
    token = admin_token(home)
    timings_s = []
    for url in start_server(home, workers=0, server_workers=2):
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"},
                          timeout=30) as client:
            for _ in range(21):
                started = time.perf_counter()
                assert client.get("/api/v1/me").status_code == 200
                timings_s.append(time.perf_counter() - started)
    assert statistics.median(timings_s[1:]) < 0.030, timings_s


@pytest.fixture
def seeded_server(tmp_path) -> Iterator[tuple[str, str]]:
    home = tmp_path / "home"
    token = admin_token(home)
    location = ApiSettings(home=home).location()
    with ApiStore.open(location.url, audio_dir=location.audio_dir) as store:
        seed_call(store, tmp_path / "src", call_id="call-blue", agent_id="a1", team="blue",
                  seed=1, started_at=dt.datetime(2024, 5, 6, tzinfo=dt.UTC))
    for url in start_server(home, workers=0):
        yield url, token


SETTLE_S = 1.5  # the page's DOM unchanged this long: its fetches are done
PAGE_TIMEOUT_S = 30.0


class DevToolsPage:
    """One Chromium tab driven over the DevTools protocol (a websocket)."""

    def __init__(self, socket_url: str) -> None:
        from websockets.sync.client import connect

        self._socket = connect(socket_url, max_size=None)
        self._next_id = 0

    def call(self, method: str, **params):
        self._next_id += 1
        self._socket.send(json.dumps({"id": self._next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self._socket.recv(timeout=PAGE_TIMEOUT_S))
            if message.get("id") == self._next_id:
                assert "error" not in message, message
                return message["result"]

    def evaluate(self, expression: str):
        return self.call("Runtime.evaluate", expression=expression,
                         returnByValue=True)["result"].get("value")

    def settled_dom(self) -> str:
        deadline = time.monotonic() + PAGE_TIMEOUT_S
        dom, since = None, time.monotonic()
        while time.monotonic() < deadline:
            current = self.evaluate("document.readyState === 'complete' && "
                                    "document.documentElement.outerHTML")
            if current != dom:
                dom, since = current, time.monotonic()
            elif dom and time.monotonic() - since >= SETTLE_S:
                return dom
            time.sleep(0.1)
        raise AssertionError("the page did not settle")

    def close(self) -> None:
        self._socket.close()


def dump_dom(url: str, tmp_path: Path, *, signed_in: bool = False) -> str:
    """The page's DOM once it settles; ``signed_in``: after signing in as ``root`` through the
    sign-in form the page redirects to."""
    if CHROMIUM is None:
        pytest.skip("chromium is not installed (apt-get install -y chromium)")
    port = free_port()
    browser = subprocess.Popen(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--mute-audio",
         f"--user-data-dir={tmp_path / 'chromium'}", f"--remote-debugging-port={port}",
         "about:blank"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        page = DevToolsPage(_first_tab(port))
        try:
            page.call("Page.navigate", url=url)
            if signed_in:
                page.settled_dom()
                page.evaluate("document.getElementById('name').value = 'root';"
                              f"document.getElementById('password').value = "
                              f"{json.dumps(ROOT_PASSWORD)};"
                              "document.querySelector('.sign-in-form').requestSubmit();")
                time.sleep(0.5)  # the form's POST and redirect replace the page
            return page.settled_dom()
        finally:
            page.close()
    finally:
        browser.terminate()
        browser.wait(timeout=20)


def _first_tab(port: int) -> str:
    deadline = time.monotonic() + PAGE_TIMEOUT_S
    while time.monotonic() < deadline:
        try:
            tabs = httpx.get(f"http://127.0.0.1:{port}/json/list", timeout=1).json()
            return next(tab["webSocketDebuggerUrl"] for tab in tabs if tab["type"] == "page")
        except (httpx.TransportError, StopIteration):
            time.sleep(0.2)
    raise AssertionError("chromium's DevTools endpoint did not come up")


def test_call_page_lists_findings_and_seeks_the_audio(seeded_server, tmp_path):
    url, _token = seeded_server
    dom = dump_dom(f"{url}/ui/calls/call-blue?event=ev-2", tmp_path, signed_in=True)
    assert 'data-event-id="ev-1"' in dom and 'data-event-id="ev-2"' in dom
    assert 'data-seeked-to="5"' in dom  # ev-2 starts at 5 s
    assert "root (admin)" in dom


def test_queue_and_findings_pages_show_the_call(seeded_server, tmp_path):
    url, _token = seeded_server
    queue = dump_dom(f"{url}/ui/", tmp_path, signed_in=True)
    assert 'data-call-id="call-blue"' in queue and "1 call(s)" in queue
    found = dump_dom(f"{url}/ui/findings", tmp_path, signed_in=True)
    assert "/api/v1/calls/call-blue/events/ev-1/clip" in found


def test_pages_without_a_sign_in_ask_for_one(seeded_server, tmp_path):
    url, _token = seeded_server
    assert 'action="/ui/sign-in"' in dump_dom(f"{url}/ui/", tmp_path)


def test_a_link_carrying_a_token_signs_nobody_in(seeded_server, tmp_path):
    url, token = seeded_server
    assert 'action="/ui/sign-in"' in dump_dom(f"{url}/ui/#token={token}", tmp_path)
