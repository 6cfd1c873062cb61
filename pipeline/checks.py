"""Transcript checks: find the rubric's behaviours in who said what, and when.

Every check is decided from the rubric: phrases and patterns (``phrase_matching``: fuzzy words,
regexes, negation cues), an early window, a minimum count within a time window, and
``requires`` (a check that cannot apply is ``met=None``); checks with a trained head also ask
the meaning matcher (``meaning``), which may veto a phrase hit or find a unit on its own. The
two name checks have their own module (``name_checks``).
"""

from __future__ import annotations

import logging

from pipeline.check_outcomes import decided, densest_count, skipped
from pipeline.meaning import Span, UnitScore, combine, outcome_confidence, score_units
from pipeline.meaning import unit_spans, unit_text
from pipeline.name_checks import customer_name_result, introduction_result, name_parts, stated_name
from pipeline.phrase_matching import find_spans, found_and_negated
from pipeline.rubric import CheckRule, Rubric
from pipeline.transcript_lines import TranscriptLine, evidence_at, prepare_line
from pipeline.types import CheckResult, Speaker, Utterance, Word

logger = logging.getLogger(__name__)

_Units = dict[str, dict[int, list[UnitScore]]]  # head id -> id(line) -> that line's units


def run_checks(transcript: tuple[Utterance, ...], rubric: Rubric, *,
               customer_name: str | None) -> dict[str, CheckResult]:
    """Decide every rubric check on one call's transcript, keyed by check id in rubric order.

    ``customer_name`` comes from the call's metadata; without it the name the customer states
    ("my name is ...") is used, and ``customer_name_used`` is None when neither exists.
    """
    lines = tuple(prepare_line(u) for u in sorted(transcript, key=lambda u: u.start_s))
    name_rule = rubric.checks["customer_name_used"]
    customer = (name_parts(customer_name) if customer_name
                else stated_name(name_rule, lines, rubric.matching))
    units = _score_units(lines, rubric)
    raw = {check_id: _evaluate(rule, lines, rubric, customer, units)
           for check_id, rule in rubric.checks.items()}
    resolved: dict[str, CheckResult] = {}
    for check_id in rubric.checks:
        _resolve(check_id, rubric, raw, resolved)
    logger.debug("checks met: %s", [cid for cid, result in resolved.items() if result.met])
    return {check_id: resolved[check_id] for check_id in rubric.checks}


def _resolve(check_id: str, rubric: Rubric, raw: dict[str, CheckResult],
             resolved: dict[str, CheckResult]) -> CheckResult:
    """Apply ``requires``: a check whose prerequisites are not all met cannot apply."""
    if check_id not in resolved:
        rule = rubric.checks[check_id]
        prerequisites = [_resolve(req, rubric, raw, resolved).met for req in rule.requires]
        applies = all(met is True for met in prerequisites)
        resolved[check_id] = raw[check_id] if applies else skipped(rule)
    return resolved[check_id]


def _evaluate(rule: CheckRule, lines: tuple[TranscriptLine, ...], rubric: Rubric,
              customer: tuple[str, ...], units: _Units) -> CheckResult:
    matching = rubric.matching
    own = [line for line in lines if line.utterance.speaker is rule.speaker]
    if not own:  # a party who never speaks cannot show (or avoid) a behaviour
        return skipped(rule)
    if rule.check_id == "agent_introduction":
        return introduction_result(rule, own, matching, customer)
    if rule.check_id == "customer_name_used":
        return customer_name_result(rule, lines, matching, customer)
    head = rubric.heads.heads.get(rule.head_id) if rubric.heads and rule.head_id else None
    if head is None:
        hits = [evidence_at(line, span) for line in own for span in find_spans(rule, line, matching)]
        hits = [hit for hit in hits if rule.early_s is None or hit.start_s < rule.early_s]
        met = densest_count(hits, window_s=rule.window_s) >= rule.min_count
        return decided(rule, met, hits)
    scored, probabilities = [], []
    for line in own:
        line_units = units[rule.head_id][id(line)]
        probabilities.extend(unit.probability for unit in line_units)
        found, negated = found_and_negated(rule, line, matching)
        scored.extend((evidence_at(line, hit.span), hit.confidence)
                      for hit in combine(found, line_units, head, negated_spans=negated))
    scored = [(hit, c) for hit, c in scored if rule.early_s is None or hit.start_s < rule.early_s]
    met = densest_count([hit for hit, _ in scored], window_s=rule.window_s) >= rule.min_count
    confidence = outcome_confidence(met, [c for _, c in scored], probabilities,
                                    min_count=rule.min_count)
    return decided(rule, met, [hit for hit, _ in scored], confidence=confidence)


def _score_units(lines: tuple[TranscriptLine, ...], rubric: Rubric) -> _Units:
    """Every head's unit probabilities per utterance of its speaker, from one embedding pass."""
    if rubric.heads is None:
        return {}
    from pipeline.sentence_encoder import default_encoder  # loaded only when heads exist

    spans: dict[str, dict[int, list[Span]]] = {}
    texts: dict[str, int] = {}
    for head_id in rubric.heads.heads:
        source = rubric.checks[head_id]
        spans[head_id] = {id(line): unit_spans(line.tokens, line.pieces, unit=source.meaning.unit)
                          for line in lines if line.utterance.speaker is source.speaker}
        for line in lines:
            for span in spans[head_id].get(id(line), ()):
                texts.setdefault(unit_text(line.tokens, line.pieces, span), len(texts))
    probabilities = score_units(list(texts), dict(rubric.heads.heads), default_encoder().encode)
    return {head_id: {id(line): [UnitScore(span=span, probability=float(
                probabilities[head_id][texts[unit_text(line.tokens, line.pieces, span)]]))
                for span in spans[head_id][id(line)]]
                for line in lines if id(line) in spans[head_id]}
            for head_id in spans}


def example_transcript(example: str, *, speaker: Speaker,
                       gap_s: float = 3.0) -> tuple[Utterance, ...]:
    """A transcript from a rubric example: turns split by " | ", each optionally "agent:" or
    "customer:" (else ``speaker``), ``gap_s`` apart, with evenly spread word timings."""
    utterances = []
    for index, turn in enumerate(part.strip() for part in example.split(" | ")):
        who, _, rest = turn.partition(":")
        turn_speaker = speaker
        if rest and who.strip().lower() in {s.value for s in Speaker}:
            turn_speaker, turn = Speaker(who.strip().lower()), rest.strip()
        start_s, texts = index * gap_s, turn.split()
        words = tuple(Word(word=text, start_s=start_s + 0.3 * i, end_s=start_s + 0.3 * i + 0.25,
                           probability=1.0) for i, text in enumerate(texts))
        utterances.append(Utterance(speaker=turn_speaker, start_s=start_s,
                                    end_s=start_s + 0.3 * len(texts), text=turn, words=words))
    return tuple(utterances)
