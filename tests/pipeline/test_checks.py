"""Transcript checks on small hand-made transcripts: times, speakers, negation, null, counting."""

import pytest

from pipeline.checks import run_checks
from pipeline.name_checks import name_parts
from pipeline.transcript_lines import QUOTE_MAX_CHARS
from pipeline.rubric import load_rubric
from pipeline.text_normalize import normalize_text, number_to_words
from pipeline.types import Speaker, Utterance, Word

RUBRIC = load_rubric()
AGENT, CUSTOMER = Speaker.AGENT, Speaker.CUSTOMER


def say(speaker, text, start_s, *, word_s=0.4, timed=True):
    """An utterance whose words last ``word_s`` each, back to back from ``start_s``."""
    pieces = text.split()
    words = tuple(Word(word=piece, start_s=start_s + i * word_s, end_s=start_s + (i + 1) * word_s,
                       probability=0.9) for i, piece in enumerate(pieces)) if timed else ()
    return Utterance(speaker=speaker, start_s=start_s, end_s=start_s + len(pieces) * word_s,
                     text=text, words=words)


def check(transcript, check_id, *, customer_name=None):
    return run_checks(tuple(transcript), RUBRIC, customer_name=customer_name)[check_id]


def test_every_check_is_reported_in_rubric_order():
    results = run_checks((say(AGENT, "Hello.", 0.0), say(CUSTOMER, "Hi.", 1.0)), RUBRIC,
                         customer_name=None)
    assert list(results) == list(RUBRIC.checks)
    assert all(result.check_id == check_id for check_id, result in results.items())


def test_evidence_times_come_from_the_words_covering_the_match():
    line = say(AGENT, "Well, I'm so sorry about the delay.", 10.0, word_s=0.5)
    result = check([say(CUSTOMER, "It never came.", 5.0), line], "apology")
    assert result.met is True
    (evidence,) = result.evidence
    # "I'm so sorry" is words 1-3: 10.5 s to 12.0 s
    assert (evidence.start_s, evidence.end_s) == pytest.approx((10.5, 12.0))
    assert evidence.speaker is AGENT
    assert evidence.text == "Well, I'm so sorry about the delay."


def test_evidence_without_word_timings_uses_the_utterance():
    line = say(AGENT, "Calm down, please.", 20.0, timed=False)
    (evidence,) = check([line], "dismissive_phrase").evidence
    assert (evidence.start_s, evidence.end_s) == pytest.approx((line.start_s, line.end_s))


def test_long_utterances_are_quoted_as_a_window_around_the_match():
    filler = " ".join(["and then the bill came again"] * 12)
    line = say(AGENT, f"{filler} and I am really sorry about it {filler}", 0.0)
    (evidence,) = check([line], "apology").evidence
    assert len(line.text) > QUOTE_MAX_CHARS
    assert "sorry" in evidence.text and evidence.text.startswith("... ")
    assert len(evidence.text) < QUOTE_MAX_CHARS


@pytest.mark.parametrize("speaker, expected", [(CUSTOMER, False), (AGENT, True)])
def test_calm_down_is_dismissive_only_from_the_agent(speaker, expected):
    transcript = [say(AGENT, "How can I help?", 0.0), say(speaker, "Calm down, okay?", 2.0)]
    result = check(transcript, "dismissive_phrase")
    assert result.met is expected
    assert all(evidence.speaker is AGENT for evidence in result.evidence)


@pytest.mark.parametrize("check_id, text, expected", [
    ("negative_language", "I'm not saying you need to do anything.", False),
    ("negative_language", "You don't need to worry about that.", False),
    ("negative_language", "There's nothing you need to do.", False),
    ("negative_language", "You need to restart the router.", True),
    ("negative_language", "Don't worry, but you need to restart the router.", True),
    ("negative_language", "Sure. You will not have to explain it again.", False),
    ("blame_language", "I would never blame you for that.", False),
    ("blame_language", "It's not your fault.", False),
    ("blame_language", "its not your fault", False),
    ("blame_language", "That is your fault.", True),
    ("empathy_statement", "I don't understand the question.", False),
    ("empathy_statement", "I really do understand.", True),
    ("closing_check", "I can't do anything else.", False),
    ("escalation_offered", "I can't transfer you to a manager.", False),
    ("escalation_offered", "I can transfer you to a manager.", True),
    ("apology", "You don't need to apologise.", False),
    ("apology", "I can't apologise enough.", True),
])
def test_negation_cancels_a_match(check_id, text, expected):
    assert check([say(AGENT, text, 0.0)], check_id).met is expected


