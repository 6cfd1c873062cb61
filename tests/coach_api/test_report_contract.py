"""The report route publishes the pipeline's report model, and what it serves matches it."""

from __future__ import annotations

from pipeline.call_report import SCHEMA_VERSION, CallReport, Polarity


def test_the_openapi_schema_publishes_the_report_model(world):
    schema = world.client.get("/api/v1/openapi.json").json()
    ok = schema["paths"]["/api/v1/calls/{call_id}/report"]["get"]["responses"]["200"]
    assert ok["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/CallReport"}
    published = schema["components"]["schemas"]["CallReport"]["properties"]
    written = {name for name, field in CallReport.model_fields.items() if not field.exclude}
    assert written <= set(published)


def test_a_report_stored_by_an_earlier_version_is_served_upgraded(world):
    token = world.tokens["sup_blue"]
    body = world.client.get("/api/v1/calls/call-blue/report",
                            headers={"Authorization": f"Bearer {token}"}).json()
    report = CallReport.model_validate(body)
    assert report.schema_version == SCHEMA_VERSION
    assert report.checks["closing_check"].polarity is Polarity.GOAL
