"""The pages' server side without a browser: error pages, the failed-call page, the agent and
team pages' content, replies to reviews, the offline docs and the CLI's sign-in options."""

from __future__ import annotations

import argparse
import io
import re

import pytest

from coach_api.commands import register
from pipeline.errors import ErrorKind

from .conftest import STARTED_AT
from .signing_in import PASSWORD, page_csrf, sign_in
from .synthetic import seed_call


@pytest.fixture
def signed_up(world, monkeypatch):
    from coach_api.routes import sign_in as routes

    monkeypatch.setattr(routes, "FAILED_SIGN_IN_PAUSE_S", 0.0)
    for user in world.store.list_users():
        world.store.set_password(user.id, PASSWORD)
    return world


def test_an_unknown_page_is_a_page_that_says_so(signed_up):
    sign_in(signed_up.client, "agent_a1")
    response = signed_up.client.get("/ui/nothing-here")
    assert response.status_code == 404 and "text/html" in response.headers["content-type"]
    assert "There is no such page" in response.text and 'href="/ui/me"' in response.text
    api = signed_up.client.get("/api/v1/nothing-here")  # the API still answers in JSON
    assert api.status_code == 404 and api.json()["detail"] == "Not Found"


def test_pages_send_people_who_are_not_signed_in_to_sign_in(world):
    response = world.client.get("/ui/calls/call-blue?event=ev-1", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/ui/sign-in?next=/ui/calls/call-blue%3Fevent%3Dev-1"


@pytest.mark.parametrize("who,home", [("agent_a1", "/ui/me"), ("trainer", "/ui/library"),
                                      ("sup_blue", None)])
def test_each_role_starts_on_its_own_page(signed_up, who, home):
    sign_in(signed_up.client, who)
    response = signed_up.client.get("/ui/", follow_redirects=False)
    if home is None:
        assert response.status_code == 200 and "Review queue" in response.text
    else:
        assert response.status_code == 303 and response.headers["location"] == home


def test_a_failed_call_says_why_in_words_without_a_server_path(signed_up):
    store = signed_up.store
    store.mark_failed("call-blue", reason="cannot decode /srv/callcoach/audio/ab/cd.opus: "
                                          "end of file", kind=ErrorKind.INVALID_AUDIO)
    sign_in(signed_up.client, "sup_blue")
    page = signed_up.client.get("/ui/calls/call-blue")
    assert page.status_code == 200
    assert "could not be read as a call" in page.text and "end of file" in page.text
    assert "/srv/" not in page.text


def test_a_forbidden_call_page_says_the_role_may_not(signed_up):
    sign_in(signed_up.client, "admin")
    signed_up.client.cookies.clear()
    sign_in(signed_up.client, "trainer")
    page = signed_up.client.get("/ui/team")
    assert page.status_code == 403 and "may not see the team overview" in page.text


def test_the_agent_page_shows_reviews_coaching_and_trend(signed_up):
    store = signed_up.store
    review = store.add_review("call-blue", user_id=None, reviewer="sup_blue",
                              note="Let the customer finish.")
    store.add_reply(review.id, call_id="call-blue", user_id=None, author="agent_a1",
                    kind="reply", note="Will do.")
    store.add_review("call-red", user_id=None, reviewer="sup_red", note="Not for a1's eyes")
    sign_in(signed_up.client, "agent_a1")
    page = signed_up.client.get("/ui/me").text
    assert "Let the customer finish." in page and "agent_a1 replied" in page
    assert "Not for a1&#39;s eyes" not in page and "Not for a1's eyes" not in page
    assert 'href="/ui/calls/call-blue?event=ev-1"' in page  # coaching opens its moment
    assert re.search(r'<svg class="trend-chart"', page)
    assert signed_up.client.get("/ui/agents/a2").status_code == 404


def test_replies_go_through_the_api_and_show_on_the_reviews(signed_up):
    client = signed_up.client
    review = signed_up.store.add_review("call-blue", user_id=None, reviewer="sup_blue", note="n")
    sign_in(client, "agent_a1")
    csrf = {"X-CSRF-Token": page_csrf(client)}
    url = f"/api/v1/calls/call-blue/review/{review.id}/replies"
    assert client.post(url, json={"kind": "reply"}, headers=csrf).status_code == 422
    assert client.post(url, json={"kind": "acknowledged"}, headers=csrf).status_code == 201
    other = signed_up.store.add_review("call-red", user_id=None, reviewer="x", note="n")
    wrong_call = f"/api/v1/calls/call-blue/review/{other.id}/replies"
    assert client.post(wrong_call, json={"kind": "acknowledged"}, headers=csrf).status_code == 404
    reviews = client.get("/api/v1/calls/call-blue/review").json()
    assert [reply["kind"] for reply in reviews[0]["replies"]] == ["acknowledged"]


def test_the_team_overview_counts_reviews_not_yet_answered(signed_up):
    store = signed_up.store
    answered = store.add_review("call-blue", user_id=None, reviewer="s", note="a")
    store.add_review("call-blue", user_id=None, reviewer="s", note="b")
    store.add_reply(answered.id, call_id="call-blue", user_id=None, author="agent_a1",
                    kind="acknowledged", note=None)
    rows = signed_up.client.get("/api/v1/agents", headers=signed_up.headers("sup_blue")).json()
    assert [(row["agent_id"], row["calls"], row["reviews"], row["unanswered_reviews"])
            for row in rows] == [("a1", 1, 2, 1)]
    everyone = signed_up.client.get("/api/v1/agents", headers=signed_up.headers("admin")).json()
    assert [row["agent_id"] for row in everyone] == ["a1", "a2"]


def test_the_docs_page_loads_only_files_this_server_has(world):
    page = world.client.get("/docs")
    assert page.status_code == 200
    assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert assets and all(asset.startswith("/") for asset in assets)
    for asset in assets:
        assert world.client.get(asset).status_code == 200, asset
    assert world.client.get("/api/v1/docs", follow_redirects=False).headers["location"] == "/docs"
    licence = world.client.get("/static/vendor/swagger-ui/LICENSE")
    assert "Apache License" in licence.text


def run_cli(argv: list[str], monkeypatch, stdin: str = "") -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers())
    args = parser.parse_args(argv)
    assert args.handler(args) == 0


