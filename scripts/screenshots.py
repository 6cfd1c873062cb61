"""Screenshots of the main pages for the README, from a throwaway server with sample data.

    .venv/bin/python scripts/screenshots.py      # writes docs/screenshots/*.png

The server, its users and calls are the browser tests' (tests/coach_api/browser.py); add a
row to SHOTS for a new page.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.coach_api.browser import (CHROMIUM, PHONE_VIEWPORT, Site, open_signed_in,  # noqa: E402
                                     new_page, seed_site)
from pipeline.types import CallMetadata  # noqa: E402
from tests.coach_api.rich_call import rich_report  # noqa: E402
from tests.coach_api.synthetic import write_stereo  # noqa: E402
from tests.coach_api.test_server import start_server  # noqa: E402

OUT = REPO / "docs" / "screenshots"
DESKTOP = {"width": 1100, "height": 800}
SHOTS = [  # (who signs in, path, file name, viewport)
    ("sup_blue", "/ui/calls/call-rich", "call", {"width": 1100, "height": 1000}),
    ("sup_blue", "/ui/", "queue", DESKTOP),
    ("trainer", "/ui/library", "library", DESKTOP),
    ("sup_blue", "/ui/calls/call-rich", "call-phone", PHONE_VIEWPORT),
    (None, "/ui/sign-in", "sign-in-phone", PHONE_VIEWPORT),
    ("agent_a1", "/ui/me", "agent-home", DESKTOP),
    ("agent_a1", "/ui/me", "agent-home-phone", PHONE_VIEWPORT),
    ("sup_blue", "/ui/team", "team", DESKTOP),
    ("agent_a1", "/ui/calls/call-red", "not-found-phone", PHONE_VIEWPORT),
]

VIEWPORT_ONLY = {"call", "call-phone"}


def add_sample_reviews(site: Site) -> None:
    with site.store() as store:
        first = store.add_review("call-blue", user_id=None, reviewer="sup_blue",
                                 note="You cut in at 0:02 while the customer explained the "
                                      "charge. Let them finish, then sum up what you heard.")
        store.add_reply(first.id, call_id="call-blue", user_id=None, author="agent_a1",
                        kind="acknowledged", note=None)
        store.add_review("call-a1-w2", user_id=None, reviewer="sup_blue",
                         note="Good empathy after the customer raised their voice.")


def add_rich_call(site: Site) -> None:
    """A 90-second call with a full report, and a collection holding two of its clips."""
    started = "2024-05-27T10:00:00+00:00"
    audio = write_stereo(site.home.parent / "rich.wav", seed=77, duration_s=90.0)
    with site.store() as store:
        call = store.register_call(audio, CallMetadata(
            call_id="call-rich", agent_id="a1", team="blue", customer_name="Dana Whitfield",
            started_at=started)).call
        store.save_report(call.id, rich_report(call.id, agent_id="a1", team="blue",
                                               duration_s=90.0, seed=7, started_at=started))
        made = store.create_collection("Good de-escalation", description="", user_id=None,
                                       creator="trainer")
        for finding_id in ("empathy_statement", "ev-1"):
            store.add_collection_item(made.id, call_id=call.id, finding_id=finding_id, note="",
                                      added_by="trainer")


def main() -> int:
    from playwright.sync_api import sync_playwright

    OUT.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="callcoach-shots-"))
    tokens = seed_site(folder / "home", folder / "source")
    for url in start_server(folder / "home", workers=0):
        site = Site(url=url, home=folder / "home", tokens=tokens)
        add_sample_reviews(site)
        add_rich_call(site)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
            for who, path, name, viewport in SHOTS:
                page = (open_signed_in(browser, site, who, viewport=viewport) if who
                        else new_page(browser, viewport=viewport))
                page.goto(f"{url}{path}")
                page.wait_for_load_state("networkidle")
                # The call page is long: its top (header, player, timeline) keeps the file small.
                page.screenshot(path=OUT / f"{name}.png", full_page=name not in VIEWPORT_ONLY)
                page.context.close()
                print(f"{OUT.relative_to(REPO)}/{name}.png")
            browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
