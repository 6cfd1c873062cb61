"""Hostile request bodies against a real server: without a token nothing is read, and no body
is read past its limit, whether it declares its length or streams in chunks."""

from __future__ import annotations

import select
import socket
import subprocess
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from coach_api.body_guard import OPEN_FORMS, body_limit
from tests.coach_api.test_server import admin_token, start_server

MEBIBYTE = 1 << 20
MAX_UPLOAD_MB = 2  # the guarded server's CALLCOACH_MAX_UPLOAD_MB
CHUNK = b"x" * (64 * 1024)
# The start of a well-formed upload, so a refusal is the limit's and not the parser's.
UPLOAD_START = (b'--xyz\r\nContent-Disposition: form-data; name="audio"; filename="a.wav"\r\n'
                b"Content-Type: audio/wav\r\n\r\nRIFF\x00\x00\x00\x00WAVE")
ANSWER_PATIENCE_S = 5.0  # far above a loaded machine's reply time, far below a test's


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


def probe(url: str, head: str, *, body_bytes: int, chunked: bool = False,
          answer_due_after: int = 0) -> tuple[int, int]:
    """Send ``head`` and then up to ``body_bytes`` of body, stopping as soon as the server
    answers; returns (status, body bytes sent before the answer).

    Once ``answer_due_after`` bytes are out, the server has all it needs to answer,
    so each further chunk waits up to ``ANSWER_PATIENCE_S`` for that answer first. Without the
    wait, the count measured how fast a busy server replied rather than how much it read."""
    where = urlsplit(url)
    sent = 0
    with socket.create_connection((where.hostname, where.port), timeout=10) as sock:
        sock.sendall(head.encode("latin-1") + b"\r\n")
        while sent < body_bytes and not select.select(
                [sock], [], [], ANSWER_PATIENCE_S if sent >= answer_due_after else 0.05)[0]:
            data = UPLOAD_START + CHUNK[len(UPLOAD_START):] if sent == 0 and "multipart" in head \
                else CHUNK
            piece = b"%x\r\n%s\r\n" % (len(data), data) if chunked else data
            try:
                sock.sendall(piece)
            except (BrokenPipeError, ConnectionResetError, TimeoutError):
                break
            sent += len(CHUNK)
        if chunked and sent >= body_bytes:
            sock.sendall(b"0\r\n\r\n")
        sock.settimeout(10)
        answer = sock.recv(4096)
    return int(answer.split(b" ", 2)[1]), sent


def head(method: str, path: str, *, token: str | None, length: int | None,
         content_type: str) -> str:
    lines = [f"{method} {path} HTTP/1.1", "Host: test", f"Content-Type: {content_type}"]
    lines.append(f"Content-Length: {length}" if length is not None else
                 "Transfer-Encoding: chunked")
    if token:
        lines.append(f"Authorization: Bearer {token}")
    return "\r\n".join(lines) + "\r\n"


MULTIPART = "multipart/form-data; boundary=xyz"
JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
PROBES = [  # name, method, path, token?, declared length, content type, bytes to stream, status
    ("upload, no token, 500 MB declared", "POST", "/api/v1/calls", None, 500 * MEBIBYTE,
     MULTIPART, 20 * MEBIBYTE, 401),
    ("upload, no token, chunked", "POST", "/api/v1/calls", None, None, MULTIPART,
     20 * MEBIBYTE, 401),
    ("JSON, no token, 400 MB declared", "POST", "/api/v1/users", None, 400 * MEBIBYTE, JSON,
     20 * MEBIBYTE, 401),
    ("JSON, bad token, 400 MB declared", "POST", "/api/v1/users", "nope", 400 * MEBIBYTE, JSON,
     20 * MEBIBYTE, 401),
    ("upload, admin, 500 MB declared", "POST", "/api/v1/calls", "admin", 500 * MEBIBYTE,
     MULTIPART, 20 * MEBIBYTE, 413),
    ("JSON, admin, 400 MB declared", "POST", "/api/v1/users", "admin", 400 * MEBIBYTE, JSON,
     20 * MEBIBYTE, 413),
    ("JSON, admin, chunked 20 MB", "POST", "/api/v1/users", "admin", None, JSON,
     20 * MEBIBYTE, 413),
    ("upload, admin, chunked 20 MB (2 MiB limit)", "POST", "/api/v1/calls", "admin", None,
     MULTIPART, 20 * MEBIBYTE, 413),
    # The sign-in form is open to anyone, so its limit is small (16 KiB).
    ("sign-in form, no token, 400 MB declared", "POST", "/ui/sign-in", None, 400 * MEBIBYTE,
     FORM, 20 * MEBIBYTE, 413),
    ("sign-in form, no token, chunked 20 MB", "POST", "/ui/sign-in", None, None, FORM,
     20 * MEBIBYTE, 413),
]


@pytest.fixture(scope="module")
def guarded_server(tmp_path_factory):
    home = tmp_path_factory.mktemp("hostile") / "home"
    token = admin_token(home)
    started: list[subprocess.Popen] = []
    for url in start_server(home, workers=0, env_extra={"CALLCOACH_MAX_UPLOAD_MB": str(MAX_UPLOAD_MB)},
                            started=started):
        yield url, token, started[0].pid, home


@pytest.mark.parametrize("name,method,path,who,length,content_type,stream,expected", PROBES,
                         ids=[p[0] for p in PROBES])
def test_bodies_are_refused_before_they_are_held(guarded_server, table, name, method, path, who,
                                                 length, content_type, stream, expected):
    url, admin, pid, home = guarded_server
    token = admin if who == "admin" else who
    need = bytes_before_refusal(method, path, who, length)
    rss_before = rss_bytes(pid)
    started = time.perf_counter()
    status, sent = probe(url, head(method, path, token=token, length=length,
                                   content_type=content_type),
                         body_bytes=stream, chunked=length is None, answer_due_after=need)
    answer_ms = (time.perf_counter() - started) * 1000
    grown = rss_bytes(pid) - rss_before
    spooled = sum(f.stat().st_size for f in (home / "uploads").glob("*")) \
        if (home / "uploads").is_dir() else 0
    table("hostile bodies").row(probe=name, status=status, body_sent_kib=sent // 1024,
                                answer_ms=f"{answer_ms:.0f}", rss_growth_mib=f"{grown / MEBIBYTE:.1f}")
    assert status == expected
    assert spooled == 0
    # What the client got out before the answer bounds what the server can have read: nothing
    # when the headers decide, else no more than the chunk that took the body past its limit.
    most = 0 if need == 0 else need - 1 + len(CHUNK)
    assert sent <= most, f"the server let {sent} bytes in before answering"


def bytes_before_refusal(method: str, path: str, who: str | None, length: int | None) -> int:
    """How much body the server must read before it can refuse: none when the headers decide
    (no valid token on a closed route, or a declared length over the limit), else one byte
    past the route's limit."""
    open_form = (method, path) in OPEN_FORMS
    if length is not None or (who != "admin" and not open_form):
        return 0
    return body_limit(method, path, max_upload_bytes=MAX_UPLOAD_MB * MEBIBYTE) + 1
