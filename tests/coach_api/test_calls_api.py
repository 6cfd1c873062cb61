"""Behaviour of the routes: queue order and filters, masking, clips, ranges, uploads, errors."""

from __future__ import annotations

import datetime as dt
import io
import subprocess
import sys

import numpy as np
import pytest
import soundfile as sf

from coach_api.clips import BLEEP_HZ
from pipeline.errors import InvalidAudioError, NotFoundError
from pipeline.store import CallStatus

from .conftest import STARTED_AT
from .synthetic import CARD_NUMBER, CUSTOMER_NAME, REDACTED_SPAN_S, seed_call, write_stereo


def get(world, path, who="admin", **params):
    response = world.client.get(f"/api/v1{path}", headers=world.headers(who), params=params)
    assert response.status_code == 200, response.text
    return response


def test_queue_is_worst_first_and_filters(world):
    seed_call(world.store, world.folder, call_id="call-low", agent_id="a1", team="blue", seed=3,
              started_at=STARTED_AT, severity="low", score=90.0, empathy_met=False)
    seed_call(world.store, world.folder, call_id="call-new", agent_id="a1", team="blue", seed=4,
              started_at=STARTED_AT, with_report=False)
    ids = [e["call"]["id"] for e in get(world, "/calls").json()["items"]]
    assert ids == ["call-blue", "call-red", "call-low", "call-new"]
    cases = {  # filter → ids expected
        (("min_severity", "medium"),): ["call-blue", "call-red"],
        (("flagged", "false"),): ["call-new"],
        (("status", "queued"),): ["call-new"],
        (("team", "red"),): ["call-red"],
        (("check_missed", "empathy_statement"),): ["call-low"],
        (("check_met", "empathy_statement"),): ["call-blue", "call-red"],
        (("event_type", "raised_voice"), ("agent_id", "a1")): ["call-blue", "call-low"],
        (("since", "2024-05-10T00:00:00Z"),): ["call-red"],
        (("until", "2024-05-10T00:00:00Z"), ("limit", "1"), ("offset", "1")): ["call-low"],
    }
    for params, expected in cases.items():
        page = get(world, "/calls", **dict(params)).json()
        assert [e["call"]["id"] for e in page["items"]] == expected, params


def test_reviews_mark_the_queue_and_keep_history(world):
    for note in ("first look", "coached on interruptions"):
        posted = world.client.post("/api/v1/calls/call-blue/review", json={"note": note},
                                   headers=world.headers("sup_blue"))
        assert posted.status_code == 201 and posted.json()["reviewer"] == "sup_blue"
    history = get(world, "/calls/call-blue/review").json()
    assert [r["note"] for r in history] == ["first look", "coached on interruptions"]
    unreviewed = get(world, "/calls", reviewed="false").json()["items"]
    assert [e["call"]["id"] for e in unreviewed] == ["call-red"]


def test_a_report_is_served_as_stored(world):
    response = get(world, "/calls/call-blue/report", who="sup_blue")
    assert response.headers["content-type"] == "application/json"
    assert response.json() == world.store.latest_report("call-blue").document


def test_trainer_report_is_masked_and_others_are_not(world):
    plain = get(world, "/calls/call-blue/report", who="sup_blue").text
    masked = get(world, "/calls/call-blue/report", who="trainer")
    assert CARD_NUMBER in plain and CUSTOMER_NAME.split()[0] in plain
    assert CARD_NUMBER not in masked.text and CUSTOMER_NAME.split()[0] not in masked.text
    body = masked.json()
    assert "customer_name" not in body
    assert body["transcript"][1]["words"][2]["word"] == "[card number]"
    assert get(world, "/calls/call-blue", who="trainer").json()["customer_name"] is None


def test_trainer_finding_quotes_are_masked(world):
    items = get(world, "/findings", who="trainer", kind="check",
                check_id="empathy_statement").json()["items"]
    assert items and all(CUSTOMER_NAME.split()[0] not in item["quote"] for item in items)
    assert all("[customer name]" in item["quote"] for item in items)


def test_findings_filters_and_quotes(world):
    items = get(world, "/findings", type="interruption", speaker="agent").json()["items"]
    assert {(i["call_id"], i["finding_id"]) for i in items} == {("call-blue", "ev-1"),
                                                               ("call-red", "ev-1")}
    assert all("I understand" in i["quote"] for i in items)
    assert items[0]["clip_url"] == f"/api/v1/calls/{items[0]['call_id']}/events/ev-1/clip"
    missed = get(world, "/findings", check_id="closing_check", met="false").json()
    assert missed["total"] == 2 and missed["items"][0]["clip_url"] is None


def clip_of(world, path, **params):
    response = get(world, path, **params)
    assert response.headers["content-type"] == "audio/wav"
    samples, rate_hz = sf.read(io.BytesIO(response.content), always_2d=True)
    return samples.T, rate_hz


