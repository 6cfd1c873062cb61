import pytest

from pipeline.scoring import SKILLS, Adjustment, ScorePart, combine, score_call
from pipeline.sentiment import SentimentTrajectory, Verdict
from pipeline.types import CheckResult, Event, EventType, Evidence, PartyMetrics, Speaker

DURATION_S = 240.0


def check(check_id: str, met: bool | None, *quotes: str, start_s: float = 30.0) -> CheckResult:
    evidence = tuple(Evidence(speaker=Speaker.AGENT, start_s=start_s + k, end_s=start_s + k + 1.0,
                              text=q) for k, q in enumerate(quotes))
    return CheckResult(check_id=check_id, met=met, evidence=evidence)


def checks(**states: bool | None) -> dict[str, CheckResult]:
    """A middling call: some good habits, some missing; override any check by keyword."""
    base = {"agent_introduction": True, "customer_name_used": False, "empathy_statement": True,
            "apology": False, "over_apology": False, "paraphrase_or_clarify": False,
            "solution_offered": True, "next_steps_set": False, "closing_check": True,
            "negative_language": False, "blame_language": False, "dismissive_phrase": False,
            "customer_escalation_request": None, "escalation_offered": None,
            "customer_abuse": False, "agent_boundary_set": None, "customer_threat": False}
    base.update(states)
    return {cid: check(cid, met, *(("quote",) if met else ())) for cid, met in base.items()}


def event(n: int, event_type: EventType, speaker: Speaker | None, start_s: float = 10.0) -> Event:
    return Event(id=f"ev-{n}", type=event_type, speaker=speaker, start_s=start_s, end_s=start_s + 1.0)


def interruptions(count: int, speaker: Speaker) -> tuple[Event, ...]:
    return tuple(event(100 + k, EventType.INTERRUPTION, speaker, 20.0 * k) for k in range(count))


def trajectory(verdict: Verdict) -> SentimentTrajectory:
    return SentimentTrajectory(start_compound=-0.5, end_compound=0.2, delta=0.7, start_word_count=20,
                               end_word_count=20, started_negative=True, verdict=verdict)


def score(events=(), check_results=None, **kwargs):
    return score_call(events, checks() if check_results is None else check_results,
                      duration_s=kwargs.pop("duration_s", DURATION_S), **kwargs)


def test_every_skill_is_reported_in_range():
    scores = score()
    assert set(scores.skills) == set(SKILLS)
    assert all(0 <= v <= 100 for v in scores.skills.values() if v is not None)
    assert 0 <= scores.overall <= 100


def test_combine_is_a_weighted_mean_plus_adjustments():
    parts = [ScorePart(name="a", weight=3.0, score=100.0), ScorePart(name="b", weight=2.0, score=40.0)]
    assert combine("x", parts, []).score == 76
    assert combine("x", parts, [Adjustment(name="c", points=-6.0)]).score == 70
    assert combine("x", parts, [Adjustment(name="c", points=90.0)]).score == 100
    assert combine("x", [], []).score is None


def test_each_agent_interruption_lowers_listening():
    listening = [score(interruptions(n, Speaker.AGENT)).skills["listening"] for n in range(6)]
    # Four interruptions in five minutes use up the whole interruption part; more cannot go lower.
    assert listening[0] > listening[1] > listening[2] > listening[3] > listening[4] == listening[5]
    overall = [score(interruptions(n, Speaker.AGENT)).overall for n in range(3)]
    assert overall[0] > overall[1] > overall[2]


def test_interruptions_are_weighed_per_five_minutes_in_long_calls():
    two = interruptions(2, Speaker.AGENT)
    listening = {d: score(two, duration_s=d).skills["listening"] for d in (60.0, 300.0, 1200.0)}
    assert listening[1200.0] > listening[300.0] == listening[60.0]


@pytest.mark.parametrize("customer_caused", [
    {"events": interruptions(3, Speaker.CUSTOMER)},
    {"events": (event(1, EventType.RAISED_VOICE, Speaker.CUSTOMER),)},
    {"events": (event(1, EventType.BACKCHANNEL, Speaker.CUSTOMER),)},
    {"events": (event(1, EventType.LONG_SILENCE, None),)},
    {"checks": {"customer_abuse": True}},
    {"checks": {"customer_threat": True}},
    {"checks": {"customer_abuse": True, "customer_threat": True}},
])
def test_customer_behaviour_never_changes_a_score(customer_caused):
    agent_events = interruptions(1, Speaker.AGENT)
    before = score(agent_events)
    after = score(agent_events + customer_caused.get("events", ()),
                  checks(**customer_caused.get("checks", {})))
    assert after.skills == before.skills
    assert after.overall == before.overall


