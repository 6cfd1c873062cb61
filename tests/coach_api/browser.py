"""Pages in headless Chromium through Playwright, against a real server.

Playwright drives the system's Chromium (``executable_path``; no browser is downloaded).
Import the fixtures into a test module to use them::

    from .browser import browser, site  # noqa: F401  (pytest fixtures)

    def test_x(site, browser):
        page = open_signed_in(browser, site, "agent_a1")
        page.goto(f"{site.url}/ui/me")
        ...
        assert_page_clean(page)  # no console errors, nothing wider than the viewport

Every user of :data:`SITE_USERS` has the password :data:`PASSWORD`.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from coach_api.settings import ApiSettings
from coach_api.storage import ApiStore

from .synthetic import seed_call
from .test_server import start_server

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
PASSWORD = "correct horse battery staple"
PHONE_VIEWPORT = {"width": 390, "height": 844}
SITE_USERS = {  # name → (role, teams, agent_id)
    "admin": ("admin", (), None),
    "sup_blue": ("supervisor", ("blue",), None),
    "agent_a1": ("agent", ("blue",), "a1"),
    "agent_a2": ("agent", ("red",), "a2"),
    "trainer": ("trainer", (), None),
}
STARTED_AT = dt.datetime(2024, 5, 6, 9, 0, tzinfo=dt.UTC)


@dataclass
class Site:
    url: str
    home: Path
    tokens: dict[str, str] = field(default_factory=dict)  # name → bearer token

    def store(self) -> ApiStore:
        location = ApiSettings(home=self.home).location()
        return ApiStore.open(location.url, audio_dir=location.audio_dir)


def seed_site(home: Path, source: Path) -> dict[str, str]:
    """Users with passwords, and calls: a1 (team blue) has three weeks of calls, the newest
    (call-blue) flagged and scored per skill; a2 (team red) has call-red."""
    tokens = {}
    location = ApiSettings(home=home).location()
    with ApiStore.open(location.url, audio_dir=location.audio_dir) as store:
        for name, (role, teams, agent_id) in SITE_USERS.items():
            user = store.create_user(name, role=role, teams=teams, agent_id=agent_id)
            store.set_password(user.id, PASSWORD)
            tokens[name] = store.issue_token(user.id)
        for week, (call_id, listening) in enumerate([("call-a1-w1", 40), ("call-a1-w2", 55),
                                                     ("call-blue", 70)]):
            seed_call(store, source, call_id=call_id, agent_id="a1", team="blue", seed=10 + week,
                      started_at=STARTED_AT + dt.timedelta(weeks=week),
                      skills={"listening": listening, "empathy": 80 - 5 * week})
        seed_call(store, source, call_id="call-red", agent_id="a2", team="red", seed=20,
                  started_at=STARTED_AT, severity="medium")
    return tokens


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Iterator[Site]:
    """One server per test module (starting one takes seconds): tests share its data, so
    each writes only what it reads back itself."""
    folder = tmp_path_factory.mktemp("site")
    home = folder / "home"
    tokens = seed_site(home, folder / "source")
    for url in start_server(home, workers=0):
        yield Site(url=url, home=home, tokens=tokens)


# Module scope: Playwright's sync API keeps an event loop running while it is started; one left
# running would refuse a second Playwright in the next module, and Prefect would take every later
# test for async code (its calls would hand back coroutines). So each module starts and stops its own.
@pytest.fixture(scope="module")
def browser():
    if CHROMIUM is None:
        pytest.skip("chromium is not installed (apt-get install -y chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM,
                                              args=["--no-sandbox", "--mute-audio"])
        try:
            yield launched
        finally:
            launched.close()


def watch_console(page) -> list[str]:
    """Collects the page's console errors and uncaught exceptions, as they happen."""
    problems: list[str] = []
    page.on("console", lambda message: problems.append(
        f"console: {message.text} ({message.location.get('url', '')})")
        if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(f"uncaught: {error}"))
    page.problems = problems
    return problems


def new_page(browser, *, viewport: dict | None = None):
    """A page in a fresh context (its own cookies), watched for console errors."""
    context = browser.new_context(viewport=viewport or {"width": 1280, "height": 900})
    page = context.new_page()
    watch_console(page)
    return page


def sign_in_page(page, site: Site, name: str, password: str = PASSWORD,
                 next_path: str = "") -> None:
    """Sign in through the sign-in form, as a person would."""
    query = f"?next={next_path}" if next_path else ""
    page.goto(f"{site.url}/ui/sign-in{query}")
    page.get_by_label("Name").fill(name)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state("networkidle")


def open_signed_in(browser, site: Site, name: str, *, viewport: dict | None = None):
    page = new_page(browser, viewport=viewport)
    sign_in_page(page, site, name)
    return page


def horizontal_overflow_px(page) -> int:
    """How far the page is wider than its viewport (0 when it fits)."""
    return page.evaluate("Math.max(document.documentElement.scrollWidth, "
                         "document.body.scrollWidth) - window.innerWidth")


def assert_page_clean(page) -> None:
    """No console errors so far, and nothing wider than the viewport."""
    assert page.problems == [], page.problems
    assert horizontal_overflow_px(page) <= 0, f"{page.url} is wider than the viewport"


AXE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"


def accessibility_violations(page) -> list[str]:
    """What axe-core (vendored, run in the page) finds against WCAG 2.1 A and AA, one line per
    rule and element. Evaluated through the DevTools protocol, so the pages' content policy,
    which allows only their own scripts, does not stop it."""
    page.evaluate(AXE.read_text())
    found = page.evaluate("""async () => {
        const result = await axe.run(document, {runOnly: {type: 'tag',
            values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}});
        return result.violations.flatMap((rule) => rule.nodes.map((node) =>
            `${rule.id}: ${node.target.join(' ')}: ${rule.help}`));
    }""")
    return list(found)
