"""Numbers as people say them: the one table of number words, both ways.

Digits to words (``number_to_words``) lets rubric phrases and transcripts meet in one spelling
("24 hours" and "twenty four hours"); words to digits (``digit_runs``) finds the card and
phone numbers a caller reads out, digit by digit or grouped ("oh", "double five", "forty
five", "nineteen eighty five").
"""

from __future__ import annotations

import re
from typing import Sequence

ONES = tuple(("zero one two three four five six seven eight nine ten eleven twelve thirteen "
              "fourteen fifteen sixteen seventeen eighteen nineteen").split())
TENS = tuple("_ _ twenty thirty forty fifty sixty seventy eighty ninety".split())  # by tens digit
ORDINAL_LAST = {"one": "first", "two": "second", "three": "third", "five": "fifth",
                "eight": "eighth", "nine": "ninth", "twelve": "twelfth"}  # the irregular ones
NUMBER_WORDS = frozenset(ONES[1:] + TENS[2:] + ("hundred", "thousand", "million"))


# Digits to words ------------------------------------------------------------------------------

def number_to_words(value: int) -> str:
    """Spell a whole number 0..999,999,999 the way it is spoken ("forty two")."""
    if value < 20:
        return ONES[value]
    if value < 100:
        tens, ones = divmod(value, 10)
        return TENS[tens] + (f" {ONES[ones]}" if ones else "")
    for size, name in ((1_000_000, "million"), (1000, "thousand"), (100, "hundred")):
        if value >= size:
            high, rest = divmod(value, size)
            return f"{number_to_words(high)} {name}" + (f" {number_to_words(rest)}" if rest else "")
    raise AssertionError("unreachable")


# Words to digits, as a caller reads out a number -----------------------------------------------

_UNITS = {word: str(value) for value, word in enumerate(ONES[:10])}
_UNITS.update({"oh": "0", "o": "0", "nought": "0"})
_TEENS = {word: str(value) for value, word in enumerate(ONES[10:], start=10)}
_TENS = {word: str(10 * value) for value, word in enumerate(TENS) if value >= 2}
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


def token_digits(norm: str) -> str:
    """The digits one normalised token says ("forty-five" is "45"); "" when it is no number."""
    items = _number_items(norm)
    return _to_digits(items) if items else ""
