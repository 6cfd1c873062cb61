"""Property-based requests generated from the OpenAPI schema: no route answers with a 500."""

from __future__ import annotations

import datetime as dt

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, assume, given, settings
from hypothesis.errors import Unsatisfiable
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


def every_check():
    from schemathesis.specs.openapi import checks as openapi

    return [not_a_server_error, openapi.status_code_conformance,
            openapi.content_type_conformance, openapi.response_headers_conformance,
            openapi.response_schema_conformance, openapi.negative_data_rejection,
            openapi.positive_data_acceptance, openapi.unsupported_method,
            openapi.missing_required_header, openapi.allow_header_conformance]


# A schema-valid upload is any bytes; whether they are a stereo recording no schema can say,
# so random bytes are rightly refused (415/422) and this one check does not apply there.
NOT_APPLICABLE = {"POST /api/v1/calls": {"positive_data_acceptance"}}


def _sent_as_valid_query(case, operation) -> bool:
    """Whether a negative case's query faults vanish on the wire, so the server rightly
    accepts it: a query string holds only text, so a parameter given no value or one value
    as a list, an object (sent as nothing or as text), or a number or boolean given to a
    plain text parameter all arrive as valid text. (The Authorization header is always the
    one the test sets, so a fault there never arrives either.)"""
    schemas = {param["name"]: param.get("schema", {})
               for param in operation.definition.raw.get("parameters", ())
               if param.get("in") == "query"}
    for name, value in (case.query or {}).items():
        if isinstance(value, dict) or (isinstance(value, list) and len(value) <= 1):
            return True
        if not isinstance(value, (list, str)) and _plain_text(schemas.get(name, {}), value):
            return True
    return False


def _plain_text(schema: dict, value) -> bool:
    """Whether ``value``, written as text, is valid for ``schema`` (a string with at most a
    length limit, or one choice of several)."""
    choices = schema.get("anyOf", [schema])
    text = str(value).lower() if isinstance(value, bool) else str(value)
    return any(choice.get("type") == "string" and not ({"format", "pattern", "enum"} & set(choice))
               and len(text) <= choice.get("maxLength", len(text)) for choice in choices)


@pytest.mark.parametrize("mode", ["positive", "negative"])
def test_every_schemathesis_check_passes(api_schema, table, mode):
    from schemathesis.generation import GenerationMode

    headers = {"Authorization": f"Bearer {TOKENS['admin']}"}
    for operation in operations(api_schema):
        skipped = NOT_APPLICABLE.get(operation.label, set())
        checks = [check for check in every_check() if check.__name__ not in skipped]
        examples = []

        @given(case=operation.as_strategy(generation_mode=GenerationMode(mode)))
        @settings(max_examples=15, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        def conforms(case):
            if mode == "negative":
                assume(not _sent_as_valid_query(case, operation))
            response = case.call(headers=headers)
            examples.append(response.status_code)
            case.validate_response(response, checks=checks, headers=headers)

        try:
            conforms()
        except Unsatisfiable:  # no parameters or body to get wrong (GET /healthz, /me)
            assert mode == "negative"
        table("schemathesis, every check").row(
            operation=operation.label, data=mode, examples=len(examples),
            statuses=",".join(sorted({str(s) for s in examples})), checks=len(checks))