def test_clip_covers_the_event_with_padding(world):
    samples, rate_hz = clip_of(world, "/calls/call-blue/events/ev-1/clip", pad_s=1.5)
    assert samples.shape[0] == 2
    assert samples.shape[1] / rate_hz == pytest.approx(1.0 + 2 * 1.5, abs=0.01)
    spectrum = np.abs(np.fft.rfft(samples[0]))
    assert np.fft.rfftfreq(samples.shape[1], 1 / rate_hz)[spectrum.argmax()] == \
        pytest.approx(220, abs=2)


def test_clip_bleeps_redacted_ranges_on_both_channels(world):
    samples, rate_hz = clip_of(world, "/calls/call-blue/events/ev-2/clip", pad_s=3.0)
    start_s = 5.0 - 3.0
    first = int((REDACTED_SPAN_S[0] - start_s + 0.1) * rate_hz)
    last = int((REDACTED_SPAN_S[1] - start_s - 0.1) * rate_hz)
    for channel in samples:
        inside = channel[first:last]
        freqs = np.fft.rfftfreq(inside.size, 1 / rate_hz)
        assert freqs[np.abs(np.fft.rfft(inside)).argmax()] == pytest.approx(BLEEP_HZ, abs=2)
    before = samples[1][: int(1.0 * rate_hz)]
    freqs = np.fft.rfftfreq(before.size, 1 / rate_hz)
    assert freqs[np.abs(np.fft.rfft(before)).argmax()] == pytest.approx(330, abs=2)


def test_clip_of_a_check_and_of_an_unknown_event(world):
    samples, rate_hz = clip_of(world, "/calls/call-blue/events/empathy_statement/clip", pad_s=0)
    assert samples.shape[1] / rate_hz == pytest.approx(2.2, abs=0.01)
    missing = world.client.get("/api/v1/calls/call-blue/events/ev-9/clip",
                               headers=world.headers("admin"))
    assert missing.status_code == 404 and "ev-9" in missing.json()["detail"]


def test_audio_range_request_returns_206(world):
    whole = get(world, "/calls/call-blue/audio")
    part = world.client.get("/api/v1/calls/call-blue/audio", headers={
        **world.headers("admin"), "Range": "bytes=100-199"})
    assert part.status_code == 206
    assert part.content == whole.content[100:200]
    assert part.headers["content-range"] == f"bytes 100-199/{len(whole.content)}"


def test_agent_summary_by_week(world):
    seed_call(world.store, world.folder, call_id="call-later", agent_id="a1", team="blue",
              seed=5, started_at=STARTED_AT + dt.timedelta(days=9), score=80.0,
              empathy_met=False)
    summary = get(world, "/agents/a1/summary", who="agent_a1").json()
    assert summary["calls"] == 2
    assert [(w["week_start"], w["mean_score"], w["interruptions_per_call"],
             w["checks_met_share"]) for w in summary["weeks"]] == [
        ("2024-05-06", 60.0, 1.0, 0.5), ("2024-05-13", 80.0, 1.0, 0.0)]


def upload(world, name, content, *, who="admin", content_type="audio/wav", **form):
    return world.client.post("/api/v1/calls", headers=world.headers(who), data=form,
                             files={"audio": (name, content, content_type)})


def wav_bytes(tmp_path, *, seed, duration_s=2.0, channels=2):
    path = write_stereo(tmp_path / f"w{seed}.wav", seed=seed, duration_s=duration_s)
    if channels != 2:
        samples, rate_hz = sf.read(path)
        sf.write(path, samples[:, 0] if channels == 1 else samples[:, [0, 1, 0]], rate_hz)
    return path.read_bytes()


def test_upload_is_stored_queued_and_submitted(world, tmp_path):
    response = upload(world, "../../etc/Sales Call #7.wav", wav_bytes(tmp_path, seed=50),
                      who="sup_blue", customer_name="Ann", started_at="2024-06-01T10:00:00Z")
    assert response.status_code == 202, response.text
    body = response.json()
    assert body["call_id"] == "Sales-Call-7" and body["status"] == "queued"
    assert response.headers["location"] == body["status_url"] == "/api/v1/calls/Sales-Call-7"
    call = world.store.get_call("Sales-Call-7")
    assert (call.team, call.status, call.customer_name) == ("blue", CallStatus.QUEUED, "Ann")
    home = world.client.app.state.settings.data_dir
    assert call.audio_path.resolve().is_relative_to(home)
    assert not any((home / "uploads").iterdir())  # the checked copy is gone
    assert not (tmp_path / "etc").exists()
    again = upload(world, "other.wav", wav_bytes(tmp_path, seed=50))
    assert again.status_code == 409 and "Sales-Call-7" in again.json()["detail"]


