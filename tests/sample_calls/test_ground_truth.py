"""The committed sample calls agree with their ground truth files.

Reads only the committed audio and JSON: none of the generator's tools are needed.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

SAMPLE_CALLS_DIR = Path(__file__).resolve().parents[2] / "sample_calls"
GROUND_TRUTH_PATHS = sorted(SAMPLE_CALLS_DIR.glob("*.json"))
CHECK_IDS = {
    "agent_introduction", "customer_name_used", "empathy_statement", "apology", "over_apology",
    "paraphrase_or_clarify", "solution_offered", "next_steps_set", "closing_check",
    "negative_language", "blame_language", "dismissive_phrase", "customer_escalation_request",
    "escalation_offered", "customer_abuse", "agent_boundary_set", "customer_threat",
}
EVENT_TYPES = {"interruption", "backchannel", "raised_voice", "long_silence"}
VERSIONS = ((".opus", 16_000), (".8k.flac", 8_000))
CHANNEL = {"agent": 0, "customer": 1}
FRAME_S = 0.010
AUDIBLE_DBFS = -45.5  # the generator trims each turn at -45 dBFS frames
EDGE_TOLERANCE_S = 0.05
CLEAR_S = 0.35  # an edge is measured only when no other turn lies this close on its outer side


@functools.cache
def load_truth(call_id: str) -> dict:
    return json.loads((SAMPLE_CALLS_DIR / f"{call_id}.json").read_text(encoding="utf-8"))


@functools.cache
def load_audio(call_id: str, suffix: str) -> tuple[np.ndarray, int]:
    path = SAMPLE_CALLS_DIR / f"{call_id}{suffix}"
    samples, rate_hz = sf.read(path, dtype="float32", always_2d=True)
    return samples.T, rate_hz


def frame_levels_dbfs(samples: np.ndarray, *, rate_hz: int) -> np.ndarray:
    """RMS of consecutive 10 ms frames in dBFS; shape ``(n_frames,)``."""
    hop = int(FRAME_S * rate_hz)
    n_frames = len(samples) // hop
    frames = samples[: n_frames * hop].reshape(n_frames, hop).astype(np.float64)
    return 10.0 * np.log10(np.mean(frames**2, axis=1) + 1e-12)


def measured_edge_s(
    levels_dbfs: np.ndarray, edge_s: float, *, threshold_dbfs: float, is_start: bool
) -> float | None:
    """First (start) or last (end) frame at least ``threshold_dbfs`` loud within 0.3 s of ``edge_s``."""
    first = max(0, int((edge_s - 0.3) / FRAME_S))
    loud = np.flatnonzero(levels_dbfs[first : int((edge_s + 0.3) / FRAME_S)] >= threshold_dbfs)
    if len(loud) == 0:
        return None
    return (first + loud[0]) * FRAME_S if is_start else (first + loud[-1] + 1) * FRAME_S


def clear_edges(truth: dict) -> list[tuple[dict, str]]:
    """(turn, "start_s"|"end_s") pairs with no other turn within ``CLEAR_S`` outside the edge."""
    edges = []
    for turn in truth["turns"]:
        others = [t for t in truth["turns"] if t is not turn]
        outer_spans_s = {
            "start_s": (turn["start_s"] - CLEAR_S, turn["start_s"]),
            "end_s": (turn["end_s"], turn["end_s"] + CLEAR_S),
        }
        for key, (low_s, high_s) in outer_spans_s.items():
            if not any(t["start_s"] < high_s and t["end_s"] > low_s for t in others):
                edges.append((turn, key))
    return edges


CALL_IDS = [path.stem for path in GROUND_TRUTH_PATHS]


def test_there_are_enough_sample_calls() -> None:
    assert len(CALL_IDS) >= 8


@pytest.mark.parametrize("call_id", CALL_IDS)
@pytest.mark.parametrize(("suffix", "rate_hz"), VERSIONS)
def test_audio_decodes_to_stereo_at_its_rate_and_length(
    call_id: str, suffix: str, rate_hz: int
) -> None:
    samples, decoded_rate_hz = load_audio(call_id, suffix)
    assert decoded_rate_hz == rate_hz
    assert samples.shape[0] == 2
    assert samples.shape[1] / rate_hz == pytest.approx(load_truth(call_id)["duration_s"], abs=0.1)
    assert 30.0 <= samples.shape[1] / rate_hz <= 120.0


@pytest.mark.parametrize("call_id", CALL_IDS)
def test_header_and_checks_are_complete(call_id: str) -> None:
    truth = load_truth(call_id)
    assert truth["call_id"] == call_id
    assert truth["agent_channel"] == 0
    assert set(truth["checks"]) == CHECK_IDS
    assert all(value in (True, False, None) for value in truth["checks"].values())
    for key in ("title", "scenario", "agent_id", "agent_name", "team", "customer_name"):
        assert isinstance(truth[key], str) and truth[key]


@pytest.mark.parametrize("call_id", CALL_IDS)
def test_turns_are_sorted_and_inside_the_call(call_id: str) -> None:
    truth = load_truth(call_id)
    starts_s = [turn["start_s"] for turn in truth["turns"]]
    assert starts_s == sorted(starts_s)
    assert truth["turns"][0]["speaker"] == "agent"  # every call opens with the agent's greeting
    for turn in truth["turns"]:
        assert 0.0 <= turn["start_s"] < turn["end_s"] <= truth["duration_s"]
        assert turn["speaker"] in CHANNEL and turn["style"] in {"calm", "raised", "backchannel"}
        assert turn["text"].strip()


@pytest.mark.parametrize("call_id", CALL_IDS)
def test_events_are_valid_and_sorted(call_id: str) -> None:
    truth = load_truth(call_id)
    starts_s = [event["start_s"] for event in truth["events"]]
    assert starts_s == sorted(starts_s)
    for event in truth["events"]:
        assert event["type"] in EVENT_TYPES
        assert 0.0 <= event["start_s"] < event["end_s"] <= truth["duration_s"]
        if event["type"] == "long_silence":
            assert event["speaker"] is None and event["end_s"] - event["start_s"] >= 5.0
        else:
            assert event["speaker"] in CHANNEL


def _turns_of(truth: dict, speaker: str) -> list[dict]:
    turns = truth["turns"]
    return [t for t in turns if t["speaker"] == speaker and t["style"] != "backchannel"]


@pytest.mark.parametrize("call_id", CALL_IDS)
def test_backchannels_lie_inside_the_other_partys_turn(call_id: str) -> None:
    truth = load_truth(call_id)
    for event in (e for e in truth["events"] if e["type"] == "backchannel"):
        other = "customer" if event["speaker"] == "agent" else "agent"
        hosts = [
            t for t in _turns_of(truth, other)
            if t["start_s"] <= event["start_s"] and event["end_s"] <= t["end_s"]
        ]
        assert len(hosts) == 1, f"backchannel at {event['start_s']} s has no host turn"
        assert 0.3 <= event["end_s"] - event["start_s"] <= 0.9


@pytest.mark.parametrize("call_id", CALL_IDS)
def test_interruptions_overlap_the_interrupted_turn(call_id: str) -> None:
    truth = load_truth(call_id)
    for event in (e for e in truth["events"] if e["type"] == "interruption"):
        assert event["interrupted"] != event["speaker"]
        overlaps_s = [
            min(t["end_s"], event["end_s"]) - max(t["start_s"], event["start_s"])
            for t in _turns_of(truth, event["interrupted"])
        ]
        assert max(overlaps_s) >= 0.5, f"interruption at {event['start_s']} s barely overlaps"


@pytest.mark.parametrize("call_id", CALL_IDS)
def test_long_silences_have_nobody_speaking(call_id: str) -> None:
    truth = load_truth(call_id)
    for event in (e for e in truth["events"] if e["type"] == "long_silence"):
        turns = truth["turns"]
        spoken = [t for t in turns if t["start_s"] < event["end_s"] and t["end_s"] > event["start_s"]]
        assert spoken == []


@pytest.mark.parametrize("call_id", CALL_IDS)
def test_turn_edges_are_where_the_audio_is(call_id: str) -> None:
    """Every clear turn edge in the 16 kHz version lies within 50 ms of the JSON time."""
    truth = load_truth(call_id)
    samples, rate_hz = load_audio(call_id, ".opus")
    levels = {who: frame_levels_dbfs(samples[ch], rate_hz=rate_hz) for who, ch in CHANNEL.items()}
    edges = clear_edges(truth)
    assert len(edges) >= 8
    for turn, key in edges:
        measured_s = measured_edge_s(
            levels[turn["speaker"]], turn[key], threshold_dbfs=AUDIBLE_DBFS, is_start=key == "start_s"
        )
        assert measured_s is not None, (turn["text"], key)
        assert abs(measured_s - turn[key]) <= EDGE_TOLERANCE_S, (turn["text"], key, measured_s)


@pytest.mark.parametrize("call_id", CALL_IDS)
def test_turn_starts_survive_the_telephone_band(call_id: str) -> None:
    truth = load_truth(call_id)
    samples, rate_hz = load_audio(call_id, ".8k.flac")
    levels = {who: frame_levels_dbfs(samples[ch], rate_hz=rate_hz) for who, ch in CHANNEL.items()}
    # The band-pass removes much of the noise and the quiet tails: measure 10 dB over the floor.
    thresholds_dbfs = {who: float(np.percentile(lv, 10)) + 10.0 for who, lv in levels.items()}
    for turn, key in (edge for edge in clear_edges(truth) if edge[1] == "start_s"):
        who = turn["speaker"]
        measured_s = measured_edge_s(levels[who], turn[key], threshold_dbfs=thresholds_dbfs[who], is_start=True)
        assert measured_s is not None, turn["text"]
        assert abs(measured_s - turn[key]) <= EDGE_TOLERANCE_S, (turn["text"], measured_s)


def test_every_check_is_met_somewhere_and_missed_somewhere() -> None:
    answers = {cid: {load_truth(call)["checks"][cid] for call in CALL_IDS} for cid in CHECK_IDS}
    assert {cid for cid, seen in answers.items() if not {True, False} <= seen} == set()
