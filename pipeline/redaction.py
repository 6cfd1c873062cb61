"""Find personal data spoken in a call, and mask it in text shown to trainers.

Callers read card numbers, phone numbers and e-mail addresses aloud, and Whisper writes them
either as digits ("4532 1234") or as words ("four five three two"). Spoken numbers are first
normalised to digits ("oh" is 0, "double five" is 55, "forty five" is 45), then each digit run
is classified by its length, a Luhn check (13-19 digits, ISO/IEC 7812) and the words said just
before it by either party ("what's your zip code?" names the customer's five digits).

Each finding becomes a ``Redaction`` whose time range comes from the word timestamps, padded
by ``pad_s`` so a bleep covers the edges of the words. ``Redaction.text`` holds the personal
data itself: keep it out of anything a trainer or a search index can see.
"""

from __future__ import annotations

import bisect
import dataclasses
import enum
import logging
import re
from dataclasses import dataclass
from typing import Callable, Iterable, Sequence

from pipeline.spoken_numbers import digit_runs
from pipeline.spoken_spans import date_span, domain_end, local_part_start, spelled_code_span
from pipeline.types import Speaker, Utterance, Word

logger = logging.getLogger(__name__)


class RedactionKind(enum.StrEnum):
    CARD_NUMBER = "card_number"
    PHONE_NUMBER = "phone_number"
    EMAIL = "email"
    POSTCODE = "postcode"
    DATE_OF_BIRTH = "date_of_birth"
    ACCOUNT_NUMBER = "account_number"
    NATIONAL_ID = "national_id"  # social security / national insurance numbers

    @property
    def label(self) -> str:
        """What replaces the data in masked text, e.g. ``[card number]``."""
        return "[" + ("email" if self is RedactionKind.EMAIL else self.value.replace("_", " ")) + "]"


@dataclass(frozen=True, slots=True, kw_only=True)
class Redaction:
    kind: RedactionKind
    speaker: Speaker | None  # None for findings in free text
    start_s: float  # padded span of the words that carried the data
    end_s: float
    text: str  # the personal data as transcribed


@dataclass(frozen=True, slots=True, kw_only=True)
class _Token:
    raw: str
    norm: str
    speaker: Speaker | None = None
    start_s: float = 0.0
    end_s: float = 0.0
    char_start: int = 0
    char_end: int = 0


_Span = tuple[int, int, RedactionKind]  # first and last token index, inclusive
_CONTEXT_KEYWORDS: dict[RedactionKind, tuple[str, ...]] = {
    RedactionKind.POSTCODE: ("zip", "postcode", "post code", "postal code"),
    RedactionKind.NATIONAL_ID: ("social security", "ssn", "national insurance"),
    RedactionKind.CARD_NUMBER: ("card", "visa", "mastercard", "amex", "debit", "credit"),
    RedactionKind.PHONE_NUMBER: ("phone", "mobile", "cell", "call me", "call you", "reach me",
                                 "telephone", "landline", "contact number", "extension"),
    RedactionKind.ACCOUNT_NUMBER: ("account", "sort code", "reference", "policy", "member",
                                   "routing", "iban", "customer number", "pin"),
}
_DOB_KEYWORDS = ("born", "birth", "birthday", "dob", "d.o.b")
_WRITTEN_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
_UK_OUTWARD = re.compile(r"[a-z]{1,2}\d[a-z\d]?")
_UK_INWARD = re.compile(r"\d[a-z]{2}")


def normalise(raw: str) -> str:
    """Lowercase, without the punctuation Whisper puts around a word."""
    return raw.strip().lower().strip("\"'“”‘’,;:!?()[]{}").rstrip(".")


