"""The meaning matcher's n-gram features: what they hold, and that they are stable, so heads
trained in one process score the same in another."""

import numpy as np
import pytest
import scipy.sparse

from pipeline.check_heads import Head
from pipeline.check_training import fit_logistic
from pipeline.errors import ConfigError
from pipeline.lexical_features import (DIMENSION, NEGATION_REACH, char_ngrams, lexical_features,
                                       negated_words, word_ngrams)
from pipeline.meaning import unit_features
from pipeline.sentence_encoder import DIMENSION as EMBEDDING_DIMENSION


def test_word_ngrams_are_words_and_neighbouring_pairs():
    assert word_ngrams(["that", "is", "on", "you"]) == [
        "w that", "w is", "w on", "w you", "b that is", "b is on", "b on you"]


def test_a_negation_marks_the_words_in_its_reach_within_its_clause():
    words = "you will not have to call us again i will".split()
    assert negated_words(words, [0] * 8 + [1, 1]) == [
        f"n {word}" for word in words[3:3 + NEGATION_REACH]]
    # a new clause or a word such as "but" ends the reach
    assert negated_words(["no", "you", "did", "it"], [0, 1, 1, 1]) == []
    assert negated_words(["not", "great", "but", "fine"], [0] * 4) == ["n great"]


def test_negation_marks_add_columns_to_a_negated_sentence_only(monkeypatch):
    texts = ["You will have to call us again.", "You will not have to call us again."]
    marked = lexical_features(texts)
    monkeypatch.setattr("pipeline.lexical_features.NEGATION_REACH", 0)
    unmarked = lexical_features(texts)
    assert (marked[0] != unmarked[0]).nnz == 0
    assert marked[1].nnz > unmarked[1].nnz


def test_char_ngrams_pad_each_word():
    grams = char_ngrams(["sory"])
    assert "c  so" in grams and "c ory " in grams and "c  sory" in grams
    assert all(3 <= len(gram) - 2 <= 5 for gram in grams)


def test_each_family_has_unit_length_and_an_empty_text_none():
    rows = lexical_features(["That's on you, I'm afraid.", ""], char_weight=1.0)
    assert rows.shape == (2, DIMENSION) and rows.dtype == np.float32
    assert float(rows[0].multiply(rows[0]).sum()) == pytest.approx(2.0, abs=1e-3)
    assert rows[1].nnz == 0


def test_features_are_the_same_in_every_process_and_fold_asr_spellings():
    first = lexical_features(["you're the one who cancelled it"])
    again = lexical_features(["youre the one who cancelled it"])  # a recogniser's spelling
    assert (first != again).nnz == 0
    # crc32, not Python's salted hash: a known column for a known n-gram
    assert first.indices.min() >= 0 and first.indices.max() < DIMENSION
    other = lexical_features(["we're the ones who cancelled it"])
    assert (first != other).nnz > 0


def test_a_misheard_word_keeps_most_of_its_character_ngrams():
    heard, misheard, unrelated = (lexical_features([text], char_weight=1.0)
                                  for text in ("refund", "refnd", "postcode"))
    assert (heard.multiply(misheard)).sum() > 0.25  # " ref", "refn" ... "nd " survive
    assert abs((heard.multiply(unrelated)).sum()) < 0.1


def test_a_dimension_below_two_is_refused():
    with pytest.raises(ValueError, match="dimension"):
        lexical_features(["hello"], dimension=1)


def test_unit_features_put_the_embedding_first():
    def encode(texts):
        return np.full((len(texts), EMBEDDING_DIMENSION), 0.5, dtype=np.float32)

    features = unit_features(["I'm sorry.", "Anything else?"], encode)
    assert features.shape == (2, EMBEDDING_DIMENSION + DIMENSION)
    assert np.allclose(features[:, :EMBEDDING_DIMENSION].toarray(), 0.5)
    assert features[:, EMBEDDING_DIMENSION:].nnz > 0


def test_a_head_of_another_feature_size_names_the_fix():
    head = Head(weights=np.zeros(EMBEDDING_DIMENSION, dtype=np.float32), bias=0.0,
                threshold=0.7, veto=0.1, alone_threshold=0.5)
    with pytest.raises(ConfigError, match="callcoach rubric train"):
        head.probability(scipy.sparse.csr_matrix((1, EMBEDDING_DIMENSION + DIMENSION)))


def test_a_logistic_head_on_ngrams_alone_learns_the_telling_words():
    texts = ["that is your fault", "you caused this yourself", "it is your own fault really",
             "that is our fault", "we caused this ourselves", "it is our own fault really"]
    labels = np.array([1.0, 1.0, 1.0, 0.0, 0.0, 0.0])
    beta = fit_logistic(lexical_features(texts), labels, np.ones(6))
    unseen = lexical_features(["this was your fault", "this was our fault"])
    logits = unseen @ beta[:-1] + beta[-1]
    assert logits[0] > 0 > logits[1]
