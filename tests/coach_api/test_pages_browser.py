"""People's journeys through the pages, in headless Chromium against a real server:
signing in and out, an agent answering a review that their supervisor then reads, the team
overview, error pages, the offline API docs; no console errors and nothing wider than a
390 px phone on the way."""

from __future__ import annotations

import httpx
import pytest

from .browser import (PHONE_VIEWPORT, assert_page_clean, browser,  # noqa: F401
                      accessibility_violations, horizontal_overflow_px, new_page,
                      open_signed_in, site)


def test_sign_in_then_sign_out(site, browser):
    page = new_page(browser)
    page.goto(f"{site.url}/ui/agents/a1")
    assert "/ui/sign-in?next=/ui/agents/a1" in page.url  # asked to sign in first
    page.get_by_label("Name").fill("sup_blue")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    assert "do not match" in page.get_by_role("alert").inner_text()
    page.get_by_label("Name").fill("sup_blue")
    page.get_by_label("Password").fill("correct horse battery staple")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{site.url}/ui/agents/a1")  # back where they were going
    assert "sup_blue (supervisor)" in page.locator("#whoami").inner_text()
    cookies = {cookie["name"]: cookie for cookie in page.context.cookies()}
    assert cookies["callcoach_session"]["httpOnly"]
    assert page.evaluate("document.cookie").find("callcoach_session") == -1
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/ui/sign-in?signed_out=true")
    assert "You are signed out" in page.content()
    page.goto(f"{site.url}/ui/team")
    assert "/ui/sign-in" in page.url
    page.problems.clear()  # the page that refused the wrong password said 401 by design
    assert_page_clean(page)


def test_agent_acknowledges_and_answers_a_review_and_the_supervisor_reads_it(site, browser):
    supervisor = open_signed_in(browser, site, "sup_blue")
    supervisor.goto(f"{site.url}/ui/calls/call-blue")
    supervisor.wait_for_load_state("networkidle")
    supervisor.get_by_label("Note").fill("You cut in at 0:02; let them finish first.")
    supervisor.get_by_role("button", name="Mark reviewed").click()
    supervisor.wait_for_selector("#reviews li")

    agent = open_signed_in(browser, site, "agent_a1", viewport=PHONE_VIEWPORT)
    assert agent.url.endswith("/ui/me")  # an agent starts on their own page
    thread = agent.locator(".thread").first
    assert "let them finish first" in thread.locator(".note").inner_text()
    thread.get_by_role("button", name="Acknowledge").click()
    agent.wait_for_selector(".reply-acknowledged")
    thread = agent.locator(".thread").first
    thread.get_by_label("Reply to sup_blue").fill("Understood, I will pause before answering.")
    thread.get_by_role("button", name="Send reply").click()
    agent.wait_for_selector(".reply-reply")
    assert agent.locator(".thread .acknowledge").count() == 0  # acknowledged once
    assert agent.locator("svg.trend-chart polyline").count() == 2  # listening, empathy
    assert_page_clean(agent)

    reviews = httpx.get(f"{site.url}/api/v1/calls/call-blue/review",
                        headers={"Authorization": f"Bearer {site.tokens['sup_blue']}"}).json()
    assert [(reply["author"], reply["kind"]) for reply in reviews[-1]["replies"]] == \
        [("agent_a1", "acknowledged"), ("agent_a1", "reply")]
    supervisor.goto(f"{site.url}/ui/agents/a1")
    assert "I will pause before answering" in supervisor.locator(".thread").first.inner_text()
    supervisor.goto(f"{site.url}/ui/team")
    row = supervisor.locator('tr[data-agent-id="a1"]')
    assert row.locator("td").nth(1).inner_text() == "3"  # calls
    assert supervisor.locator('tr[data-agent-id="a2"]').count() == 0  # another team's
    assert_page_clean(supervisor)


def test_a_write_without_the_csrf_token_is_refused(site, browser):
    page = open_signed_in(browser, site, "sup_blue")
    status = page.evaluate("""async () => (await fetch('/api/v1/calls/call-blue/review', {
        method: 'POST', headers: {'Content-Type': 'application/json'},
        body: JSON.stringify({note: 'forged'})})).status""")
    assert status == 403
    through_api = page.evaluate("""async () => (await api('/calls/call-blue/review',
        {method: 'POST', json: {note: 'sent by the page'}})).note""")
    assert through_api == "sent by the page"
    page.problems.clear()  # the refused fetch is logged by the browser
    assert_page_clean(page)


