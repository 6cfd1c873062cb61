"""Train the meaning matcher's heads from the rubric's examples: ``callcoach rubric train``.

For each check with a head, every sentence (or turn) of its speaker in a ``positive`` example
is a positive; those of its ``negative`` examples are negatives, and so, at a lower weight, are
the examples of the other checks (an apology is not a closing question) and the rubric's
``ordinary`` call talk.
Checks whose behaviours may share a sentence ("I'm sorry to hear that" is an apology and
empathy) never serve as each other's negatives. The head is an L2-regularised logistic
regression on each unit's features (sentence embedding and hashed n-grams, see
``pipeline.meaning.unit_features``, and its similarity to the check's own nearest positive and
hard-negative examples, see ``pipeline.neighbour_features``), fitted by L-BFGS.

``threshold`` and ``veto`` are picked by five-fold cross-validation on the same examples:
each example is scored by a head that never saw it, the phrase rules are run on it too, and
the pair that gives the best F1 for the combined decision wins (ties: the higher threshold).
The same cross-validation picks, per check, how much the n-grams weigh beside the embedding
(``LEXICAL_SCALES``; ties: the smaller): words tell blame from ownership better than the
embedding does, while a solution offered comes in too many wordings for them to help.
The ``ordinary`` talk is cut into the same folds, and a threshold the head uses on its own
(with no phrase to back it) may not be lower than the bar that at most ``ORDINARY_ALARM_BUDGET``
of the held-out ordinary sentences reach (``AVOID_ALARM_BUDGET`` for checks to avoid).
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
from pathlib import Path

import numpy as np
import scipy.optimize
import scipy.sparse

from pipeline.call_report import Polarity
from pipeline.check_heads import CheckHeads, Head, examples_digest, heads_path, save_heads
from pipeline.check_meanings import CHECK_MEANINGS
from pipeline.checks import example_transcript, run_checks
from pipeline.meaning import unit_features, unit_spans, unit_text
from pipeline.neighbour_features import COLUMNS as NEIGHBOUR_COLUMNS
from pipeline.neighbour_features import neighbour_columns
from pipeline.sentence_encoder import DIMENSION
from pipeline.rubric import CheckRule, Rubric, load_rubric, rubric_from_path_without_heads
from pipeline.text_normalize import tokenize

logger = logging.getLogger(__name__)

OTHER_CHECK_WEIGHT = 0.3  # another check's example is a weaker negative than a hard negative
L2_PENALTY = 0.1
# Candidate weights of a unit's n-gram columns beside its embedding (both of unit length);
# scaling the columns by s is an L2 penalty of L2_PENALTY / s**2 on their weights.
LEXICAL_SCALES = (0.0, 0.5, 1.0)
# Weight of the two neighbour columns beside the embedding while fitting (as for the n-grams,
# a larger scale is a weaker penalty on their weights).
NEIGHBOUR_SCALE = 1.0
# Signs the neighbour columns' weights must have: lying nearer the positives than the hard
# negatives, and among more of them, may only raise the probability.
NEIGHBOUR_SIGNS = (1, 1)
FOLDS = 5
_SEED = 20261202
# Behaviours that can share one sentence, so one's examples are no negatives for the other.
FAMILIES = (
    frozenset({"apology", "over_apology", "empathy_statement"}),
    frozenset({"solution_offered", "next_steps_set", "escalation_offered"}),
    frozenset({"negative_language", "dismissive_phrase", "blame_language",
               "agent_boundary_set"}),
)
_THRESHOLDS = tuple(np.round(np.arange(0.05, 0.951, 0.05), 2))
# A whole call holds far more everyday sentences than the corpus does, so a sentence the
# matcher finds with no phrase to back it must score above nearly all ordinary call talk. The
# bar is picked per check by the same cross-validation: the lowest threshold at which at most
# this share of held-out `[meaning] ordinary` sentences would fire the check on its own. (Fixed
# bars of 0.7 and 0.8 cost recall on heads that tell ordinary talk apart well below them: with
# them, blame's combination scored well under its matcher alone.)
ORDINARY_ALARM_BUDGET = 0.005
# A check the agent should avoid puts words in the coaching ("You told the customer what you
# couldn't do"), so a false alarm there costs more than a miss: half the budget.
AVOID_ALARM_BUDGET = 0.0025
# Never below this, whatever the ordinary talk says: a head's probability is trusted on its
# own only where it is more likely than not.
MIN_THRESHOLD_FLOOR = 0.5
_VETOES = (0.0, 0.02, 0.05, 0.1, 0.2)


def example_units(example: str, rule: CheckRule, unit: str) -> list[str]:
    """The texts the head scores in one example: its speaker's sentences or turns."""
    texts = []
    for utterance in example_transcript(example, speaker=rule.speaker):
        if utterance.speaker is rule.speaker:
            pieces = tuple(utterance.text.split())
            tokens = tokenize(pieces)
            texts.extend(unit_text(tokens, pieces, span)
                         for span in unit_spans(tokens, pieces, unit=unit))
    return texts


