"""Full reports of each sample call, stereo and mixed to mono: do the findings survive?

Check outcomes of the mono report are compared with the stereo report's; interruptions of
both are matched with the ground truth the way the end-to-end tests match them.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import soundfile

from bench.separation_sets import SAMPLE_CALLS
from pipeline.analyze import analyze_call, get_transcriber
from pipeline.config import Config
from pipeline.decode import ANALYSIS_RATE_HZ, decode_call
from pipeline.types import CallMetadata
from tests.ground_truth import Tally, matched_pairs


def interruption_tally(report: dict, truth: dict) -> Tally:
    expected = [e for e in truth["events"] if e["type"] == "interruption"]
    found = [e for e in report["events"] if e["type"] == "interruption"]
    hits = len(matched_pairs(found, expected))
    return Tally(true_positive=hits, false_positive=len(found) - hits,
                 false_negative=len(expected) - hits)


def f1(tally: Tally) -> float:
    return 2 * tally.precision * tally.recall / max(tally.precision + tally.recall, 1e-9)


def compare_reports(config: Config, folder: Path, *, suffix: str = ".opus") -> None:
    transcriber = get_transcriber(config.transcription, Path(".callcoach").resolve())
    same = total = 0
    tallies = {"stereo": Tally(), "mono": Tally()}
    print(f"\n{suffix} recordings:")
    print(f"{'call':26s} {'checks same':>11s}  interruptions found/true (stereo, mono)  "
          "agent named by")
    for truth_path in sorted(SAMPLE_CALLS.glob("*.json")):
        truth = json.loads(truth_path.read_text())
        stereo_path = truth_path.with_suffix(suffix)
        mono_path = folder / f"{truth_path.stem}.wav"
        samples = decode_call(stereo_path, config=config.decode).samples.whole()
        soundfile.write(mono_path, np.clip(samples.sum(axis=0), -1, 1), ANALYSIS_RATE_HZ)
        metadata = CallMetadata(call_id=truth["call_id"], customer_name=truth["customer_name"])
        reports = {how: analyze_call(path, metadata, config=config,
                                     transcriber=transcriber).to_json()
                   for how, path in (("stereo", stereo_path), ("mono", mono_path))}
        checks = reports["stereo"]["checks"]
        agree = sum(checks[c]["met"] == reports["mono"]["checks"].get(c, {}).get("met")
                    for c in checks)
        same, total = same + agree, total + len(checks)
        counts = []
        for how, report in reports.items():
            tally = interruption_tally(report, truth)
            tallies[how].add(tally)
            counts.append(f"{tally.true_positive}+{tally.false_positive}/"
                          f"{tally.true_positive + tally.false_negative}")
        named_by = reports["mono"]["separation_details"]["agent_named_by"]
        print(f"{truth['call_id']:26s} {agree:5d}/{len(checks):<5d}  "
              f"{counts[0]:>18s} {counts[1]:>10s}"
              f"       {named_by}")
    print(f"check outcomes, mono same as stereo: {same}/{total} = {same / total:.1%}")
    for how, tally in tallies.items():
        print(f"interruptions {how:6s}: precision {tally.precision:.2f} recall {tally.recall:.2f} "
              f"F1 {f1(tally):.2f} (against the ground truth)")
