"""Headless Chromium (Debian's package) driven over the DevTools protocol, for journeys through
the pages: it keeps every console error and uncaught exception, so a test can assert there
were none, and it sets the viewport, takes screenshots and waits for conditions."""

from __future__ import annotations

import base64
import json
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
TIMEOUT_S = 30.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Browser:
    """One tab. ``errors`` collects console errors, failed loads and uncaught exceptions."""

    def __init__(self, socket_url: str) -> None:
        from websockets.sync.client import connect

        self._socket = connect(socket_url, max_size=None)
        self._next_id = 0
        self.errors: list[str] = []
        for domain in ("Runtime", "Log", "Page"):
            self.call(f"{domain}.enable")

    def call(self, method: str, **params):
        self._next_id += 1
        self._socket.send(json.dumps({"id": self._next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self._socket.recv(timeout=TIMEOUT_S))
            if message.get("id") == self._next_id:
                assert "error" not in message, message
                return message["result"]
            self._note(message)

    def _note(self, message: dict) -> None:
        method, params = message.get("method"), message.get("params", {})
        if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            self.errors.append(" ".join(str(a.get("value", a.get("description", "")))
                                        for a in params.get("args", [])))
        elif method == "Runtime.exceptionThrown":
            details = params.get("exceptionDetails", {})
            self.errors.append(details.get("exception", {}).get("description")
                               or details.get("text", "exception"))
        elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
            entry = params["entry"]
            self.errors.append(f"{entry.get('text')} {entry.get('url', '')}".strip())

    def evaluate(self, expression: str, *, gesture: bool = True):
        """The value of ``expression`` (awaited if a promise), run as if the user acted."""
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True,
                           awaitPromise=True, userGesture=gesture)
        if "exceptionDetails" in result:
            raise AssertionError(result["exceptionDetails"])
        return result["result"].get("value")

    def wait_for(self, expression: str, *, timeout_s: float = TIMEOUT_S):
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            value = self.evaluate(expression)
            if value:
                return value
            time.sleep(0.1)
        raise AssertionError(f"never true: {expression}")

    def goto(self, url: str, *, ready: str = "document.readyState === 'complete'") -> None:
        self.call("Page.navigate", url=url)
        time.sleep(0.2)
        self.wait_for(ready)

    def viewport(self, width: int, height: int = 900) -> None:
        self.call("Emulation.setDeviceMetricsOverride", width=width, height=height,
                  deviceScaleFactor=1, mobile=width < 600)

    def page_width(self) -> int:
        return int(self.evaluate("document.documentElement.scrollWidth"))

    def screenshot(self, path: Path, *, full_page: bool = False) -> None:
        params = {"format": "png"}
        if full_page:
            size = self.call("Page.getLayoutMetrics")["cssContentSize"]
            params.update(captureBeyondViewport=True, clip={
                "x": 0, "y": 0, "width": size["width"], "height": min(size["height"], 2600),
                "scale": 1})
        data = self.call("Page.captureScreenshot", **params)["data"]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(data))

    def sign_in(self, base_url: str, token: str) -> None:
        """Through the page's own token form, as a person would."""
        self.goto(f"{base_url}/ui/library")
        self.wait_for("!!document.getElementById('token-form')")
        self.evaluate(f"document.getElementById('token').value = {json.dumps(token)};"
                      "document.getElementById('token-form').requestSubmit(); true")
        time.sleep(0.5)
        self.wait_for("document.readyState === 'complete' && "
                      "document.getElementById('whoami').textContent !== ''")

    def close(self) -> None:
        self._socket.close()


@contextmanager
def chromium(profile: Path) -> Iterator[Browser]:
    """A fresh headless Chromium with one tab; audio may play without a click."""
    if CHROMIUM is None:
        import pytest

        pytest.skip("chromium is not installed (apt-get install -y chromium)")
    port = _free_port()
    process = subprocess.Popen(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--mute-audio",
         "--autoplay-policy=no-user-gesture-required", "--hide-scrollbars",
         f"--user-data-dir={profile}", f"--remote-debugging-port={port}", "about:blank"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        browser = Browser(_first_tab(port))
        try:
            yield browser
        finally:
            browser.close()
    finally:
        process.terminate()
        process.wait(timeout=20)


def _first_tab(port: int) -> str:
    deadline = time.monotonic() + TIMEOUT_S
    while time.monotonic() < deadline:
        try:
            tabs = httpx.get(f"http://127.0.0.1:{port}/json/list", timeout=1).json()
            return next(tab["webSocketDebuggerUrl"] for tab in tabs if tab["type"] == "page")
        except (httpx.TransportError, StopIteration):
            time.sleep(0.2)
    raise AssertionError("chromium's DevTools endpoint did not come up")
