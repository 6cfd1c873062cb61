"""Signing in to the pages: passwords, the session cookie, CSRF, sign-out, one-time links and
the pause and block after wrong passwords. A real app over a real SQLite store."""

from __future__ import annotations

import pytest

from coach_api.routes import sign_in as sign_in_routes
from coach_api.sessions import CSRF_HEADER, SESSION_COOKIE, csrf_token_for
from pipeline.errors import AuthenticationError, InvalidUserError
from pipeline.store import passwords
from pipeline.store.sign_in import FREE_ATTEMPTS, block_s

from .signing_in import PASSWORD, form_token, page_csrf, sign_in


@pytest.fixture
def signed_up(world):
    for who in ("sup_blue", "agent_a1", "trainer"):
        world.store.set_password(world.store.get_user_by_name(who).id, PASSWORD)
    return world


@pytest.fixture
def no_pause(monkeypatch):
    monkeypatch.setattr(sign_in_routes, "FAILED_SIGN_IN_PAUSE_S", 0.0)


def session_cookie_header(response) -> str:
    return next(value for name, value in response.headers.multi_items()
                if name == "set-cookie" and value.startswith(f"{SESSION_COOKIE}="))


# --- passwords ------------------------------------------------------------------------------

def test_a_password_is_stored_as_a_salted_scrypt_hash():
    first, second = passwords.hash_password(PASSWORD), passwords.hash_password(PASSWORD)
    assert first.startswith("scrypt$") and PASSWORD not in first
    assert first != second  # salted
    assert passwords.verify_password(PASSWORD, first)
    assert not passwords.verify_password(PASSWORD + "!", first)
    assert not passwords.verify_password(PASSWORD, None)
    assert not passwords.verify_password(PASSWORD, "not a hash")


@pytest.mark.parametrize("bad", ["short", "x" * (passwords.MAX_LENGTH + 1)])
def test_a_password_too_short_or_long_is_refused_with_the_rule(bad):
    with pytest.raises(InvalidUserError, match="characters"):
        passwords.hash_password(bad)


def test_blocks_grow_after_the_free_attempts_up_to_a_limit():
    assert [block_s(n) for n in range(FREE_ATTEMPTS)] == [0] * FREE_ATTEMPTS
    assert block_s(FREE_ATTEMPTS) == 30 and block_s(FREE_ATTEMPTS + 1) == 60
    assert block_s(FREE_ATTEMPTS + 20) == 15 * 60


# --- signing in and out ---------------------------------------------------------------------

def test_sign_in_sets_an_http_only_lax_session_cookie_and_goes_home(signed_up, no_pause):
    response = sign_in(signed_up.client, "agent_a1")
    assert response.status_code == 303 and response.headers["location"] == "/ui/me"
    cookie = session_cookie_header(response).lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "secure" not in cookie
    me = signed_up.client.get("/api/v1/me")
    assert me.status_code == 200 and me.json()["name"] == "agent_a1"


def test_the_session_cookie_is_secure_under_https(signed_up, no_pause):
    client = signed_up.client
    client.base_url = "https://testserver"
    try:
        assert "secure" in session_cookie_header(sign_in(client, "sup_blue")).lower()
    finally:
        client.base_url = "http://testserver"


@pytest.mark.parametrize("name,password", [("agent_a1", "wrong password!!"),
                                           ("nobody", PASSWORD), ("admin", PASSWORD)])
def test_a_wrong_password_and_an_unknown_name_read_the_same(signed_up, no_pause, name,
                                                             password):
    response = sign_in(signed_up.client, name, password)
    assert response.status_code == 401
    assert "That name and password do not match" in response.text
    assert SESSION_COOKIE not in response.cookies
    assert signed_up.client.get("/api/v1/me").status_code == 401


def test_a_sign_in_form_without_its_token_is_refused(signed_up):
    client = signed_up.client
    response = client.post("/ui/sign-in", data={"name": "agent_a1", "password": PASSWORD,
                                                "csrf_token": "forged"}, follow_redirects=False)
    assert response.status_code == 403 and SESSION_COOKIE not in response.cookies


@pytest.mark.parametrize("wanted,landing", [("/ui/agents/a1", "/ui/agents/a1"),
                                            ("//evil.example/ui", "/ui/"),
                                            ("https://evil.example/", "/ui/")])
def test_sign_in_returns_only_to_a_page_of_this_site(signed_up, no_pause, wanted, landing):
    response = sign_in(signed_up.client, "sup_blue", next_path=wanted)
    assert response.headers["location"] == landing


def test_sign_out_ends_the_session_on_the_server(signed_up, no_pause):
    client = signed_up.client
    sign_in(client, "agent_a1")
    stolen = client.cookies.get(SESSION_COOKIE)
    response = client.post("/ui/sign-out", data={"csrf_token": page_csrf(client)},
                           follow_redirects=False)
    assert response.status_code == 303 and "signed_out" in response.headers["location"]
    assert client.cookies.get(SESSION_COOKIE) is None
    client.cookies.set(SESSION_COOKIE, stolen)  # a copy kept from before signs nobody in
    assert client.get("/api/v1/me").status_code == 401
    assert client.get("/ui/me", follow_redirects=False).headers["location"] == \
        "/ui/sign-in?next=/ui/me"


def test_sign_out_without_the_page_token_is_refused(signed_up, no_pause):
    client = signed_up.client
    sign_in(client, "agent_a1")
    assert client.post("/ui/sign-out", data={"csrf_token": "x"}).status_code == 403
    assert client.get("/api/v1/me").status_code == 200


