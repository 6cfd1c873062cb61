import re

import pytest

from pipeline.coaching import MAX_MESSAGE_CHARS, CoachingItem, coach, format_mm_ss
from pipeline.sentiment import SentimentTrajectory, Verdict
from pipeline.types import CheckResult, Event, EventType, Evidence, Speaker


def check(check_id: str, met: bool | None, text: str = "a quote", start_s: float = 30.0) -> CheckResult:
    speaker = Speaker.CUSTOMER if check_id.startswith("customer_") else Speaker.AGENT
    evidence = (Evidence(speaker=speaker, start_s=start_s, end_s=start_s + 2.0, text=text),) if met else ()
    return CheckResult(check_id=check_id, met=met, evidence=evidence)


def event(event_id: str, event_type: EventType, speaker: Speaker, start_s: float) -> Event:
    return Event(id=event_id, type=event_type, speaker=speaker, start_s=start_s, end_s=start_s + 1.0)


ABUSIVE_CALL_CHECKS = {c.check_id: c for c in (
    check("customer_abuse", True, "you're a useless idiot", start_s=131.0),
    check("agent_boundary_set", True, "I want to help, but I need you to stop swearing", start_s=134.2),
    check("empathy_statement", True, "I can hear how frustrating this has been", start_s=20.0),
    check("paraphrase_or_clarify", False),
    check("solution_offered", True, "I can send a replacement today", start_s=150.0),
    check("next_steps_set", False),
    check("dismissive_phrase", True, "calm down", start_s=125.0),
    check("apology", None),
)}
ABUSIVE_CALL_EVENTS = (
    event("ev-1", EventType.INTERRUPTION, Speaker.AGENT, 65.4),
    event("ev-2", EventType.INTERRUPTION, Speaker.AGENT, 101.0),
    event("ev-3", EventType.RAISED_VOICE, Speaker.CUSTOMER, 128.0),
    event("ev-4", EventType.INTERRUPTION, Speaker.CUSTOMER, 140.0),
)


@pytest.mark.parametrize(("seconds", "text"), [
    (0.0, "00:00"), (5.99, "00:05"), (65.4, "01:05"), (134.6, "02:14"), (600.0, "10:00"),
    (4503.2, "75:03"), (-1.0, "00:00"),
])
def test_format_mm_ss(seconds, text):
    assert format_mm_ss(seconds) == text


def test_items_are_short_few_and_strengths_come_first():
    items = coach(ABUSIVE_CALL_EVENTS, ABUSIVE_CALL_CHECKS)
    assert 0 < len(items) <= 6
    assert all(len(i.message) <= MAX_MESSAGE_CHARS for i in items)
    kinds = [i.kind for i in items]
    assert kinds == sorted(kinds, key=lambda k: k != "strength")
    assert "strength" in kinds and "improve" in kinds


def test_every_item_points_at_real_evidence():
    known = {e.id for e in ABUSIVE_CALL_EVENTS} | {f"check:{c}" for c in ABUSIVE_CALL_CHECKS}
    for item in coach(ABUSIVE_CALL_EVENTS, ABUSIVE_CALL_CHECKS):
        assert item.evidence and set(item.evidence) <= known, item


def test_boundary_under_abuse_is_praised_with_its_time():
    item = next(i for i in coach(ABUSIVE_CALL_EVENTS, ABUSIVE_CALL_CHECKS)
                if "check:agent_boundary_set" in i.evidence)
    assert item.kind == "strength"
    assert "02:14" in item.message
    assert item.start_s == pytest.approx(134.2)
    assert item.quote == "I want to help, but I need you to stop swearing"


def test_agent_interruptions_become_one_item_with_the_first_time():
    item = next(i for i in coach(ABUSIVE_CALL_EVENTS, ABUSIVE_CALL_CHECKS) if i.skill == "listening")
    assert item.kind == "improve"
    assert item.evidence == ("ev-1", "ev-2")  # the customer's interruption (ev-4) is not the agent's
    assert item.message.startswith("At 01:05 (and 1 more time)")
    assert item.start_s == pytest.approx(65.4)


def test_times_in_messages_are_mm_ss_of_the_evidence():
    for item in coach(ABUSIVE_CALL_EVENTS, ABUSIVE_CALL_CHECKS):
        times = re.findall(r"\d+:\d\d", item.message)
        assert all(re.fullmatch(r"\d{2,}:[0-5]\d", t) for t in times)
        if times:
            assert times[0] == format_mm_ss(item.start_s)


def test_quotes_have_personal_data_masked():
    card = check("negative_language", True, "you need to read me 4532 0151 1283 0366 again", start_s=40.0)
    item, = [i for i in coach((), {"negative_language": card}) if i.evidence == ("check:negative_language",)]
    assert item.quote == "you need to read me [card number] again"


def test_strengths_fill_the_list_when_there_is_little_to_change():
    good = {c.check_id: c for c in (
        check("customer_abuse", True, start_s=100.0), check("agent_boundary_set", True, start_s=102.0),
        check("empathy_statement", True), check("paraphrase_or_clarify", True),
        check("solution_offered", True), check("next_steps_set", True),
        check("customer_name_used", True), check("customer_escalation_request", True),
        check("escalation_offered", True))}
    items = coach((event("ev-9", EventType.RAISED_VOICE, Speaker.CUSTOMER, 99.0),), good)
    assert [i.kind for i in items] == ["strength"] * 6


def test_only_changes_when_nothing_went_well():
    poor = {c.check_id: c for c in (check("empathy_statement", False), check("solution_offered", False))}
    items = coach((event("ev-1", EventType.RAISED_VOICE, Speaker.AGENT, 75.0),), poor)
    assert [i.kind for i in items] == ["improve"] * 3
    assert items[0].evidence == ("ev-1",) and "01:15" in items[0].message
    assert items[1].start_s is None and items[1].evidence == ("check:empathy_statement",)


def test_turnaround_is_credited_to_what_the_agent_did():
    turned = SentimentTrajectory(start_compound=-0.5, end_compound=0.4, delta=0.9, start_word_count=30,
                                 end_word_count=30, started_negative=True, verdict=Verdict.TURNED_AROUND)
    helped = {"apology": check("apology", True)}
    item, = [i for i in coach((), helped, trajectory=turned) if i.skill == "resolution"]
    assert item.evidence == ("check:apology",)
    assert coach((), {}, trajectory=turned) == ()  # with nothing to credit, no item


def test_null_checks_give_no_advice():
    nothing_applies = {cid: check(cid, None) for cid in (
        "empathy_statement", "paraphrase_or_clarify", "solution_offered", "closing_check")}
    assert coach((), nothing_applies) == ()


@pytest.mark.parametrize(("kwargs", "problem"), [
    ({"kind": "praise"}, "kind"),
    ({"evidence": ()}, "evidence"),
    ({"message": "x" * (MAX_MESSAGE_CHARS + 1)}, "characters"),
])
def test_coaching_item_rejects_bad_values(kwargs, problem):
    values = {"skill": "empathy", "kind": "strength", "message": "ok", "evidence": ("ev-1",)} | kwargs
    with pytest.raises(ValueError, match=problem):
        CoachingItem(**values)
