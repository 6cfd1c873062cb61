"""Throughput and latency of the coaching API: report reads and queue listings.

Seeds a store with 1,000 analysed synthetic calls (written straight through the store), starts
`callcoach serve --workers N` on a loopback port, checks each kind of request with httpx and
then drives it from this process with 200 keep-alive connections, one per simulated client.
For each kind of request and each worker count it prints requests/s and p50/p99 latency of:

* 1 client, closed loop: the cost of one request with nothing queued;
* 200 clients, closed loop: every client sends its next request the moment the last one is
  answered, so 200 requests are always in flight. This measures saturation throughput, and
  its latency is queueing: by Little's law, latency = 200 / throughput, so p99 <= 20 ms would
  take some 10,000 req/s;
* 200 clients, open loop at a stated aggregate rate: each client waits a random think time
  (exponential, mean 200 / rate seconds) between requests, so requests arrive as a Poisson
  stream at that rate. Latency runs from when a request was due, so a server that falls behind
  is charged for the backlog too.

The spec's target is p99 <= 20 ms for a report read (200 clients, 1,000 calls, 2 cores). The
client shares the machine with the server; each line says how many cores each used.

Run: .venv/bin/python bench/api.py [--calls N] [--workers 1,2] [--read-rates 100,400]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import math
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from coach_api.settings import ApiSettings  # noqa: E402
from coach_api.storage import ApiStore  # noqa: E402
from tests.coach_api.synthetic import seed_call  # noqa: E402

TARGET_P99_MS = 20.0
CLIENTS = 200
REQUEST_TIMEOUT_S = 60.0
TEAMS = ("blue", "red", "green", "amber")
SEVERITIES = ("low", "medium", "high")
CLOCK_TICKS_PER_S = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True, slots=True, kw_only=True)
class Measured:
    seconds: float
    latencies_ms: tuple[float, ...]
    failures: int
    client_cpu_s: float
    server_cpu_s: float


def seed(home: Path, *, calls: int) -> tuple[str, list[str]]:
    """An admin token and the ids of ``calls`` analysed calls spread over agents and teams."""
    location = ApiSettings(home=home).location()
    started = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    with ApiStore.open(location.url, audio_dir=location.audio_dir) as store:
        token = store.issue_token(store.create_user("bench", role="admin").id)
        ids = [seed_call(store, home / "src", call_id=f"call-{n:04d}", agent_id=f"a{n % 40}",
                         team=TEAMS[n % len(TEAMS)], seed=n,
                         started_at=started + dt.timedelta(hours=7 * n),
                         severity=SEVERITIES[n % 3], score=float(40 + n % 60))
               for n in range(calls)]
    shutil.rmtree(home / "src")
    return token, ids


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def serve(home: Path, *, workers: int) -> Iterator[tuple[str, int]]:
    """``callcoach serve --workers N`` on a free loopback port: (base url, server pid)."""
    port = free_port()
    env = {**os.environ, "CALLCOACH_HOME": str(home), "CALLCOACH_PROCESSING_WORKERS": "0"}
    command = [sys.executable, "-c", "import sys; from pipeline.cli import main; sys.exit(main())",
               "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)]
    with open(home / f"server-{workers}.log", "wb") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while not _healthy(url):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the server did not start; see " + str(log.name))
            time.sleep(0.2)
        time.sleep(1.0 if workers > 1 else 0.0)  # let every worker finish starting
        yield url, process.pid
    finally:
        process.terminate()
        process.wait(timeout=30)


def _healthy(url: str) -> bool:
    try:
        return httpx.get(f"{url}/healthz", timeout=1).status_code == 200
    except httpx.TransportError:
        return False


def process_tree_cpu_s(pid: int) -> float:
    """CPU seconds (user + system) used so far by a process and its live descendants."""
    total, pending = 0.0, [pid]
    while pending:
        current = pending.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rpartition(")")[2].split()
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / CLOCK_TICKS_PER_S
        pending.extend(int(child) for child in children)
    return total


class Connection:
    """One keep-alive HTTP/1.1 connection that sends GETs and reads whole responses.

    A client this small costs ~0.1 ms of CPU a request; httpx with 200 pooled connections cost
    more per request than the server did, on the same two cores, and capped what was measured.
    """

    def __init__(self, host: str, port: int, *, token: str) -> None:
        self._address = (host, port)
        self._head = f"Host: {host}:{port}\r\nAuthorization: Bearer {token}\r\n\r\n".encode()
        self._streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def get(self, path: str) -> bool:
        """Whether ``path`` answered 200. Like any HTTP client, it sends the request again on
        a new connection when the server had closed an idle kept-alive one (after uvicorn's
        5 s keep-alive timeout, say)."""
        try:
            async with asyncio.timeout(REQUEST_TIMEOUT_S):
                while True:
                    reused = self._streams is not None
                    try:
                        return await self._exchange(path)
                    except (OSError, asyncio.IncompleteReadError):
                        self.close()
                        if not reused:
                            raise
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError):
            self.close()
            return False

    async def _exchange(self, path: str) -> bool:
        if self._streams is None:
            self._streams = await asyncio.open_connection(*self._address)
        reader, writer = self._streams
        writer.write(b"GET " + path.encode() + b" HTTP/1.1\r\n" + self._head)
        head = await reader.readuntil(b"\r\n\r\n")
        await reader.readexactly(_content_length(head))
        return head[9:12] == b"200"

    def close(self) -> None:
        if self._streams is not None:
            self._streams[1].close()
            self._streams = None


def _content_length(head: bytes) -> int:
    for line in head.lower().split(b"\r\n"):
        if line.startswith(b"content-length:"):
            return int(line.partition(b":")[2])
    raise asyncio.IncompleteReadError(head, None)  # the server always sends a length


async def closed_loop(connections: list[Connection], paths: list[str], *,
                      seconds: float) -> tuple[list[float], int]:
    """A client per connection, each sending its next GET as soon as the last is answered."""
    latencies_ms: list[float] = []
    failures = 0
    deadline = time.perf_counter() + seconds

    async def one_client(connection: Connection) -> None:
        nonlocal failures
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            if await connection.get(random.choice(paths)):
                latencies_ms.append((time.perf_counter() - started) * 1000)
            else:
                failures += 1

    await asyncio.gather(*(one_client(connection) for connection in connections))
    return latencies_ms, failures


async def open_loop(connections: list[Connection], paths: list[str], *, rate_per_s: float,
                    seconds: float) -> tuple[list[float], int]:
    """A user per connection with exponential think times, ``rate_per_s`` requests/s in all;
    each latency runs from when its request was due, not from when it could be sent."""
    latencies_ms: list[float] = []
    failures = 0
    mean_think_s = len(connections) / rate_per_s
    start = time.perf_counter()
    end = start + seconds

    async def one_client(connection: Connection) -> None:
        nonlocal failures
        due = start + random.expovariate(1 / mean_think_s)
        while due < end:
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            if await connection.get(random.choice(paths)):
                latencies_ms.append((time.perf_counter() - due) * 1000)
            else:
                failures += 1
            due += random.expovariate(1 / mean_think_s)

    await asyncio.gather(*(one_client(connection) for connection in connections))
    return latencies_ms, failures


async def measure(server_pid: int, run) -> Measured:
    client_cpu, server_cpu = time.process_time(), process_tree_cpu_s(server_pid)
    started = time.perf_counter()
    latencies_ms, failures = await run
    return Measured(seconds=time.perf_counter() - started, latencies_ms=tuple(latencies_ms),
                    failures=failures, client_cpu_s=time.process_time() - client_cpu,
                    server_cpu_s=process_tree_cpu_s(server_pid) - server_cpu)


def percentile(ordered: list[float], fraction: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def report_line(name: str, scenario: str, measured: Measured, *, target: bool) -> str:
    ordered = sorted(measured.latencies_ms)
    if not ordered:
        return f"{name:<14} {scenario:<28} no request answered, failed {measured.failures}"
    p99 = percentile(ordered, 0.99)
    verdict = ("met" if p99 <= TARGET_P99_MS else "NOT met") if target else "-"
    server_cores, client_cores = (measured.server_cpu_s / measured.seconds,
                                  measured.client_cpu_s / measured.seconds)
    return (f"{name:<14} {scenario:<28} {len(ordered) / measured.seconds:7.0f} req/s  "
            f"p50 {statistics.median(ordered):8.1f} ms  p99 {p99:8.1f} ms  "
            f"failed {measured.failures:<3} cores: server {server_cores:.2f} "
            f"client {client_cores:.2f}  target {verdict}")


async def run_all(url: str, server_pid: int, token: str,
                  kinds: dict[str, tuple[list[str], list[float]]], args: argparse.Namespace,
                  workers: int) -> None:
    host, port = url.removeprefix("http://").split(":")
    connections = [Connection(host, int(port), token=token) for _ in range(CLIENTS)]
    try:
        await closed_loop(connections, kinds["report read"][0], seconds=args.warmup)
        for name, (paths, rates) in kinds.items():
            target = name == "report read"
            scenarios = [(f"w={workers} closed   1 client",
                          closed_loop(connections[:1], paths, seconds=args.seconds)),
                         (f"w={workers} closed {CLIENTS} clients",
                          closed_loop(connections, paths, seconds=args.seconds))]
            scenarios += [(f"w={workers} open {rate:g}/s {CLIENTS} cl.",
                           open_loop(connections, paths, rate_per_s=rate, seconds=args.seconds))
                          for rate in rates]
            for scenario, run in scenarios:
                measured = await measure(server_pid, run)
                print(report_line(name, scenario, measured, target=target), flush=True)
    finally:
        for connection in connections:
            connection.close()


def check_answers(url: str, token: str, kinds: dict[str, tuple[list[str], list[float]]]) -> None:
    """Every kind of request answers 200 with JSON before any is timed."""
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}) as client:
        for name, (paths, _rates) in kinds.items():
            response = client.get(paths[0])
            if response.status_code != 200 or not isinstance(response.json(), dict):
                raise RuntimeError(f"{name} {paths[0]} answered {response.status_code}")


def numbers(text: str, kind=float) -> list:
    return [kind(part) for part in text.split(",") if part.strip()]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--workers", type=lambda text: numbers(text, int), default=[1, 2],
                        help="server worker counts to measure, comma-separated (default 1,2)")
    parser.add_argument("--read-rates", type=numbers, default=[100.0, 400.0],
                        help="open-loop report reads, req/s in all (default 100,400)")
    parser.add_argument("--listing-rates", type=numbers, default=[10.0, 40.0],
                        help="open-loop queue listings, req/s in all (default 10,40)")
    parser.add_argument("--seconds", type=float, default=10.0, help="per measurement")
    parser.add_argument("--warmup", type=float, default=3.0, help="before each server's runs")
    args = parser.parse_args()
    cores = os.cpu_count()
    usable = len(os.sched_getaffinity(0))
    print(f"cores: {cores} ({usable} usable by this process); load average at start "
          f"{' '.join(f'{value:.2f}' for value in os.getloadavg())}")
    print(f"target: p99 <= {TARGET_P99_MS:.0f} ms for a report read with {CLIENTS} clients; "
          f"{CLIENTS} closed-loop clients meet it only at >= {CLIENTS / TARGET_P99_MS * 1000:,.0f}"
          " req/s (Little's law)")
    print(f"open loop: {CLIENTS} clients, each thinking an exponential time of mean "
          f"{CLIENTS}/rate s between requests; latency counted from when a request was due")
    with tempfile.TemporaryDirectory() as folder:
        home = Path(folder) / "home"
        started = time.perf_counter()
        token, ids = seed(home, calls=args.calls)
        print(f"seeded {len(ids)} analysed calls in {time.perf_counter() - started:.1f} s")
        kinds = {"report read": ([f"/api/v1/calls/{call_id}/report" for call_id in ids],
                                 args.read_rates),
                 "queue listing": ([f"/api/v1/calls?limit=50&offset={50 * n}" for n in range(5)],
                                   args.listing_rates)}
        for workers in args.workers:
            with serve(home, workers=workers) as (url, pid):
                check_answers(url, token, kinds)
                asyncio.run(run_all(url, pid, token, kinds, args, workers))
    print(f"load average at end {' '.join(f'{value:.2f}' for value in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