@pytest.mark.parametrize("who,path", [
    ("agent_a1", "/ui/me"), ("sup_blue", "/ui/agents/a1"), ("sup_blue", "/ui/team"),
    ("trainer", "/ui/findings"), (None, "/ui/sign-in"), (None, "/docs")])
def test_pages_fit_a_phone_without_console_errors(site, browser, who, path):
    page = (open_signed_in(browser, site, who, viewport=PHONE_VIEWPORT) if who
            else new_page(browser, viewport=PHONE_VIEWPORT))
    page.goto(f"{site.url}{path}")
    page.wait_for_load_state("networkidle")
    assert page.locator("h1, .swagger-ui .title").first.is_visible()
    assert_page_clean(page)


def test_the_pages_can_be_used_from_the_keyboard(site, browser):
    page = open_signed_in(browser, site, "agent_a1")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to main content"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    assert page.locator("nav[aria-label=Main] a[aria-current=page]").inner_text() == "My calls"


@pytest.mark.parametrize("who,path,status,words", [
    ("agent_a1", "/ui/calls/call-red", 404, "no call with id"),
    ("agent_a1", "/ui/no-such-page", 404, "There is no such page"),
    ("trainer", "/ui/team", 403, "may not see the team overview"),
    ("agent_a1", "/ui/agents/a2", 404, "no analysed calls"),
])
def test_missing_and_forbidden_pages_say_so(site, browser, who, path, status, words):
    page = open_signed_in(browser, site, who, viewport=PHONE_VIEWPORT)
    response = page.goto(f"{site.url}{path}")
    assert response.status == status
    assert words in page.get_by_role("alert").inner_text()
    assert page.locator("nav[aria-label=Main]").is_visible()  # still signed in, with a way on
    page.problems.clear()  # the browser logs the status itself
    assert horizontal_overflow_px(page) <= 0


def test_the_api_docs_work_offline(site, browser):
    page = new_page(browser)
    blocked = []
    page.route("**/*", lambda route: (route.continue_() if route.request.url.startswith(site.url)
                                      else (blocked.append(route.request.url), route.abort())))
    page.goto(f"{site.url}/docs")
    page.wait_for_selector(".swagger-ui .opblock")
    assert page.locator(".opblock-summary-path").filter(has_text="/api/v1/calls").count() > 0
    assert blocked == []  # nothing asked of another host
    assert page.problems == []


def test_a_one_time_sign_in_link_signs_in_once(site, browser):
    with site.store() as store:
        user = store.get_user_by_name("agent_a2")
        grant = store.issue_sign_in_link(user.id, lifetime_s=600)
    page = new_page(browser, viewport=PHONE_VIEWPORT)
    page.goto(f"{site.url}/ui/sign-in/link#{grant.token}")
    assert grant.token not in page.url  # taken out of the address bar and history
    page.get_by_role("button", name="Sign in with this link").click()
    page.wait_for_url(f"{site.url}/ui/me")
    assert "agent_a2 (agent)" in page.locator("#whoami").inner_text()
    assert_page_clean(page)
    again = new_page(browser)
    again.goto(f"{site.url}/ui/sign-in/link#{grant.token}")
    again.get_by_role("button", name="Sign in with this link").click()
    assert "used already" in again.get_by_role("alert").inner_text()


@pytest.mark.parametrize("who,path", [
    (None, "/ui/sign-in"), ("agent_a1", "/ui/me"), ("sup_blue", "/ui/team"),
    ("sup_blue", "/ui/agents/a1"), ("agent_a1", "/ui/calls/call-red")])
def test_pages_pass_the_wcag_checks_of_axe(site, browser, who, path):
    page = (open_signed_in(browser, site, who) if who else new_page(browser))
    page.goto(f"{site.url}{path}")
    page.wait_for_load_state("networkidle")
    assert accessibility_violations(page) == []