def test_null_checks_are_left_out_not_failed():
    null = score(check_results=checks(paraphrase_or_clarify=None))
    missing_entirely = checks()
    del missing_entirely["paraphrase_or_clarify"]
    failed = score(check_results=checks(paraphrase_or_clarify=False))
    assert null.skills == score(check_results=missing_entirely).skills
    assert null.skills["listening"] > failed.skills["listening"]
    assert "paraphrase_or_clarify" not in {p.name for p in null.details["listening"].parts}


def test_a_skill_with_no_applicable_part_is_not_scored():
    scores = score(check_results=checks(negative_language=None, blame_language=None))
    assert scores.skills["positive_language"] is None
    assert scores.details["positive_language"].parts == ()


@pytest.mark.parametrize(("skill", "better", "worse"), [
    ("listening", {"paraphrase_or_clarify": True}, {"paraphrase_or_clarify": False}),
    ("empathy", {"empathy_statement": True}, {"empathy_statement": False}),
    ("empathy", {"over_apology": False}, {"over_apology": True}),
    ("composure", {"dismissive_phrase": False}, {"dismissive_phrase": True}),
    ("positive_language", {"negative_language": False}, {"negative_language": True}),
    ("positive_language", {"blame_language": False}, {"blame_language": True}),
    ("resolution", {"solution_offered": True}, {"solution_offered": False}),
    ("resolution", {"next_steps_set": True}, {"next_steps_set": False}),
    ("professionalism", {"agent_introduction": True}, {"agent_introduction": False}),
    ("professionalism", {"customer_escalation_request": True, "escalation_offered": True},
     {"customer_escalation_request": True, "escalation_offered": False}),
    ("professionalism", {"customer_abuse": True, "agent_boundary_set": True},
     {"customer_abuse": True, "agent_boundary_set": False}),
])
def test_each_check_moves_its_skill(skill, better, worse):
    good, bad = score(check_results=checks(**better)), score(check_results=checks(**worse))
    assert good.skills[skill] > bad.skills[skill]


def test_more_quotes_of_a_bad_habit_score_lower():
    once = checks(negative_language=True)
    thrice = {**once, "negative_language": check("negative_language", True, "a", "b", "c")}
    many, one = score(check_results=thrice), score(check_results=once)
    assert many.skills["positive_language"] < one.skills["positive_language"]


def test_agent_raised_voice_lowers_composure_only_for_the_agent():
    calm = score()
    agent_raised = score((event(1, EventType.RAISED_VOICE, Speaker.AGENT),))
    assert agent_raised.skills["composure"] < calm.skills["composure"]
    assert agent_raised.overall < calm.overall


def test_agent_backchannels_raise_listening_up_to_a_cap():
    listening = [score(tuple(event(k, EventType.BACKCHANNEL, Speaker.AGENT, 5.0 * k) for k in range(n)))
                 .skills["listening"] for n in range(6)]
    assert listening[0] < listening[1] < listening[2] < listening[3]
    assert listening[3] == listening[5]


def test_agent_talking_most_of_the_call_costs_listening():
    def metrics(share: float) -> dict[Speaker, PartyMetrics]:
        party = PartyMetrics(talk_time_s=100.0 * share, talk_share=share, overlap_time_s=0.0,
                             longest_monologue_s=20.0, median_response_latency_s=0.5)
        return {Speaker.AGENT: party}

    balanced = score(metrics=metrics(0.5)).skills["listening"]
    assert score(metrics=metrics(0.7)).skills["listening"] == balanced
    assert score(metrics=metrics(0.9)).skills["listening"] < balanced


def test_resolution_follows_the_customer_trajectory():
    by_verdict = {v: score(trajectory=trajectory(v)).skills["resolution"] for v in Verdict}
    assert by_verdict[Verdict.TURNED_AROUND] > by_verdict[Verdict.STAYED_NEGATIVE]
    assert by_verdict[Verdict.STAYED_NEGATIVE] > by_verdict[Verdict.WORSENED]
    assert by_verdict[Verdict.NOT_ENOUGH_SPEECH] == score().skills["resolution"]


def test_a_terrible_call_stays_in_range():
    bad = checks(**{cid: True for cid in ("negative_language", "blame_language", "dismissive_phrase",
                                          "over_apology")},
                 **{cid: False for cid in ("agent_introduction", "empathy_statement", "solution_offered")})
    events = interruptions(9, Speaker.AGENT) + tuple(
        event(k, EventType.RAISED_VOICE, Speaker.AGENT) for k in range(5))
    scores = score(events, bad, trajectory=trajectory(Verdict.WORSENED))
    assert all(0 <= v <= 100 for v in scores.skills.values() if v is not None)
    assert scores.overall < 40
