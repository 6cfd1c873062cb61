import pytest

from pipeline.sentiment import (SentimentConfig, Verdict, classify, customer_trajectory,
                                get_analyzer, score_text, score_utterances)
from pipeline.types import Speaker, Utterance

ANGRY = "this is ridiculous i have been waiting for weeks and nobody called me back"
FURIOUS = "this is absolutely terrible you people are useless and i hate this"
HAPPY = "great thank you so much that is really helpful"
FLAT = "i am calling about my bill"


def utterance(speaker: Speaker, start_s: float, text: str, *, duration_s: float = 3.0) -> Utterance:
    return Utterance(speaker=speaker, start_s=start_s, end_s=start_s + duration_s, text=text, words=())


def call(first: str | None, last: str | None, *, agent_text: str = HAPPY) -> list[Utterance]:
    """A 90 s call: the customer says ``first`` at 5 s and ``last`` at 80 s; the agent talks throughout."""
    utterances = [utterance(Speaker.AGENT, s, agent_text) for s in (0.0, 40.0, 85.0)]
    if first is not None:
        utterances.append(utterance(Speaker.CUSTOMER, 5.0, first))
    if last is not None:
        utterances.append(utterance(Speaker.CUSTOMER, 80.0, last))
    return sorted(utterances, key=lambda u: u.start_s)


@pytest.mark.parametrize(("text", "sign"), [
    (ANGRY, -1),
    ("this is unacceptable", -1),
    ("i am not happy with this at all", -1),
    (HAPPY, 1),
    ("yes that works thanks", 1),
    (FLAT, 0),
    ("", 0),
])
def test_vader_reads_unpunctuated_lowercase_asr_text(text, sign):
    compound = score_text(text)
    if sign == 0:
        assert abs(compound) < 0.05
    else:
        assert compound * sign > 0.2


@pytest.mark.parametrize("text", [
    "then i would like to speak to your supervisor please",  # stock VADER: +0.59 from "like", "please"
    "yes i want that money back",
    "no",
])
def test_politeness_and_turn_taking_words_carry_no_mood(text):
    assert score_text(text) == 0.0


def test_analyser_is_created_once():
    assert get_analyzer() is get_analyzer()


@pytest.mark.parametrize(("start", "end", "verdict"), [
    (-0.6, 0.4, Verdict.TURNED_AROUND),
    (-0.6, 0.0, Verdict.TURNED_AROUND),
    (-0.6, -0.5, Verdict.STAYED_NEGATIVE),
    (-0.3, -0.7, Verdict.WORSENED),
    (0.3, -0.4, Verdict.WORSENED),
    (0.0, -0.2, Verdict.WORSENED),
    (0.2, 0.5, Verdict.STAYED_POSITIVE),
    (0.0, 0.3, Verdict.STAYED_POSITIVE),
    (0.4, 0.0, Verdict.STAYED_NEUTRAL),
])
def test_classify(start, end, verdict):
    assert classify(start, end) is verdict


@pytest.mark.parametrize(("first", "last", "verdict"), [
    (ANGRY, HAPPY, Verdict.TURNED_AROUND),
    (ANGRY, ANGRY, Verdict.STAYED_NEGATIVE),
    (HAPPY, FURIOUS, Verdict.WORSENED),
    (HAPPY, HAPPY, Verdict.STAYED_POSITIVE),
    (ANGRY, None, Verdict.NOT_ENOUGH_SPEECH),
    (None, HAPPY, Verdict.NOT_ENOUGH_SPEECH),
    ("no", HAPPY, Verdict.NOT_ENOUGH_SPEECH),  # one word is not enough to judge a mood
])
def test_customer_trajectory_verdicts(first, last, verdict):
    trajectory = customer_trajectory(score_utterances(call(first, last)), duration_s=90.0)
    assert trajectory.verdict is verdict


def test_trajectory_ignores_the_agent():
    cheerful_agent = customer_trajectory(score_utterances(call(ANGRY, ANGRY)), duration_s=90.0)
    gloomy_agent = customer_trajectory(score_utterances(call(ANGRY, ANGRY, agent_text=FURIOUS)),
                                       duration_s=90.0)
    assert cheerful_agent == gloomy_agent


def test_trajectory_reports_means_and_delta():
    trajectory = customer_trajectory(score_utterances(call(ANGRY, HAPPY)), duration_s=90.0)
    assert trajectory.start_compound == pytest.approx(score_text(ANGRY))
    assert trajectory.end_compound == pytest.approx(score_text(HAPPY))
    assert trajectory.delta == pytest.approx(score_text(HAPPY) - score_text(ANGRY))
    assert trajectory.started_negative


def test_short_acknowledgement_does_not_outweigh_a_complaint():
    # "okay thanks" scores about +0.4; weighted by words, the complaint still dominates the end.
    assert score_text("okay thanks") > -score_text(ANGRY) * 0.5
    utterances = call(ANGRY, ANGRY) + [utterance(Speaker.CUSTOMER, 84.0, "okay thanks", duration_s=0.8)]
    trajectory = customer_trajectory(score_utterances(utterances), duration_s=90.0)
    assert trajectory.verdict is Verdict.STAYED_NEGATIVE


def test_thirds_follow_the_utterances_without_a_duration():
    utterances = [utterance(Speaker.CUSTOMER, 100.0, ANGRY), utterance(Speaker.CUSTOMER, 190.0, HAPPY)]
    assert customer_trajectory(score_utterances(utterances)).verdict is Verdict.TURNED_AROUND


def test_min_words_per_third_is_respected():
    scored = score_utterances(call("this is awful", HAPPY))
    assert customer_trajectory(scored, duration_s=90.0).verdict is Verdict.TURNED_AROUND
    strict = SentimentConfig(min_words_per_third=5)
    assert customer_trajectory(scored, duration_s=90.0, config=strict).verdict is Verdict.NOT_ENOUGH_SPEECH
