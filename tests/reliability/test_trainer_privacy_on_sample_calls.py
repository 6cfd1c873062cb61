"""The sample calls analysed for real (tiny.en), served to a trainer: no string they can fetch
holds the customer's name or the numbers the report redacted, and in every clip they can pull
each spoken word of the customer's name is a bleep."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from fastapi.testclient import TestClient

from coach_api.app import create_app
from coach_api.clips import BLEEP_HZ
from coach_api.settings import ApiSettings
from pipeline.analyze import analyze_call, get_transcriber
from pipeline.config import Config
from pipeline.redaction import normalise
from pipeline.types import CallMetadata
from tests.coach_api.conftest import no_processing
from tests.coach_api.test_trainer_privacy import strings

pytestmark = pytest.mark.slow
SAMPLES = Path(__file__).resolve().parents[2] / "sample_calls"
CALLS = ["agent_loses_composure", "routine_address_change", "heated_cancellation", "long_hold"]


def personal_data(report: dict, customer_name: str) -> list[str]:
    """The call's known personal data: the name's parts and what was said in redacted ranges."""
    known = [part for part in customer_name.split() if len(part) >= 2]
    for item in report.get("redactions") or ():
        for turn in report["transcript"]:
            for word in turn.get("words") or ():
                middle = (word["start"] + word["end"]) / 2
                if item["start"] <= middle <= item["end"] and turn["speaker"] == item["speaker"]:
                    if re.search(r"\d", normalise(word["word"])):
                        known.append(normalise(word["word"]))
    return known


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    home = tmp_path_factory.mktemp("privacy")
    config = Config()
    transcriber = get_transcriber(config.transcription, home / "models")
    app = create_app(ApiSettings(home=home), processor=no_processing)
    with TestClient(app) as client:
        store = app.state.store
        token = store.issue_token(store.create_user("trainer", role="trainer").id)
        truths = {}
        for name in CALLS:
            truth = json.loads((SAMPLES / f"{name}.json").read_text())
            metadata = CallMetadata(call_id=name, agent_id=truth["agent_id"], team=truth["team"],
                                    customer_name=truth["customer_name"])
            path = SAMPLES / f"{name}.opus"
            report = analyze_call(path, metadata, config=config, transcriber=transcriber).to_json()
            call_id = store.register_call(path, metadata).call.id
            store.save_report(call_id, report)
            truths[call_id] = (truth, report)
        yield client, {"Authorization": f"Bearer {token}"}, truths


def test_no_string_a_trainer_fetches_holds_personal_data(served, table):
    client, headers, truths = served
    for call_id, (truth, report) in truths.items():
        known = personal_data(report, truth["customer_name"])
        fetched = [client.get(f"/api/v1/calls/{call_id}", headers=headers).json(),
                   client.get(f"/api/v1/calls/{call_id}/report", headers=headers).json(),
                   client.get("/api/v1/findings", params={"limit": 200},
                              headers=headers).json()]
        texts = [text for body in fetched for text in strings(body)]
        leaks = [text for text in texts for item in known
                 if re.search(rf"\b{re.escape(item)}\b", text, re.IGNORECASE)]
        table("trainer privacy, sample calls").row(call=call_id, known=", ".join(known),
                                                   strings=len(texts), leaks=len(leaks))
        assert leaks == []


def test_every_clip_a_trainer_pulls_bleeps_the_spoken_name(served, table):
    client, headers, truths = served
    for call_id, (truth, report) in truths.items():
        names = {normalise(part) for part in truth["customer_name"].split()}
        spoken = [(word["start"], word["end"]) for turn in report["transcript"]
                  for word in turn.get("words") or () if normalise(word["word"]) in names]
        findings = [event["id"] for event in report["events"]] + [
            check_id for check_id, check in report["checks"].items() if check.get("evidence")]
        checked = 0
        for finding in findings:
            response = client.get(f"/api/v1/calls/{call_id}/events/{finding}/clip",
                                  headers=headers)
            if response.status_code == 403:  # past the trainer's share of this call
                continue
            samples, rate_hz = sf.read(io.BytesIO(response.content), always_2d=True)
            start_s = _clip_start(report, finding)
            for word_start, word_end in spoken:
                first = int((word_start - start_s + 0.02) * rate_hz)
                last = int((word_end - start_s - 0.02) * rate_hz)
                if first < 0 or last > samples.shape[0] or last - first < rate_hz // 50:
                    continue
                part = samples[first:last, 1]
                spectrum = np.abs(np.fft.rfft(part))
                assert np.fft.rfftfreq(part.size, 1 / rate_hz)[spectrum.argmax()] == \
                    pytest.approx(BLEEP_HZ, abs=25), (call_id, finding, word_start)
                checked += 1
        table("trainer privacy, sample calls").row(call=call_id, known="spoken name",
                                                   strings=f"{len(spoken)} words",
                                                   leaks=f"{checked} checked in clips")


def _clip_start(report: dict, finding: str) -> float:
    from coach_api.clip_budget import TRAINER_MAX_PAD_S, finding_spans

    start_s = next(start for found, start, _end in finding_spans(report) if found == finding)
    return max(0.0, start_s - min(2.0, TRAINER_MAX_PAD_S))
