"""Transcript checks: find the rubric's behaviours in who said what, and when.

Every check is decided from the rubric alone: normalised phrases matched with a fuzzy tolerance
(so small transcription errors still count), regexes on normalised text, negation (a cue such as
"not" or "never" just before a match cancels it: "it's not your fault" is not blame), an early
window, a minimum count within a time window, and ``requires`` (a check that cannot apply is
``met=None``). Two checks need more than phrases: the agent's introduction (a greeting and the
agent's own name) and the use of the customer's name (which may come from the customer's words).
"""

from __future__ import annotations

import bisect
import logging
import re
from dataclasses import dataclass

from rapidfuzz import fuzz

from pipeline.meaning import Span, UnitScore, combine, outcome_confidence, score_units
from pipeline.meaning import unit_spans, unit_text
from pipeline.rubric import CheckRule, MatchingRules, Phrase, Rubric
from pipeline.text_normalize import NUMBER_WORDS, Token, normalize_text, tokenize
from pipeline.types import CheckResult, Evidence, Speaker, Utterance, Word

logger = logging.getLogger(__name__)

MAX_EVIDENCE = 12  # per check; a report needs a few quotes, not every repetition
QUOTE_MAX_CHARS = 200  # longer utterances are quoted as a window around the match
QUOTE_CONTEXT_WORDS = 8
_TITLES = frozenset({"mr", "mrs", "ms", "miss", "dr", "doctor", "sir", "madam"})
_Units = dict[str, dict[int, list[UnitScore]]]  # head id -> id(line) -> that line's units


@dataclass(frozen=True, slots=True, kw_only=True)
class _Line:
    """One utterance, tokenised once for every check."""

    utterance: Utterance
    pieces: tuple[str, ...]  # the timed words' text, or the text split on spaces
    tokens: tuple[Token, ...]
    text: str  # normalised tokens joined by single spaces
    offsets: tuple[int, ...]  # character offset of each token in ``text``
    has_case: bool  # mixed-case source text, so capitalisation can mark names


def run_checks(transcript: tuple[Utterance, ...], rubric: Rubric, *,
               customer_name: str | None) -> dict[str, CheckResult]:
    """Decide every rubric check on one call's transcript, keyed by check id in rubric order.

    ``customer_name`` comes from the call's metadata; without it the name the customer states
    ("my name is ...") is used, and ``customer_name_used`` is None when neither exists.
    """
    lines = tuple(_prepare(u) for u in sorted(transcript, key=lambda u: u.start_s))
    name_rule = rubric.checks["customer_name_used"]
    customer = (name_parts(customer_name) if customer_name
                else _stated_name(name_rule, lines, rubric.matching))
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
        resolved[check_id] = raw[check_id] if applies else _skipped(rule)
    return resolved[check_id]


def _evaluate(rule: CheckRule, lines: tuple[_Line, ...], rubric: Rubric,
              customer: tuple[str, ...], units: _Units) -> CheckResult:
    matching = rubric.matching
    own = [line for line in lines if line.utterance.speaker is rule.speaker]
    if not own:  # a party who never speaks cannot show (or avoid) a behaviour
        return _skipped(rule)
    if rule.check_id == "agent_introduction":
        return _introduction(rule, own, matching, customer)
    if rule.check_id == "customer_name_used":
        return _customer_name_used(rule, lines, matching, customer)
    head = rubric.heads.heads.get(rule.head_id) if rubric.heads and rule.head_id else None
    if head is None:
        hits = [_evidence(line, span) for line in own for span in find_spans(rule, line, matching)]
        hits = [hit for hit in hits if rule.early_s is None or hit.start_s < rule.early_s]
        met = _densest_count(hits, window_s=rule.window_s) >= rule.min_count
        return _result(rule, met, hits)
    scored, probabilities = [], []
    for line in own:
        line_units = units[rule.head_id][id(line)]
        probabilities.extend(unit.probability for unit in line_units)
        scored.extend((_evidence(line, hit.span), hit.confidence)
                      for hit in combine(find_spans(rule, line, matching), line_units, head))
    scored = [(hit, c) for hit, c in scored if rule.early_s is None or hit.start_s < rule.early_s]
    met = _densest_count([hit for hit, _ in scored], window_s=rule.window_s) >= rule.min_count
    confidence = outcome_confidence(met, [c for _, c in scored], probabilities,
                                    min_count=rule.min_count)
    return _result(rule, met, [hit for hit, _ in scored], confidence=confidence)


