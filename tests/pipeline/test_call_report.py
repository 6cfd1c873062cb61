"""The typed report: its published JSON Schema, and stored reports of older versions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.call_report import (SCHEMA_VERSION, InvalidReportError, Polarity, Severity,
                                  json_schema, read_report)
from pipeline.report import check_outcome
from pipeline.types import CallMetadata, CheckResult, Evidence, Speaker

SCHEMA_FILE = Path(__file__).parents[2] / "schemas" / "report.schema.json"


def version_one_report() -> dict:
    return {"schema_version": 1, "call_id": "c1", "config": {"digest": "d1"},
            "checks": {"closing_check": {"met": False, "evidence": []},
                       "customer_abuse": {"met": True, "evidence": [
                           {"speaker": "customer", "start": 3.0, "end": 4.0, "text": "idiot"}]},
                       "house_check": {"met": True, "evidence": []}},
            "flags": [{"reason": "r", "severity": "high", "event_ids": []}],
            "scores": {"overall": 71, "pitch": None}}


def test_the_schema_file_is_the_model_schema():
    """`python -m pipeline.call_report > schemas/report.schema.json` refreshes it."""
    assert json.loads(SCHEMA_FILE.read_text(encoding="utf-8")) == json_schema()


def test_a_version_one_report_gains_each_check_skill_and_polarity():
    report = read_report(version_one_report())
    assert report.schema_version == SCHEMA_VERSION
    assert (report.checks["closing_check"].skill,
            report.checks["closing_check"].polarity) == ("resolution", Polarity.GOAL)
    assert (report.checks["customer_abuse"].skill,
            report.checks["customer_abuse"].polarity) == (None, Polarity.CUSTOMER)
    assert report.checks["house_check"].skill is None  # not a stable id: left as it was
    assert report.flags[0].severity is Severity.HIGH
    assert report.scores.model_extra == {"pitch": None}  # fields it does not know are kept


def test_a_report_from_a_newer_version_keeps_what_it_adds():
    newer = {**version_one_report(), "schema_version": SCHEMA_VERSION + 1,
             "diarization": {"method": "x"}}
    newer["flags"] = [{"reason": "r", "severity": "urgent"}]
    report = read_report(newer)
    assert report.model_extra == {"diarization": {"method": "x"}}
    assert report.flags[0].severity == "urgent"


@pytest.mark.parametrize("broken", [{"config": {"digest": "d1"}},
                                    {"schema_version": "one", "config": {"digest": "d1"}},
                                    {"schema_version": 0, "config": {"digest": "d1"}},
                                    {"schema_version": 1, "config": {}}])
def test_what_cannot_be_a_report_is_refused(broken):
    with pytest.raises(InvalidReportError):
        read_report(broken)


def test_a_check_outcome_carries_its_rubric_meaning():
    result = CheckResult(check_id="blame_language", met=True, evidence=(Evidence(
        speaker=Speaker.AGENT, start_s=1.0, end_s=2.5, text="your fault"),))
    outcome = check_outcome(result)
    assert (outcome.skill, outcome.polarity) == ("positive_language", Polarity.AVOID)
    assert outcome.model_dump(mode="json")["evidence"] == [
        {"speaker": "agent", "start": 1.0, "end": 2.5, "text": "your fault"}]


def test_a_row_written_by_version_one_reads_upgraded(store, tmp_path):
    """A database filled by an earlier callcoach: the document and its column say version 1."""
    import sqlalchemy as sa

    from pipeline.store.schema import reports

    audio = tmp_path / "c1.opus"
    audio.write_bytes(b"c1")
    call = store.register_call(audio, CallMetadata(call_id="c1")).call
    store.save_report(call.id, version_one_report())
    with store.engine.begin() as connection:
        connection.execute(sa.update(reports).values(schema_version=1,
                                                     document=version_one_report()))
    record = store.latest_report(call.id)
    assert record.document["schema_version"] == 1  # the stored JSON is left as it is
    assert record.report.checks["closing_check"].skill == "resolution"
    _, served = store.call_with_report_json(call.id)
    assert json.loads(served)["checks"]["closing_check"]["polarity"] == "goal"


def test_stored_findings_of_an_old_report_are_indexed_by_skill(store, tmp_path):
    audio = tmp_path / "c1.opus"
    audio.write_bytes(b"c1")
    call = store.register_call(audio, CallMetadata(call_id="c1")).call
    store.save_report(call.id, version_one_report())
    assert [row.check_id for row in store.search_checks(skill="resolution")] == ["closing_check"]
    assert store.latest_report(call.id).report.checks["closing_check"].polarity is Polarity.GOAL