def luhn_valid(digits: str) -> bool:
    """Whether a digit string passes the Luhn checksum that card numbers carry."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char) * (2 if position % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def normalise_spoken_numbers(text: str) -> str:
    """``text`` with spoken numbers as digits: "four five three two" becomes "4532"."""
    tokens = _text_tokens(text)
    for first, last, digits in reversed(digit_runs([t.norm for t in tokens])):
        text = text[:tokens[first].char_start] + digits + text[tokens[last].char_end:]
    return text


def classify_digits(digits: str, *, context: str) -> RedactionKind | None:
    """The kind of personal data a digit run is, given the words said before it; None if none."""
    n = len(digits)
    has = {kind: any(k in context for k in words) for kind, words in _CONTEXT_KEYWORDS.items()}
    if 13 <= n <= 19:
        return RedactionKind.CARD_NUMBER if luhn_valid(digits) else RedactionKind.ACCOUNT_NUMBER
    if n > 19:
        return RedactionKind.ACCOUNT_NUMBER
    if has[RedactionKind.POSTCODE] and n in (5, 9):
        return RedactionKind.POSTCODE
    if has[RedactionKind.NATIONAL_ID] and n == 9:
        return RedactionKind.NATIONAL_ID
    if has[RedactionKind.CARD_NUMBER] and n in (3, 4):  # last four digits, security code
        return RedactionKind.CARD_NUMBER
    if has[RedactionKind.PHONE_NUMBER] and 7 <= n <= 12:
        return RedactionKind.PHONE_NUMBER
    if has[RedactionKind.ACCOUNT_NUMBER] and n >= 4:
        return RedactionKind.ACCOUNT_NUMBER
    if 10 <= n <= 12:
        return RedactionKind.PHONE_NUMBER
    if 7 <= n <= 9:  # an unexplained long number: masking it costs a trainer nothing
        return RedactionKind.ACCOUNT_NUMBER
    return None


def _find_numbers(tokens: Sequence[_Token], context_of: Callable[[int], str],
                  taken: set[int]) -> list[_Span]:
    spans = []
    for first, last, digits in digit_runs([t.norm for t in tokens]):
        if taken.intersection(range(first, last + 1)):
            continue
        kind = classify_digits(digits, context=context_of(first))
        if kind is not None:
            spans.append((first, last, kind))
    return spans


def _find_emails(tokens: Sequence[_Token]) -> list[_Span]:
    norms = [t.norm for t in tokens]
    spans = [(i, i, RedactionKind.EMAIL) for i, n in enumerate(norms) if _WRITTEN_EMAIL.fullmatch(n)]
    for at in (i for i, n in enumerate(norms) if n in ("at", "@")):
        domain_last = domain_end(norms, at + 1)
        local_start = local_part_start(norms, at - 1)
        if domain_last is not None and local_start is not None:
            spans.append((local_start, domain_last, RedactionKind.EMAIL))
    return spans


def _after_keywords(tokens: Sequence[_Token], keywords: tuple[str, ...],
                    context_of: Callable[[int], str]) -> list[int]:
    """Indices after which data is expected: each keyword, or -1 when the other party asked."""
    starts = [i for i, t in enumerate(tokens) if any(k in t.norm for k in keywords)]
    if tokens and any(k in context_of(0) for k in keywords):
        starts.insert(0, -1)
    return starts


def _find_dates_of_birth(tokens: Sequence[_Token], context_of: Callable[[int], str]) -> list[_Span]:
    norms = [t.norm for t in tokens]
    spans = []
    for keyword in _after_keywords(tokens, _DOB_KEYWORDS, context_of):
        found = date_span(norms, keyword + 1)
        if found is not None:
            spans.append((*found, RedactionKind.DATE_OF_BIRTH))
    return spans


def _find_postcodes(tokens: Sequence[_Token], context_of: Callable[[int], str]) -> list[_Span]:
    norms = [t.norm for t in tokens]
    spans = []
    for i, norm in enumerate(norms):
        if _UK_OUTWARD.fullmatch(norm) and i + 1 < len(norms) and _UK_INWARD.fullmatch(norms[i + 1]):
            spans.append((i, i + 1, RedactionKind.POSTCODE))
    for keyword in _after_keywords(tokens, _CONTEXT_KEYWORDS[RedactionKind.POSTCODE], context_of):
        found = spelled_code_span(norms, keyword + 1)
        if found is not None:
            spans.append((*found, RedactionKind.POSTCODE))
    return spans


def _detect(tokens: Sequence[_Token], context_of: Callable[[int], str]) -> list[_Span]:
    """Non-overlapping spans; the more specific finders claim their tokens first."""
    taken: set[int] = set()
    kept: list[_Span] = []
    for spans in (_find_emails(tokens), _find_dates_of_birth(tokens, context_of),
                  _find_postcodes(tokens, context_of)):
        for first, last, kind in spans:
            if not taken.intersection(range(first, last + 1)):
                taken.update(range(first, last + 1))
                kept.append((first, last, kind))
    kept.extend(_find_numbers(tokens, context_of, taken))
    return sorted(kept)


def _word_tokens(utterances: Iterable[Utterance]) -> list[_Token]:
    tokens = []
    for utterance in utterances:
        words = utterance.words or _words_from_text(utterance)
        tokens.extend(_Token(raw=w.word.strip(), norm=normalise(w.word), speaker=utterance.speaker,
                             start_s=w.start_s, end_s=w.end_s) for w in words)
    return sorted(tokens, key=lambda t: t.start_s)


def _words_from_text(utterance: Utterance) -> tuple[Word, ...]:
    """Spread untimed words evenly over the utterance, so a span still gets a time range."""
    parts = utterance.text.split()
    step_s = (utterance.end_s - utterance.start_s) / max(len(parts), 1)
    return tuple(Word(word=p, start_s=utterance.start_s + k * step_s,
                      end_s=utterance.start_s + (k + 1) * step_s, probability=0.0)
                 for k, p in enumerate(parts))


def _chunks(tokens: list[_Token], *, max_gap_s: float) -> list[list[_Token]]:
    """Split one party's words where they paused longer than ``max_gap_s``."""
    chunks: list[list[_Token]] = []
    for token in tokens:
        if chunks and token.start_s - chunks[-1][-1].end_s <= max_gap_s:
            chunks[-1].append(token)
        else:
            chunks.append([token])
    return chunks