def test_mono_upload_is_accepted_for_separation(world, tmp_path):
    response = upload(world, "mono.wav", wav_bytes(tmp_path, seed=62, channels=1))
    assert response.status_code == 202, response.text
    assert world.store.count_calls_by_status()[CallStatus.QUEUED] == 1


@pytest.mark.parametrize(("name", "make", "status", "words"), [
    ("notes.txt", lambda p: b"hello", 415, "not accepted"),
    ("call.wav", lambda p: b"this is not a wav file at all", 415, "first bytes"),
    ("call.wav", lambda p: b"", 422, "empty"),
    ("call.wav", lambda p: b"RIFF\x00\x00\x00\x00WAVEfmt garbage", 422, "cannot be read"),
    ("three.wav", lambda p: wav_bytes(p, seed=60, channels=3), 422, "mono with both mixed"),
    ("long.wav", lambda p: wav_bytes(p, seed=61, duration_s=61.0), 413, "limit"),
    ("big.wav", lambda p: b"RIFF\x00\x00\x00\x00WAVE" + bytes(3 << 20), 413, "MiB"),
])
def test_bad_uploads_are_refused_with_a_reason(world, tmp_path, name, make, status, words):
    response = upload(world, name, make(tmp_path))
    assert response.status_code == status, response.text
    detail = response.json()["detail"]
    assert words in detail and str(tmp_path) not in detail and "Traceback" not in detail
    assert world.store.count_calls_by_status()[CallStatus.QUEUED] == 0
    assert not list(world.client.app.state.settings.uploads_dir.glob("*"))


def test_bad_form_values_are_422(world, tmp_path):
    response = upload(world, "x.wav", wav_bytes(tmp_path, seed=70), agent_channel="2")
    assert response.status_code == 422
    response = upload(world, "x.wav", wav_bytes(tmp_path, seed=70), call_id="../up")
    assert response.status_code == 422


def test_supervisor_uploads_only_to_their_team(world, tmp_path):
    response = upload(world, "x.wav", wav_bytes(tmp_path, seed=80), who="sup_blue", team="red")
    assert response.status_code == 403


def test_errors_hide_paths_and_internals(world, monkeypatch):
    def broken(call_id):
        raise InvalidAudioError(f"/srv/data/audio/ab/{call_id}.opus: damaged")

    monkeypatch.setattr(world.store, "get_call", broken)
    response = world.client.get("/api/v1/calls/x", headers=world.headers("admin"))
    assert response.status_code == 422 and response.json()["detail"] == "<path>: damaged"

    def crash(call_id):
        raise RuntimeError("secret internals at /srv/data")

    monkeypatch.setattr(world.store, "get_call", crash)
    response = world.client.get("/api/v1/calls/x", headers=world.headers("admin"))
    assert response.status_code == 500 and "secret" not in response.text


def test_processor_failure_is_recorded_on_the_call(settings, tmp_path):
    from fastapi.testclient import TestClient

    from coach_api.app import create_app

    def failing(settings, store):
        def process(call_id):
            raise NotFoundError("model folder /opt/models missing")
        return process

    app = create_app(settings.model_copy(update={"processing_workers": 1}), processor=failing)
    with TestClient(app) as client:
        store = app.state.store
        token = store.issue_token(store.create_user("root", role="admin").id)
        response = client.post("/api/v1/calls", headers={"Authorization": f"Bearer {token}"},
                               files={"audio": ("c.wav", wav_bytes(tmp_path, seed=90))})
        assert response.status_code == 202
        app.state.queue.join()
        call = store.get_call(response.json()["call_id"])
        assert call.status is CallStatus.FAILED and "/opt" not in call.error


def test_importing_the_app_stays_light():
    code = ("import sys, coach_api.app, coach_api.commands; "
            "print(','.join(m for m in ('faster_whisper', 'librosa', 'prefect') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == ""


def test_health_needs_no_token(world):
    assert world.client.get("/healthz").json() == {"status": "ok"}


@pytest.mark.parametrize("query", ["team=blue&team=red", "limit=5&limit=7",
                                   "check_missed=apology&check_missed=&flagged=true"])
def test_a_single_valued_query_parameter_given_twice_is_refused(world, query):
    response = world.client.get(f"/api/v1/calls?{query}", headers=world.headers("admin"))
    assert response.status_code == 400
    assert "more than once" in response.json()["detail"]
    assert world.client.get(f"/api/v1/calls?{query.split('&')[0]}",
                            headers=world.headers("admin")).status_code == 200


@pytest.mark.parametrize("query", ["stauts=failed", "=false", "limit=5&colour=red"])
def test_an_undeclared_query_parameter_is_refused_with_the_known_names(world, query):
    response = world.client.get(f"/api/v1/calls?{query}", headers=world.headers("admin"))
    assert response.status_code == 400
    assert "status" in response.json()["detail"]
