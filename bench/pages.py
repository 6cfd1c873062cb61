"""Server time of the call page and the review queue page, as a browser loads them.

A page load is its HTML, its scripts and styles, and the API requests its scripts make; this
signs in through the sign-in form and sends each of them in turn, with the session cookie as
a browser would, over one kept-alive loopback connection to ``callcoach serve``
(one worker) and sums the time to each whole response. That sum is what the server spends on
one load (a browser sends some of them at once, so it waits less). Every figure is the median
of ``--repeats`` loads after a few warm-up loads, with the 90th percentile beside it.

* call page: a 30-minute call with a full synthetic report (a transcript turn every few
  seconds with timed words, events, every check, tracks), as a supervisor opens it: HTML,
  static files, /me, the call, its report, its reviews and the first bytes of its audio.
  Targets: under 300 ms.
* queue page at 20,000 analysed calls: HTML, static files, /me and the default view (not
  reviewed yet, worst first, 50 a page); then page 3, a flag-kind filter and the newest-first
  sort as a supervisor would click them. Target: under 100 ms.

The queue's calls are written straight into the store's tables (the rows ``save_report``
writes); ``--home`` keeps the seeded store for the next run. Run: PYTHONPATH=. .venv/bin/python bench/pages.py [--calls 20000] [--home DIR]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.api import serve  # noqa: E402
from coach_api.settings import ApiSettings  # noqa: E402
from coach_api.storage import ApiStore  # noqa: E402
from pipeline.store.reports import (_insert_findings, finding_rows, queue_keys,  # noqa: E402
                                    stored_document)
from pipeline.store.reviews import QueueFilter, reviews  # noqa: E402
from pipeline.store.schema import calls, reports  # noqa: E402
from pipeline.types import CallMetadata  # noqa: E402
from tests.coach_api.rich_call import rich_report  # noqa: E402
from tests.coach_api.synthetic import report_for, write_stereo  # noqa: E402

CALL_TARGET_MS, QUEUE_TARGET_MS = 300.0, 100.0
PASSWORD = "bench password, not secret"
LONG_CALL_S = 1800.0
TEAMS = ("blue", "red", "green", "amber")
REASONS = (("Agent interrupted the customer 3 times", "medium"),
           ("Agent raised their voice (twice)", "high"),
           ("Customer threatened to leave, cancel or complain publicly", "low"),
           ("Customer asked for a manager", "medium"))
CALL_STATIC = ("/static/app.css", "/static/call.css", "/static/app.js", "/static/timeline.js",
               "/static/call_sections.js", "/static/call.js")
QUEUE_STATIC = ("/static/app.css", "/static/queue.css", "/static/app.js", "/static/queue.js")


def _variants() -> list[tuple[dict, dict, dict]]:
    """(document, finding rows, queue keys) of each kind of queue call, made once: the rows
    are what ``save_report`` writes for such a report, so 20,000 calls need not each be
    validated and written one transaction at a time (an hour on two cores)."""
    out = []
    for n in range(len(REASONS) + 1):
        report = report_for("q", agent_id="a", score=float(40 + 7 * n))
        report["flags"] = [] if n == len(REASONS) else [
            {"reason": REASONS[n][0], "severity": REASONS[n][1], "event_ids": ["ev-1"]}]
        document, typed = stored_document(report)
        out.append((document, finding_rows(typed), {**queue_keys(typed), "speech_found": True}))
    return out


def seed_queue(store, *, calls: int, chunk: int = 1000) -> None:
    """``calls`` analysed calls written straight into the store's tables, as save_report
    writes them; one call in seven reviewed. Their audio is never read, so none is kept."""
    variants, first = _variants(), dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    for begin in range(0, calls, chunk):
        with store.transaction() as connection:
            for n in range(begin, min(calls, begin + chunk)):
                _seed_one(connection, n, variants[n % len(variants)],
                          started_at=first + dt.timedelta(minutes=37 * n))
        print(f"  seeded {min(calls, begin + chunk)} calls", flush=True)


def _seed_one(connection, n: int, variant, *, started_at: dt.datetime) -> None:
    document, rows, keys = variant
    call_id, now = f"q-{n:05d}", dt.datetime.now(dt.UTC)
    values = {"id": call_id, "source_path": f"/nowhere/{call_id}.wav",
              "audio_relpath": f"none/{call_id}.wav", "sha256": f"{n:064d}",
              "agent_id": f"a{n % 60}", "team": TEAMS[n % len(TEAMS)], "started_at": started_at,
              "agent_channel": 0, "duration_s": 12.0, "status": "done", "created_at": now,
              "updated_at": now}
    connection.execute(calls.insert().values(**values))
    report_id = connection.execute(reports.insert().values(
        call_id=call_id, version=1, is_current=True, schema_version=document["schema_version"],
        config_digest="synthetic", created_at=now, document={**document, "call_id": call_id},
        call_started_at=started_at, **keys).returning(reports.c.id)).scalar_one()
    call = SimpleNamespace(id=call_id, agent_id=values["agent_id"], team=values["team"],
                           started_at=started_at)
    _insert_findings(connection, call, report_id, rows)
    if n % 7 == 0:
        connection.execute(reviews.insert().values(call_id=call_id, reviewer="bench",
                                                   note="seen", created_at=now))


def seed(home: Path, *, calls: int) -> None:
    """A supervisor with a password; the long call and ``calls`` queue calls, unless seeded."""
    location = ApiSettings(home=home).location()
    with ApiStore.open(location.url, audio_dir=location.audio_dir) as store:
        if not any(user.name == "bench-sup" for user in store.list_users()):
            store.create_user("bench-sup", role="supervisor", teams=TEAMS)
            audio = write_stereo(home / "src" / "long.wav", seed=1, duration_s=5.0)
            metadata = CallMetadata(call_id="long-call", agent_id="a1", team="blue",
                                    started_at="2025-06-01T10:00:00+00:00")
            call = store.register_call(audio, metadata).call
            store.save_report(call.id, rich_report(call.id, agent_id="a1", team="blue",
                                                   duration_s=LONG_CALL_S, seed=3))
        have = store.review_queue(QueueFilter(), limit=1).total - 1  # less the long call
        if have < calls:
            started = time.perf_counter()
            seed_queue(store, calls=calls)
            print(f"seeded {calls} queue calls in {time.perf_counter() - started:.0f} s")
        store.set_password(store.get_user_by_name("bench-sup").id, PASSWORD)


def sign_in(client: httpx.Client) -> None:
    """Through the sign-in form, as a browser does: the pages and their API requests then
    go with the session cookie (and are timed with the session's check)."""
    form = client.get("/ui/sign-in").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    done = client.post("/ui/sign-in", data={"name": "bench-sup", "password": PASSWORD,
                                            "csrf_token": token, "next": ""})
    assert done.status_code in (200, 303), done.text[:200]


def load_ms(client: httpx.Client, paths: list[tuple[str, dict]]) -> float:
    """Milliseconds to fetch every path in turn, each response read whole."""
    started = time.perf_counter()
    for path, headers in paths:
        response = client.get(path, headers=headers)
        assert response.status_code in (200, 206), (path, response.status_code, response.text[:200])
    return (time.perf_counter() - started) * 1000


def measure(client: httpx.Client, name: str, paths: list[tuple[str, dict]], *, repeats: int,
            target_ms: float | None, detail: bool = False) -> None:
    for _ in range(3):
        load_ms(client, paths)
    times = sorted(load_ms(client, paths) for _ in range(repeats))
    p90 = times[min(len(times) - 1, int(0.9 * len(times)))]
    verdict = "" if target_ms is None else \
        f"  target < {target_ms:.0f} ms: {'met' if statistics.median(times) < target_ms else 'NOT met'}"
    print(f"{name:58s} median {statistics.median(times):7.1f} ms  p90 {p90:7.1f} ms  "
          f"({len(paths)} requests){verdict}")
    if detail:
        for path, headers in paths:
            each = sorted(load_ms(client, [(path, headers)]) for _ in range(repeats))
            print(f"    {statistics.median(each):7.1f} ms  {path}")


def call_page(call_id: str) -> list[tuple[str, dict]]:
    api = f"/api/v1/calls/{call_id}"
    return [(f"/ui/calls/{call_id}", {}), *((p, {}) for p in CALL_STATIC), ("/api/v1/me", {}),
            (api, {}), (f"{api}/report", {}), (f"{api}/review", {}),
            (f"{api}/audio", {"Range": "bytes=0-65535"})]


def queue_page(query: str) -> list[tuple[str, dict]]:
    return [("/ui/", {}), *((p, {}) for p in QUEUE_STATIC), ("/api/v1/me", {}),
            (f"/api/v1/calls?{query}", {})]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--detail", action="store_true", help="also time each request alone")
    parser.add_argument("--home", type=Path, help="keep the seeded store here (reused if there)")
    args = parser.parse_args()
    print(f"cores: {os.cpu_count()}; load average at start "
          f"{' '.join(f'{value:.2f}' for value in os.getloadavg())}")
    with tempfile.TemporaryDirectory() as folder:
        home = args.home or Path(folder) / "home"
        seed(home, calls=args.calls)
        with serve(home, workers=1) as (url, _pid), httpx.Client(base_url=url,
                                                               timeout=60) as client:
            sign_in(client)
            report = client.get("/api/v1/calls/long-call/report")
            body = report.json()
            print(f"30-minute call: report {len(report.content) / 1e3:.0f} kB, "
                  f"{len(body['transcript'])} turns, {len(body['events'])} events")
            measure(client, "call page, 30-minute call (HTML + assets + API)",
                    call_page("long-call"), repeats=args.repeats, target_ms=CALL_TARGET_MS,
                    detail=args.detail)
            measure(client, "  of which the report alone", [("/api/v1/calls/long-call/report", {})],
                    repeats=args.repeats, target_ms=None)
            total = client.get("/api/v1/calls?limit=1").json()["total"]
            print(f"queue: {total} calls")
            views = {"queue page, default view (not reviewed, worst first)": "reviewed=false&limit=50",
                     "queue page, page 3": "reviewed=false&limit=50&offset=100",
                     "queue page, flagged for interruptions": "reviewed=false&flag_kind=agent_interruptions&limit=50",
                     "queue page, newest first": "reviewed=false&sort=newest&limit=50",
                     "queue page, one team and a month": "team=red&since=2025-03-01T00:00:00Z&until=2025-04-01T00:00:00Z&limit=50"}
            for name, query in views.items():
                measure(client, name, queue_page(query), repeats=args.repeats,
                        target_ms=QUEUE_TARGET_MS, detail=args.detail)
    return 0


if __name__ == "__main__":
    sys.exit(main())
