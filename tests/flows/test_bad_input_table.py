"""The bad-input table (tests/reliability/bad_inputs.py) through ``analyze``, ``process``,
``watch`` and an upload: every row gets its own clear outcome, the good files around it are
analysed, and nothing stored is lost. Analysis stages after decoding are stand-ins here (the
rows are about input, which decoding and metadata checks judge); the real model runs in the
end-to-end tests."""

from __future__ import annotations

import shutil

import pytest
from fastapi.testclient import TestClient
from prefect.task_runners import ThreadPoolTaskRunner

from coach_api.app import create_app
from coach_api.settings import ApiSettings
from flows.inbox import watch_inbox
from flows.outcomes import BatchSummary
from flows.process import process_batch
from flows.runtime import Workspace, store_for
from pipeline.cli import main as callcoach
from pipeline.store import CallStatus
from tests.coach_api.conftest import no_processing
from tests.reliability.bad_inputs import TABLE, sidecar_fields, write_table

ANALYSED = sum(item.expect is None for item in TABLE)


@pytest.fixture(scope="module")
def bad_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bad-input")
    write_table(folder)
    return folder


def by_name(summary: BatchSummary) -> dict:
    return {outcome.path.rsplit("/", 1)[-1]: outcome for outcome in summary.outcomes}


def check_outcomes(summary: BatchSummary, table, command: str) -> None:
    outcomes = by_name(summary)
    for item in TABLE:
        outcome = outcomes[item.name]
        table("bad input").row(input=item.name, command=command, outcome=outcome.kind.value,
                               reason=(outcome.reason or "")[-70:].replace("|", "/"))
        if item.expect is None:
            assert outcome.kind.value == "done", (item.name, outcome.reason)
        else:
            assert outcome.kind.value == "failed" and item.expect in outcome.reason, \
                (item.name, outcome.reason)


def test_process_gives_every_row_its_outcome_and_analyses_the_rest(
        bad_folder, workspace, fake_stages, table):
    batch = process_batch.with_options(task_runner=ThreadPoolTaskRunner(max_workers=2))
    summary = BatchSummary.from_json(batch([str(bad_folder)], workspace=workspace.to_params()))
    check_outcomes(summary, table, "process")
    store = store_for(workspace)
    assert store.count_calls_by_status()[CallStatus.DONE] == ANALYSED
    again = BatchSummary.from_json(batch([str(bad_folder)], workspace=workspace.to_params()))
    assert again.counts["done"] == 0  # nothing redone, nothing lost
    assert store.count_calls_by_status()[CallStatus.DONE] == ANALYSED


def test_watch_gives_every_row_its_outcome_and_analyses_the_rest(
        bad_folder, tmp_path, fake_stages, table):
    inbox = tmp_path / "inbox"
    shutil.copytree(bad_folder, inbox)
    home = tmp_path / "watch-home"
    place = Workspace(store_url=f"sqlite:///{home / 'callcoach.db'}", audio_dir=str(home / "a"),
                      transcript_cache_dir=str(home / "t"), model_cache_dir=str(home / "m"))
    summary = BatchSummary.from_json(watch_inbox(str(inbox), settle_s=0.0,
                                                 workspace=place.to_params()))
    check_outcomes(summary, table, "watch")
    rescan = watch_inbox(str(inbox), settle_s=0.0, workspace=place.to_params())
    assert rescan["counts"]["done"] == 0


def test_analyze_gives_every_file_a_clear_exit(bad_folder, capsys, table):
    for item in TABLE:
        code = callcoach(["analyze", "--no-transcript", str(bad_folder / item.name)])
        err = capsys.readouterr().err
        table("bad input").row(input=item.name, command="analyze", outcome=f"exit {code}",
                               reason=err.strip().splitlines()[-1][-70:] if err.strip() else "")
        audio_problem = item.expect is not None and not sidecar_fields(bad_folder / item.name)
        assert code == (2 if audio_problem else 0), (item.name, err)
        assert "Traceback" not in err
        if audio_problem:
            assert item.expect in err


def test_upload_gives_every_row_a_clear_answer(bad_folder, tmp_path, table):
    settings = ApiSettings(home=tmp_path / "api-home", max_upload_mb=20.0)
    app = create_app(settings, processor=no_processing)
    with TestClient(app, raise_server_exceptions=False) as client:
        store = app.state.store
        token = store.issue_token(store.create_user("root", role="admin").id)
        for item in TABLE:
            form = {key: str(value) for key, value in sidecar_fields(bad_folder / item.name)
                    .items()}
            with open(bad_folder / item.name, "rb") as handle:
                response = client.post("/api/v1/calls", data=form,
                                       headers={"Authorization": f"Bearer {token}"},
                                       files={"audio": (item.name, handle, "audio/wav")})
            detail = response.json().get("detail", "") if response.status_code != 202 else ""
            table("bad input").row(input=item.name, command="upload",
                                   outcome=response.status_code, reason=str(detail)[-70:])
            assert response.status_code == item.upload_status, (item.name, response.text)
            assert response.status_code < 500
        queued = store.count_calls_by_status()[CallStatus.QUEUED]
        assert queued == sum(item.upload_status == 202 for item in TABLE)
