"""A full synthetic report of any length: every section the pipeline writes (transcript with
timed words and sentiment, every check, events of each kind, tracks, metrics, flags with
kinds, coaching, a redaction), for the page tests, the screenshots and bench/pages.py."""

from __future__ import annotations

import random
from typing import Any

from pipeline.check_meanings import CHECK_MEANINGS

CUSTOMER_NAME = "Dana Whitfield"
AGENT_LINES = (
    "Thank you for calling, my name is Sam, how can I help you today?",
    "I understand how frustrating that must be, I'm sorry about the trouble.",
    "So just to confirm, the charge appeared twice on your last statement?",
    "What I can do is refund the second charge right now.",
    "You should see the refund within three working days, and I'll email you a reference.",
    "As I already said, there's nothing more I can do about the fee.",
    "Is there anything else I can help you with today, Dana?",
)
CUSTOMER_LINES = (
    "Hi, I'm calling about a double charge on my account.",
    "This is the third time this has happened and I'm really fed up.",
    "Yes, twice, on the same day, for the same amount.",
    "Okay, that would be great, thank you.",
    "If this happens again I'm going to cancel my account.",
    "My card number is 4532 0151 1283 0366.",
    "No, that's everything, thanks for your help.",
)


def _turns(rng: random.Random, duration_s: float) -> list[dict[str, Any]]:
    turns, t, index = [], 1.0, 0
    while t < duration_s - 4.0:
        speaker = "agent" if index % 2 == 0 else "customer"
        lines = AGENT_LINES if speaker == "agent" else CUSTOMER_LINES
        text = lines[(index // 2) % len(lines)]
        length_s = min(duration_s - 1.0 - t, 2.0 + 0.28 * len(text.split()) + rng.uniform(0, 2))
        tokens = text.split()
        step_s = length_s / len(tokens)
        words = [{"word": f" {w}", "start": round(t + i * step_s, 3),
                  "end": round(t + (i + 0.9) * step_s, 3), "probability": 0.9}
                 for i, w in enumerate(tokens)]
        mood = rng.uniform(-0.9, 0.3) if speaker == "customer" and index < 12 else rng.uniform(-0.2, 0.8)
        turns.append({"speaker": speaker, "start": round(t, 3), "end": round(t + length_s, 3),
                      "text": text, "words": words, "sentiment": round(mood, 3)})
        t += length_s + rng.uniform(0.3, 1.5) + (6.0 if index % 23 == 22 else 0.0)
        index += 1
    return turns


def _events(rng: random.Random, turns: list[dict[str, Any]]) -> list[dict[str, Any]]:
    events = []
    for index, turn in enumerate(turns):
        if index % 5 == 3:
            events.append(("interruption", turn["speaker"], turn["start"], turn["start"] + 0.8,
                           {"overlap_s": 0.8, "yielded": True}))
        if index % 6 == 1:
            events.append(("backchannel", "agent", turn["start"] + 1.0, turn["start"] + 1.4,
                           {"text": "mm-hmm"}))
        if index % 9 == 4:
            events.append(("raised_voice", turn["speaker"], turn["start"], turn["start"] + 2.0,
                           {"delta_db": 7.5, "delta_semitones": 3.1}))
        if index + 1 < len(turns) and turns[index + 1]["start"] - turn["end"] >= 5.0:
            events.append(("long_silence", None, turn["end"], turns[index + 1]["start"], {}))
    events.sort(key=lambda e: e[2])
    return [{"id": f"ev-{n}", "type": kind, "speaker": speaker, "start": round(start, 3),
             "end": round(end, 3), "details": details}
            for n, (kind, speaker, start, end, details) in enumerate(events, start=1)]


def _checks(rng: random.Random, turns: list[dict[str, Any]]) -> dict[str, Any]:
    checks = {}
    for n, (check_id, meaning) in enumerate(CHECK_MEANINGS.items()):
        party = "customer" if meaning.polarity.value == "customer" else "agent"
        said = [turn for turn in turns if turn["speaker"] == party][n % 4::7][:2]
        met = None if n % 8 == 7 else rng.random() < 0.6
        checks[check_id] = {
            "met": met, "confidence": None if met is None else round(rng.uniform(0.6, 0.99), 2),
            "skill": meaning.skill, "polarity": meaning.polarity.value,
            "evidence": [] if not met else [{"speaker": party, "start": t["start"], "end": t["end"],
                                             "text": t["text"]} for t in said]}
    return checks


def _tracks(rng: random.Random, turns: list[dict[str, Any]], duration_s: float,
            step_s: float) -> dict[str, Any]:
    n_bins = int(duration_s / step_s) + 1
    out = {}
    for party, pitch in (("agent", 120.0), ("customer", 210.0)):
        loud: list[float | None] = [None] * n_bins
        f0: list[float | None] = [None] * n_bins
        for turn in turns:
            if turn["speaker"] != party:
                continue
            for b in range(int(turn["start"] / step_s), min(n_bins, int(turn["end"] / step_s) + 1)):
                loud[b] = round(-26 + rng.uniform(-4, 4), 1)
                f0[b] = round(pitch + rng.uniform(-25, 25))
        out[party] = {"step_s": step_s, "loudness_dbfs": loud, "f0_hz": f0}
    return out


def rich_report(call_id: str, *, agent_id: str, duration_s: float, seed: int = 0,
                team: str | None = None, started_at: str | None = None) -> dict[str, Any]:
    """A schema-2 report of a call ``duration_s`` long, deterministic for ``seed``."""
    rng = random.Random(seed)
    turns = _turns(rng, duration_s)
    events = _events(rng, turns)
    checks = _checks(rng, turns)
    agent_interruptions = [e["id"] for e in events
                           if e["type"] == "interruption" and e["speaker"] == "agent"]
    raised = [e["id"] for e in events if e["type"] == "raised_voice" and e["speaker"] == "agent"]
    card = next(t for t in turns if "card number" in t["text"])
    step_s = max(0.25, round(duration_s / 1500, 2))
    segments = {p: [[t["start"], t["end"]] for t in turns if t["speaker"] == p]
                for p in ("agent", "customer")}
    times = {1: "once", 2: "twice"}
    flags = [{"reason": "Agent interrupted the customer "
                        f"{times.get(len(agent_interruptions), f'{len(agent_interruptions)} times')}",
              "severity": "high", "event_ids": agent_interruptions, "kind": "agent_interruptions"},
             {"reason": "Customer threatened to leave, cancel or complain publicly",
              "severity": "low", "check_ids": ["customer_threat"], "kind": "customer_threat"}]
    if raised:
        flags.insert(1, {"reason": "Agent raised their voice "
                                   f"({times.get(len(raised), f'{len(raised)} times')})",
                         "severity": "medium", "event_ids": raised, "kind": "agent_raised_voice"})
    return {
        "schema_version": 2, "call_id": call_id, "agent_id": agent_id, "agent_name": "Sam Porter",
        "team": team, "customer_name": CUSTOMER_NAME, "started_at": started_at,
        "duration_s": duration_s, "channels": {"agent": 0, "customer": 1},
        "source": {"format": "wav", "sample_rate_hz": 16000}, "speech_found": True,
        "separation": "stereo-channels", "transcript": turns, "events": events,
        "activity": {p: {"segments": segments[p], "bleed_removed_s": 0.0,
                         "baseline_loudness_dbfs": -27.0,
                         "baseline_f0_hz": 120.0 if p == "agent" else 210.0}
                     for p in ("agent", "customer")},
        "tracks": _tracks(rng, turns, duration_s, step_s), "checks": checks,
        "sentiment": {"customer": {"start_compound": -0.55, "end_compound": 0.42, "delta": 0.97,
                                   "started_negative": True, "verdict": "turned_around"}},
        "redactions": [{"id": "pii-1", "kind": "card_number", "speaker": "customer",
                        "start": card["words"][4]["start"], "end": card["end"]}],
        "metrics": {"agent": {"talk_time_s": duration_s * 0.4, "talk_share": 0.55,
                              "overlap_time_s": 6.2, "longest_monologue_s": 14.0,
                              "median_response_latency_s": 0.8, "words_per_minute": 152.0},
                    "customer": {"talk_time_s": duration_s * 0.33, "talk_share": 0.45,
                                 "overlap_time_s": 3.1, "longest_monologue_s": 11.0,
                                 "median_response_latency_s": 1.1, "words_per_minute": 141.0},
                    "call": {"duration_s": duration_s, "non_talk_time_s": duration_s * 0.08,
                             "non_talk_share": 0.08}},
        "scores": {"overall": 64, "skills": {"empathy": 80, "listening": 45, "resolution": 70,
                                             "composure": 50, "professionalism": 75}},
        "flags": flags, "review_priority": 14.6,
        "coaching": [
            {"skill": "listening", "kind": "improve", "evidence": agent_interruptions[:3],
             "message": "Let the customer finish before answering.",
             "start": events[0]["start"] if events else None},
            {"skill": "empathy", "kind": "strength", "evidence": ["check:empathy_statement"],
             "message": "You named the customer's frustration early.", "quote": AGENT_LINES[1]}],
        "rubric": {"version": "synthetic", "digest": "synthetic"},
        "config": {"digest": "synthetic"}, "generated_at": "2026-01-05T10:00:00+00:00",
        "generator": {"name": "callcoach", "version": "synthetic"},
    }
