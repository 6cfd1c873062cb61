"""A store for looking at the pages: one user per role and a handful of calls (a full
90-second report, a flagged short call, a failed call, a silent call), then a server.

    PYTHONPATH=. .venv/bin/python scripts/page_world.py HOME [--serve PORT]

prints each role's token. ``scripts/screenshots.py`` and the page tests build the same world.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from coach_api.settings import ApiSettings  # noqa: E402
from coach_api.storage import ApiStore  # noqa: E402
from pipeline.errors import ErrorKind  # noqa: E402
from pipeline.types import CallMetadata  # noqa: E402
from tests.coach_api.rich_call import rich_report  # noqa: E402
from tests.coach_api.synthetic import report_for, write_stereo  # noqa: E402

ROLES = {"sam (supervisor)": ("supervisor", ("blue",), None),
         "alex (agent)": ("agent", ("blue",), "a1"),
         "tess (trainer)": ("trainer", (), None),
         "root": ("admin", (), None)}
START = dt.datetime(2026, 11, 30, 9, 15, tzinfo=dt.UTC)


def _register(store, folder: Path, call_id: str, *, agent_id: str, seed: int, duration_s: float,
              started_at: dt.datetime | None, team: str = "blue"):
    audio = write_stereo(folder / f"{call_id}.wav", seed=seed, duration_s=duration_s)
    metadata = CallMetadata(call_id=call_id, agent_id=agent_id, team=team,
                            agent_name="Sam Porter" if agent_id == "a1" else None,
                            customer_name="Dana Whitfield",
                            started_at=started_at.isoformat() if started_at else None)
    return store.register_call(audio, metadata).call


def build(home: Path) -> dict[str, str]:
    """The world under ``home``; returns each role's token by role name."""
    location = ApiSettings(home=home).location()
    folder = home / "src"
    with ApiStore.open(location.url, audio_dir=location.audio_dir) as store:
        tokens = {}
        for name, (role, teams, agent_id) in ROLES.items():
            user = store.create_user(name, role=role, teams=teams, agent_id=agent_id)
            tokens[role] = store.issue_token(user.id)
        rich = _register(store, folder, "call-rich", agent_id="a1", seed=7, duration_s=90.0,
                         started_at=START)
        store.save_report(rich.id, rich_report(rich.id, agent_id="a1", duration_s=90.0, seed=7,
                                               team="blue", started_at=START.isoformat()))
        short = _register(store, folder, "call-short", agent_id="a2", seed=8, duration_s=12.0,
                          started_at=START - dt.timedelta(hours=3))
        store.save_report(short.id, report_for(short.id, agent_id="a2", severity="medium"))
        silent = _register(store, folder, "call-silent", agent_id="a1", seed=9, duration_s=12.0,
                           started_at=START - dt.timedelta(days=1))
        store.save_report(silent.id, {**report_for(silent.id, agent_id="a1"), "flags": [],
                                      "events": [], "transcript": [], "speech_found": False,
                                      "scores": {"overall": None}})
        failed = _register(store, folder, "call-failed", agent_id="a1", seed=10, duration_s=2.0,
                           started_at=None)
        store.mark_failed(failed.id, reason="the recording has more than two channels; "
                          "export it as stereo (agent and customer)", kind=ErrorKind.INVALID_AUDIO)
    return tokens


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("home", type=Path)
    args = parser.parse_args()
    for role, token in build(args.home).items():
        print(f"{role}\t{token}")


if __name__ == "__main__":
    main()