def fit_logistic(features, labels: np.ndarray, weights: np.ndarray, *,  # noqa: ANN001
                 signs: tuple[int, ...] = ()) -> np.ndarray:
    """Weights and bias (last) of an L2-penalised logistic regression on ``(n, d)`` features
    (dense or sparse); the bias is unpenalised. ``signs`` (+1, -1 or 0 for free) constrain the
    weights of the last ``len(signs)`` columns. L-BFGS-B: tens of thousands of hashed n-gram
    columns are too many for Newton's method, and it takes the bounds."""
    design = scipy.sparse.hstack([scipy.sparse.csr_matrix(features),
                                  np.ones((features.shape[0], 1))], format="csr")
    penalty = L2_PENALTY * np.r_[np.ones(features.shape[1]), 0.0]

    def loss_and_gradient(beta: np.ndarray) -> tuple[float, np.ndarray]:
        logits = design @ beta
        loss = weights @ (np.logaddexp(0.0, logits) - labels * logits)
        residual = weights * (1.0 / (1.0 + np.exp(-logits)) - labels)
        return (loss + 0.5 * penalty @ beta**2,
                np.asarray(design.T @ residual).ravel() + penalty * beta)

    free = (None, None)
    bounds = ([free] * (features.shape[1] - len(signs))
              + [{1: (0.0, None), -1: (None, 0.0)}.get(sign, free) for sign in signs] + [free])
    result = scipy.optimize.minimize(loss_and_gradient, np.zeros(design.shape[1]), jac=True,
                                     method="L-BFGS-B", bounds=bounds,
                                     options={"maxiter": 3000, "gtol": 1e-6, "ftol": 1e-12})
    return result.x


def train_heads(rubric: Rubric, encode, *,  # noqa: ANN001
                only: frozenset[str] = frozenset()) -> CheckHeads:
    """Heads for every check that has its own (or for the checks in ``only``, when given),
    with threshold and veto picked by CV."""
    rules_only = dataclasses.replace(rubric, heads=None)
    items = _items(rubric, rules_only)
    texts = sorted({text for entries in items.values() for _, _, units in entries
                    for text in units} | {
        text for example in rubric.ordinary
        for text in example_units(example, rubric.checks["apology"], "sentence")})
    vectors = _Features(texts, unit_features(texts, encode))
    heads = {}
    for check_id, rule in rubric.checks.items():
        if rule.head_id == check_id and (not only or check_id in only):
            heads[check_id] = _train_one(check_id, rubric, rules_only, items, vectors)
            logger.info("trained %s: threshold %.2f, veto %.2f", check_id,
                        heads[check_id].threshold, heads[check_id].veto)
    return CheckHeads(examples_digest=examples_digest(rubric), heads=heads)


def _items(rubric: Rubric, rules_only: Rubric) -> dict[str, list[tuple[str, bool, list[str]]]]:
    """Per check: (example, is positive, unit texts) for each meaning example and each
    ``examples`` line. A negative of a check with ``requires`` whose prerequisite the phrase
    rules do not find is left out: it is negative for its context, not for its words."""
    items = {}
    for check_id, rule in rubric.checks.items():
        if rule.meaning is None:
            continue
        unit = rubric.checks[rule.head_id].meaning.unit if rule.head_id else rule.meaning.unit
        negatives = [example for example in rule.meaning.negative + rule.examples_no_match
                     if _context_holds(example, rule, rules_only)]
        items[check_id] = [(example, label, example_units(example, rule, unit))
                           for label, examples in (
                               (True, rule.meaning.positive + rule.examples_match),
                               (False, tuple(negatives)))
                           for example in examples]
    return items


def _context_holds(example: str, rule: CheckRule, rules_only: Rubric) -> bool:
    if not rule.requires:
        return True
    results = run_checks(example_transcript(example, speaker=rule.speaker), rules_only,
                         customer_name=None)
    return all(results[required].met is True for required in rule.requires)


