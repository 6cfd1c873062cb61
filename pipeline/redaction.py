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


# Spoken numbers -------------------------------------------------------------------------------

_UNITS = {w: str(i) for i, w in enumerate("zero one two three four five six seven eight nine".split())}
_UNITS.update({"oh": "0", "o": "0", "nought": "0"})
_TEENS = {w: str(10 + i) for i, w in enumerate(
    "ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen".split())}
_TENS = {w: str(20 + 10 * i) for i, w in enumerate(
    "twenty thirty forty fifty sixty seventy eighty ninety".split())}
_REPEATS = {"double": "2", "triple": "3"}
_DIGIT_TOKEN = re.compile(r"\+?\d+(?:-\d+)*|\d+(?:\.\d+){2,}")  # one dot is a decimal
_Item = tuple[str, str]  # (kind, value): digits, unit, teen, tens, repeat, hundred, sep, and


def _number_items(norm: str) -> list[_Item] | None:
    """The number words in one token ("forty-five" is tens 40, unit 5); None if it is not one."""
    if _DIGIT_TOKEN.fullmatch(norm):
        return [("digits", re.sub(r"\D", "", norm))]
    items: list[_Item] = []
    for part in norm.split("-"):
        for kind, table in (("unit", _UNITS), ("teen", _TEENS), ("tens", _TENS), ("repeat", _REPEATS)):
            if part in table:
                items.append((kind, table[part]))
                break
        else:
            if part not in ("hundred", "and", "dash", "hyphen", ""):
                return None
            items.append(("hundred" if part == "hundred" else "and" if part == "and" else "sep", ""))
    return items


def _after_hundred(items: Sequence[_Item], i: int) -> tuple[str, int]:
    """The two digits that follow "hundred" at ``i`` ("and twelve" is 12) and the last index used."""
    j = i + 1
    has_and = j < len(items) and items[j][0] == "and"
    j += has_and
    kind, value = items[j] if j < len(items) else ("", "")
    if kind == "tens" and j + 1 < len(items) and items[j + 1][0] == "unit" and items[j + 1][1] != "0":
        return str(int(value) + int(items[j + 1][1])), j + 1
    if kind in ("tens", "teen"):
        return value, j
    if kind == "unit" and has_and:
        return "0" + value, j
    return "00", i


def _to_digits(items: Sequence[_Item]) -> str:
    """Digits of a run of number words: "double five" is 55, "nineteen eighty five" is 1985."""
    out: list[str] = []
    i = 0
    while i < len(items):
        kind, value = items[i]
        after = items[i + 1] if i + 1 < len(items) else ("", "")
        if kind in ("digits", "unit", "teen"):
            out.append(value)
        elif kind == "tens" and after[0] == "unit" and after[1] != "0":
            out.append(str(int(value) + int(after[1])))
            i += 1
        elif kind == "tens":
            out.append(value)
        elif kind == "repeat" and after[0] == "unit":
            out.append(after[1] * int(value))
            i += 1
        elif kind == "hundred" and out and items[i - 1][0] in ("unit", "teen", "tens"):
            rest, i = _after_hundred(items, i)
            out[-1] += rest
        i += 1
    return "".join(out)


def digit_runs(norms: Sequence[str]) -> list[tuple[int, int, str]]:
    """Runs of consecutive number tokens as (first index, last index, digits)."""
    runs: list[tuple[int, int, str]] = []
    current: list[tuple[int, list[_Item]]] = []

    def flush() -> None:
        while current and all(k in ("sep", "and") for k, _ in current[-1][1]):
            current.pop()
        while current and all(k in ("sep", "and") for k, _ in current[0][1]):
            current.pop(0)
        digits = _to_digits([item for _, items in current for item in items])
        if digits:
            runs.append((current[0][0], current[-1][0], digits))
        current.clear()

    for i, norm in enumerate(norms):
        items = _number_items(norm)
        if items and items[0][0] == "and" and not (current and current[-1][1][-1][0] == "hundred"):
            items = None  # "and" only joins "five hundred and twelve"
        if items is None:
            flush()
        else:
            current.append((i, items))
    flush()
    return runs


def normalise_spoken_numbers(text: str) -> str:
    """``text`` with spoken numbers as digits: "four five three two" becomes "4532"."""
    tokens = _text_tokens(text)
    for first, last, digits in reversed(digit_runs([t.norm for t in tokens])):
        text = text[:tokens[first].char_start] + digits + text[tokens[last].char_end:]
    return text


# Spoken e-mail addresses, dates and postcodes -------------------------------------------------

_TLDS = {"com", "net", "org", "co", "uk", "io", "edu", "gov", "us", "ca", "au", "de", "fr", "ie",
         "nz", "info", "biz", "me"}