def find_redactions(utterances: Sequence[Utterance], *, pad_s: float = 0.1, max_gap_s: float = 2.0,
                    context_window_s: float = 15.0) -> tuple[Redaction, ...]:
    """Personal data in a transcript, as padded time ranges, sorted by start time.

    A number may run across utterances of one party while they pause less than ``max_gap_s``;
    words either party said in the ``context_window_s`` before it decide what it is.
    """
    everyone = _word_tokens(utterances)
    starts_s = [t.start_s for t in everyone]
    found = []
    for speaker in Speaker:
        for chunk in _chunks([t for t in everyone if t.speaker is speaker], max_gap_s=max_gap_s):
            def context_of(i: int, chunk: list[_Token] = chunk) -> str:
                end = bisect.bisect_left(starts_s, chunk[i].start_s)
                begin = max(bisect.bisect_left(starts_s, chunk[i].start_s - context_window_s), end - 15)
                return " ".join(t.norm for t in everyone[begin:end])

            for first, last, kind in _detect(chunk, context_of):
                found.append(Redaction(
                    kind=kind, speaker=speaker, start_s=max(0.0, chunk[first].start_s - pad_s),
                    end_s=chunk[last].end_s + pad_s,
                    text=" ".join(t.raw for t in chunk[first:last + 1])))
    logger.debug("found %d redactions", len(found))
    return tuple(sorted(found, key=lambda r: (r.start_s, r.end_s)))


def _text_tokens(text: str) -> list[_Token]:
    return [_Token(raw=m.group(), norm=normalise(m.group()), char_start=m.start(), char_end=m.end())
            for m in re.finditer(r"\S+", text)]


def mask_text(text: str, redactions: Iterable[Redaction] = ()) -> str:
    """``text`` with each known redaction, and any personal data found in it, replaced by a label."""
    for redaction in sorted(redactions, key=lambda r: -len(r.text)):
        if redaction.text:
            text = re.sub(re.escape(redaction.text), redaction.kind.label, text, flags=re.IGNORECASE)
    tokens = _text_tokens(text)
    spans = _detect(tokens, lambda i: " ".join(t.norm for t in tokens[max(0, i - 8):i]))
    for first, last, kind in reversed(spans):
        text = text[:tokens[first].char_start] + kind.label + text[tokens[last].char_end:]
    return text


def _masked_words(utterance: Utterance, redactions: Sequence[Redaction]) -> tuple[Word, ...]:
    words: list[Word] = []
    last_mask: Redaction | None = None
    for word in utterance.words:
        mid_s = (word.start_s + word.end_s) / 2.0
        hit = next((r for r in redactions if r.start_s <= mid_s <= r.end_s
                    and normalise(word.word) in {normalise(p) for p in r.text.split()}), None)
        if hit is None:
            words.append(word)
        elif hit is last_mask:  # one label for the whole run of words
            words[-1] = dataclasses.replace(words[-1], end_s=word.end_s)
        else:
            lead = word.word[:len(word.word) - len(word.word.lstrip())]  # Whisper's leading space
            words.append(Word(word=lead + hit.kind.label, start_s=word.start_s, end_s=word.end_s,
                              probability=word.probability))
        last_mask = hit
    return tuple(words)


def mask_utterance(utterance: Utterance, redactions: Iterable[Redaction]) -> Utterance:
    """A trainer-safe copy: redacted words become one label word each, and the text follows."""
    own = [r for r in redactions if r.speaker in (None, utterance.speaker)
           and r.start_s <= utterance.end_s and r.end_s >= utterance.start_s]
    if not utterance.words:
        return dataclasses.replace(utterance, text=mask_text(utterance.text, own))
    words = _masked_words(utterance, own)
    text = mask_text(" ".join(w.word.strip() for w in words), own)
    return dataclasses.replace(utterance, text=text, words=words)