def test_a_new_password_ends_the_open_sessions(signed_up, no_pause):
    client = signed_up.client
    sign_in(client, "agent_a1")
    user = signed_up.store.get_user_by_name("agent_a1")
    signed_up.store.set_password(user.id, PASSWORD + " two")
    assert client.get("/api/v1/me").status_code == 401


# --- CSRF -----------------------------------------------------------------------------------

def test_a_write_with_the_session_needs_the_csrf_header(signed_up, no_pause):
    client = signed_up.client
    sign_in(client, "sup_blue")
    note = {"note": "talked it through"}
    refused = client.post("/api/v1/calls/call-blue/review", json=note)
    assert refused.status_code == 403 and CSRF_HEADER in refused.json()["detail"]
    wrong = client.post("/api/v1/calls/call-blue/review", json=note,
                        headers={CSRF_HEADER: csrf_token_for("another session")})
    assert wrong.status_code == 403
    assert signed_up.store.list_reviews("call-blue") == []
    done = client.post("/api/v1/calls/call-blue/review", json=note,
                       headers={CSRF_HEADER: page_csrf(client, "/ui/")})
    assert done.status_code == 201


def test_a_bearer_token_writes_without_a_csrf_token(signed_up):
    response = signed_up.client.post("/api/v1/calls/call-blue/review", json={"note": "ok"},
                                     headers=signed_up.headers("sup_blue"))
    assert response.status_code == 201


def test_audio_streams_with_the_session_cookie(signed_up, no_pause):
    client = signed_up.client
    sign_in(client, "agent_a1")
    assert client.get("/api/v1/calls/call-blue/audio",
                      headers={"Range": "bytes=0-99"}).status_code == 206


# --- slowing down guessing ------------------------------------------------------------------

def test_repeated_wrong_passwords_block_the_account_for_a_while(signed_up, no_pause):
    client = signed_up.client
    for _ in range(FREE_ATTEMPTS):
        assert sign_in(client, "agent_a1", "not the password").status_code == 401
    blocked = sign_in(client, "agent_a1")  # even the right password, while blocked
    assert blocked.status_code == 429 and int(blocked.headers["retry-after"]) > 0
    assert "Try again in" in blocked.text
    assert sign_in(client, "sup_blue").status_code == 303  # other accounts are not blocked


def test_a_wrong_password_costs_a_pause(signed_up, monkeypatch):
    import time
    monkeypatch.setattr(sign_in_routes, "FAILED_SIGN_IN_PAUSE_S", 0.3)
    started = time.perf_counter()
    sign_in(signed_up.client, "agent_a1", "not the password")
    assert time.perf_counter() - started >= 0.3


# --- one-time links -------------------------------------------------------------------------

def redeem(client, token: str):
    return client.post("/ui/sign-in/link", data={
        "token": token, "csrf_token": form_token(client, "/ui/sign-in/link")},
        follow_redirects=False)


def test_a_sign_in_link_works_once(world, no_pause):
    user = world.store.get_user_by_name("agent_a1")
    grant = world.store.issue_sign_in_link(user.id, lifetime_s=600)
    first = redeem(world.client, grant.token)
    assert first.status_code == 303 and first.headers["location"] == "/ui/me"
    assert world.client.get("/api/v1/me").json()["name"] == "agent_a1"
    world.client.cookies.clear()
    again = redeem(world.client, grant.token)
    assert again.status_code == 401 and "used already" in again.text
    with pytest.raises(AuthenticationError):
        world.store.redeem_sign_in_link(grant.token)


def test_an_expired_sign_in_link_signs_nobody_in(world, no_pause):
    user = world.store.get_user_by_name("agent_a1")
    grant = world.store.issue_sign_in_link(user.id, lifetime_s=0)
    assert redeem(world.client, grant.token).status_code == 401
    assert world.client.get("/api/v1/me").status_code == 401


def test_opening_a_sign_in_link_uses_nothing(world):
    user = world.store.get_user_by_name("agent_a1")
    grant = world.store.issue_sign_in_link(user.id, lifetime_s=600)
    assert world.client.get("/ui/sign-in/link").status_code == 200
    assert world.store.redeem_sign_in_link(grant.token).name == "agent_a1"


def test_signing_in_never_keeps_the_session_the_browser_came_with(signed_up, no_pause):
    client = signed_up.client
    token = form_token(client)
    planted = signed_up.store.start_session(signed_up.store.get_user_by_name("agent_a2").id,
                                            lifetime_s=600).token
    client.cookies.set(SESSION_COOKIE, planted)
    response = client.post("/ui/sign-in", data={"name": "agent_a1", "password": PASSWORD,
                                                "csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303
    issued = response.cookies.get(SESSION_COOKIE)
    assert issued not in (None, planted)
    assert signed_up.store.user_for_session(planted) is None
    assert signed_up.store.user_for_session(issued).name == "agent_a1"


def test_long_expired_sessions_are_cleared_out(world):
    from datetime import timedelta

    from sqlalchemy import func, select, update

    from pipeline.store.sign_in import sessions

    user_id = world.store.get_user_by_name("agent_a1").id
    old = world.store.start_session(user_id, lifetime_s=60)
    with world.store.transaction() as connection:
        connection.execute(update(sessions).values(
            expires_at=old.expires_at - timedelta(days=30)))
    world.store.start_session(user_id, lifetime_s=60)
    with world.store.read() as connection:
        assert connection.execute(select(func.count()).select_from(sessions)).scalar() == 1
