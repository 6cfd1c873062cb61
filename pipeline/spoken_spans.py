"""Where a spoken e-mail address, date or postcode begins and ends in a run of words.

Each function takes the normalised words of one party (``redaction.normalise``) and an index,
and returns the span of words that say the thing, or None; ``pipeline.redaction`` decides
what is personal data from these spans and the words said just before them.
"""

from __future__ import annotations

import re
from typing import Sequence

from pipeline.spoken_numbers import token_digits

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


def domain_end(norms: Sequence[str], i: int) -> int | None:
    """Last token of a domain starting at ``i`` ("gmail dot com", "gmail.com"), if one does."""
    if i >= len(norms) or norms[i] in _STOP:
        return None
    if re.fullmatch(r"[a-z0-9-]+(\.[a-z0-9-]+)+", norms[i]):
        return i if norms[i].rsplit(".", 1)[1] in _TLDS else None
    j = i
    while j + 2 < len(norms) and norms[j + 1] in ("dot", ".") and _LABEL.fullmatch(norms[j + 2]):
        j += 2
    return j if j > i and _LABEL.fullmatch(norms[i]) and norms[j] in _TLDS else None


def local_part_start(norms: Sequence[str], i: int) -> int | None:
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


def date_span(norms: Sequence[str], i: int) -> tuple[int, int] | None:
    """A spoken date starting at ``i`` ("the third of march nineteen eighty five")."""
    while i < len(norms) and norms[i] in _FILLER:
        i += 1
    first, last, strong, numbers = i, None, False, 0
    while i < len(norms) and i - first < 10:
        norm = norms[i]
        if norm in _MONTHS or _ORDINAL.fullmatch(norm) or _WRITTEN_DATE.fullmatch(norm):
            strong, last = True, i
        elif token_digits(norm):
            numbers, last = numbers + 1, i
        elif norm not in ("of", "the", "slash", "-", "/"):
            break
        i += 1
    return (first, last) if last is not None and (strong or numbers >= 3) else None


def spelled_code_span(norms: Sequence[str], i: int) -> tuple[int, int] | None:
    """A postcode read out in letters and digits after ``i`` ("s w one a one a a")."""
    while i < len(norms) and norms[i] in _FILLER:
        i += 1
    first, chars = i, ""
    while i < len(norms) and len(chars) < 8:
        norm, digits = norms[i], token_digits(norms[i])
        if re.fullmatch(r"[a-z]|[a-z0-9]{2,4}", norm) and (len(norm) == 1 or re.search(r"\d", norm)):
            chars += norm
        elif digits:
            chars += digits
        else:
            break
        i += 1
    has_both = any(c.isdigit() for c in chars) and any(c.isalpha() for c in chars)
    return (first, i - 1) if has_both and 5 <= len(chars) <= 8 else None
