"""A transcript utterance prepared once for every check: its words normalised into tokens,
with offsets for regexes, and the way back from a token span to quoted, timed evidence."""

from __future__ import annotations

import bisect
from dataclasses import dataclass

from pipeline.meaning import Span
from pipeline.text_normalize import Token, tokenize
from pipeline.types import Evidence, Utterance

QUOTE_MAX_CHARS = 200  # longer utterances are quoted as a window around the match
QUOTE_CONTEXT_WORDS = 8


@dataclass(frozen=True, slots=True, kw_only=True)
class TranscriptLine:
    """One utterance, tokenised once for every check."""

    utterance: Utterance
    pieces: tuple[str, ...]  # the timed words' text, or the text split on spaces
    tokens: tuple[Token, ...]
    text: str  # normalised tokens joined by single spaces
    offsets: tuple[int, ...]  # character offset of each token in ``text``
    has_case: bool  # mixed-case source text, so capitalisation can mark names


def token_span(line: TranscriptLine, start_char: int, end_char: int) -> Span:
    start = bisect.bisect_right(line.offsets, start_char) - 1
    end = bisect.bisect_left(line.offsets, end_char)
    return max(start, 0), max(end, start + 1)


def prepare_line(utterance: Utterance) -> TranscriptLine:
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
    return TranscriptLine(utterance=utterance, pieces=pieces, tokens=tokens,
                 text=" ".join(token.text for token in tokens), offsets=tuple(offsets),
                 has_case=any(c.isupper() for c in source) and any(c.islower() for c in source))


def evidence_at(line: TranscriptLine, span: Span) -> Evidence:
    """Where a match was said: the covering words' times when known, else the utterance's."""
    utterance = line.utterance
    first, last = line.tokens[span[0]].source_index, line.tokens[span[1] - 1].source_index
    if utterance.words:
        start_s, end_s = utterance.words[first].start_s, utterance.words[last].end_s
    else:
        start_s, end_s = utterance.start_s, utterance.end_s
    return Evidence(speaker=utterance.speaker, start_s=start_s, end_s=end_s,
                    text=_quote(line, first, last))


def _quote(line: TranscriptLine, first: int, last: int) -> str:
    text = line.utterance.text.strip()
    if len(text) <= QUOTE_MAX_CHARS or not line.pieces:
        return text
    low = max(0, first - QUOTE_CONTEXT_WORDS)
    high = min(len(line.pieces), last + 1 + QUOTE_CONTEXT_WORDS)
    window = " ".join(piece.strip() for piece in line.pieces[low:high])
    return ("... " if low > 0 else "") + window + (" ..." if high < len(line.pieces) else "")
