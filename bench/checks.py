"""Rubric checks: phrase rules alone, the meaning matcher alone and the two combined.

    .venv/bin/python bench/checks.py [--skip-realdev] [--analysis-calls N]

1. Accuracy on the test part of the labelled corpus (``bench/check_corpus/test.tsv``; the
   development part is the rubric's ``meaning`` examples, the only ones training and the
   choice of thresholds ever see). Each line is a short transcript run through the real
   ``run_checks``; per check: precision, recall and F1 for each of the three ways, and macro F1.
   ``agent_introduction`` and ``customer_name_used`` are decided by rules in every column.
2. Real phrasing: Switchboard telephone dialogue acts from ``../shared/realdev/switchboard``
   (not shipped; skipped with a message when absent), read as agent or customer sentences:
   apologies (fa) should be apologies, reformulations (bf) clarifications, while thanks (ft),
   backchannels (b) and plain questions (qy, qw) should fire no check.
3. Cost: the time and memory the matcher adds per sample call (its ground-truth transcript),
   and, with ``--analysis-calls N``, the same call's whole analysis time for the ratio.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import json
import re
import resource
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.checks import example_transcript, run_checks  # noqa: E402
from pipeline.rubric import Rubric, load_rubric  # noqa: E402
from pipeline.types import Speaker, Utterance, Word  # noqa: E402

CORPUS = ROOT / "bench" / "check_corpus" / "test.tsv"
SWITCHBOARD = ROOT.parent / "shared" / "realdev" / "switchboard" / "discourse"
SAMPLE_CALLS = ROOT / "sample_calls"


def variants(rubric: Rubric) -> dict[str, Rubric]:
    """The three ways: rules (no heads); matcher (no phrases where a head exists, each head at
    its own best threshold without rules); both (the shipped rubric)."""
    matcher_checks = {cid: (dataclasses.replace(rule, phrases=(), patterns=())
                            if rule.head_id else rule)
                      for cid, rule in rubric.checks.items()}
    alone = {cid: dataclasses.replace(head, threshold=head.alone_threshold)
             for cid, head in rubric.heads.heads.items()}
    return {"rules": dataclasses.replace(rubric, heads=None),
            "matcher": dataclasses.replace(rubric, checks=matcher_checks,
                                           heads=dataclasses.replace(rubric.heads, heads=alone)),
            "combined": rubric}


def corpus_scores(ways: dict[str, Rubric]) -> dict[str, dict[str, Counter]]:
    counts: dict[str, dict[str, Counter]] = {way: {} for way in ways}
    with CORPUS.open(newline="") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            check_id, want = row["check"], row["label"] == "positive"
            speaker = ways["rules"].checks[check_id].speaker
            transcript = example_transcript(row["text"], speaker=speaker)
            for way, rubric in ways.items():
                got = run_checks(transcript, rubric, customer_name=None)[check_id].met is True
                tally = counts[way].setdefault(check_id, Counter())
                tally["tp" if got and want else "fp" if got else "fn" if want else "tn"] += 1
    return counts


def f1_parts(tally: Counter) -> tuple[float, float, float]:
    precision = tally["tp"] / max(tally["tp"] + tally["fp"], 1)
    recall = tally["tp"] / max(tally["tp"] + tally["fn"], 1)
    f1 = 2 * tally["tp"] / max(2 * tally["tp"] + tally["fp"] + tally["fn"], 1)
    return precision, recall, f1


def print_corpus(counts: dict[str, dict[str, Counter]]) -> None:
    ways = list(counts)
    print(f"\n== test part of the corpus ({CORPUS.relative_to(ROOT)}): P / R / F1")
    print(f"{'check':30s} {'n+':>3s} {'n-':>3s}  " + "  ".join(f"{w:>16s}" for w in ways))
    macro = {way: [] for way in ways}
    for check_id in counts["rules"]:
        tally = counts["rules"][check_id]
        cells = []
        for way in ways:
            precision, recall, f1 = f1_parts(counts[way][check_id])
            macro[way].append(f1)
            cells.append(f"{precision:.2f}/{recall:.2f}/{f1:.2f}")
        print(f"{check_id:30s} {tally['tp'] + tally['fn']:3d} {tally['fp'] + tally['tn']:3d}  "
              + "  ".join(f"{cell:>16s}" for cell in cells))
    print(f"{'macro F1':38s}  " + "  ".join(
        f"{sum(values) / len(values):16.3f}" for values in macro.values()))
    for way in ways:
        below = [cid for cid in counts[way] if f1_parts(counts[way][cid])[2] < 0.9]
        print(f"{way}: {len(below)} checks below F1 0.9: {', '.join(below) or '-'}")


def switchboard_acts() -> dict[str, list[str]]:
    """Cleaned utterances per dialogue-act tag (disfluency markup removed)."""
    acts: dict[str, list[str]] = {}
    for line in SWITCHBOARD.read_text(encoding="utf-8", errors="replace").splitlines():
        tag, _, rest = line.partition(" ")
        text = rest.partition(": ")[2]
        text = re.sub(r"<[^>]*>|\{[A-Z] |[\[\]{}+#/]|--", " ", text)
        text = " ".join(text.replace(" ,", ",").split())
        if text:
            acts.setdefault(tag.strip(), []).append(text)
    return acts


SWITCHBOARD_PLAN = (  # (tags, check, speaker, should fire, most utterances read)
    (("fa",), "apology", Speaker.AGENT, True, 50),
    (("bf",), "paraphrase_or_clarify", Speaker.AGENT, True, 100),
    (("ft",), "apology", Speaker.AGENT, False, 50),
    (("ft",), "empathy_statement", Speaker.AGENT, False, 50),
    (("b", "ba", "bk"), "*agent", Speaker.AGENT, False, 300),
    (("b", "ba", "bk"), "*customer", Speaker.CUSTOMER, False, 300),
    (("qy", "qw"), "paraphrase_or_clarify", Speaker.AGENT, False, 200),
    (("qy", "qw"), "closing_check", Speaker.AGENT, False, 200),
)


def print_switchboard(ways: dict[str, Rubric]) -> None:
    if not SWITCHBOARD.is_file():
        print(f"\n== Switchboard: skipped, {SWITCHBOARD} is absent (see shared/realdev/README.md)")
        return
    acts = switchboard_acts()
    print(f"\n== real phrasing, Switchboard dialogue acts ({SWITCHBOARD}): share that fires")
    print(f"{'acts':12s} {'check':24s} {'want':>5s} {'n':>4s}  " + "  ".join(
        f"{w:>8s}" for w in ways))
    for tags, check_id, speaker, want, most in SWITCHBOARD_PLAN:
        texts = [text for tag in tags for text in acts.get(tag, [])][:most]
        shares = []
        for rubric in ways.values():
            fired = 0
            for text in texts:
                utterance = example_transcript(text, speaker=speaker)
                results = run_checks(utterance, rubric, customer_name=None)
                if check_id.startswith("*"):  # any check of that speaker at all
                    fired += any(r.met is True and rubric.checks[c].speaker is speaker
                                 for c, r in results.items())
                else:
                    fired += results[check_id].met is True
            shares.append(fired / max(len(texts), 1))
        label = "any " + check_id[1:] + " check" if check_id.startswith("*") else check_id
        print(f"{'+'.join(tags):12s} {label:24s} {'yes' if want else 'no':>5s} {len(texts):4d}  "
              + "  ".join(f"{share:8.2f}" for share in shares))


def call_transcript(truth: dict) -> tuple[Utterance, ...]:
    utterances = []
    for turn in truth["turns"]:
        pieces = turn["text"].split()
        step = (turn["end_s"] - turn["start_s"]) / max(len(pieces), 1)
        words = tuple(Word(word=p, start_s=turn["start_s"] + i * step,
                           end_s=turn["start_s"] + (i + 1) * step, probability=1.0)
                      for i, p in enumerate(pieces))
        utterances.append(Utterance(speaker=Speaker(turn["speaker"]), start_s=turn["start_s"],
                                    end_s=turn["end_s"], text=turn["text"], words=words))
    return tuple(utterances)


def print_cost(ways: dict[str, Rubric], analysis_calls: int) -> None:
    print("\n== cost per sample call (ground-truth transcripts; the model loads once per process)")
    added = []
    for path in sorted(SAMPLE_CALLS.glob("*.json")):
        truth = json.loads(path.read_text())
        transcript = call_transcript(truth)
        timings = {}
        for way in ("rules", "combined"):
            started = time.perf_counter()
            for _ in range(3):
                run_checks(transcript, ways[way], customer_name=truth.get("customer_name"))
            timings[way] = (time.perf_counter() - started) / 3
        added.append((path.stem, truth["duration_s"], timings["combined"] - timings["rules"]))
        print(f"{path.stem:24s} {truth['duration_s']:6.1f} s call, {len(transcript):3d} turns: "
              f"rules {timings['rules'] * 1000:6.1f} ms, combined "
              f"{timings['combined'] * 1000:6.1f} ms (+{added[-1][2] * 1000:.0f} ms)")
    if analysis_calls:
        print_analysis_ratio(added[:analysis_calls])


def resident_mb() -> float:
    return int(Path("/proc/self/statm").read_text().split()[1]) * resource.getpagesize() / 2**20


def print_model_memory() -> None:
    """Resident memory the model adds to a process that already runs the phrase rules."""
    from pipeline.sentence_encoder import default_encoder

    before = resident_mb()
    started = time.perf_counter()
    default_encoder().encode(["a sentence to warm the model up"] * 32)
    print(f"model: loaded in {time.perf_counter() - started:.2f} s; resident memory "
          f"{before:.0f} MB before, {resident_mb():.0f} MB after (+{resident_mb() - before:.0f} MB)")


def print_analysis_ratio(added: list[tuple[str, float, float]]) -> None:
    """The whole analysis of the same calls (decode, VAD, Whisper tiny.en, checks), warm."""
    import tempfile

    from pipeline.analyze import analyze_call, get_transcriber
    from pipeline.config import Config
    from pipeline.types import CallMetadata

    config = Config()
    with tempfile.TemporaryDirectory() as home:
        transcriber = get_transcriber(config.transcription, Path(home))
        for name, _, extra_s in added:
            path = SAMPLE_CALLS / f"{name}.opus"
            analyze_call(path, CallMetadata(call_id="warm-up"), config=config,
                         transcriber=transcriber)
            started = time.perf_counter()
            analyze_call(path, CallMetadata(call_id=name), config=config, transcriber=transcriber)
            whole_s = time.perf_counter() - started
            print(f"{name:24s} whole analysis {whole_s:6.2f} s; the matcher adds "
                  f"{extra_s * 1000:.0f} ms = {100 * extra_s / whole_s:.1f} %")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-realdev", action="store_true")
    parser.add_argument("--analysis-calls", type=int, default=0,
                        help="also time the whole analysis of this many sample calls")
    args = parser.parse_args()
    print_model_memory()
    ways = variants(load_rubric())
    print_corpus(corpus_scores(ways))
    if not args.skip_realdev:
        print_switchboard(ways)
    print_cost(ways, args.analysis_calls)


if __name__ == "__main__":
    main()
