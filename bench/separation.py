"""Mono-call separation: diarization error, overlap detection and speed, next to stereo.

    .venv/bin/python bench/separation.py            # who-talks-when scores and speed
    .venv/bin/python bench/separation.py --checks   # plus full reports: checks, interruptions
    .venv/bin/python bench/separation.py --checks-only --band 8k  # the telephone-band versions

Each stereo call is mixed to mono (the two channels summed, as a mono recorder does) and
separated; its stereo activity (one party per channel) is scored against the same reference.
References: the sample calls' scripted turns; ``../shared/realdev/aws_call40``'s own per-party
tracks (frame energy); ``../shared/realdev/ami``'s RTTM inside its UEM (three or four people
in a meeting: a stress test for a two-party separator, scored as it is). The real recordings
are read where they lie and skipped, with a note, when that folder is absent.
"""

from __future__ import annotations

import argparse
import logging
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from audio_features.diarization_scoring import DiarizationScore, score_diarization  # noqa: E402
from bench import separation_sets as sets  # noqa: E402
from pipeline.activity import detect_speech  # noqa: E402
from pipeline.config import Config  # noqa: E402
from pipeline.decode import ANALYSIS_RATE_HZ, decode_call  # noqa: E402
from pipeline.separation import separate_voices, voice_intervals  # noqa: E402
from pipeline.transcribe import cpu_thread_count  # noqa: E402
from pipeline.types import Speaker  # noqa: E402

COLLAR_S = 0.25


def mono_mix(call: sets.ScoredCall, config: Config) -> np.ndarray:
    samples = decode_call(call.audio, config=config.decode).samples.whole()
    return np.clip(samples.sum(axis=0), -1.0, 1.0).astype(np.float32)


def score_row(name: str, how: str, call: sets.ScoredCall, hypothesis: list[np.ndarray]) -> str:
    plain = score_diarization(call.reference, hypothesis, scored_s=call.scored_s)
    collar = score_diarization(call.reference, hypothesis, scored_s=call.scored_s,
                               collar_s=COLLAR_S)
    minutes = (call.scored_s[1] - call.scored_s[0]) / 60
    return (f"{name:34s} {how:6s} {plain.error_rate:6.1%} {collar.error_rate:6.1%} "
            f"{collar.missed_s / collar.reference_s:6.1%} "
            f"{collar.false_alarm_s / collar.reference_s:6.1%} "
            f"{collar.confusion_rate:6.1%} {_share(plain.overlap_precision)} "
            f"{_share(plain.overlap_recall)} {plain.false_overlap_s / minutes * 4:8.1f} "
            f"{plain.overlap_reference_s:6.1f}")


def _share(value: float | None) -> str:
    return "     -" if value is None else f"{value:6.2f}"


def run_scores(calls: list[sets.ScoredCall], config: Config) -> tuple[float, float, float]:
    """Print one row per call and method; return audio, separation wall and CPU seconds."""
    print(f"{'call':34s} {'input':6s} {'DER':>6s} {'DER.25':>6s} {'miss':>6s} {'FA':>6s} "
          f"{'conf':>6s} {'ovP':>6s} {'ovR':>6s} {'fOV/4m':>8s} {'refOV':>6s}")
    audio_s = separation_s = cpu_s = 0.0
    for call in calls:
        if call.stereo:
            stereo = decode_call(call.audio, config=config.decode)
            activity = detect_speech(stereo, config=config.activity)
            print(score_row(call.name, "stereo", call,
                            [activity[speaker].spans for speaker in Speaker]))
            mix = mono_mix(call, config)
        else:
            import librosa

            mix = librosa.load(call.audio, sr=ANALYSIS_RATE_HZ)[0]
        started, started_cpu = time.perf_counter(), time.process_time()
        masks = separate_voices(mix, config=config.separation, activity=config.activity)
        separation_s += time.perf_counter() - started
        cpu_s += time.process_time() - started_cpu
        audio_s += len(mix) / ANALYSIS_RATE_HZ
        print(score_row(call.name, "mono", call, list(voice_intervals(masks))))
    return audio_s, separation_s, cpu_s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--checks", action="store_true",
                        help="also analyse each sample call in full, stereo and mono")
    parser.add_argument("--checks-only", action="store_true", help="skip the scores and speed")
    parser.add_argument("--band", choices=("16k", "8k"), default="16k",
                        help="which recordings of the sample calls --checks analyses")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    config = Config()
    if not sets.REALDEV.is_dir():
        print(f"note: {sets.REALDEV} is absent; scoring the sample calls only")
    calls = sets.sample_calls(".opus") + sets.sample_calls(".8k.flac") + sets.aws_call() \
        + sets.ami_excerpts()
    if not args.checks_only:
        print_scores(calls, config)
    if args.checks or args.checks_only:
        from bench.separation_checks import compare_reports

        with tempfile.TemporaryDirectory() as folder:
            compare_reports(config, Path(folder),
                            suffix=".opus" if args.band == "16k" else ".8k.flac")


def print_scores(calls: list[sets.ScoredCall], config: Config) -> None:
    separate_voices(np.zeros(ANALYSIS_RATE_HZ, dtype=np.float32), config=config.separation,
                    activity=config.activity)  # load the models before timing
    audio_s, separation_s, cpu_s = run_scores(calls, config)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    load = os.getloadavg()[0]
    print(f"\nseparation on {cpu_thread_count()} cores (load average {load:.1f}): {audio_s:.0f} s "
          f"of audio in {separation_s:.1f} s = {audio_s / separation_s:.0f}x real time; "
          f"{cpu_s:.1f} CPU-seconds = {audio_s / cpu_s:.0f}x real time per CPU-second (a floor "
          "for two idle cores)")
    print(f"peak memory of this process (decoding and separating every call): {peak_mb:.0f} MB")
    print(f"DER.25: with a {COLLAR_S} s collar; fOV/4m: overlap claimed where the reference has "
          "none, seconds per 4 minutes; refOV: reference overlap, seconds")


if __name__ == "__main__":
    main()
