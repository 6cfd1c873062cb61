"""Synthetic calls for the API tests and benchmark: stereo audio plus a report in the
DESIGN.md contract, stored through the store as the flows would store them."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import soundfile as sf

from pipeline.types import CallMetadata

SAMPLE_RATE_HZ = 16000
CALL_DURATION_S = 12.0
CARD_NUMBER = "4532 0151 1283 0366"
CUSTOMER_NAME = "Dana Whitfield"
REDACTED_SPAN_S = (8.0, 9.5)


def write_stereo(path: Path, *, seed: int, duration_s: float = CALL_DURATION_S) -> Path:
    """A stereo WAV: a 220 Hz tone on the agent channel, 330 Hz on the customer channel, with
    a little seeded noise so every file has its own bytes."""
    time_s = np.arange(int(duration_s * SAMPLE_RATE_HZ)) / SAMPLE_RATE_HZ
    noise = np.random.default_rng(seed).normal(0.0, 0.01, (2, time_s.size))
    tones = np.stack([0.2 * np.sin(2 * np.pi * 220 * time_s), 0.2 * np.sin(2 * np.pi * 330 * time_s)])
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, (tones + noise).T.astype(np.float32), SAMPLE_RATE_HZ, subtype="PCM_16")
    return path


def report_for(call_id: str, *, agent_id: str, severity: str = "high", score: float = 60.0,
               empathy_met: bool = True, skills: dict[str, int] | None = None) -> dict:
    """A report with an agent interruption (ev-1), a customer raised voice (ev-2), a card number
    read by the customer (redacted) and a flag of ``severity`` on ev-1."""
    card_start_s, card_end_s = REDACTED_SPAN_S
    return {
        "schema_version": 1, "call_id": call_id, "agent_id": agent_id,
        "customer_name": CUSTOMER_NAME, "duration_s": CALL_DURATION_S,
        "channels": {"agent": 0, "customer": 1},
        "transcript": [
            {"speaker": "agent", "start": 1.0, "end": 3.2,
             "text": f"Hello {CUSTOMER_NAME.split()[0]}, I understand how annoying that is.",
             "words": []},
            {"speaker": "customer", "start": card_start_s, "end": card_end_s,
             "text": f"my card is {CARD_NUMBER}",
             "words": [{"word": "my", "start": 8.0, "end": 8.1, "probability": 0.9},
                       {"word": "card", "start": 8.1, "end": 8.3, "probability": 0.9},
                       {"word": CARD_NUMBER, "start": 8.4, "end": 9.4, "probability": 0.9}]},
        ],
        "events": [
            {"id": "ev-1", "type": "interruption", "speaker": "agent", "start": 2.0, "end": 3.0,
             "details": {"overlap_s": 1.0}},
            {"id": "ev-2", "type": "raised_voice", "speaker": "customer", "start": 5.0,
             "end": 7.0, "details": {}},
        ],
        "checks": {
            "empathy_statement": {"met": empathy_met, "skill": "empathy", "evidence": [
                {"speaker": "agent", "start": 1.0, "end": 3.2,
                 "text": f"Hello {CUSTOMER_NAME.split()[0]}, I understand how annoying that is."}]},
            "closing_check": {"met": False, "evidence": []},
        },
        "metrics": {"agent": {}, "customer": {}, "call": {}},
        "scores": {"overall": score, **({"skills": skills} if skills else {})},
        "flags": [{"reason": "agent interrupted", "severity": severity, "event_ids": ["ev-1"]}],
        "coaching": [{"skill": "listening", "message": "Let the customer finish.",
                      "evidence": ["ev-1"]}],
        "redactions": [{"kind": "card_number", "speaker": "customer", "start": card_start_s,
                        "end": card_end_s}],
        "config": {"digest": "synthetic"},
    }


def seed_call(store, folder: Path, *, call_id: str, agent_id: str, team: str, seed: int,
              started_at: dt.datetime, with_report: bool = True, **report_options) -> str:
    """Register a synthetic call and, unless ``with_report`` is False, store its report."""
    audio = write_stereo(folder / f"{call_id}.wav", seed=seed)
    metadata = CallMetadata(call_id=call_id, agent_id=agent_id, team=team,
                            customer_name=CUSTOMER_NAME, started_at=started_at.isoformat())
    call = store.register_call(audio, metadata).call
    if with_report:
        store.save_report(call.id, report_for(call.id, agent_id=agent_id, **report_options))
    return call.id
