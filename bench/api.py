"""Throughput and latency of the coaching API: report reads and queue listings.

Seeds a store with 1,000 analysed synthetic calls (written straight through the store), starts
a real uvicorn process on a loopback port and drives it with concurrent httpx clients. Prints
requests/s and p50/p99 latency for each kind of request, with 200 concurrent clients and with
one (the per-request cost without queueing). Run: .venv/bin/python bench/api.py [--calls N]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from coach_api.settings import ApiSettings  # noqa: E402
from coach_api.storage import ApiStore  # noqa: E402
from tests.coach_api.synthetic import seed_call  # noqa: E402
from tests.coach_api.test_server import start_server  # noqa: E402

TARGET_P99_MS = 20.0
TEAMS = ("blue", "red", "green", "amber")
SEVERITIES = ("low", "medium", "high")


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
    return token, ids


async def drive(url: str, token: str, paths: list[str], *, clients: int,
                requests: int) -> tuple[float, list[float], int]:
    """Send ``requests`` GETs over ``clients`` concurrent connections; (seconds, latencies ms
    of the answered ones, failures)."""
    latencies_ms: list[float] = []
    failures = [0]
    remaining = iter(range(requests))
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url, headers={"Authorization": f"Bearer {token}"},
                                 limits=limits, timeout=60) as client:
        async def one_client() -> None:
            for _ in remaining:
                started = time.perf_counter()
                try:
                    response = await client.get(random.choice(paths))
                except httpx.TransportError:
                    failures[0] += 1
                    continue
                if response.status_code != 200:
                    failures[0] += 1
                    continue
                latencies_ms.append((time.perf_counter() - started) * 1000)

        started = time.perf_counter()
        await asyncio.gather(*(one_client() for _ in range(clients)))
        return time.perf_counter() - started, latencies_ms, failures[0]


def report_line(name: str, clients: int, seconds: float, latencies_ms: list[float],
                failures: int) -> str:
    ordered = sorted(latencies_ms)
    p99 = ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]
    return (f"{name:<16} clients={clients:<4} {len(ordered) / seconds:8.0f} req/s   "
            f"p50 {statistics.median(ordered):7.1f} ms   p99 {p99:7.1f} ms   failed {failures}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=4000, help="per measurement")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        home = Path(folder) / "home"
        started = time.perf_counter()
        token, ids = seed(home, calls=args.calls)
        print(f"seeded {len(ids)} analysed calls in {time.perf_counter() - started:.1f} s")
        kinds = {"report read": [f"/api/v1/calls/{call_id}/report" for call_id in ids],
                 "queue listing": [f"/api/v1/calls?limit=50&offset={50 * n}" for n in range(5)]}
        for url in start_server(home, workers=0):
            for name, paths in kinds.items():
                for clients in (1, 200):
                    count = args.requests if clients > 1 else args.requests // 10
                    measured = asyncio.run(drive(url, token, paths, clients=clients,
                                                 requests=count))
                    print(report_line(name, clients, *measured), flush=True)
    print(f"target: p99 <= {TARGET_P99_MS:.0f} ms for a report read")
    return 0


if __name__ == "__main__":
    sys.exit(main())
