"""Property-based requests generated from the OpenAPI schema: no route answers with a 500."""

from __future__ import annotations

import datetime as dt

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from coach_api.app import create_app
from coach_api.settings import ApiSettings

from .conftest import no_processing
from .synthetic import seed_call

TOKENS: dict[str, str] = {}


@pytest.fixture(scope="module")
def api_schema(tmp_path_factory):
    home = tmp_path_factory.mktemp("schema-home")
    app = create_app(ApiSettings(home=home, max_upload_mb=1.0, processing_workers=0),
                     processor=no_processing)
    with TestClient(app):
        store = app.state.store
        TOKENS["supervisor"] = store.issue_token(
            store.create_user("sup", role="supervisor", teams=("blue",)).id)
        TOKENS["admin"] = store.issue_token(store.create_user("root", role="admin").id)
        seed_call(store, home / "src", call_id="call-blue", agent_id="a1", team="blue", seed=1,
                  started_at=dt.datetime(2024, 5, 6, tzinfo=dt.UTC))
        yield schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)


def operations(schema) -> list:
    return [result.ok() for result in schema.get_all_operations()]


@pytest.mark.parametrize("who", ["admin", "supervisor"])
def test_no_route_answers_500(api_schema, who):
    headers = {"Authorization": f"Bearer {TOKENS[who]}"}
    tried = []
    for operation in operations(api_schema):
        @given(case=operation.as_strategy())
        @settings(max_examples=20, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        def no_server_error(case):
            response = case.call(headers=headers)
            case.validate_response(response, checks=[not_a_server_error], headers=headers)

        no_server_error()
        tried.append(operation.label)
    assert len(tried) >= 15
