"""``callcoach calls list`` / ``calls show`` against a store in a temporary CALLCOACH_HOME."""

from __future__ import annotations

import argparse
import json

import pytest

from pipeline.errors import NotFoundError
from pipeline.store import Store, location_from_env
from pipeline.store_commands import register
from pipeline.types import CallMetadata


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("CALLCOACH_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("CALLCOACH_DATABASE_URL", raising=False)
    monkeypatch.delenv("CALLCOACH_AUDIO_DIR", raising=False)
    with Store.at(location_from_env({"CALLCOACH_HOME": str(tmp_path / "home")})) as store:
        for name, content in (("ok", b"a"), ("bad", b"b")):
            (tmp_path / f"{name}.opus").write_bytes(content)
            store.register_call(tmp_path / f"{name}.opus", CallMetadata(call_id=name, agent_id="a1"))
        store.mark_failed("bad", reason="not audio", kind="InvalidAudioError")
        store.save_report("ok", {"schema_version": 1, "call_id": "ok", "duration_s": 3.0,
                                 "events": [], "checks": {}, "flags": [],
                                 "rubric": {"version": "2025.1"}, "config": {"digest": "d1"}})
    return tmp_path / "home"


def run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers())
    args = parser.parse_args(argv)
    return args.handler(args)


def test_list_filters_by_status_as_json(home, capsys):
    assert run(["calls", "list", "--status", "failed", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(c["id"], c["status"], c["error"]) for c in listed] == [("bad", "failed", "not audio")]


def test_list_as_text_counts_calls(home, capsys):
    assert run(["calls", "list"]) == 0
    out = capsys.readouterr().out
    assert "2 call(s)" in out and "not audio" in out


def test_show_json_has_the_report_and_its_versions(home, capsys):
    assert run(["calls", "show", "ok", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["call"]["status"] == "done"
    assert shown["report_versions"][0]["rubric_version"] == "2025.1"
    assert shown["report"]["config"]["digest"] == "d1"


def test_show_missing_call_raises_not_found(home):
    with pytest.raises(NotFoundError, match="calls list"):
        run(["calls", "show", "nope"])