_LABEL = re.compile(r"[a-z0-9-]+")
_LOCAL = re.compile(r"[a-z0-9][a-z0-9._+-]*")
_STOP = {"is", "was", "my", "email", "e-mail", "address", "it's", "its", "it", "the", "me", "to",
         "at", "on", "send", "and", "or", "so", "that", "sure", "yes", "yeah", "okay", "ok", "um",
         "uh", "a", "i", "that's", "of", "in", "call", "you"}
_CONNECTORS = {"dot", "underscore", "dash", "hyphen", ".", "_", "-"}
_MONTHS = {"january", "february", "march", "april", "may", "june", "july", "august", "september",
           "october", "november", "december", "jan", "feb", "mar", "apr", "jun", "jul", "aug",
           "sep", "sept", "oct", "nov", "dec"}
_ORDINAL = re.compile(r"\d{1,2}(st|nd|rd|th)|first|second|third|fourth|fifth|sixth|seventh|eighth"
                      r"|ninth|tenth|eleventh|twelfth|\w+teenth|twentieth|thirtieth"
                      r"|(twenty|thirty)-?(first|second|third|fourth|fifth|sixth|seventh|eighth|ninth)")
_WRITTEN_DATE = re.compile(r"\d{1,4}[/.-]\d{1,2}[/.-]\d{2,4}")
_FILLER = {"is", "was", "it's", "its", "on", "in", "my", "date", "of", "the", "um", "uh", "er",
           "yeah", "sure", "it", "that's", "code", "postcode", "zip", "please"}


def _domain_end(norms: Sequence[str], i: int) -> int | None:
    """Last token of a domain starting at ``i`` ("gmail dot com", "gmail.com"), if one does."""
    if i >= len(norms) or norms[i] in _STOP:
        return None
    if re.fullmatch(r"[a-z0-9-]+(\.[a-z0-9-]+)+", norms[i]):
        return i if norms[i].rsplit(".", 1)[1] in _TLDS else None
    j = i
    while j + 2 < len(norms) and norms[j + 1] in ("dot", ".") and _LABEL.fullmatch(norms[j + 2]):
        j += 2
    return j if j > i and _LABEL.fullmatch(norms[i]) and norms[j] in _TLDS else None


def _local_part_start(norms: Sequence[str], i: int) -> int | None:
    """First token of the name before "at": "john dot smith", "j smith", "john smith"."""
    def word(k: int) -> bool:
        return k >= 0 and bool(_LOCAL.fullmatch(norms[k])) and norms[k] not in _STOP

    if not word(i):
        return None
    start = i
    while start >= 2 and norms[start - 1] in _CONNECTORS and word(start - 2):
        start -= 2
    extra_words = 0  # one more plain word ("john smith"), any number of spelled letters
    while word(start - 1) and (len(norms[start - 1]) == 1 or extra_words < 1):
        extra_words += len(norms[start - 1]) > 1
        start -= 1
    return start


def _date_span(norms: Sequence[str], i: int) -> tuple[int, int] | None:
    """A spoken date starting at ``i`` ("the third of march nineteen eighty five")."""
    while i < len(norms) and norms[i] in _FILLER:
        i += 1
    first, last, strong, numbers = i, None, False, 0
    while i < len(norms) and i - first < 10:
        norm = norms[i]
        if norm in _MONTHS or _ORDINAL.fullmatch(norm) or _WRITTEN_DATE.fullmatch(norm):
            strong, last = True, i
        elif _number_items(norm) and _to_digits(_number_items(norm) or []):
            numbers, last = numbers + 1, i
        elif norm not in ("of", "the", "slash", "-", "/"):
            break
        i += 1
    return (first, last) if last is not None and (strong or numbers >= 3) else None


def _spelled_code_span(norms: Sequence[str], i: int) -> tuple[int, int] | None:
    """A postcode read out in letters and digits after ``i`` ("s w one a one a a")."""
    while i < len(norms) and norms[i] in _FILLER:
        i += 1
    first, chars = i, ""
    while i < len(norms) and len(chars) < 8:
        norm, items = norms[i], _number_items(norms[i])
        if re.fullmatch(r"[a-z]|[a-z0-9]{2,4}", norm) and (len(norm) == 1 or re.search(r"\d", norm)):
            chars += norm
        elif items and _to_digits(items):
            chars += _to_digits(items)
        else:
            break
        i += 1
    has_both = any(c.isdigit() for c in chars) and any(c.isalpha() for c in chars)
    return (first, i - 1) if has_both and 5 <= len(chars) <= 8 else None


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
        domain_end = _domain_end(norms, at + 1)
        local_start = _local_part_start(norms, at - 1)
        if domain_end is not None and local_start is not None:
            spans.append((local_start, domain_end, RedactionKind.EMAIL))
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
        found = _date_span(norms, keyword + 1)
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
        found = _spelled_code_span(norms, keyword + 1)
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
