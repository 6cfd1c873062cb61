"""Normalise transcript text so rubric phrases survive ASR noise.

Whisper and other recognisers write the same words in many ways: curly or missing apostrophes
("I'm", "Im"), British or US spelling ("apologise"), digits or words ("24", "twenty four"),
casual forms ("gonna"). Every one of them is mapped to one canonical, lowercase ASCII spelling,
one word per token, so a phrase written once in the rubric matches them all.

Tokens remember which source word they came from (to find word timings), the clause they sit in
(negation does not cross a comma or full stop) and their original capitalisation (names).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Iterable

from pipeline.spoken_numbers import NUMBER_WORDS, ONES, ORDINAL_LAST, number_to_words  # noqa: F401

_PUNCT_ASCII = str.maketrans({
    "\u2018": "'", "\u2019": "'", "\u201b": "'", "\u02bc": "'", "`": "'", "\u00b4": "'",
    "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": " - ", "\u2026": "...",
})

# Whole words, written with or without their apostrophe. Apostrophe-less forms are listed only
# where they are not also common words in calls: "well", "were", "id" stay as they are, while
# "ill" is read as "I'll" (far more frequent in service calls than "unwell").
_WHOLE_WORDS = {
    "can't": "cannot", "cant": "cannot", "won't": "will not", "shan't": "shall not",
    "ain't": "is not", "i'm": "i am", "im": "i am", "let's": "let us",
    "dont": "do not", "doesnt": "does not", "didnt": "did not", "isnt": "is not",
    "arent": "are not", "wasnt": "was not", "werent": "were not", "couldnt": "could not",
    "shouldnt": "should not", "wouldnt": "would not", "havent": "have not", "hasnt": "has not",
    "hadnt": "had not", "mustnt": "must not", "neednt": "need not",
    "youre": "you are", "theyre": "they are", "youve": "you have", "ive": "i have",
    "weve": "we have", "theyve": "they have", "youll": "you will", "ill": "i will",
    "theyll": "they will",
    "youd": "you would", "theres": "there is", "thats": "that is", "whats": "what is",
    "heres": "here is", "its": "it is", "hes": "he is", "shes": "she is",
    "gonna": "going to", "wanna": "want to", "gotta": "got to", "hafta": "have to",
    "lemme": "let me", "gimme": "give me", "kinda": "kind of", "sorta": "sort of",
    "dunno": "do not know", "ok": "okay", "noone": "nobody", "mustve": "must have",
    "shouldve": "should have", "couldve": "could have", "wouldve": "would have",
    "alright": "all right",
    "mister": "mr", "missus": "mrs", "miz": "ms",
}
_IS_BEFORE_S = {"it", "that", "there", "here", "what", "who", "where", "how", "he", "she", "when"}
_SUFFIXES = (("n't", " not"), ("'m", " am"), ("'re", " are"), ("'ve", " have"),
             ("'ll", " will"), ("'d", " would"))

# British spellings (and US variants) folded into one form; the -ise verbs are listed rather
# than guessed because "advise", "promise", "otherwise" must stay as they are.
_ISE_STEMS = ("apolog", "real", "recogn", "priorit", "organ", "emphas", "sympath", "empath",
              "author", "final", "custom", "critic", "summar", "minim", "maxim", "special")
_SPELLING = {
    **{f"{stem}is{end}": f"{stem}iz{end}" for stem in _ISE_STEMS
       for end in ("e", "ed", "es", "ing", "ation", "ations")},
    "canceled": "cancelled", "canceling": "cancelling", "cancelation": "cancellation",
    "behaviour": "behavior", "colour": "color", "favour": "favor", "honour": "honor",
    "centre": "center", "licence": "license", "programme": "program", "enrol": "enroll",
    "travelled": "traveled", "judgement": "judgment",
}

_JOINED = {("can", "not"): "cannot", ("no", "one"): "nobody"}
_CLAUSE_END = re.compile(r"(?:[.,!?;:]+[\"')\]]*|-+)$")
# A title's full stop ends neither a clause nor a sentence ("my account, Ms. Munt, and I want ...")
_TITLES = frozenset({"mr.", "mrs.", "ms.", "mx.", "dr.", "prof."})
_NUMBER_PIECE = re.compile(r"(\d+(?:\.\d+)?)(st|nd|rd|th)?")
_NOT_WORD = re.compile(r"[^a-z0-9' ]+")


@dataclass(frozen=True, slots=True, kw_only=True)
class Token:
    """One normalised word: ``text`` is canonical; ``raw`` keeps the source capitalisation."""

    text: str
    raw: str
    source_index: int  # index of the input piece (a timed Word) it came from
    clause: int  # tokens in different clauses are separated by punctuation


def to_ascii(text: str) -> str:
    """Fold typographic punctuation and accented letters to plain ASCII ("José" -> "Jose")."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_PUNCT_ASCII))
    return decomposed.encode("ascii", "ignore").decode("ascii")


