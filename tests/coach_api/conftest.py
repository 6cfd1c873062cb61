"""An API over a throwaway store with one user per role and two analysed calls."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from coach_api.app import create_app
from coach_api.settings import ApiSettings
from coach_api.storage import ApiStore

from .synthetic import seed_call

STARTED_AT = dt.datetime(2024, 5, 6, 9, 0, tzinfo=dt.UTC)


@dataclass(frozen=True)
class World:
    client: TestClient
    store: ApiStore
    tokens: dict[str, str]  # role name → token
    blue_call: str  # agent a1, team blue
    red_call: str  # agent a2, team red
    folder: Path

    def headers(self, who: str | None) -> dict[str, str]:
        return {} if who is None else {"Authorization": f"Bearer {self.tokens[who]}"}


USERS = {  # who → (role, teams, agent_id)
    "admin": ("admin", (), None),
    "sup_blue": ("supervisor", ("blue",), None),
    "sup_red": ("supervisor", ("red",), None),
    "agent_a1": ("agent", ("blue",), "a1"),
    "agent_a2": ("agent", ("red",), "a2"),
    "trainer": ("trainer", (), None),
}


def no_processing(settings, store):
    """Leave uploads queued: these tests are about the API, not the analysis."""
    return lambda call_id: None


@pytest.fixture
def settings(tmp_path) -> ApiSettings:
    return ApiSettings(home=tmp_path / "home", max_upload_mb=2.0, max_call_duration_s=60.0)


@pytest.fixture
def world(settings, tmp_path) -> Iterator[World]:
    app = create_app(settings, processor=no_processing)
    with TestClient(app, raise_server_exceptions=False) as client:
        store: ApiStore = app.state.store
        tokens = {}
        for who, (role, teams, agent_id) in USERS.items():
            user = store.create_user(who, role=role, teams=teams, agent_id=agent_id)
            tokens[who] = store.issue_token(user.id)
        folder = tmp_path / "source"
        blue = seed_call(store, folder, call_id="call-blue", agent_id="a1", team="blue", seed=1,
                         started_at=STARTED_AT)
        red = seed_call(store, folder, call_id="call-red", agent_id="a2", team="red", seed=2,
                        started_at=STARTED_AT + dt.timedelta(days=8), severity="medium")
        yield World(client=client, store=store, tokens=tokens, blue_call=blue, red_call=red,
                    folder=folder)