def _score_units(lines: tuple[_Line, ...], rubric: Rubric) -> _Units:
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


def _introduction(rule: CheckRule, own: list[_Line], matching: MatchingRules,
                  customer: tuple[str, ...]) -> CheckResult:
    """Met when, before ``early_s``, the agent gives their own name and greets.

    A name given in the agent's opening turn is itself the greeting (a misheard "hello" must
    not cost the agent the introduction); a name that is the customer's is not the agent's.
    """
    early_s = float("inf") if rule.early_s is None else rule.early_s
    greetings = [_evidence(line, span) for line in own for span in find_spans(rule, line, matching)]
    names = [(line, _evidence(line, span)) for line in own
             for span in _name_spans(line, rule.name_patterns, matching)
             if not any(_same_name(line.tokens[span[0]].text, part, matching) for part in customer)]
    greetings = [hit for hit in greetings if hit.start_s < early_s]
    names = [(line, hit) for line, hit in names if hit.start_s < early_s]
    opening = bool(names) and names[0][0] is own[0]
    met = bool(names) and (bool(greetings) or opening)
    return _result(rule, met, greetings[:1] + [hit for _, hit in names[:1]])


def _customer_name_used(rule: CheckRule, lines: tuple[_Line, ...], matching: MatchingRules,
                        parts: tuple[str, ...]) -> CheckResult:
    """Met when the agent says the customer's first or last name (a title is optional)."""
    if not parts:
        return _skipped(rule)
    hits = [_evidence(line, (index, index + 1))
            for line in lines if line.utterance.speaker is rule.speaker
            for index, token in enumerate(line.tokens)
            if any(_same_name(token.text, part, matching) for part in parts)]
    return _result(rule, bool(hits), hits)


def name_parts(name: str) -> tuple[str, ...]:
    """The normalised first/last names of a full name, without titles ("Ms. Dana Whitfield")."""
    return tuple(part for part in normalize_text(name).split()
                 if part not in _TITLES and len(part) >= 2)


def _same_name(word: str, part: str, matching: MatchingRules) -> bool:
    """Exact for short names; long ones tolerate a misheard letter ("Whitfeld")."""
    if word == part:
        return True
    return len(part) >= 4 and fuzz.ratio(word, part) >= matching.name_fuzzy_threshold


def _stated_name(rule: CheckRule, lines: tuple[_Line, ...],
                 matching: MatchingRules) -> tuple[str, ...]:
    """The name the customer gives: "my name is ...", or a bare name after the agent asks."""
    asked = False
    for line in lines:
        if line.utterance.speaker is rule.speaker:
            asked = any(_phrase_spans(prompt, line.tokens, matching)
                        for prompt in rule.name_prompts)
            continue
        for start, end in _name_spans(line, rule.name_patterns, matching):
            return tuple(token.text for token in line.tokens[start:end])
        first_clause = [token for token in line.tokens if token.clause == line.tokens[0].clause]
        if asked and 0 < len(first_clause) <= 3 and (
                _name_end(line, 0, len(first_clause), matching) == len(first_clause)):
            return tuple(token.text for token in first_clause)
    return ()


