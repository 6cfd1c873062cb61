"""The meaning matcher's trained part: one small logistic-regression head per rubric check.

Each head reads a sentence's embedding (``pipeline.sentence_encoder``), its word and
character n-grams (``pipeline.lexical_features``) and how close it lies to the check's own
examples (``pipeline.neighbour_features``: the head keeps their embeddings), and gives the
probability that the sentence shows the check's behaviour. Heads are trained from the rubric's own
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
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Mapping

import numpy as np

from pipeline.errors import ConfigError
from pipeline.neighbour_features import COLUMNS as NEIGHBOUR_COLUMNS
from pipeline.neighbour_features import neighbour_columns
from pipeline.sentence_encoder import DIMENSION as EMBEDDING_DIMENSION

if TYPE_CHECKING:
    from pipeline.rubric import Rubric

FORMAT_VERSION = 3  # 2: heads read n-grams beside the embedding; 3: and neighbours
_NO_NEIGHBOURS = np.zeros((0, EMBEDDING_DIMENSION), dtype=np.float32)


@dataclass(frozen=True, slots=True, kw_only=True)
class Head:
    weights: np.ndarray  # (384 + lexical + neighbour columns,) float32, read-only
    bias: float
    threshold: float  # probability at which the matcher alone finds the behaviour
    veto: float  # probability under which a phrase rule's match is discarded
    alone_threshold: float  # the best threshold with no phrase rules at all (benchmarks)
    # embeddings of the check's own example units, and which of them are positive
    neighbours: np.ndarray = field(default_factory=lambda: _NO_NEIGHBOURS)
    neighbour_positive: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))

    def probability(self, features) -> np.ndarray:  # noqa: ANN001
        """``(n,)`` probabilities for ``(n, columns)`` unit features (dense or sparse), as
        ``pipeline.meaning.unit_features`` builds them."""
        read = len(self.weights) - NEIGHBOUR_COLUMNS
        if features.shape[1] != read:
            raise ConfigError(f"the matcher's heads read {read} features but "
                              f"were given {features.shape[1]}; run: callcoach rubric train")
        embeddings = features[:, :EMBEDDING_DIMENSION]
        embeddings = embeddings.toarray() if hasattr(embeddings, "toarray") else embeddings
        near = neighbour_columns(embeddings, self.neighbours, self.neighbour_positive)
        logits = (np.asarray(features @ self.weights[:read]).ravel()
                  + near @ self.weights[read:] + self.bias)
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
    from pipeline.check_training import LEXICAL_SCALES, NEIGHBOUR_SCALE
    from pipeline.lexical_features import (DIMENSION, NEGATION_BREAKS, NEGATION_CUES,
                                           NEGATION_REACH)
    from pipeline.neighbour_features import NEIGHBOURS
    from pipeline.sentence_encoder import MODEL_SHA256

    content = {cid: [rule.speaker.value, rule.meaning.unit, rule.meaning.positive,
                     rule.meaning.negative, rule.examples_match, rule.examples_no_match,
                     rule.requires, [phrase.text for phrase in rule.phrases],
                     [pattern.pattern for pattern in rule.patterns]]
               for cid, rule in rubric.checks.items() if rule.meaning is not None}
    # what the weights are weights of
    features = [MODEL_SHA256, DIMENSION, sorted(NEGATION_CUES), sorted(NEGATION_BREAKS),
                NEGATION_REACH, LEXICAL_SCALES, NEIGHBOURS, NEIGHBOUR_SCALE]
    text = json.dumps([FORMAT_VERSION, features, content, rubric.ordinary], sort_keys=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def save_heads(heads: CheckHeads, path: Path) -> None:
    ids = sorted(heads.heads)
    # The neighbours of all heads in one array, in order, with each head's count; float16
    # halves the file and moves a cosine similarity by under 0.001.
    np.savez_compressed(
        path, check_ids=np.array(ids), digest=np.array(heads.examples_digest),
        weights=np.stack([heads.heads[cid].weights for cid in ids]).astype(np.float32),
        params=np.array([[heads.heads[cid].bias, heads.heads[cid].threshold,
                          heads.heads[cid].veto, heads.heads[cid].alone_threshold]
                         for cid in ids], dtype=np.float64),
        neighbours=np.concatenate([heads.heads[cid].neighbours for cid in ids]
                                  or [_NO_NEIGHBOURS]).astype(np.float16),
        neighbour_positive=np.concatenate([heads.heads[cid].neighbour_positive for cid in ids]
                                          or [np.zeros(0, dtype=bool)]),
        neighbour_counts=np.array([len(heads.heads[cid].neighbours) for cid in ids]))


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
        if "neighbours" not in data:  # an older format: its digest will not match either
            return CheckHeads(examples_digest=digest, heads=MappingProxyType({}))
        neighbours = data["neighbours"].astype(np.float32)
        positive, counts = data["neighbour_positive"], data["neighbour_counts"]
    heads, ends = {}, np.cumsum(counts)
    for cid, row, (bias, threshold, veto, alone), end, count in zip(ids, weights, params,
                                                                     ends, counts):
        heads[cid] = Head(weights=_read_only(row), bias=float(bias), threshold=float(threshold),
                          veto=float(veto), alone_threshold=float(alone),
                          neighbours=_read_only(neighbours[end - count:end]),
                          neighbour_positive=_read_only(positive[end - count:end]))
    return CheckHeads(examples_digest=digest, heads=MappingProxyType(heads))


def _read_only(array: np.ndarray) -> np.ndarray:
    array = array.copy()
    array.flags.writeable = False
    return array