def _train_one(check_id: str, rubric: Rubric, rules_only: Rubric, items, vectors) -> Head:  # noqa: ANN001
    own = items[check_id]
    family = next((f for f in FAMILIES if check_id in f), frozenset({check_id}))
    speaker = rubric.checks[check_id].speaker
    others = [text for other, entries in items.items() if other not in family
              for _, _, units in entries for text in units]
    ordinary = [text for example in rubric.ordinary
                for text in example_units(example, rubric.checks[check_id], "sentence")]
    labels = np.array([label for _, label, _ in own])
    rule_met = np.array([run_checks(example_transcript(example, speaker=speaker), rules_only,
                                    customer_name=None)[check_id].met is True
                         for example, _, _ in own])
    budget = (AVOID_ALARM_BUDGET if CHECK_MEANINGS[check_id].polarity is Polarity.AVOID
              else ORDINARY_ALARM_BUDGET)
    rng = np.random.default_rng(_SEED)
    folds = rng.permutation(len(own)) % FOLDS
    ordinary_folds = rng.permutation(len(ordinary)) % FOLDS
    best = None
    for scale in LEXICAL_SCALES:
        scores, ordinary_scores = np.zeros(len(own)), np.zeros(len(ordinary))
        for fold in range(FOLDS):
            head = _fit(own, others, ordinary, vectors, keep=folds != fold,
                        keep_ordinary=ordinary_folds != fold, scale=scale)
            for index in np.flatnonzero(folds == fold):
                scores[index] = _max_probability(head, own[index][2], vectors)
            held_out = np.flatnonzero(ordinary_folds == fold)
            ordinary_scores[held_out] = _probabilities(head, [ordinary[i] for i in held_out],
                                                       vectors)
        floor = ordinary_floor(ordinary_scores, budget=budget)
        f1, threshold, veto = _pick(scores, labels, rule_met, floor=floor)
        if best is None or f1 > best[0] + 1e-9:
            best = (f1, scale, scores, threshold, veto, floor)
    _, scale, scores, threshold, veto, floor = best
    _, alone, _ = _pick(scores, labels, np.zeros(len(own), dtype=bool), floor=0.0)
    head = _fit(own, others, ordinary, vectors, keep=np.ones(len(own), dtype=bool),
                keep_ordinary=np.ones(len(ordinary), dtype=bool), scale=scale)
    threshold, veto = _honour_examples(rubric.checks[check_id], own, rule_met, head, vectors,
                                       threshold=threshold, veto=veto)
    logger.info("%s: n-gram scale %.1f, floor %.2f, cross-validated F1 %.3f", check_id, scale,
                floor, best[0])
    return dataclasses.replace(head, threshold=threshold, veto=veto, alone_threshold=alone)


def _honour_examples(rule: CheckRule, own, rule_met: np.ndarray, head: Head, vectors,  # noqa: ANN001
                     *, threshold: float, veto: float) -> tuple[float, float]:
    """The rubric's ``examples`` lines are what the check must do, so the final head's
    threshold rises above any no_match line it would fire on, and its veto falls below any
    match line whose phrase it would cancel (as far as the other lines allow)."""
    for (example, label, units), by_rule in zip(own, rule_met):
        probability = _max_probability(head, units, vectors)
        if example in rule.examples_no_match and not label and probability >= threshold:
            threshold = min(round(probability + 0.01, 2), 0.99)
        if example in rule.examples_match and label and by_rule and probability < veto:
            veto = max(round(probability - 0.01, 2), 0.0)
    return threshold, veto


class _Features:
    """Every training text's feature row (``unit_features``), looked up by text."""

    def __init__(self, texts: list[str], matrix: scipy.sparse.csr_matrix) -> None:
        self.matrix, self._row = matrix, {text: index for index, text in enumerate(texts)}
        self._embeddings = matrix[:, :DIMENSION].toarray()

    def embeddings(self, texts: list[str]) -> np.ndarray:
        """The texts' sentence embeddings, ``(len(texts), 384)``."""
        return self._embeddings[[self._row[text] for text in texts]]

    def rows(self, texts: list[str], *, scale: float = 1.0) -> scipy.sparse.csr_matrix:
        """The texts' rows, with the n-gram columns scaled by ``scale``."""
        rows = self.matrix[[self._row[text] for text in texts]]
        if scale == 1.0:
            return rows
        column_scale = np.r_[np.ones(DIMENSION), np.full(rows.shape[1] - DIMENSION, scale)]
        return (rows @ scipy.sparse.diags(column_scale.astype(np.float32))).tocsr()