def _name_spans(line: _Line, patterns: tuple[re.Pattern[str], ...],
                matching: MatchingRules) -> list[Span]:
    """Token spans of names captured by ``{name}`` slots that look like real names."""
    spans = []
    for pattern in patterns:
        position = 0
        while (found := pattern.search(line.text, position)) is not None:
            start, end = _token_span(line, *found.span("name"))
            name_end = _name_end(line, start, end, matching)
            if name_end > start:
                spans.append((start, name_end))
                break
            position = found.start() + 1  # the slot caught a common word: try a later start
    return spans


def _name_end(line: _Line, start: int, end: int, matching: MatchingRules) -> int:
    """End of the leading run of tokens in ``[start, end)`` that can be parts of a name."""
    index = start
    while index < end:
        token = line.tokens[index]
        looks_like_name = (token.text.isalpha() and len(token.text) >= 2
                           and token.text not in matching.not_names
                           and token.text not in NUMBER_WORDS
                           and token.clause == line.tokens[start].clause
                           and (not line.has_case or token.raw[:1].isupper()))
        if not looks_like_name:
            break
        index += 1
    return index


def find_spans(rule: CheckRule, line: _Line, matching: MatchingRules) -> list[Span]:
    """Non-overlapping token spans where the rule's phrases or patterns occur, negation applied."""
    spans = [span for phrase in rule.phrases
             for span in _phrase_spans(phrase, line.tokens, matching)]
    for pattern in rule.patterns:
        spans.extend(_token_span(line, *found.span()) for found in pattern.finditer(line.text)
                     if found.end() > found.start())
    if rule.negation:
        spans = [span for span in spans if not _is_negated(line.tokens, span[0], matching)]
    kept: list[Span] = []
    for span in sorted(set(spans), key=lambda s: (s[0], -s[1])):
        if not kept or span[0] >= kept[-1][1]:
            kept.append(span)
    return kept


def _phrase_spans(phrase: Phrase, tokens: tuple[Token, ...], matching: MatchingRules) -> list[Span]:
    first = " ".join(word.rstrip("*") for word in phrase.segments[0])
    joined = " ".join(token.text for token in tokens)
    if fuzz.partial_ratio(first, joined) < matching.fuzzy_threshold:  # cheap rejection
        return []
    return [(start, end) for start in range(len(tokens))
            if (end := _match_from(phrase.segments, tokens, start, matching)) is not None]


def _match_from(segments: tuple[tuple[str, ...], ...], tokens: tuple[Token, ...], start: int,
                matching: MatchingRules) -> int | None:
    """End index when the segments match from ``start``, allowing wildcard gaps between them."""
    end = _segment_end(segments[0], tokens, start, matching)
    if end is None or len(segments) == 1:
        return end
    for gap in range(min(matching.max_wildcard_words, len(tokens) - end - 1) + 1):
        if gap and not _can_skip(tokens[end + gap - 1], tokens[start].clause, matching):
            return None  # "i * understand" must not read "i do not understand" as empathy
        rest = _match_from(segments[1:], tokens, end + gap, matching)
        if rest is not None:
            return rest
    return None


def _can_skip(token: Token, clause: int, matching: MatchingRules) -> bool:
    """A wildcard may pass over this word: same clause and not a negation cue."""
    return token.clause == clause and token.text not in matching.negation_cues


def _segment_end(segment: tuple[str, ...], tokens: tuple[Token, ...], start: int,
                 matching: MatchingRules) -> int | None:
    """Match one run of words at ``start``; one word more or less absorbs split or merged words."""
    size = len(segment)
    has_prefix = any(word.endswith("*") for word in segment)
    target = " ".join(word.rstrip("*") for word in segment)
    for window in (size, size + 1, size - 1):
        if window < 1 or start + window > len(tokens) or (has_prefix and window != size):
            continue
        words = [token.text for token in tokens[start:start + window]]
        if has_prefix:
            words = [word[:len(want) - 1] if want.endswith("*") else word
                     for word, want in zip(words, segment)]
        if " ".join(words) == target or _fuzzy_equal(words, segment, target, matching):
            return start + window
    return None


