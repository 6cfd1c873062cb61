"""Accuracy of the findings on the bundled sample calls and on real recordings.

Runs the real ``callcoach analyze`` (a subprocess, as a user would) and prints, per data set:

- sample calls (both versions, with transcripts): interruptions, backchannels, raised voice
  and long silences against the ground truth, and the transcripts' word error rate and
  rubric check outcomes;
- acted anger (RAVDESS, TESS from ``../shared/realdev``), built into stereo calls with calm
  speech first and in the majority: raised-voice recall per sex and intensity, false alarms on
  neutral clips, and whether each strongly angry clip was heard as speech;
- a real two-party service call (``aws_call40``): speech found against each party's own track,
  talk share, the real overlaps, and false raised-voice events per minute.

The real recordings stay outside the project; without ``../shared/realdev`` that part says so
and is skipped. Run: .venv/bin/python bench/accuracy.py [--no-sample-transcripts]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import realdev  # noqa: E402
from bench.accuracy_tables import (acted_table, real_call_table,  # noqa: E402
                                   sample_call_table, transcript_table)

SAMPLE_DIR = ROOT / "sample_calls"


def analyze(paths: list[Path], folder: Path, *extra: str) -> dict[Path, dict]:
    """Each call's report from one ``callcoach analyze`` run (the model loads once)."""
    folder.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "pipeline.cli", "analyze", *map(str, paths),
               "--json", str(folder), *extra]
    subprocess.run(command, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    return {path: json.loads((folder / f"{path.name}.report.json").read_text()) for path in paths}


def sample_calls(folder: Path, *, transcripts: bool) -> None:
    paths = sorted(SAMPLE_DIR.glob("*.opus")) + sorted(SAMPLE_DIR.glob("*.8k.flac"))
    started = time.perf_counter()
    reports = {}
    for call_id in sorted({path.name.split(".")[0] for path in paths}):
        # Each call with its own customer's name, as a user would give it (--customer-name).
        truth = json.loads((SAMPLE_DIR / f"{call_id}.json").read_text())
        versions = [path for path in paths if path.name.split(".")[0] == call_id]
        extra = ["--customer-name", truth["customer_name"]] if truth.get("customer_name") else []
        reports |= analyze(versions, folder / "samples",
                           *extra, *(() if transcripts else ("--no-transcript",)))
    print(f"\n## Sample calls: {len(paths)} recordings, "
          f"{'with' if transcripts else 'without'} transcripts "
          f"({time.perf_counter() - started:.0f} s)")
    print(sample_call_table(reports))
    if transcripts:
        print("\nTranscripts (tiny.en) and rubric checks on the same recordings:")
        print(transcript_table(reports))


def acted_anger(folder: Path) -> None:
    for corpus, clips, partners in (
            ("RAVDESS", realdev.ravdess_clips(), realdev.ravdess_clips()),
            ("TESS", realdev.tess_clips(), realdev.ravdess_clips())):
        calls = realdev.build_acted_calls(clips, partners, folder / corpus)
        reports = analyze([call.path for call in calls], folder / f"{corpus}-reports",
                          "--no-transcript")
        print(f"\n## Acted anger, {corpus}: {len(calls)} stereo calls built from "
              f"{len(clips)} clips (one angry clip each, after three calm ones)")
        print(acted_table(calls, reports))


def real_call(folder: Path) -> None:
    base = realdev.REALDEV / "aws_call40" / "Auto_Repairs_40_UTC"
    stereo = Path(f"{base}_stereo_L-agent_R-caller.wav")
    reports = analyze([stereo], folder / "real-call")
    tracks = {party: realdev.load_clip(Path(f"{base}_{name}.wav"))
              for party, name in (("agent", "agent"), ("customer", "caller"))}
    print(f"\n## Real service call: {stereo.name} (8 kHz, one track per party)")
    print(real_call_table(reports[stereo], tracks))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-sample-transcripts", action="store_true",
                        help="analyse the sample calls without Whisper (faster; the word "
                             "rules for backchannels are then not exercised)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="callcoach-accuracy-") as tmp:
        folder = Path(tmp)
        sample_calls(folder, transcripts=not args.no_sample_transcripts)
        if not realdev.available():
            print(f"\n{realdev.REALDEV} is absent: the real-recording figures are skipped. "
                  "Put the realdev recordings there to measure them.")
            return
        acted_anger(folder)
        real_call(folder)


if __name__ == "__main__":
    main()
