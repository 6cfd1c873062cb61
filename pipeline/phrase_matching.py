"""Finding rubric phrases and patterns in one prepared utterance: fuzzy word runs with ``*``
gaps and prefixes, regexes on the normalised text, and negation cues that cancel a match."""

from __future__ import annotations

import functools

from rapidfuzz import fuzz

from pipeline.meaning import Span
from pipeline.rubric import CheckRule, MatchingRules, Phrase
from pipeline.text_normalize import Token
from pipeline.transcript_lines import TranscriptLine, token_span


def find_spans(rule: CheckRule, line: TranscriptLine, matching: MatchingRules) -> list[Span]:
    """Non-overlapping token spans where the rule's phrases or patterns occur, negation applied."""
    return found_and_negated(rule, line, matching)[0]


def found_and_negated(rule: CheckRule, line: TranscriptLine, matching: MatchingRules
                      ) -> tuple[list[Span], list[Span]]:
    """``find_spans``'s spans, and the matches a negation cue cancelled ("you don't need to
    worry", "I would never blame you"): the meaning matcher must not find those on its own."""
    spans = [span for phrase in rule.phrases
             for span in phrase_spans(phrase, line, matching)]
    for pattern in rule.patterns:
        spans.extend(token_span(line, *found.span()) for found in pattern.finditer(line.text)
                     if found.end() > found.start())
    negated = ([span for span in spans if _is_negated(line.tokens, span[0], matching)]
               if rule.negation else [])
    return _without_overlaps([span for span in spans if span not in negated]), negated


def _without_overlaps(spans: list[Span]) -> list[Span]:
    """The earliest, then longest, of overlapping spans."""
    kept: list[Span] = []
    for span in sorted(set(spans), key=lambda s: (s[0], -s[1])):
        if not kept or span[0] >= kept[-1][1]:
            kept.append(span)
    return kept


def phrase_spans(phrase: Phrase, line: TranscriptLine, matching: MatchingRules) -> list[Span]:
    tokens = line.tokens
    # The line's normalised text is its tokens joined, so it is not joined again per phrase.
    if fuzz.partial_ratio(_first_words(phrase), line.text) < matching.fuzzy_threshold:
        return []  # the cheap rejection: most phrases are nowhere near most lines
    return [(start, end) for start in range(len(tokens))
            if (end := _match_from(phrase.segments, tokens, start, matching)) is not None]


@functools.cache
def _first_words(phrase: Phrase) -> str:
    return " ".join(word.rstrip("*") for word in phrase.segments[0])


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
