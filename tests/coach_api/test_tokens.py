"""Checked tokens are remembered for a few seconds; revoking one takes effect at once through
the server, and within that time through another process."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import event

from coach_api.settings import ApiSettings
from coach_api.storage import ApiStore, TokenCache

TOKEN_CACHE_S = 0.5


@pytest.fixture
def settings(tmp_path) -> ApiSettings:
    return ApiSettings(home=tmp_path / "home", token_cache_s=TOKEN_CACHE_S)


def me(world, who: str) -> int:
    return world.client.get("/api/v1/me", headers=world.headers(who)).status_code


def test_a_checked_token_costs_no_query(world):
    statements: list[str] = []

    def listener(_connection, _cursor, statement, *_rest) -> None:
        statements.append(statement)

    event.listen(world.store.engine, "before_cursor_execute", listener)
    try:
        assert me(world, "sup_blue") == 200
        first = len(statements)
        assert me(world, "sup_blue") == 200
    finally:
        event.remove(world.store.engine, "before_cursor_execute", listener)
    assert any("api_tokens" in statement for statement in statements[:first])
    assert statements[first:] == []


def test_a_token_revoked_through_the_api_stops_at_once(world):
    trainer = world.store.get_user_by_name("trainer")
    assert me(world, "trainer") == 200
    revoked = world.client.delete(f"/api/v1/users/{trainer.id}/tokens",
                                  headers=world.headers("admin"))
    assert revoked.status_code == 200 and revoked.json()["revoked"] == 1
    assert me(world, "trainer") == 401


def test_a_token_revoked_elsewhere_stops_within_the_cache_time(world, settings):
    assert me(world, "agent_a1") == 200
    location = settings.location()
    with ApiStore.open(location.url, audio_dir=location.audio_dir) as other:  # like the CLI
        other.revoke_tokens(other.get_user_by_name("agent_a1").id)
    time.sleep(TOKEN_CACHE_S)
    assert me(world, "agent_a1") == 401


def test_a_deleted_user_is_forgotten_at_once(world):
    assert me(world, "sup_red") == 200
    world.store.delete_user(world.store.get_user_by_name("sup_red").id)
    assert me(world, "sup_red") == 401


def test_an_answer_from_before_a_revocation_is_not_kept(world):
    user = world.store.get_user_by_name("admin")
    cache = TokenCache(ttl_s=60.0)
    generation = cache.generation  # a lookup starts, and the database says the token is live
    cache.forget_all()  # meanwhile a token is revoked
    cache.put("digest", user, generation=generation)
    assert cache.get("digest") is None
    cache.put("digest", user, generation=cache.generation)
    assert cache.get("digest") is user


def test_a_full_cache_drops_expired_entries_first(world):
    user = world.store.get_user_by_name("admin")
    now = [0.0]
    cache = TokenCache(ttl_s=10.0, max_entries=2, clock=lambda: now[0])
    cache.put("old", user, generation=0)
    now[0] = 8.0
    cache.put("live", user, generation=0)
    now[0] = 11.0  # "old" has expired, "live" has not
    cache.put("new", user, generation=0)
    assert (cache.get("old"), cache.get("live"), cache.get("new")) == (None, user, user)
