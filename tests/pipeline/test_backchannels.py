"""Words decide short overlaps: acknowledgements are backchannels, real words interrupt."""

from types import MappingProxyType

import pytest

from pipeline.backchannels import is_acknowledgement, refine_with_words
from pipeline.config import TurnConfig
from pipeline.types import Event, EventType, Speaker, Utterance, Word


def words(text: str, start_s: float, step_s: float = 0.25) -> tuple[Word, ...]:
    return tuple(Word(word=w, start_s=start_s + i * step_s, end_s=start_s + (i + 1) * step_s,
                      probability=0.9) for i, w in enumerate(text.split()))


def utterance(speaker: Speaker, text: str, start_s: float) -> Utterance:
    spoken = words(text, start_s)
    return Utterance(speaker=speaker, start_s=start_s, end_s=spoken[-1].end_s, text=text,
                     words=spoken)


def overlap_event(kind: EventType, *, start_s: float, run_s: float, overlap_s: float) -> Event:
    details = {"overlap_s": overlap_s, "run_s": run_s}
    details |= ({"interrupted": "customer", "yielded": False} if kind is EventType.INTERRUPTION
                else {"during_turn_of": "customer"})
    return Event(id="ev-1", type=kind, speaker=Speaker.AGENT, start_s=start_s,
                 end_s=start_s + overlap_s, details=MappingProxyType(details))


@pytest.mark.parametrize("text, expected", [
    ("Mm-hmm.", True),
    ("mhm", True),
    ("Yeah, right.", True),
    ("I see.", True),
    ("Got it, okay.", True),
    ("uh huh", True),
    ("go on", True),
    ("No, wait.", False),
    ("But I paid", False),
    ("see", False),
    ("I", False),
])
def test_acknowledgement_table(text, expected):
    assert is_acknowledgement(words(text, 0.0)) is expected


def test_short_overlap_of_acknowledgement_words_becomes_a_backchannel():
    event = overlap_event(EventType.INTERRUPTION, start_s=10.0, run_s=1.1, overlap_s=0.8)
    transcript = (utterance(Speaker.CUSTOMER, "so the charge showed up twice on my card", 8.0),
                  utterance(Speaker.AGENT, "mm-hmm right", 10.05))
    (refined,) = refine_with_words((event,), transcript, config=TurnConfig())
    assert refined.type is EventType.BACKCHANNEL
    assert refined.details["words"] == "mm-hmm right"
    assert refined.id == "ev-1"


def test_short_run_with_real_words_and_long_overlap_becomes_an_interruption():
    event = overlap_event(EventType.BACKCHANNEL, start_s=10.0, run_s=0.9, overlap_s=0.9)
    transcript = (utterance(Speaker.AGENT, "no wait listen", 10.0),)
    (refined,) = refine_with_words((event,), transcript, config=TurnConfig())
    assert refined.type is EventType.INTERRUPTION
    assert refined.details["interrupted"] == "customer"


def test_short_real_words_with_short_overlap_are_neither():
    event = overlap_event(EventType.BACKCHANNEL, start_s=10.0, run_s=0.4, overlap_s=0.4)
    transcript = (utterance(Speaker.AGENT, "but", 10.0),)
    assert refine_with_words((event,), transcript, config=TurnConfig()) == ()


def test_words_of_the_other_party_are_not_used():
    event = overlap_event(EventType.INTERRUPTION, start_s=10.0, run_s=2.0, overlap_s=1.0)
    transcript = (utterance(Speaker.CUSTOMER, "yeah okay", 10.0),
                  utterance(Speaker.AGENT, "let me stop you there", 10.0))
    (refined,) = refine_with_words((event,), transcript, config=TurnConfig())
    assert refined.type is EventType.INTERRUPTION
    assert refined.details["words"] == "let me stop you there"


def test_events_without_words_pass_unchanged():
    event = overlap_event(EventType.INTERRUPTION, start_s=10.0, run_s=2.0, overlap_s=1.0)
    assert refine_with_words((event,), (), config=TurnConfig()) == (event,)
