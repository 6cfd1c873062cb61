"""Scoring for bench/accuracy.py: each function takes reports and returns a printable table."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from audio_features import intervals
from bench import realdev
from tests.ground_truth import (Tally, check_outcomes, matched_pairs, speaker_word_error_rates,
                                tally)

EVENT_TYPES = ("interruption", "backchannel", "raised_voice", "long_silence")
SPEECH_HEARD_MIN = 0.5  # a clip counts as heard when half its reference speech was found


def f1(result: Tally) -> float:
    total = result.precision + result.recall
    return 2 * result.precision * result.recall / total if total else 0.0


def sample_call_table(reports: dict[Path, dict]) -> str:
    rows = [f"{'finding':14s} {'version':8s} {'found':>6s} {'missed':>7s} {'false':>6s} "
            f"{'precision':>10s} {'recall':>7s} {'F1':>5s}"]
    for event_type in EVENT_TYPES:
        for version, suffix in (("16 kHz", ".opus"), ("8 kHz", ".8k.flac")):
            result = Tally()
            for path, report in reports.items():
                if path.name.endswith(suffix):
                    result.add(tally(report, _truth(report), event_type))
            rows.append(f"{event_type:14s} {version:8s} {result.true_positive:6d} "
                        f"{result.false_negative:7d} {result.false_positive:6d} "
                        f"{result.precision:10.2f} {result.recall:7.2f} {f1(result):5.2f}")
    wrong = sum(len(matched_pairs(_events(report, "interruption"),
                                  [e for e in _truth(report)["events"]
                                   if e["type"] == "backchannel"]))
                for report in reports.values())
    rows.append(f"backchannels reported as interruptions: {wrong}")
    return "\n".join(rows)


def transcript_table(reports: dict[Path, dict]) -> str:
    """Check outcomes right and word error rate per speaker, per recorded version."""
    rows = [f"{'version':8s} {'checks right':>13s} {'WER median':>11s} {'WER worst':>10s}  misses"]
    for version, suffix in (("16 kHz", ".opus"), ("8 kHz", ".8k.flac")):
        total, wrong, rates = 0, [], []
        for path, report in reports.items():
            if path.name.endswith(suffix):
                expected, missed = check_outcomes(report, _truth(report))
                total += expected
                wrong.extend(f"{report['call_id']}:{check}" for check, _, _ in missed)
                rates.extend(speaker_word_error_rates(report, _truth(report)).values())
        rows.append(f"{version:8s} {total - len(wrong):6d} of {total:3d} {np.median(rates):11.3f} "
                    f"{max(rates):10.3f}  {', '.join(wrong) or 'none'}")
    return "\n".join(rows)


def acted_table(calls: list[realdev.ActedCall], reports: dict[Path, dict]) -> str:
    """Recall on angry clips and false alarms on neutral ones, per sex and intensity."""
    outcomes: dict[tuple[str, str, str], list[bool]] = {}
    heard: dict[str, list[bool]] = {}
    for call in calls:
        report = reports[call.path]
        for placed in call.placed:
            speaker = "agent" if placed.channel == 0 else "customer"
            raised = _spans(report, "raised_voice", speaker)
            flagged = intervals.total_duration_s(intervals.intersect(
                raised, np.array([[placed.start_s, placed.end_s]]))) > 0
            clip = placed.clip
            if placed is call.target:
                key = (clip.sex, f"angry {clip.intensity}".strip(), "recall")
                outcomes.setdefault(key, []).append(flagged)
                if clip.intensity in ("strong", ""):
                    heard.setdefault(clip.sex, []).append(_heard(report, speaker, placed))
            elif clip.emotion == "neutral":
                outcomes.setdefault((clip.sex, "neutral", "false alarms"), []).append(flagged)
    rows = [f"{'sex':7s} {'clips':16s} {'measure':13s} {'n':>4s} {'rate':>6s}"]
    for (sex, kind, measure), values in sorted(outcomes.items()):
        rows.append(f"{sex:7s} {kind:16s} {measure:13s} {len(values):4d} {np.mean(values):6.3f}")
    for sex, values in sorted(heard.items()):
        rows.append(f"{sex:7s} {'angry (loudest)':16s} {'heard':13s} {len(values):4d} "
                    f"{np.mean(values):6.3f}")
    return "\n".join(rows)


def real_call_table(report: dict, tracks: dict[str, np.ndarray]) -> str:
    """Speech activity against each party's own track, overlaps, and calm-call false alarms."""
    reference = {party: realdev.energy_reference(samples) for party, samples in tracks.items()}
    rows = [f"{'party':9s} {'reference s':>12s} {'found s':>8s} {'coverage':>9s} {'excess':>7s} "
            f"{'talk share':>11s} {'ref share':>10s}"]
    total_ref = sum(intervals.total_duration_s(spans) for spans in reference.values())
    for party, ref in reference.items():
        found = _segments(report, party)
        ref_s = intervals.total_duration_s(ref)
        coverage = intervals.total_duration_s(intervals.intersect(found, ref)) / ref_s
        excess = intervals.total_duration_s(intervals.subtract(found, ref)) / ref_s
        share = report["metrics"][party]["talk_share"]
        rows.append(f"{party:9s} {ref_s:12.1f} {intervals.total_duration_s(found):8.1f} "
                    f"{coverage:9.3f} {excess:7.3f} {share:11.2f} {ref_s / total_ref:10.2f}")
    rows.extend(_overlap_rows(report, reference))
    minutes = report["duration_s"] / 60
    raised = [e for e in report["events"] if e["type"] == "raised_voice"]
    high = [f for f in report.get("flags", ()) if f["severity"] == "high" and f.get("event_ids")]
    rows.append(f"raised-voice events: {len(raised)} in {minutes:.1f} min "
                f"({len(raised) / minutes:.2f} per minute); high-severity acoustic flags: "
                f"{len(high)}")
    return "\n".join(rows)