def _fuzzy_equal(words: list[str], segment: tuple[str, ...], target: str,
                 matching: MatchingRules) -> bool:
    """Close enough as a whole, word by word when aligned, and no negation slipped in."""
    if fuzz.ratio(" ".join(words), target) < matching.fuzzy_threshold:
        return False
    if any(word in matching.negation_cues and word not in segment for word in words):
        return False  # "you will not have to" is not "you will have to"
    return len(words) != len(segment) or all(
        fuzz.ratio(word, want) >= matching.word_fuzzy_threshold
        for word, want in zip(words, segment))


def _is_negated(tokens: tuple[Token, ...], start: int, matching: MatchingRules) -> bool:
    """True when a negation cue sits shortly before ``start`` in the same clause."""
    clause = tokens[start].clause
    for index in range(start - 1, max(-1, start - 1 - matching.negation_window_words), -1):
        token = tokens[index]
        if token.clause != clause or token.text in matching.negation_scope_breaks:
            return False
        if token.text in matching.negation_cues:
            return True
    return False


def _token_span(line: _Line, start_char: int, end_char: int) -> Span:
    start = bisect.bisect_right(line.offsets, start_char) - 1
    end = bisect.bisect_left(line.offsets, end_char)
    return max(start, 0), max(end, start + 1)


def _prepare(utterance: Utterance) -> _Line:
    if utterance.words:
        pieces = tuple(word.word for word in utterance.words)
    else:
        pieces = tuple(utterance.text.split())
    tokens = tokenize(pieces)
    offsets, position = [], 0
    for token in tokens:
        offsets.append(position)
        position += len(token.text) + 1
    source = " ".join(pieces)
    return _Line(utterance=utterance, pieces=pieces, tokens=tokens,
                 text=" ".join(token.text for token in tokens), offsets=tuple(offsets),
                 has_case=any(c.isupper() for c in source) and any(c.islower() for c in source))


def _evidence(line: _Line, span: Span) -> Evidence:
    """Where a match was said: the covering words' times when known, else the utterance's."""
    utterance = line.utterance
    first, last = line.tokens[span[0]].source_index, line.tokens[span[1] - 1].source_index
    if utterance.words:
        start_s, end_s = utterance.words[first].start_s, utterance.words[last].end_s
    else:
        start_s, end_s = utterance.start_s, utterance.end_s
    return Evidence(speaker=utterance.speaker, start_s=start_s, end_s=end_s,
                    text=_quote(line, first, last))


def _quote(line: _Line, first: int, last: int) -> str:
    text = line.utterance.text.strip()
    if len(text) <= QUOTE_MAX_CHARS or not line.pieces:
        return text
    low = max(0, first - QUOTE_CONTEXT_WORDS)
    high = min(len(line.pieces), last + 1 + QUOTE_CONTEXT_WORDS)
    window = " ".join(piece.strip() for piece in line.pieces[low:high])
    return ("... " if low > 0 else "") + window + (" ..." if high < len(line.pieces) else "")


def _densest_count(hits: list[Evidence], *, window_s: float | None) -> int:
    """Most matches starting within any ``window_s`` span (all of them when no window)."""
    if window_s is None:
        return len(hits)
    starts = sorted(hit.start_s for hit in hits)
    best, low = 0, 0
    for high, start_s in enumerate(starts):
        while start_s - starts[low] > window_s:
            low += 1
        best = max(best, high - low + 1)
    return best


def _result(rule: CheckRule, met: bool, hits: list[Evidence], *,
            confidence: float = 1.0) -> CheckResult:
    """A decided check; rule-only checks (names, no trained head) are exact, so confidence 1."""
    evidence = tuple(sorted(hits, key=lambda hit: hit.start_s)[:MAX_EVIDENCE]) if met else ()
    return CheckResult(check_id=rule.check_id, met=met, evidence=evidence, confidence=confidence)


def _skipped(rule: CheckRule) -> CheckResult:
    return CheckResult(check_id=rule.check_id, met=None, evidence=())


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
