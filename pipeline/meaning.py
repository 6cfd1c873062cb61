"""The meaning matcher beside the phrase rules: sentences scored by trained heads, and the rule
that combines the two.

A check's speaker's utterances are cut into units: each sentence (punctuation from the
recogniser marks the ends), or the whole utterance for checks whose meaning spans sentences
(``unit = "turn"`` in the rubric: "I can't refund it. What I can do is ..." is not negative
language). Every unit is embedded once per call and scored by the check's head.

Combining rule, per unit (a head's ``threshold`` and ``veto`` are picked on the rubric's
examples, see ``pipeline.check_heads``):

- a phrase or pattern match counts unless the unit's probability is below ``veto`` (the
  matcher is confident it is not the behaviour: "then you have to reset the clock");
- a unit whose probability reaches ``threshold`` counts on its own, quoted whole (wordings the
  phrase lists never saw), unless it holds a phrase that a negation cue cancelled: the rules
  read "I would never blame you" and "I don't want to cancel my account" right, while an
  embedding of the words is close to the behaviour they deny.

The confidence of a hit is the unit's probability, and at least 0.5 where a phrase matched too.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse

from pipeline.check_heads import Head
from pipeline.lexical_features import lexical_features
from pipeline.text_normalize import Token, is_title

Span = tuple[int, int]  # token indices [start, end)
_SENTENCE_END = (".", "?", "!")
# unit kind -> (longest unit in tokens, window, stride) for stretches longer than that
_SHORTEST_SENTENCE = 3  # tokens
_WINDOWS = {"sentence": (20, 12, 6), "turn": (32, 24, 12)}


@dataclass(frozen=True, slots=True, kw_only=True)
class UnitScore:
    span: Span
    probability: float


@dataclass(frozen=True, slots=True, kw_only=True)
class Hit:
    span: Span
    confidence: float


def unit_spans(tokens: tuple[Token, ...], pieces: tuple[str, ...], *, unit: str) -> list[Span]:
    """Token spans of the sentences (or the one turn) an utterance is scored in.

    A long stretch with no punctuation (small recognisers often write none) is read as
    overlapping windows instead: one sentence-sized meaning drowns in a minute of words.
    """
    if not tokens:
        return []
    longest, window, stride = _WINDOWS[unit]
    spans = []
    for start, end in _sentences(tokens, pieces) if unit == "sentence" else [(0, len(tokens))]:
        for low, high in _clause_groups(tokens, start, end, longest=longest):
            if high - low <= longest:
                spans.append((low, high))
                continue
            starts = range(low, max(high - window, low) + stride, stride)
            spans.extend((first, min(first + window, high)) for first in starts if first < high)
    return spans


def _clause_groups(tokens: tuple[Token, ...], start: int, end: int, *,
                   longest: int) -> list[Span]:
    """A stretch too long to read whole, cut at its commas into runs of whole clauses of at
    most ``longest`` tokens where it has commas: a window cut mid-clause reads as nonsense
    ("... add a credit to your account for the missed" scored as blame)."""
    if end - start <= longest:
        return [(start, end)]
    clauses, low = [], start
    for index in range(start + 1, end):
        if tokens[index].clause != tokens[index - 1].clause:
            clauses.append((low, index))
            low = index
    clauses.append((low, end))
    groups: list[Span] = []
    for low, high in clauses:
        if groups and high - groups[-1][0] <= longest:
            groups[-1] = (groups[-1][0], high)
        else:
            groups.append((low, high))
    return groups


def _sentences(tokens: tuple[Token, ...], pieces: tuple[str, ...]) -> list[Span]:
    spans, start = [], 0
    for index in range(1, len(tokens)):
        previous_piece = pieces[tokens[index - 1].source_index].rstrip("\"')]")
        if tokens[index].source_index != tokens[index - 1].source_index and (
                previous_piece.endswith(_SENTENCE_END) and not is_title(previous_piece)):
            spans.append((start, index))
            start = index
    spans.append((start, len(tokens)))
    return _merge_fragments(spans)


def _merge_fragments(spans: list[Span]) -> list[Span]:
    """A sentence of one or two words ("Disruptive?") joins the next: alone it has too little
    meaning for the model, and its neighbour says what it was about."""
    merged: list[Span] = []
    for start, end in reversed(spans):
        if merged and end - start < _SHORTEST_SENTENCE:
            merged[-1] = (start, merged[-1][1])
        else:
            merged.append((start, end))
    return merged[::-1]


def unit_text(tokens: tuple[Token, ...], pieces: tuple[str, ...], span: Span) -> str:
    """The words of a unit as they were heard (case and punctuation help the model)."""
    first, last = tokens[span[0]].source_index, tokens[span[1] - 1].source_index
    return " ".join(piece.strip() for piece in pieces[first:last + 1])


def unit_features(texts: list[str], encode) -> scipy.sparse.csr_matrix:  # noqa: ANN001
    """What a head reads, ``(len(texts), 384 + lexical columns)``: each text's sentence
    embedding, then its word and character n-grams (``pipeline.lexical_features``)."""
    dense = scipy.sparse.csr_matrix(np.asarray(encode(texts), dtype=np.float32))
    return scipy.sparse.hstack([dense, lexical_features(texts)], format="csr", dtype=np.float32)


def score_units(texts: list[str], heads: dict[str, Head], encode) -> dict[str, np.ndarray]:  # noqa: ANN001
    """Each head's probability for every text, from one embedding pass."""
    features = unit_features(texts, encode)
    return {head_id: head.probability(features) for head_id, head in heads.items()}


def combine(rule_spans: list[Span], units: list[UnitScore], head: Head, *,
            negated_spans: list[Span] = ()) -> list[Hit]:
    """The combining rule above, applied to one utterance's units (windows may overlap)."""
    hits = []
    for span in rule_spans:
        around = [unit.probability for unit in units if _inside(span, unit)]
        if around and max(around) >= head.veto:
            hits.append(Hit(span=span, confidence=max(max(around), 0.5)))
    taken_until = -1
    for unit in units:
        has_rule = any(_inside(span, unit) for span in (*rule_spans, *negated_spans))
        if unit.probability >= head.threshold and not has_rule and unit.span[0] >= taken_until:
            hits.append(Hit(span=unit.span, confidence=unit.probability))
            taken_until = unit.span[1]  # an overlapping window is the same stretch again
    return sorted(hits, key=lambda hit: hit.span)


def _inside(span: Span, unit: UnitScore) -> bool:
    return unit.span[0] <= span[0] < unit.span[1]


def outcome_confidence(met: bool, hit_confidences: list[float], unit_probabilities: list[float],
                       *, min_count: int) -> float:
    """How sure an outcome is: the strength of the weakest hit it needed when met; when not
    met, one minus the strength of the ``min_count``-th strongest unit (so one sure apology
    leaves "over-apology: not met" sure, and a near miss leaves it unsure)."""
    if met:
        strongest = sorted(hit_confidences, reverse=True)
        return round(strongest[min(min_count, len(strongest)) - 1], 3)
    candidates = sorted(hit_confidences + unit_probabilities, reverse=True)
    return round(1.0 - (candidates[min_count - 1] if len(candidates) >= min_count else 0.0), 3)
