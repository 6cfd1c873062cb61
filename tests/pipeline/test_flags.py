import pytest

from pipeline.flags import Flag, Severity, flag_call, review_priority
from pipeline.scoring import score_call
from pipeline.sentiment import SentimentTrajectory, Verdict
from pipeline.types import CheckResult, Event, EventType, Evidence, Speaker


def check(check_id: str, met: bool | None, quotes: int = 1) -> CheckResult:
    evidence = tuple(Evidence(speaker=Speaker.AGENT, start_s=10.0 * k, end_s=10.0 * k + 1.0, text="q")
                     for k in range(quotes if met else 0))
    return CheckResult(check_id=check_id, met=met, evidence=evidence)


def checks(**states) -> dict[str, CheckResult]:
    return {cid: check(cid, *(state if isinstance(state, tuple) else (state,)))
            for cid, state in states.items()}


def events(count: int, event_type: EventType, speaker: Speaker) -> tuple[Event, ...]:
    return tuple(Event(id=f"{speaker}-{event_type}-{k}", type=event_type, speaker=speaker,
                       start_s=15.0 * k, end_s=15.0 * k + 1.0) for k in range(count))


def trajectory(verdict: Verdict, *, started_negative: bool = True) -> SentimentTrajectory:
    start = -0.5 if started_negative else 0.3
    return SentimentTrajectory(start_compound=start, end_compound=-0.6, delta=-0.6 - start,
                               start_word_count=20, end_word_count=20,
                               started_negative=started_negative, verdict=verdict)


def severities(flags) -> list[Severity]:
    return [f.severity for f in flags]


@pytest.mark.parametrize(("count", "expected"), [
    (0, []), (1, []), (2, [Severity.MEDIUM]), (3, [Severity.MEDIUM]), (4, [Severity.HIGH]),
    (7, [Severity.HIGH]),
])
def test_agent_interruption_severity(count, expected):
    flags = flag_call(events(count, EventType.INTERRUPTION, Speaker.AGENT), {})
    assert severities(flags) == expected
    if flags:
        assert len(flags[0].event_ids) == count


def test_customer_interruptions_raise_no_flag():
    assert flag_call(events(6, EventType.INTERRUPTION, Speaker.CUSTOMER), {}) == ()


def test_agent_raised_voice_is_high_and_names_its_events():
    raised = events(2, EventType.RAISED_VOICE, Speaker.AGENT)
    flag, = flag_call(raised, {})
    assert flag.severity is Severity.HIGH
    assert flag.event_ids == tuple(e.id for e in raised)


@pytest.mark.parametrize(("states", "severity"), [
    ({"dismissive_phrase": True}, Severity.MEDIUM),
    ({"blame_language": True}, Severity.MEDIUM),
    ({"dismissive_phrase": (True, 3)}, Severity.HIGH),
    ({"dismissive_phrase": True, "blame_language": True}, Severity.HIGH),
    ({"dismissive_phrase": False, "blame_language": None}, None),
])
def test_dismissive_or_blaming_language(states, severity):
    assert severities(flag_call((), checks(**states))) == ([] if severity is None else [severity])


def test_abusive_customer_is_high_for_the_agents_welfare():
    shouting = events(1, EventType.RAISED_VOICE, Speaker.CUSTOMER)
    flag, = flag_call(shouting, checks(customer_abuse=True))
    assert flag.severity is Severity.HIGH
    assert flag.check_ids == ("customer_abuse",)
    assert flag.event_ids == (shouting[0].id,)


@pytest.mark.parametrize("offered", [True, False])
def test_escalation_request_is_medium(offered):
    flag, = flag_call((), checks(customer_escalation_request=True, escalation_offered=offered))
    assert flag.severity is Severity.MEDIUM
    assert ("escalation_offered" in flag.check_ids) is offered


@pytest.mark.parametrize(("verdict", "started_negative", "expected"), [
    (Verdict.STAYED_NEGATIVE, True, [Severity.MEDIUM]),
    (Verdict.WORSENED, True, [Severity.HIGH]),
    (Verdict.WORSENED, False, [Severity.HIGH]),
    (Verdict.TURNED_AROUND, True, []),
    (Verdict.STAYED_POSITIVE, False, []),
    (Verdict.NOT_ENOUGH_SPEECH, False, []),
])
def test_upset_customer_not_turned_around(verdict, started_negative, expected):
    flags = flag_call((), {}, trajectory=trajectory(verdict, started_negative=started_negative))
    assert severities(flags) == expected


def test_customer_threat_is_low():
    assert severities(flag_call((), checks(customer_threat=True))) == [Severity.LOW]


def test_flags_are_sorted_most_severe_first():
    flags = flag_call(events(2, EventType.INTERRUPTION, Speaker.AGENT)
                      + events(2, EventType.RAISED_VOICE, Speaker.AGENT),
                      checks(customer_threat=True, customer_escalation_request=True))
    ranks = [f.severity.weight for f in flags]
    assert len(flags) == 4
    assert ranks == sorted(ranks, reverse=True)
    assert flags[0].severity is Severity.HIGH and flags[-1].severity is Severity.LOW


def test_review_priority_puts_worse_calls_first():
    high, medium = Flag(reason="h", severity=Severity.HIGH), Flag(reason="m", severity=Severity.MEDIUM)
    assert review_priority([high]) > review_priority([medium]) > review_priority([]) == 0.0
    assert review_priority([high, medium]) > review_priority([high])
    good = score_call((), checks(agent_introduction=True, empathy_statement=True), duration_s=60.0)
    bad = score_call(events(3, EventType.INTERRUPTION, Speaker.AGENT),
                     checks(agent_introduction=False, empathy_statement=False), duration_s=60.0)
    assert review_priority([medium], bad) > review_priority([medium], good)


@pytest.mark.parametrize(("length_s", "expected"), [(1.2, Severity.MEDIUM), (3.5, Severity.HIGH)])
def test_one_raised_stretch_is_high_only_when_sustained(length_s, expected):
    raised = (Event(id="ev-1", type=EventType.RAISED_VOICE, speaker=Speaker.AGENT,
                    start_s=10.0, end_s=10.0 + length_s),)
    flag, = flag_call(raised, {})
    assert flag.severity is expected