def _fit(own, others, ordinary, vectors: _Features, *, keep: np.ndarray,  # noqa: ANN001
         keep_ordinary: np.ndarray, scale: float) -> Head:
    """One head (its threshold and veto still to pick) from the kept examples, n-gram columns
    scaled by ``scale`` while fitting. The kept examples' units are its neighbours."""
    texts, labels, weights, groups = [], [], [], []
    for index, ((_, label, units), kept) in enumerate(zip(own, keep)):
        if kept:
            texts += units
            labels += [float(label)] * len(units)
            weights += [1.0] * len(units)
            groups += [index] * len(units)
    neighbours = vectors.embeddings(texts)
    neighbour_positive, neighbour_groups = np.array(labels) == 1.0, np.array(groups)
    ordinary = [text for text, kept in zip(ordinary, keep_ordinary) if kept]
    texts += others + ordinary
    labels += [0.0] * (len(others) + len(ordinary))
    weights += [OTHER_CHECK_WEIGHT] * len(others) + [1.0] * len(ordinary)
    groups += [-1] * (len(others) + len(ordinary))
    labels_array, weights_array = np.array(labels), np.array(weights)
    positive = labels_array == 1.0  # balance the classes: positives weigh as much as the rest
    weights_array[positive] *= weights_array[~positive].sum() / max(weights_array[positive].sum(), 1e-9)
    # A training unit is never its own neighbour, nor one of its example's other units.
    near = neighbour_columns(vectors.embeddings(texts), neighbours, neighbour_positive,
                             excluded=np.array(groups)[:, None] == neighbour_groups[None, :])
    design = scipy.sparse.hstack([vectors.rows(texts, scale=scale),
                                  scipy.sparse.csr_matrix(near * NEIGHBOUR_SCALE)], format="csr")
    beta = fit_logistic(design, labels_array, weights_array, signs=NEIGHBOUR_SIGNS)
    beta[DIMENSION:-1 - NEIGHBOUR_COLUMNS] *= scale  # the same logits from unscaled columns
    beta[-1 - NEIGHBOUR_COLUMNS:-1] *= NEIGHBOUR_SCALE
    return Head(weights=beta[:-1].astype(np.float32), bias=float(beta[-1]), threshold=1.0,
                veto=0.0, alone_threshold=1.0, neighbours=neighbours,
                neighbour_positive=neighbour_positive)


def _probabilities(head: Head, units: list[str], vectors: _Features) -> np.ndarray:
    if not units:
        return np.zeros(0)
    return head.probability(vectors.rows(units))


def ordinary_floor(ordinary_scores: np.ndarray, *, budget: float) -> float:
    """The lowest candidate threshold at which at most ``budget`` of the (held-out) ordinary
    sentences would reach it, and never under ``MIN_THRESHOLD_FLOOR``."""
    for threshold in (t for t in _THRESHOLDS if t >= MIN_THRESHOLD_FLOOR):
        if not len(ordinary_scores) or (ordinary_scores >= threshold).mean() <= budget:
            return float(threshold)
    return float(_THRESHOLDS[-1])


def _max_probability(head: Head, units: list[str], vectors: _Features) -> float:
    return float(_probabilities(head, units, vectors).max()) if units else 0.0


def _pick(scores: np.ndarray, labels: np.ndarray, rule_met: np.ndarray, *,
          floor: float) -> tuple[float, float, float]:
    """The best F1 of the combined decision, and the threshold and veto that give it."""
    best = (-1.0, 0.0, 0.0, 0.0)
    for threshold in (t for t in _THRESHOLDS if t >= floor):
        for veto in (v for v in _VETOES if v <= threshold):
            predicted = (scores >= threshold) | (rule_met & (scores >= veto))
            true_positives = (predicted & labels).sum()
            f1 = 2 * true_positives / max(predicted.sum() + labels.sum(), 1)
            best = max(best, (f1, threshold, -veto, veto))
    return float(best[0]), float(best[1]), float(best[3])


def register(subparsers: argparse._SubParsersAction) -> None:
    rubric = subparsers.add_parser("rubric", help="the transcript rubric's meaning matcher")
    actions = rubric.add_subparsers(dest="rubric_action", required=True)
    train = actions.add_parser("train", help="train the matcher's heads from the rubric examples")
    train.add_argument("--rubric", type=Path, default=None,
                       help="rubric file (default: the packaged pipeline/rubric.toml)")
    train.set_defaults(handler=_train_command)


def _train_command(args: argparse.Namespace) -> int:
    from pipeline.sentence_encoder import default_encoder

    rubric = rubric_from_path_without_heads(args.rubric)
    heads = train_heads(rubric, default_encoder().encode)
    path = heads_path(args.rubric)
    save_heads(heads, path)
    print(f"trained {len(heads.heads)} heads from {rubric.version}; wrote {path}")
    return 0
