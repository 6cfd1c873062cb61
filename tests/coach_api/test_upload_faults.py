"""Uploads that used to be accepted and then fail, calls stuck by a dead server, and what a
failed call tells a client."""

from __future__ import annotations

import socket
import subprocess
import sys

import pytest
from fastapi.testclient import TestClient

from coach_api.app import create_app
from coach_api.storage import ApiStore
from pipeline.store import CallStatus
from pipeline.types import CallMetadata

from .test_calls_api import upload, wav_bytes
from .synthetic import write_stereo


@pytest.mark.parametrize(("form", "words"), [
    ({"started_at": "0001-01-01T00:00:00+01:00"}, "started_at"),
    ({"started_at": "9999-12-31T23:59:59-05:00"}, "started_at"),
    ({"started_at": "2999-01-01T00:00:00Z"}, "started_at"),
    ({"agent_name": "Ann\x1b[31m"}, "control characters"),
    ({"customer_name": "Bo\nLine two"}, "control characters"),
], ids=["year-1", "year-9999", "year-2999", "escape-in-agent-name", "newline-in-customer"])
def test_metadata_analysis_would_refuse_is_refused_at_upload(world, tmp_path, form, words):
    response = upload(world, "call.wav", wav_bytes(tmp_path, seed=60), **form)
    assert response.status_code == 400, response.text
    assert words in response.json()["detail"]
    assert world.store.list_calls(status=CallStatus.QUEUED) == []
    uploads = world.client.app.state.settings.data_dir / "uploads"
    assert not uploads.is_dir() or not any(uploads.iterdir())


def test_an_uploads_source_is_its_name_not_a_temporary_file(world, tmp_path):
    response = upload(world, "Team call.wav", wav_bytes(tmp_path, seed=61))
    call = world.store.get_call(response.json()["call_id"])
    assert call.source_path == "upload Team-call.wav"


def test_a_supervisor_cannot_file_a_call_under_another_teams_agent(world, tmp_path):
    # a2 is an agent of team red (a user, and the agent of call-red).
    refused = upload(world, "x.wav", wav_bytes(tmp_path, seed=62), who="sup_blue",
                     agent_id="a2")
    assert refused.status_code == 403 and "a2" in refused.json()["detail"]
    own = upload(world, "y.wav", wav_bytes(tmp_path, seed=63), who="sup_blue", agent_id="a1")
    assert own.status_code == 202, own.text
    new_agent = upload(world, "z.wav", wav_bytes(tmp_path, seed=64), who="sup_blue",
                       agent_id="a-new")
    assert new_agent.status_code == 202, new_agent.text


def dead_owner() -> str:
    """A claim owner on this host whose process has exited."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return f"{socket.gethostname()}:{child.pid}:1"


def stuck_call(store: ApiStore, folder, *, call_id: str, seed: int) -> str:
    audio = write_stereo(folder / f"{call_id}.wav", seed=seed, duration_s=2.0)
    call = store.register_call(audio, CallMetadata(call_id=call_id)).call
    assert store.claim_call(call.id, owner=dead_owner())
    return call.id


def test_a_restarted_server_analyses_calls_a_dead_server_left_processing(settings, tmp_path):
    location = settings.location()
    with ApiStore.open(location.url, audio_dir=location.audio_dir) as store:
        stuck = stuck_call(store, tmp_path, call_id="stuck", seed=65)
        assert store.get_call(stuck).status is CallStatus.PROCESSING
    processed: list[str] = []
    app = create_app(settings.model_copy(update={"processing_workers": 1}),
                     processor=lambda settings, store: processed.append)
    with TestClient(app):
        app.state.queue.join()
        assert app.state.store.get_call(stuck).status is CallStatus.QUEUED
    assert processed == [stuck]


def test_uploading_a_stuck_or_failed_call_again_queues_it_again(world, tmp_path):
    stuck = stuck_call(world.store, tmp_path, call_id="stuck", seed=66)
    again = upload(world, "stuck.wav", (tmp_path / "stuck.wav").read_bytes(), agent_id="a1")
    assert again.status_code == 202, again.text
    call = world.store.get_call(stuck)
    assert (again.json()["call_id"], call.status, call.agent_id) == (stuck, CallStatus.QUEUED,
                                                                     "a1")
    world.store.mark_failed(stuck, reason="the model crashed", kind="TranscriptionError")
    assert upload(world, "stuck.wav", (tmp_path / "stuck.wav").read_bytes()).status_code == 202
    assert world.store.get_call(stuck).error is None


def test_a_failed_calls_error_names_no_server_path(world, tmp_path):
    response = upload(world, "p.wav", wav_bytes(tmp_path, seed=67))
    call_id = response.json()["call_id"]
    world.store.mark_failed(call_id, reason="/srv/callcoach/home/audio/ab/cd.wav: could not be "
                                            "decoded", kind="InvalidAudioError")
    body = world.client.get(f"/api/v1/calls/{call_id}", headers=world.headers("admin")).json()
    assert "/srv" not in body["error"] and "could not be decoded" in body["error"]
