"""Rubric checks measured on the development half alone, by cross-validation.

    OPENBLAS_NUM_THREADS=1 .venv/bin/python bench/check_dev.py [--folds 5] [--checks ID ...]
        [--verbose] [--alarm-budget SHARE AVOID_SHARE] [--vetoes P ...] [--l2 X] [--lexical-scales X ...]
        [--neighbour-scale X] [--neighbours K] [--negation-reach N]
        [--scored-examples EARLIER_RUBRIC]

(one BLAS thread: the many small fits run several times faster on shared cores.)

The rubric's ``meaning`` examples are cut into folds; for each fold the heads are trained on
the other folds (with ``callcoach rubric train``'s own code, thresholds included) and the held-out
examples are run through the real ``run_checks``, as ``bench/checks.py`` runs the test part.
This is the figure to watch while editing examples or changing the matcher: the test part
(``bench/check_corpus/test.tsv``) is read only for the final score, never to make a choice.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import pipeline.check_training as check_training  # noqa: E402
import pipeline.lexical_features as lexical_features  # noqa: E402
import pipeline.neighbour_features as neighbour_features  # noqa: E402
import pipeline.sentence_encoder as sentence_encoder  # noqa: E402
from bench.checks import f1_parts  # noqa: E402
from pipeline.check_training import train_heads  # noqa: E402
from pipeline.checks import example_transcript, run_checks  # noqa: E402
from pipeline.rubric import Rubric, rubric_from_path_without_heads  # noqa: E402

_SEED = 7
ALWAYS_TRAINED = -1  # the fold of an example that is never held out


class CachedEncoder:
    """The packaged encoder, each distinct text embedded once for the whole run."""

    def __init__(self) -> None:
        self._encoder = sentence_encoder.default_encoder()
        self._vectors: dict[str, np.ndarray] = {}

    def encode(self, texts: list[str] | tuple[str, ...]) -> np.ndarray:
        missing = [text for text in dict.fromkeys(texts) if text not in self._vectors]
        if missing:
            self._vectors.update(zip(missing, self._encoder.encode(missing)))
        if not texts:
            return np.zeros((0, sentence_encoder.DIMENSION), dtype=np.float32)
        return np.stack([self._vectors[text] for text in texts])


_RULE_RESULTS: dict = {}


def rules_once(transcript, rubric: Rubric, *, customer_name):  # noqa: ANN001, ANN201
    """``run_checks``, remembered for the phrase rules alone (examples never change them)."""
    if rubric.heads is not None:
        return run_checks(transcript, rubric, customer_name=customer_name)
    key = (transcript, customer_name)
    if key not in _RULE_RESULTS:
        _RULE_RESULTS[key] = run_checks(transcript, rubric, customer_name=customer_name)
    return _RULE_RESULTS[key]


def fold_of(rubric: Rubric, folds: int) -> dict[tuple[str, bool, str], int]:
    """A fold for every meaning example, stratified per check and label."""
    rng = np.random.default_rng(_SEED)
    assignment = {}
    for check_id, rule in rubric.checks.items():
        if rule.meaning is None:
            continue
        for label, examples in ((True, rule.meaning.positive), (False, rule.meaning.negative)):
            order = rng.permutation(len(examples))
            for rank, index in enumerate(order):
                assignment[(check_id, label, examples[index])] = rank % folds
    return assignment


def without_fold(rubric: Rubric, assignment: dict, fold: int) -> Rubric:
    checks = {}
    for check_id, rule in rubric.checks.items():
        if rule.meaning is not None:
            meaning = dataclasses.replace(
                rule.meaning,
                positive=tuple(e for e in rule.meaning.positive
                               if assignment.get((check_id, True, e), ALWAYS_TRAINED) != fold),
                negative=tuple(e for e in rule.meaning.negative
                               if assignment.get((check_id, False, e), ALWAYS_TRAINED) != fold))
            rule = dataclasses.replace(rule, meaning=meaning)
        checks[check_id] = rule
    return dataclasses.replace(rubric, checks=checks)


def heads_needed(rubric: Rubric, checks: set[str]) -> frozenset[str]:
    """The heads that can change these checks' outcomes: their own and those of the checks
    they require (none named: all heads). Training only these makes a run on a few checks
    take minutes rather than most of an hour."""
    needed = set()
    for check_id in checks:
        rule = rubric.checks[check_id]
        needed |= {rule.head_id} | heads_needed(rubric, set(rule.requires))
    return frozenset(needed - {None})


def cross_validate(rubric: Rubric, folds: int, encoder: CachedEncoder, only: set[str], *,
                   verbose: bool, scored: Rubric | None = None) -> dict[str, dict[str, Counter]]:
    """Counts per way and check over the held-out examples. With ``scored`` (an earlier
    version of the rubric), only its examples are held out and scored, in the folds they had
    then, and examples added since are always trained on: the figure is then comparable with
    that version's, on the same held-out examples."""
    assignment = fold_of(scored or rubric, folds)
    counts: dict[str, dict[str, Counter]] = {"rules": {}, "combined": {}}
    for fold in range(folds):
        trained = train_heads(without_fold(rubric, assignment, fold), encoder.encode,
                              only=heads_needed(rubric, only))
        ways = {"rules": rubric, "combined": dataclasses.replace(rubric, heads=trained)}
        for (check_id, want, example), example_fold in assignment.items():
            if example_fold != fold or (only and check_id not in only):
                continue
            speaker = rubric.checks[check_id].speaker
            transcript = example_transcript(example, speaker=speaker)
            for way, variant in ways.items():
                got = rules_once(transcript, variant, customer_name=None)[check_id].met is True
                tally = counts[way].setdefault(check_id, Counter())
                tally["tp" if got and want else "fp" if got else "fn" if want else "tn"] += 1
                if way == "combined" and got != want and verbose:
                    print(f"  {'FN' if want else 'FP'} {check_id}: {example}")
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--checks", nargs="*", default=[])
    parser.add_argument("--verbose", action="store_true", help="print every wrong outcome")
    parser.add_argument("--alarm-budget", type=float, nargs=2, default=None,
                        metavar=("SHARE", "AVOID_SHARE"),
                        help="try other shares of held-out ordinary talk a head may fire on "
                             "alone (checks to show, checks to avoid)")
    parser.add_argument("--vetoes", type=float, nargs="*", default=None,
                        help="try other veto candidates")
    parser.add_argument("--l2", type=float, default=None, help="try another L2 penalty")
    parser.add_argument("--scored-examples", type=Path, default=None, metavar="RUBRIC",
                        help="hold out and score only this (earlier) rubric file's examples, "
                             "in its folds, training on the rest always: how much new "
                             "examples help on the old ones, which a plain run cannot say "
                             "because new examples change the folds and the questions")
    parser.add_argument("--lexical-scales", type=float, nargs="*", default=None,
                        help="try other candidate weights of the n-grams beside the embedding "
                             "(0 alone: the embedding only)")
    parser.add_argument("--neighbour-scale", type=float, default=None,
                        help="try another weight of the neighbour columns (0: none)")
    parser.add_argument("--neighbours", type=int, default=None,
                        help="try another number of nearest examples averaged")
    parser.add_argument("--negation-reach", type=int, default=None,
                        help="try another number of words a negation cue marks (0: none)")
    args = parser.parse_args()
    if args.negation_reach is not None:
        lexical_features.NEGATION_REACH = args.negation_reach
    if args.neighbour_scale is not None:
        check_training.NEIGHBOUR_SCALE = args.neighbour_scale
    if args.neighbours is not None:
        neighbour_features.NEIGHBOURS = args.neighbours
    if args.lexical_scales is not None:
        check_training.LEXICAL_SCALES = tuple(args.lexical_scales)
    if args.l2 is not None:
        check_training.L2_PENALTY = args.l2
    if args.alarm_budget is not None:
        check_training.ORDINARY_ALARM_BUDGET, check_training.AVOID_ALARM_BUDGET = args.alarm_budget
    if args.vetoes is not None:
        check_training._VETOES = tuple(args.vetoes)
    encoder = CachedEncoder()
    sentence_encoder.default_encoder = lambda: encoder  # run_checks looks it up per call
    check_training.run_checks = rules_once
    rubric = rubric_from_path_without_heads(None)
    scored = (rubric_from_path_without_heads(args.scored_examples)
              if args.scored_examples else None)
    counts = cross_validate(rubric, args.folds, encoder, set(args.checks),
                            verbose=args.verbose, scored=scored)
    print(f"\n== development half, {args.folds}-fold cross-validation: P / R / F1")
    print(f"{'check':30s} " + "  ".join(f"{way:>16s}" for way in counts))
    macro = {way: [] for way in counts}
    for check_id in counts["combined"]:
        cells = []
        for way in counts:
            precision, recall, f1 = f1_parts(counts[way][check_id])
            macro[way].append(f1)
            cells.append(f"{precision:.2f}/{recall:.2f}/{f1:.2f}")
        print(f"{check_id:30s} " + "  ".join(f"{cell:>16s}" for cell in cells))
    print(f"{'macro F1':30s} " + "  ".join(
        f"{sum(values) / len(values):16.3f}" for values in macro.values()))


if __name__ == "__main__":
    main()
