"""The meaning matcher's trained part: one small logistic-regression head per rubric check.

Each head reads a sentence's embedding (``pipeline.sentence_encoder``) and its word and
character n-grams (``pipeline.lexical_features``), and gives the probability that the sentence
shows the check's behaviour. Heads are trained from the rubric's own
``meaning`` examples by ``callcoach rubric train`` and stored beside the rubric file
(``rubric.toml`` -> ``rubric.heads.npz``). The file records a digest of the
examples it was trained on; a rubric whose examples changed since refuses to load until the
heads are trained again, so an edit can never be silently ignored.

Each head also carries two probabilities picked on the examples by cross-validation:
``threshold`` (the matcher alone finds the behaviour) and ``veto`` (below it, a phrase rule's
match is taken for a false alarm). ``pipeline.meaning`` applies them.
"""

from __future__ import annotations

import hashlib
import importlib.resources
import json
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Mapping

import numpy as np

from pipeline.errors import ConfigError

if TYPE_CHECKING:
    from pipeline.rubric import Rubric

FORMAT_VERSION = 2  # 2: heads read n-grams beside the embedding


@dataclass(frozen=True, slots=True, kw_only=True)
class Head:
    weights: np.ndarray  # (384 + lexical columns,) float32, read-only
    bias: float
    threshold: float  # probability at which the matcher alone finds the behaviour
    veto: float  # probability under which a phrase rule's match is discarded
    alone_threshold: float  # the best threshold with no phrase rules at all (benchmarks)

    def probability(self, features) -> np.ndarray:  # noqa: ANN001
        """``(n,)`` probabilities for ``(n, columns)`` unit features (dense or sparse), as
        ``pipeline.meaning.unit_features`` builds them."""
        if features.shape[1] != len(self.weights):
            raise ConfigError(f"the matcher's heads read {len(self.weights)} features but "
                              f"were given {features.shape[1]}; run: callcoach rubric train")
        logits = np.asarray(features @ self.weights).ravel() + self.bias
        return 1.0 / (1.0 + np.exp(-logits))


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckHeads:
    examples_digest: str  # what the heads were trained on (see ``examples_digest``)
    heads: Mapping[str, Head]


def heads_path(rubric_path: Path | None) -> Path:
    """Where a rubric's heads live: beside it, ``NAME.heads.npz``."""
    if rubric_path is None:
        return Path(str(importlib.resources.files("pipeline").joinpath("rubric.heads.npz")))
    return rubric_path.with_name(rubric_path.stem + ".heads.npz")


def examples_digest(rubric: Rubric) -> str:
    """sha256 of everything training reads: examples, units, speakers and the phrase rules
    (thresholds are picked with the rules of the day, so a phrase edit needs new heads)."""
    from pipeline.check_training import LEXICAL_SCALES
    from pipeline.lexical_features import DIMENSION
    from pipeline.sentence_encoder import MODEL_SHA256

    content = {cid: [rule.speaker.value, rule.meaning.unit, rule.meaning.positive,
                     rule.meaning.negative, rule.examples_match, rule.examples_no_match,
                     rule.requires, [phrase.text for phrase in rule.phrases],
                     [pattern.pattern for pattern in rule.patterns]]
               for cid, rule in rubric.checks.items() if rule.meaning is not None}
    features = [MODEL_SHA256, DIMENSION, LEXICAL_SCALES]  # what the weights are weights of
    text = json.dumps([FORMAT_VERSION, features, content, rubric.ordinary], sort_keys=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def save_heads(heads: CheckHeads, path: Path) -> None:
    ids = sorted(heads.heads)
    np.savez_compressed(
        path, check_ids=np.array(ids), digest=np.array(heads.examples_digest),
        weights=np.stack([heads.heads[cid].weights for cid in ids]).astype(np.float32),
        params=np.array([[heads.heads[cid].bias, heads.heads[cid].threshold,
                          heads.heads[cid].veto, heads.heads[cid].alone_threshold]
                         for cid in ids], dtype=np.float64))


def load_heads(path: Path, rubric: Rubric) -> CheckHeads:
    """Read the heads for ``rubric`` from ``path``; a copy of the packaged rubric whose examples
    and phrases are unchanged may also use the packaged heads. A missing or stale file is an
    error naming the command that fixes it."""
    fix = "run: callcoach rubric train" + ("" if path.name == "rubric.heads.npz"
                                           else f" --rubric {path.with_name(path.name[:-10])}.toml")
    wanted = examples_digest(rubric)
    for candidate in dict.fromkeys((path, heads_path(None))):
        if candidate.is_file():
            heads = _read(candidate)
            if heads.examples_digest == wanted:
                return heads
    if path.is_file():
        raise ConfigError(f"{path} was trained on other meaning examples than the rubric's; {fix}")
    raise ConfigError(f"the rubric has meaning examples but no trained matcher at {path}; {fix}")


def _read(path: Path) -> CheckHeads:
    with np.load(path, allow_pickle=False) as data:
        digest = str(data["digest"])
        ids, weights, params = [str(i) for i in data["check_ids"]], data["weights"], data["params"]
    heads = {}
    for cid, row, (bias, threshold, veto, alone) in zip(ids, weights, params):
        row = row.copy()
        row.flags.writeable = False
        heads[cid] = Head(weights=row, bias=float(bias), threshold=float(threshold),
                          veto=float(veto), alone_threshold=float(alone))
    return CheckHeads(examples_digest=digest, heads=MappingProxyType(heads))