def test_negation_does_not_reach_across_a_clause():
    transcript = [say(AGENT, "That's not right. You need to read the terms.", 0.0)]
    assert check(transcript, "negative_language").met is True


def test_customer_negation_cancels_a_threat():
    transcript = [say(CUSTOMER, "I don't want to cancel my account, just fix it.", 0.0)]
    assert check(transcript, "customer_threat").met is False


def test_checks_of_a_silent_party_cannot_apply():
    results = run_checks((say(CUSTOMER, "Hello? Anyone there? I want to cancel.", 0.0),),
                         RUBRIC, customer_name="Dana Whitfield")
    assert results["empathy_statement"].met is None
    assert results["customer_name_used"].met is None
    assert results["customer_threat"].met is True


def test_customer_name_check_is_null_without_a_known_name():
    transcript = [say(AGENT, "Hello, this is Sam.", 0.0), say(CUSTOMER, "My bill is wrong.", 2.0),
                  say(AGENT, "Thanks, Dana.", 4.0)]
    result = check(transcript, "customer_name_used")
    assert result.met is None and result.evidence == ()


@pytest.mark.parametrize("customer_text, agent_text, expected", [
    ("Hi, my name is Dana Whitfield.", "Thank you, Ms. Whitfield.", True),
    ("Hi, my name is Dana Whitfield.", "Thanks Dana, one moment.", True),
    ("Hi, my name is Dana Whitfield.", "Thank you, mister Whitfeld.", True),  # misheard name
    ("This is Dana Whitfield speaking.", "Thanks for waiting.", False),
    ("It's Dana Whitfield, and I'm angry.", "thanks miss whitfield", True),
    ("This is ridiculous, I've called twice.", "Ridiculous is fair.", None),
    ("I'm calling about my bill.", "Calling about your bill, sure.", None),
])
def test_customer_name_from_the_customers_own_words(customer_text, agent_text, expected):
    transcript = [say(AGENT, "Hello, this is Sam.", 0.0), say(CUSTOMER, customer_text, 2.0),
                  say(AGENT, agent_text, 6.0)]
    result = check(transcript, "customer_name_used")
    assert result.met is expected
    if expected:
        assert result.evidence[0].speaker is AGENT and result.evidence[0].start_s >= 6.0


def test_a_bare_name_answering_the_agents_question_is_the_customers_name():
    transcript = [say(AGENT, "Can I take your name, please?", 0.0),
                  say(CUSTOMER, "Laura Finch. The account is under my name.", 2.0),
                  say(AGENT, "Thanks, Laura.", 6.0)]
    assert check(transcript, "customer_name_used").met is True
    unasked = [say(AGENT, "How can I help?", 0.0), *transcript[1:]]
    assert check(unasked, "customer_name_used").met is None


def test_metadata_name_wins_over_a_stated_one():
    transcript = [say(CUSTOMER, "My name is Dana.", 0.0), say(AGENT, "Thanks, Dana.", 2.0)]
    assert check(transcript, "customer_name_used", customer_name="Ron Castillo").met is False
    assert check(transcript, "customer_name_used", customer_name="Dana Whitfield").met is True


def test_name_parts_drop_titles():
    assert name_parts("Ms. Dana Whitfield") == ("dana", "whitfield")
    assert name_parts("Mr O'Neil") == ("oneil",)


@pytest.mark.parametrize("start_s, expected", [(0.0, True), (12.0, True), (45.0, False)])
def test_introduction_must_come_early(start_s, expected):
    transcript = [say(CUSTOMER, "Hello?", 0.0) if start_s else say(CUSTOMER, "Hi.", 5.0),
                  say(AGENT, "Good morning, my name is Sam. How can I help?", start_s)]
    result = check(transcript, "agent_introduction")
    assert result.met is expected
    if expected:
        # the greeting starts the utterance; "Sam" is its sixth word
        assert {evidence.start_s for evidence in result.evidence} == {start_s, start_s + 2.0}


