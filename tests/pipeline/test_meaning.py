"""The meaning matcher: units, the combining rule, confidences, heads on disk, and the real
model and heads on wordings the phrase lists never saw."""

import dataclasses

import numpy as np
import pytest

from pipeline.check_heads import CheckHeads, Head, heads_path, load_heads, save_heads
from pipeline.check_training import MIN_THRESHOLD_FLOOR, fit_logistic, ordinary_floor
from pipeline.checks import example_transcript, run_checks
from pipeline.errors import ConfigError
from pipeline.meaning import UnitScore, combine, outcome_confidence, unit_spans, unit_text
from pipeline.report import check_outcome
from pipeline.rubric import load_rubric
from pipeline.text_normalize import tokenize
from pipeline.types import Speaker

RUBRIC = load_rubric()


def spans_of(text, unit="sentence"):
    pieces = tuple(text.split())
    tokens = tokenize(pieces)
    return [unit_text(tokens, pieces, span) for span in unit_spans(tokens, pieces, unit=unit)]


def test_sentences_are_units_and_a_turn_is_one():
    text = "I can't refund it. What I can do is send a voucher."
    assert spans_of(text) == ["I can't refund it.", "What I can do is send a voucher."]
    assert spans_of(text, unit="turn") == [text]


def test_a_title_ends_no_sentence():
    text = "You took it twice from Ms. Munt, and I want it back. Dr. Lee said so."
    assert spans_of(text) == ["You took it twice from Ms. Munt, and I want it back.",
                              "Dr. Lee said so."]
    tokens = tokenize(text.split())
    assert len({token.clause for token in tokens[4:7]}) == 1  # "from Ms. Munt,"


def test_a_one_or_two_word_sentence_is_read_with_the_next():
    assert spans_of("Disruptive? It's damn annoying.") == ["Disruptive? It's damn annoying."]
    assert spans_of("Anything else?") == ["Anything else?"]


def test_a_long_unpunctuated_stretch_is_read_in_overlapping_windows():
    words = " ".join(f"x{chr(97 + i % 26)}{chr(97 + i // 26)}" for i in range(30))
    units = spans_of(words)
    assert [len(unit.split()) for unit in units] == [12, 12, 12, 12]
    assert units[0].split()[6] == units[1].split()[0]  # a stride of six words


def test_a_long_sentence_is_cut_at_its_commas_before_any_window():
    text = ("If there's any delay, I'll call you myself before two o'clock, and I'll also add "
            "a credit to your account for the missed appointment.")
    assert spans_of(text) == ["If there's any delay, I'll call you myself before two o'clock,",
                              "and I'll also add a credit to your account for the missed "
                              "appointment."]


HEAD = Head(weights=np.zeros(384, dtype=np.float32), bias=0.0, threshold=0.6, veto=0.2,
            alone_threshold=0.5)


@pytest.mark.parametrize("rule_spans, probability, expected", [
    ([(1, 3)], 0.1, []),  # the matcher is sure it is not the behaviour: the phrase is vetoed
    ([(1, 3)], 0.3, [((1, 3), 0.5)]),  # a phrase the matcher doubts still counts, at 0.5
    ([(1, 3)], 0.9, [((1, 3), 0.9)]),
    ([], 0.7, [((0, 5), 0.7)]),  # the matcher alone, quoting the whole unit
    ([], 0.5, []),
])
def test_combining_rule(rule_spans, probability, expected):
    hits = combine(rule_spans, [UnitScore(span=(0, 5), probability=probability)], HEAD)
    assert [(hit.span, hit.confidence) for hit in hits] == expected


def test_a_negated_phrase_keeps_the_matcher_from_finding_its_unit_alone():
    units = [UnitScore(span=(0, 5), probability=0.9), UnitScore(span=(5, 9), probability=0.9)]
    hits = combine([], units, HEAD, negated_spans=[(2, 4)])
    assert [hit.span for hit in hits] == [(5, 9)]


@pytest.mark.parametrize("check_id, speaker, text", [
    ("blame_language", Speaker.AGENT, "I would never blame you for that."),
    ("customer_threat", Speaker.CUSTOMER, "I don't want to cancel my account, just fix it."),
    ("negative_language", Speaker.AGENT, "You don't need to do anything else."),
])
def test_a_denied_behaviour_is_not_found_by_the_real_matcher(check_id, speaker, text):
    result = run_checks(example_transcript(text, speaker=speaker), RUBRIC, customer_name=None)
    assert result[check_id].met is False, result[check_id]


def test_overlapping_windows_are_one_hit():
    units = [UnitScore(span=(0, 12), probability=0.9), UnitScore(span=(6, 18), probability=0.8),
             UnitScore(span=(12, 24), probability=0.7)]
    assert [hit.span for hit in combine([], units, HEAD)] == [(0, 12), (12, 24)]


def test_confidence_is_the_weakest_needed_hit_or_the_nearest_miss():
    assert outcome_confidence(True, [0.9, 0.7], [0.1], min_count=1) == 0.9
    assert outcome_confidence(True, [0.9, 0.7, 0.6], [], min_count=3) == 0.6
    assert outcome_confidence(False, [], [0.2, 0.1], min_count=1) == 0.8
    assert outcome_confidence(False, [0.95], [0.1], min_count=3) == 1.0  # one sure apology