def _spell_number(match: re.Match[str]) -> str:
    digits, ordinal = match.group(1), match.group(2)
    whole, _, decimals = digits.partition(".")
    if len(whole) > 9:  # account or card numbers: read digit by digit, as people say them
        spoken = " ".join(ONES[int(d)] for d in whole)
    else:
        spoken = number_to_words(int(whole))
    if decimals:
        spoken += " point " + " ".join(ONES[int(d)] for d in decimals)
    if ordinal:
        head, _, last = spoken.rpartition(" ")
        last = ORDINAL_LAST.get(last, last[:-1] + "ieth" if last.endswith("y") else last + "th")
        spoken = f"{head} {last}".strip()
    return f" {spoken} "


def _expand_word(word: str) -> str:
    """Expand one lowercase word's contraction; a possessive 's is dropped ("dana's" -> "dana")."""
    if word in _WHOLE_WORDS:
        return _WHOLE_WORDS[word]
    for suffix, replacement in _SUFFIXES:
        if word.endswith(suffix) and len(word) > len(suffix):
            return word[: -len(suffix)] + replacement
    if word.endswith("'s") and len(word) > 2:
        base = word[:-2]
        return f"{base} is" if base in _IS_BEFORE_S else base
    return word


def _piece_words(piece: str) -> list[tuple[str, str]]:
    """Split one input piece into (canonical, raw) words."""
    ascii_piece = _NUMBER_PIECE.sub(_spell_number, to_ascii(piece).replace("%", " percent "))
    ascii_piece = re.sub(r"(?<=\w)[-/](?=\w)", " ", ascii_piece)
    words: list[tuple[str, str]] = []
    for raw in ascii_piece.split():
        raw_clean = raw.strip("'\".,!?;:()[]{}*-")
        lowered = _NOT_WORD.sub("", raw_clean.lower())
        for part in _expand_word(lowered).split():
            part = part.replace("'", "")
            words.append((_SPELLING.get(part, part), raw_clean))
    return words


def tokenize(pieces: Iterable[str]) -> tuple[Token, ...]:
    """Normalise a sequence of pieces (timed words, or whitespace-split text) into tokens.

    Punctuation at the end of a piece closes the clause. Two-word spellings of one word are
    joined ("can not" -> "cannot", "no one" -> "nobody") so they match the same phrases.
    """
    tokens: list[Token] = []
    clause = 0
    for index, piece in enumerate(pieces):
        for canonical, raw in _piece_words(piece):
            previous = tokens[-1] if tokens and tokens[-1].clause == clause else None
            joined = _JOINED.get((previous.text, canonical)) if previous else None
            if previous is not None and joined is not None:
                tokens[-1] = Token(text=joined, raw=f"{previous.raw} {raw}",
                                   source_index=previous.source_index, clause=clause)
                continue
            tokens.append(Token(text=canonical, raw=raw, source_index=index, clause=clause))
        if _CLAUSE_END.search(to_ascii(piece).strip()) and not is_title(piece):
            clause += 1
    return tuple(tokens)


def is_title(piece: str) -> bool:
    """A title with its full stop ("Ms.", "Dr."), which ends no sentence."""
    return to_ascii(piece).strip().lower() in _TITLES


def normalize_text(text: str) -> str:
    """The canonical form of free text: lowercase ASCII words joined by single spaces."""
    return " ".join(token.text for token in tokenize(text.split()))