def test_users_add_sets_a_password_from_stdin_and_prints_a_sign_in_link(world, settings,
                                                                        monkeypatch, capsys):
    monkeypatch.setenv("CALLCOACH_HOME", str(settings.home))
    monkeypatch.setenv("CALLCOACH_PUBLIC_URL", "https://coach.example")
    run_cli(["users", "add", "newbie", "--role", "trainer", "--password-stdin",
             "--sign-in-link"], monkeypatch, stdin=PASSWORD + "\n")
    printed = capsys.readouterr().out
    assert PASSWORD not in printed
    token = re.search(r"https://coach\.example/ui/sign-in/link#(\S+)", printed).group(1)
    assert world.store.check_password("newbie", PASSWORD).name == "newbie"
    assert world.store.redeem_sign_in_link(token).name == "newbie"


def test_a_short_password_stores_no_user(world, settings, monkeypatch):
    monkeypatch.setenv("CALLCOACH_HOME", str(settings.home))
    from pipeline.errors import InvalidUserError

    with pytest.raises(InvalidUserError, match="at least"):
        run_cli(["users", "add", "shorty", "--role", "trainer", "--password-stdin"],
                monkeypatch, stdin="short\n")
    assert "shorty" not in [user.name for user in world.store.list_users()]


def test_tokens_revoke_also_ends_the_users_sign_ins(signed_up, settings, monkeypatch, capsys):
    monkeypatch.setenv("CALLCOACH_HOME", str(settings.home))
    client = signed_up.client
    sign_in(client, "agent_a1")
    run_cli(["tokens", "revoke", "agent_a1"], monkeypatch)
    assert "ended 1 sign-in(s)" in capsys.readouterr().out
    signed_up.store.end_session("x")  # this process forgets what it remembered
    assert client.get("/api/v1/me").status_code == 401


def test_the_agent_page_says_why_a_call_has_no_report_and_pages_through_calls(signed_up,
                                                                             monkeypatch):
    from coach_api import agent_home

    monkeypatch.setattr(agent_home, "RECENT_CALLS", 1)
    store = signed_up.store
    seed_call(store, signed_up.folder, call_id="call-a1-old", agent_id="a1", team="blue",
              seed=7, started_at=STARTED_AT.replace(year=2023))
    seed_call(store, signed_up.folder, call_id="call-a1-bad", agent_id="a1", team="blue",
              seed=8, started_at=STARTED_AT, with_report=False)
    store.mark_failed("call-a1-bad", reason="no audio stream in /data/x.opus",
                      kind=ErrorKind.INVALID_AUDIO)
    sign_in(signed_up.client, "agent_a1")
    first = signed_up.client.get("/ui/me").text
    assert "Call call-a1-bad" in first and "could not be read as a call" in first
    assert "/data/" not in first
    assert 'data-call-id="call-blue"' in first and 'data-call-id="call-a1-old"' not in first
    assert "Calls 1–1 of 2" in first and 'href="?offset=1"' in first
    older = signed_up.client.get("/ui/me?offset=1").text
    assert 'class="call-card" data-call-id="call-a1-old"' in older
    assert 'href="?offset=0"' in older


def test_a_page_that_fails_says_so_without_details_and_is_not_cached(signed_up, monkeypatch):
    from coach_api.routes import agent_pages

    def broken(*_args, **_kwargs):
        raise RuntimeError("boom at /srv/callcoach/secret.py line 3")

    monkeypatch.setattr(agent_pages, "agent_view", broken)
    sign_in(signed_up.client, "agent_a1")
    page = signed_up.client.get("/ui/me")
    assert page.status_code == 500 and "Something went wrong" in page.text
    assert "boom" not in page.text and "/srv/" not in page.text
    assert page.headers["cache-control"] == "no-store"


def test_users_sign_in_asks_twice_and_refuses_two_different_passwords(world, settings,
                                                                      monkeypatch, capsys):
    monkeypatch.setenv("CALLCOACH_HOME", str(settings.home))
    answers = iter([PASSWORD, PASSWORD + "x"])
    monkeypatch.setattr("getpass.getpass", lambda prompt: next(answers))
    with pytest.raises(SystemExit, match="differ"):
        run_cli(["users", "sign-in", "trainer", "--password"], monkeypatch)
    answers = iter([PASSWORD, PASSWORD])
    run_cli(["users", "sign-in", "trainer", "--password"], monkeypatch)
    assert "password set for trainer" in capsys.readouterr().out
    assert world.store.check_password("trainer", PASSWORD).name == "trainer"