def _overlap_rows(report: dict, reference: dict[str, np.ndarray]) -> list[str]:
    """How the real overlaps of 0.5 s or more were reported."""
    both = intervals.intersect(reference["agent"], reference["customer"])
    long = both[intervals.durations_s(both) >= 0.5]
    turn_events = [e for e in report["events"] if e["type"] in ("interruption", "backchannel")]
    reported = sum(any(e["start"] - 0.5 < end and start < e["end"] + 0.5 for e in turn_events)
                   for start, end in long)
    counts = {kind: sum(e["type"] == kind for e in turn_events)
              for kind in ("interruption", "backchannel")}
    return [f"real overlaps of 0.5 s or more: {len(long)}, with a turn-taking event on "
            f"{reported}; interruptions reported {counts['interruption']}, backchannels "
            f"{counts['backchannel']}"]


def _heard(report: dict, speaker: str, placed: realdev.PlacedClip) -> bool:
    reference_s = intervals.total_duration_s(placed.speech)
    found = intervals.intersect(_segments(report, speaker), placed.speech)
    return reference_s > 0 and intervals.total_duration_s(found) >= SPEECH_HEARD_MIN * reference_s


def _segments(report: dict, party: str) -> np.ndarray:
    spans = report["activity"][party]["segments"]
    return np.array(spans, dtype=float).reshape(-1, 2)


def _spans(report: dict, event_type: str, speaker: str) -> np.ndarray:
    return np.array([(e["start"], e["end"]) for e in _events(report, event_type)
                     if e["speaker"] == speaker], dtype=float).reshape(-1, 2)


def _events(report: dict, event_type: str) -> list[dict]:
    return [e for e in report["events"] if e["type"] == event_type]


def _truth(report: dict) -> dict:
    return json.loads((realdev.ROOT / "sample_calls" / f"{report['call_id']}.json").read_text())
