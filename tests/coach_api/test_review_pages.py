"""Journeys through the call page, the review queue and the library in headless Chromium,
against a real server: a supervisor reviews a flagged call from the queue to the note, a
trainer finds a clip and collects it, an agent of another team opens the collection; no
console errors and nothing wider than a 390 px phone on the way."""

from __future__ import annotations

import datetime as dt

import pytest

from pipeline.types import CallMetadata

from .browser import (PHONE_VIEWPORT, accessibility_violations, assert_page_clean,  # noqa: F401
                      browser, open_signed_in, site)
from .rich_call import rich_report
from .synthetic import write_stereo

RICH_S = 90.0


@pytest.fixture(scope="module")
def rich_call(site) -> str:
    """A flagged 90-second call of agent a1 (team blue) with a full report."""
    started = dt.datetime(2024, 6, 3, 10, 0, tzinfo=dt.UTC)
    audio = write_stereo(site.home.parent / "rich.wav", seed=77, duration_s=RICH_S)
    with site.store() as store:
        call = store.register_call(audio, CallMetadata(
            call_id="call-rich", agent_id="a1", team="blue", customer_name="Dana Whitfield",
            started_at=started.isoformat())).call
        store.save_report(call.id, rich_report(call.id, agent_id="a1", team="blue",
                                               duration_s=RICH_S, seed=7,
                                               started_at=started.isoformat()))
    return call.id


def wait_played_from(page, start_s: float) -> float:
    """The player's position once it has moved to ``start_s`` (in the call's time)."""
    page.wait_for_function(
        "s => { const p = document.getElementById('player');"
        " return p.readyState >= 1 && Number(p.dataset.seekedTo) === s; }", arg=start_s)
    return page.evaluate("document.getElementById('player').currentTime")


def test_supervisor_reviews_a_flagged_call_from_the_queue(site, browser, rich_call):
    page = open_signed_in(browser, site, "sup_blue")
    page.goto(f"{site.url}/ui/")
    row = page.locator(f'tr[data-call-id="{rich_call}"]')
    assert "Agent interrupted the customer" in row.inner_text()  # why it is here
    assert "2024-06-03 10:00" in row.inner_text() and "1:30" in row.inner_text()
    page.get_by_label("Flagged for").select_option(label="Agent raised their voice")
    page.get_by_role("button", name="Show").click()
    # Wait for the filtered page itself: the unfiltered one already holds the same row.
    page.wait_for_function("/[?&]flag_kind=[^&]/.test(location.search)")
    page.wait_for_selector(f'tr[data-call-id="{rich_call}"]')
    assert page.locator("#queue tbody tr").count() == 1  # the short calls are not flagged so
    assert_page_clean(page)

    page.locator(f'tr[data-call-id="{rich_call}"] a').click()
    page.wait_for_selector(".marker.m-raised_voice")
    assert "Sam Porter" in page.locator("#call-header").inner_text()
    assert page.locator("#checks .check").count() == 17  # the whole scorecard
    assert page.locator(".lane-svg path.track").count() == 4  # loudness and pitch per party
    marker = page.locator(".marker.m-raised_voice").first
    start_s = float(marker.get_attribute("data-start-s"))
    marker.click()
    assert wait_played_from(page, start_s) == pytest.approx(start_s, abs=0.5)
    page.wait_for_selector("#transcript .current")  # the line being played is highlighted

    line = page.locator("#transcript .turn-time").nth(3)
    line_s = float(line.get_attribute("data-start-s"))
    line.click()
    assert wait_played_from(page, line_s) == pytest.approx(line_s, abs=0.5)

    page.get_by_label("Note").fill("Raised voice at the refund; talk it through on Monday.")
    page.get_by_role("button", name="Mark reviewed").click()
    page.wait_for_selector("#reviews li.review")
    assert "talk it through" in page.locator("#reviews").inner_text()
    assert_page_clean(page)

    page.goto(f"{site.url}/ui/")  # reviewed calls leave the default view
    page.wait_for_selector("#queue tbody tr")
    assert page.locator(f'tr[data-call-id="{rich_call}"]').count() == 0
    assert_page_clean(page)


def test_trainer_finds_a_clip_and_an_agent_of_another_team_opens_it(site, browser, rich_call):
    page = open_signed_in(browser, site, "trainer")
    assert page.url.endswith("/ui/library")  # a trainer starts in the library, not on an error
    page.get_by_label("New collection").fill("Interruptions to learn from")
    page.get_by_role("button", name="Create").click()
    page.wait_for_selector("text=Interruptions to learn from (0)")
    page.locator('select[name="what"]').select_option(label="Interruption")
    page.get_by_role("button", name="Search").click()
    page.wait_for_selector(f'.result[data-call-id="{rich_call}"] audio')
    result = page.locator(f'.result[data-call-id="{rich_call}"]').first
    playable = result.locator("audio").evaluate(
        "a => new Promise(done => { a.onloadedmetadata = () => done(a.duration);"
        " a.onerror = () => done(-1); a.load(); })")
    assert 0 < playable <= 24.0  # a trainer's clip: the finding and 2 s either side at most
    result.get_by_role("button", name="Add").click()
    page.wait_for_selector("text=Interruptions to learn from (1)")
    assert_page_clean(page)

    page.goto(f"{site.url}/ui/calls/{rich_call}?event=ev-1")  # from a finding: bleeped clips
    page.wait_for_selector("#transcript li")
    assert "Dana" not in page.locator("#call-page").inner_text()
    src = page.evaluate("document.getElementById('player').src")
    assert "/events/" in src and src.endswith("/clip")  # never the whole recording
    assert_page_clean(page)

    agent = open_signed_in(browser, site, "agent_a2", viewport=PHONE_VIEWPORT)  # team red
    agent.goto(f"{site.url}/ui/library")
    agent.get_by_role("button", name="Interruptions to learn from (1)").click()
    clip = agent.locator("#collection audio")
    duration = clip.evaluate("a => new Promise(done => { a.onloadedmetadata = () =>"
                             " done(a.duration); a.onerror = () => done(-1); a.load(); })")
    assert duration == pytest.approx(playable, abs=0.05)
    assert agent.locator("#collection a").count() == 0  # not a way into team blue's calls
    assert_page_clean(agent)


@pytest.mark.parametrize("path", ["/ui/", "/ui/calls/call-rich", "/ui/library"])
def test_review_pages_fit_a_phone_and_pass_the_accessibility_rules(site, browser, rich_call,
                                                                   path):
    page = open_signed_in(browser, site, "sup_blue", viewport=PHONE_VIEWPORT)
    page.goto(f"{site.url}{path}")
    page.wait_for_load_state("networkidle")
    assert page.locator("#status").inner_text() != ""  # the page's script ran
    assert_page_clean(page)
    assert accessibility_violations(page) == []