def test_heads_round_trip_and_stale_heads_name_the_fix(tmp_path):
    rubric_path = tmp_path / "mine.toml"
    path = heads_path(rubric_path)
    assert path.name == "mine.heads.npz"
    save_heads(RUBRIC.heads, path)
    loaded = load_heads(path, RUBRIC)
    assert set(loaded.heads) == set(RUBRIC.heads.heads)
    head, shipped = loaded.heads["apology"], RUBRIC.heads.heads["apology"]
    assert np.array_equal(head.weights, shipped.weights)
    assert np.array_equal(head.neighbour_positive, shipped.neighbour_positive)
    assert len(head.neighbours) > 100 and np.allclose(head.neighbours, shipped.neighbours,
                                                      atol=1e-3)  # stored as float16
    save_heads(CheckHeads(examples_digest="0" * 16, heads=dict(RUBRIC.heads.heads)), path)
    with pytest.raises(ConfigError, match="rubric train --rubric .*mine.toml"):
        load_heads(path, dataclasses.replace(
            RUBRIC, checks={**RUBRIC.checks, "apology": dataclasses.replace(
                RUBRIC.checks["apology"], examples_match=("Sorry!",))}))


def test_logistic_fit_separates_what_is_separable():
    rng = np.random.default_rng(0)
    vectors = np.vstack([rng.normal(1.0, 0.3, (20, 4)), rng.normal(-1.0, 0.3, (20, 4))])
    labels = np.r_[np.ones(20), np.zeros(20)]
    beta = fit_logistic(vectors, labels, np.ones(40))
    predicted = (vectors @ beta[:-1] + beta[-1]) > 0
    assert (predicted == labels.astype(bool)).all()


def test_logistic_fit_keeps_the_signs_it_is_given_for_the_last_columns():
    rng = np.random.default_rng(1)
    vectors = np.vstack([rng.normal(1.0, 0.3, (20, 3)), rng.normal(-1.0, 0.3, (20, 3))])
    labels = np.r_[np.ones(20), np.zeros(20)]
    free = fit_logistic(vectors, labels, np.ones(40))
    assert (free[:3] > 0.1).all()  # every column says yes, left to itself
    signed = fit_logistic(vectors, labels, np.ones(40), signs=(-1, 1))
    assert signed[1] <= 0.0 < signed[2] and signed[0] > 0.1


@pytest.mark.parametrize("ordinary_scores, budget, expected", [
    # 1 of 200 ordinary sentences reaches 0.72: at a budget of 0.5 % the bar may sit under it
    ((0.72,) + (0.1,) * 199, 0.005, MIN_THRESHOLD_FLOOR),
    # at a budget of 0.25 % it may not: the lowest candidate above 0.72
    ((0.72,) + (0.1,) * 199, 0.0025, 0.75),
    # 0.85 and 0.62 among 200: at 0.5 % one of them may reach the bar, so it sits above 0.62
    ((0.85, 0.62) + (0.1,) * 198, 0.005, 0.65),
    # ordinary talk far below: never under the minimum
    ((0.01,) * 200, 0.005, MIN_THRESHOLD_FLOOR),
])
def test_floor_lets_at_most_the_budgeted_share_of_ordinary_talk_through(
        ordinary_scores, budget, expected):
    assert ordinary_floor(np.array(ordinary_scores), budget=budget) == pytest.approx(expected)


def outcome(example, check_id):
    speaker = RUBRIC.checks[check_id].speaker
    return run_checks(example_transcript(example, speaker=speaker), RUBRIC,
                      customer_name=None)[check_id]


@pytest.mark.parametrize("example, check_id, expected", [
    ("customer: You're a useless idiot! | agent: I want to help, but I can't carry on while "
     "you insult me, so let's keep this respectful.", "agent_boundary_set", True),
    ("customer: You're a useless idiot! | agent: I want to help, but I can't carry on while "
     "you insult me, so let's keep this respectful.", "negative_language", False),
    ("Then you have to hold the reset button until the light flashes.", "negative_language",
     False),
    ("So what I'm hearing is the bill doubled after the upgrade.", "negative_language", False),
    ("So what I'm hearing is the bill doubled after the upgrade.", "paraphrase_or_clarify",
     True),
    ("So the router was delivered but never worked, is that what happened?",
     "paraphrase_or_clarify", True),
    ("We can either refund you today or send a new one by courier, and neither costs you a "
     "penny.", "solution_offered", True),
    ("Would it help if I asked my team leader to look at this with you?",
     "escalation_offered", True),
    # A phrase counts only in the sense the check means: the same words reassure or brush
    # off, sympathise or give an instruction, and what follows them decides.
    ("You can relax now, the repair is booked for Monday.", "dismissive_phrase", False),
    ("Like I said, your refund went through this morning.", "dismissive_phrase", False),
    ("Relax, it's only a few pounds.", "dismissive_phrase", True),
    ("Like I said, the answer is still no.", "dismissive_phrase", True),
    ("Oh no, that's the last thing you need before a holiday.", "empathy_statement", True),
    ("The last thing you need to bring is photo ID.", "empathy_statement", False),
    ("The worn out bit is the hinge.", "empathy_statement", False),
])
def test_the_matcher_reads_what_a_sentence_means(example, check_id, expected):
    result = outcome(example, check_id)
    assert result.met is expected, result
    assert 0.5 <= result.confidence <= 1.0


def test_evidence_quotes_the_sentence_and_its_time_and_the_report_carries_confidence():
    example = ("agent: Let me look. | agent: Right, I've got it. | agent: Would it help if I "
               "asked my team leader to look at this with you?")
    result = outcome(example, "escalation_offered")
    (evidence,) = result.evidence
    assert evidence.speaker is Speaker.AGENT and evidence.start_s == pytest.approx(6.0)
    assert "team leader" in evidence.text
    assert check_outcome(result).confidence == result.confidence
