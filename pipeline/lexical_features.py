"""The words of a unit of speech as a sparse vector, read by the meaning matcher beside its
sentence embedding.

A sentence embedding places "that's on you" near "that's on us"; the few words that tell
blame from ownership, an apology from a thank-you or a threat from a complaint are what
word and character n-grams keep (dense and lexical features together usually beat either
alone on small labelled sets: Wang and Manning, "Baselines and Bigrams", ACL 2012).

Features, all read from ``normalize_text`` (lowercase, contractions expanded, British
spellings folded, so "youre" and "you're" agree):

- word 1-grams and 2-grams;
- the words in a negation's reach once more, marked as negated: a negation cue ("not",
  "never", ...) reverses the words after it in its clause, up to ``NEGATION_REACH`` words or a
  word such as "but" ("you will not have to call us" is no order, "I would never blame you" no
  blame). Marking them is the classic way a bag of words learns negation (Das and Chen, 2001;
  Pang, Lee and Vaithyanathan, "Thumbs up?", EMNLP 2002);
- character 3- to 5-grams of the words with a space either side, which survive a misheard
  or misspelt word ("refnd", "apologise").

Each n-gram is hashed (crc32, stable across processes and platforms, unlike ``hash``) into one
of ``dimension`` columns with a sign from a second hash, so collisions tend to cancel rather
than add up (Weinberger et al., "Feature Hashing for Large Scale Multitask Learning", 2009).
Each family is scaled to unit length, so a long turn does not outweigh a short sentence.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence

import numpy as np
import scipy.sparse

from pipeline.text_normalize import tokenize

# Fixed here rather than read from the rubric's [matching] lists, which tune the phrase rules:
# trained weights are weights of these columns, so the lists are part of the features (and of
# the heads' digest). They hold "no", which the phrase rules leave out because an answer
# ("No, I understand you") would cancel the phrase after it; here it only adds columns.
NEGATION_CUES = frozenset({"not", "never", "no", "cannot", "nobody", "nothing", "neither",
                           "nor", "without"})
NEGATION_BREAKS = frozenset({"but", "however", "although", "though", "except", "so"})
NEGATION_REACH = 4  # words after a cue; 0 marks none

DIMENSION = 2**15  # columns; ~25k distinct n-grams in the rubric's examples, so few collide
_CHAR_SIZES = (3, 4, 5)


def word_ngrams(words: Sequence[str]) -> list[str]:
    """Word 1-grams and 2-grams, each tagged with its kind so it never meets a char n-gram."""
    return [f"w {word}" for word in words] + [
        f"b {first} {second}" for first, second in zip(words, words[1:])]


def negated_words(words: Sequence[str], clauses: Sequence[int]) -> list[str]:
    """The words within a negation cue's reach (same clause, no break word between), tagged."""
    negated, reach_end, clause = [], -1, None
    for index, (word, word_clause) in enumerate(zip(words, clauses)):
        if word in NEGATION_CUES:
            reach_end, clause = index + NEGATION_REACH, word_clause
        elif word in NEGATION_BREAKS or word_clause != clause:
            reach_end = -1
        elif index <= reach_end:
            negated.append(f"n {word}")
    return negated


def char_ngrams(words: Sequence[str]) -> list[str]:
    """Character 3- to 5-grams of each word padded with a space either side."""
    grams = []
    for word in words:
        padded = f" {word} "
        grams += [f"c {padded[i:i + size]}" for size in _CHAR_SIZES
                  for i in range(len(padded) - size + 1)]
    return grams


def _hashed(grams: list[str], dimension: int) -> tuple[np.ndarray, np.ndarray]:
    """Distinct columns and their values (signed counts scaled to unit length)."""
    if not grams:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
    codes = np.array([zlib.crc32(gram.encode("utf-8")) for gram in grams], dtype=np.int64)
    signs = np.where((codes >> 31) & 1, -1.0, 1.0)  # the top bit, unused by the modulus below
    columns, inverse = np.unique(codes % dimension, return_inverse=True)
    values = np.bincount(inverse, weights=signs, minlength=len(columns))
    norm = np.linalg.norm(values)
    return columns, (values / norm if norm > 0 else values).astype(np.float32)


def lexical_features(texts: Sequence[str], *, dimension: int = DIMENSION,
                     char_weight: float = 1.0) -> scipy.sparse.csr_matrix:
    """``(len(texts), dimension)`` sparse float32 rows: each text's word n-grams and
    character n-grams, each family of unit length (characters scaled by ``char_weight``)."""
    if dimension < 2:
        raise ValueError(f"dimension must be at least 2, got {dimension}")
    indptr, indices, data = [0], [], []
    for text in texts:
        words, clauses = _words_and_clauses(text)
        row: dict[int, float] = {}
        for grams, weight in ((word_ngrams(words) + negated_words(words, clauses), 1.0),
                              (char_ngrams(words), char_weight)):
            columns, values = _hashed(grams, dimension)
            for column, value in zip(columns.tolist(), values.tolist()):
                row[column] = row.get(column, 0.0) + weight * value
        indices += list(row)
        data += list(row.values())
        indptr.append(len(indices))
    return scipy.sparse.csr_matrix(
        (np.array(data, dtype=np.float32), np.array(indices, dtype=np.int64), np.array(indptr)),
        shape=(len(texts), dimension))


def _words_and_clauses(text: str) -> tuple[list[str], list[int]]:
    """The words of ``normalize_text(text)``, each with the clause it stands in."""
    words, clauses = [], []
    for token in tokenize(text.split()):
        for word in token.text.split():
            words.append(word)
            clauses.append(token.clause)
    return words, clauses
