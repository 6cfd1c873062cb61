"""The two checks that need names, not phrases: the agent introduces themselves (a greeting and
their own name, early), and the agent uses the customer's name (from the call's metadata, or the
name the customer states)."""

from __future__ import annotations

import re

from rapidfuzz import fuzz

from pipeline.check_outcomes import decided, skipped
from pipeline.meaning import Span
from pipeline.phrase_matching import find_spans, phrase_spans
from pipeline.rubric import CheckRule, MatchingRules
from pipeline.text_normalize import NUMBER_WORDS, normalize_text
from pipeline.transcript_lines import TranscriptLine, evidence_at, token_span
from pipeline.types import CheckResult

_TITLES = frozenset({"mr", "mrs", "ms", "miss", "dr", "doctor", "sir", "madam"})


def introduction_result(rule: CheckRule, own: list[TranscriptLine], matching: MatchingRules,
                  customer: tuple[str, ...]) -> CheckResult:
    """Met when, before ``early_s``, the agent gives their own name and greets.

    A name given in the agent's opening turn is itself the greeting (a misheard "hello" must
    not cost the agent the introduction); a name that is the customer's is not the agent's.
    """
    early_s = float("inf") if rule.early_s is None else rule.early_s
    greetings = [evidence_at(line, span) for line in own for span in find_spans(rule, line, matching)]
    names = [(line, evidence_at(line, span)) for line in own
             for span in _name_spans(line, rule.name_patterns, matching)
             if not any(_same_name(line.tokens[span[0]].text, part, matching) for part in customer)]
    greetings = [hit for hit in greetings if hit.start_s < early_s]
    names = [(line, hit) for line, hit in names if hit.start_s < early_s]
    opening = bool(names) and names[0][0] is own[0]
    met = bool(names) and (bool(greetings) or opening)
    return decided(rule, met, greetings[:1] + [hit for _, hit in names[:1]])


def customer_name_result(rule: CheckRule, lines: tuple[TranscriptLine, ...], matching: MatchingRules,
                        parts: tuple[str, ...]) -> CheckResult:
    """Met when the agent says the customer's first or last name (a title is optional)."""
    if not parts:
        return skipped(rule)
    hits = [evidence_at(line, (index, index + 1))
            for line in lines if line.utterance.speaker is rule.speaker
            for index, token in enumerate(line.tokens)
            if any(_same_name(token.text, part, matching) for part in parts)]
    return decided(rule, bool(hits), hits)


def name_parts(name: str) -> tuple[str, ...]:
    """The normalised first/last names of a full name, without titles ("Ms. Dana Whitfield")."""
    return tuple(part for part in normalize_text(name).split()
                 if part not in _TITLES and len(part) >= 2)


def _same_name(word: str, part: str, matching: MatchingRules) -> bool:
    """Exact for short names; long ones tolerate a misheard letter ("Whitfeld")."""
    if word == part:
        return True
    return len(part) >= 4 and fuzz.ratio(word, part) >= matching.name_fuzzy_threshold


def stated_name(rule: CheckRule, lines: tuple[TranscriptLine, ...],
                 matching: MatchingRules) -> tuple[str, ...]:
    """The name the customer gives: "my name is ...", or a bare name after the agent asks."""
    asked = False
    for line in lines:
        if line.utterance.speaker is rule.speaker:
            asked = any(phrase_spans(prompt, line, matching)
                        for prompt in rule.name_prompts)
            continue
        for start, end in _name_spans(line, rule.name_patterns, matching):
            return tuple(token.text for token in line.tokens[start:end])
        first_clause = [token for token in line.tokens if token.clause == line.tokens[0].clause]
        if asked and 0 < len(first_clause) <= 3 and (
                _name_end(line, 0, len(first_clause), matching) == len(first_clause)):
            return tuple(token.text for token in first_clause)
    return ()


def _name_spans(line: TranscriptLine, patterns: tuple[re.Pattern[str], ...],
                matching: MatchingRules) -> list[Span]:
    """Token spans of names captured by ``{name}`` slots that look like real names."""
    spans = []
    for pattern in patterns:
        position = 0
        while (found := pattern.search(line.text, position)) is not None:
            start, end = token_span(line, *found.span("name"))
            name_end = _name_end(line, start, end, matching)
            if name_end > start:
                spans.append((start, name_end))
                break
            position = found.start() + 1  # the slot caught a common word: try a later start
    return spans


def _name_end(line: TranscriptLine, start: int, end: int, matching: MatchingRules) -> int:
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
