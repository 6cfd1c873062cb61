"""Everything a trainer can fetch about a call, scanned for the call's personal data: every
string of every response, and the audio of every clip; plus how much audio clips can add up to."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
import soundfile as sf

from coach_api.clip_budget import (TRAINER_MAX_CLIP_S, TRAINER_MAX_PAD_S, call_budget_s,
                                   covered_s)
from coach_api.clips import BLEEP_HZ
from pipeline.types import CallMetadata

from .synthetic import CUSTOMER_NAME, report_for, write_stereo

ACCOUNT = "44719"
NAME_WORD_S = (11.1, 11.5)  # "Whitfield" in the turn below
PERSONAL = (ACCOUNT, "Dana", "Whitfield")


def leaky_report(call_id: str) -> dict[str, Any]:
    """A report whose personal data sits where the old masking did not look: a turn whose
    account number only the redaction's time range names, ``text_masked`` with the name, a
    free-text field of a new kind, a coaching quote."""
    report = report_for(call_id, agent_id="a1")
    report["transcript"].append({
        "speaker": "customer", "start": 10.0, "end": 11.5,
        "text": f"It's {ACCOUNT} under Dana Whitfield",
        "text_masked": "It's [account number] under Dana Whitfield",
        "words": [{"word": " It's", "start": 10.0, "end": 10.2, "probability": 0.9},
                  {"word": f" {ACCOUNT}", "start": 10.3, "end": 10.9, "probability": 0.9},
                  {"word": " under", "start": 10.9, "end": 11.1, "probability": 0.9},
                  {"word": " Dana", "start": 11.1, "end": 11.3, "probability": 0.9},
                  {"word": " Whitfield", "start": 11.3, "end": 11.5, "probability": 0.9}]})
    report["redactions"].append({"kind": "account_number", "speaker": "customer",
                                 "start": 10.25, "end": 10.95})
    report["events"].append({"id": "ev-3", "type": "raised_voice", "speaker": "customer",
                             "start": 10.0, "end": 11.5, "details": {}})
    report["checks"]["customer_name_used"] = {"met": True, "evidence": [
        {"speaker": "customer", "start": 10.0, "end": 11.5, "text": f"It's {ACCOUNT} under Dana"}]}
    report["coaching"].append({"skill": "rapport", "message": "Use Dana's name once more.",
                               "quote": f"It's {ACCOUNT}", "evidence": ["ev-3"], "start": 10.0})
    report["flags"][0]["note"] = f"call back on {ACCOUNT}"
    return report


@pytest.fixture
def leaky_call(world) -> str:
    audio = write_stereo(world.folder / "leaky.wav", seed=7)
    metadata = CallMetadata(call_id="leaky", agent_id="a1", team="blue",
                            customer_name=CUSTOMER_NAME,
                            started_at=dt.datetime(2024, 6, 1, tzinfo=dt.UTC).isoformat())
    call_id = world.store.register_call(audio, metadata).call.id
    world.store.save_report(call_id, leaky_report(call_id))
    return call_id


def strings(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)
    elif isinstance(value, str):
        yield value


def trainer_get(world, path: str, **params):
    response = world.client.get(f"/api/v1{path}", params=params, headers=world.headers("trainer"))
    assert response.status_code == 200, response.text
    return response


def test_no_string_a_trainer_can_fetch_holds_the_calls_personal_data(world, leaky_call, table):
    bodies = {"call": trainer_get(world, f"/calls/{leaky_call}").json(),
              "report": trainer_get(world, f"/calls/{leaky_call}/report").json(),
              "findings": trainer_get(world, "/findings", limit=200).json()}
    leaks = [(where, text) for where, body in bodies.items() for text in strings(body)
             if any(item.lower() in text.lower() for item in PERSONAL)]
    for where, body in bodies.items():
        table("trainer privacy").row(fetched=where, strings=len(list(strings(body))),
                                     leaks=sum(1 for w, _ in leaks if w == where))
    assert leaks == []
    turn = bodies["report"]["transcript"][-1]
    assert turn["text"] == "It's [account number] under [customer name] [customer name]"


def dominant_hz(samples: np.ndarray, rate_hz: int) -> float:
    spectrum = np.abs(np.fft.rfft(samples))
    return float(np.fft.rfftfreq(samples.size, 1 / rate_hz)[spectrum.argmax()])


def test_trainer_clips_bleep_the_spoken_name_and_supervisor_clips_do_not(world, leaky_call):
    path = f"/api/v1/calls/{leaky_call}/events/ev-3/clip"
    for who, expected_hz in (("trainer", BLEEP_HZ), ("sup_blue", 330.0)):
        response = world.client.get(path, params={"pad_s": 1.0}, headers=world.headers(who))
        samples, rate_hz = sf.read(io.BytesIO(response.content), always_2d=True)
        first = int((NAME_WORD_S[0] - 9.0 + 0.05) * rate_hz)
        last = int((NAME_WORD_S[1] - 9.0 - 0.05) * rate_hz)
        assert dominant_hz(samples[first:last, 1], rate_hz) == pytest.approx(expected_hz, abs=3)


def test_a_trainers_clips_stay_short_and_cover_at_most_the_calls_budget(world, table):
    duration_s = 300.0
    audio = write_stereo(world.folder / "long.wav", seed=9, duration_s=duration_s)
    call_id = world.store.register_call(audio, CallMetadata(
        call_id="long", agent_id="a1", team="blue")).call.id
    report = report_for(call_id, agent_id="a1")
    report["duration_s"] = duration_s
    report["events"] = [{"id": f"ev-{n}", "type": "long_silence", "speaker": None,
                         "start": 10.0 * n, "end": 10.0 * n + 8.0, "details": {}}
                        for n in range(1, 29)]
    world.store.save_report(call_id, report)
    heard, refused = [], 0
    for event in report["events"]:
        response = world.client.get(f"/api/v1/calls/{call_id}/events/{event['id']}/clip",
                                    params={"pad_s": 30.0}, headers=world.headers("trainer"))
        if response.status_code == 403:
            refused += 1
            continue
        samples, rate_hz = sf.read(io.BytesIO(response.content), always_2d=True)
        length_s = samples.shape[0] / rate_hz
        assert length_s <= min(TRAINER_MAX_CLIP_S, 8.0 + 2 * TRAINER_MAX_PAD_S) + 0.01
        start_s = max(0.0, event["start"] - TRAINER_MAX_PAD_S)
        heard.append((start_s, start_s + length_s))
    table("trainer clip budget").row(call_s=duration_s, budget_s=call_budget_s(duration_s),
                                     clips=len(heard), refused=refused,
                                     heard_s=round(covered_s(heard), 1))
    assert refused > 0
    assert covered_s(heard) <= call_budget_s(duration_s) + 0.01
    whole = world.client.get(f"/api/v1/calls/{call_id}/audio", headers=world.headers("trainer"))
    assert whole.status_code == 403