@pytest.mark.parametrize("first, second, expected", [
    ("Good morning, how can I help?", "Let me look.", False),  # greeting without a name
    ("Hello, this is about your order.", "Let me look.", False),  # "about" is no name
    ("Sam here. What is the account number?", "Let me look.", True),  # opening turn greets
    ("What is the account number?", "Sam here, by the way.", False),  # neither greeting nor opening
    ("What is the account number?", "Hello, Sam here, by the way.", True),
])
def test_introduction_needs_a_name_and_a_greeting_or_the_opening_turn(first, second, expected):
    transcript = [say(AGENT, first, 0.0), say(CUSTOMER, "Four four seven.", 4.0),
                  say(AGENT, second, 8.0)]
    assert check(transcript, "agent_introduction").met is expected


def test_the_customers_name_is_not_the_agents_introduction():
    transcript = [say(AGENT, "Good morning, Mrs. Okafor.", 0.0)]
    assert check(transcript, "agent_introduction", customer_name="Grace Okafor").met is False
    assert check(transcript, "agent_introduction", customer_name="Tom Reyes").met is True


@pytest.mark.parametrize("apologies, expected", [
    (["I'm sorry about that."], False),
    (["I'm sorry about that.", "Sorry again."], False),
    (["I'm sorry about that.", "Sorry again.", "I apologise."], True),
    (["I'm so sorry. I'm really sorry. My apologies."], True),
])
def test_over_apology_counts_separate_apologies(apologies, expected):
    transcript = [say(AGENT, text, 10.0 * index) for index, text in enumerate(apologies)]
    result = check(transcript, "over_apology")
    assert result.met is expected
    assert len(result.evidence) == (3 if expected else 0)
    assert check(transcript, "apology").met is True


def test_over_apology_needs_the_apologies_close_together():
    window_s = RUBRIC.checks["over_apology"].window_s
    spread = [say(AGENT, "I'm sorry.", index * (window_s * 0.6)) for index in range(3)]
    close = [say(AGENT, "I'm sorry.", index * 5.0) for index in range(3)]
    assert check(spread, "over_apology").met is False
    assert check(close, "over_apology").met is True


@pytest.mark.parametrize("customer_text, agent_text, expected", [
    ("You're useless, you idiot!", "If that language continues, I will end the call.", True),
    ("You're useless, you idiot!", "Let me check your account.", False),
    ("This is really annoying.", "If that language continues, I will end the call.", None),
])
def test_boundary_applies_only_after_abuse(customer_text, agent_text, expected):
    transcript = [say(CUSTOMER, customer_text, 0.0), say(AGENT, agent_text, 3.0)]
    assert check(transcript, "agent_boundary_set").met is expected


@pytest.mark.parametrize("text", ["im sory about that", "I am so sorry", "i apologise",
                                  "Apologies."])
def test_apology_survives_asr_spelling(text):
    assert check([say(AGENT, text, 0.0)], "apology").met is True


def test_unrelated_speech_matches_nothing_on_the_agent_side():
    transcript = [say(AGENT, "The weather was lovely on the coast this weekend.", 0.0)]
    results = run_checks(tuple(transcript), RUBRIC, customer_name="Dana Whitfield")
    assert [cid for cid, result in results.items() if result.met] == []


@pytest.mark.parametrize("text, expected", [
    ("I’m SO sorry — can't help", "i am so sorry cannot help"),
    ("im gonna apologise", "i am going to apologize"),
    ("You're within 24 hours, by the 21st", "you are within twenty four hours by the twenty first"),
    ("There's nothing; it's José's", "there is nothing it is jose"),
    ("Mister Whitfield, ok", "mr whitfield okay"),
    ("no one can not say", "nobody cannot say"),
    ("follow-up 10%", "follow up ten percent"),
])
def test_normalisation_folds_asr_variants(text, expected):
    assert normalize_text(text) == expected


@pytest.mark.parametrize("value, words", [
    (0, "zero"), (15, "fifteen"), (42, "forty two"), (100, "one hundred"),
    (2024, "two thousand twenty four"), (1_000_001, "one million one"),
])
def test_number_to_words(value, words):
    assert number_to_words(value) == words
