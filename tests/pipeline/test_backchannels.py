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


def murmured(text: str, start_s: float, probability: float) -> Utterance:
    spoken = tuple(Word(word=w.word, start_s=w.start_s, end_s=w.end_s, probability=probability)
                   for w in words(text, start_s))
    return Utterance(speaker=Speaker.AGENT, start_s=start_s, end_s=spoken[-1].end_s, text=text,
                     words=spoken)


@pytest.mark.parametrize("text", ["2019.", "42", "the 14th"])
def test_an_overlapping_number_is_never_an_acknowledgement(text):
    assert not is_acknowledgement(words(text, 0.0))
    event = overlap_event(EventType.BACKCHANNEL, start_s=10.0, run_s=0.7, overlap_s=0.7)
    transcript = (utterance(Speaker.CUSTOMER, "my account was opened in march", 8.0),
                  murmured(text, 10.0, probability=0.3))
    (refined,) = refine_with_words((event,), transcript, config=TurnConfig())
    assert refined.type is EventType.INTERRUPTION


def test_murmured_words_leave_a_short_run_a_backchannel():
    """Whisper hears a half-second "mm-hmm" under a louder voice as "in my mom", unsurely."""
    event = overlap_event(EventType.BACKCHANNEL, start_s=10.0, run_s=0.64, overlap_s=0.64)
    transcript = (utterance(Speaker.CUSTOMER, "nobody showed up or even called me", 8.0),
                  murmured("In my mom,", 10.0, probability=0.2))
    (refined,) = refine_with_words((event,), transcript, config=TurnConfig())
    assert refined.type is EventType.BACKCHANNEL
    assert refined.details["decided_by"] == "timing"


def test_clearly_heard_words_still_make_a_short_run_an_interruption():
    event = overlap_event(EventType.BACKCHANNEL, start_s=10.0, run_s=0.64, overlap_s=0.64)
    transcript = (murmured("no wait", 10.0, probability=0.9),)
    (refined,) = refine_with_words((event,), transcript, config=TurnConfig())
    assert refined.type is EventType.INTERRUPTION


def test_a_short_echo_of_the_other_partys_words_is_a_backchannel():
    event = overlap_event(EventType.BACKCHANNEL, start_s=10.0, run_s=0.7, overlap_s=0.7)
    transcript = (utterance(Speaker.CUSTOMER, "it was on the fourteenth of march I think", 8.5),
                  utterance(Speaker.AGENT, "the fourteenth", 10.0))
    (refined,) = refine_with_words((event,), transcript, config=TurnConfig())
    assert refined.type is EventType.BACKCHANNEL
    assert refined.details["decided_by"] == "echo"


def test_an_echo_that_takes_the_floor_stays_an_interruption():
    event = overlap_event(EventType.INTERRUPTION, start_s=10.0, run_s=3.0, overlap_s=1.0)
    transcript = (utterance(Speaker.CUSTOMER, "it was on the fourteenth of march I think", 8.5),
                  utterance(Speaker.AGENT, "the fourteenth", 10.0))
    (refined,) = refine_with_words((event,), transcript, config=TurnConfig())
    assert refined.type is EventType.INTERRUPTION


def test_one_middling_content_word_in_a_murmur_is_not_clear_enough():
    """tiny.en wrote a backchannel at 8 kHz as "Okay, remember," at 0.6 probability."""
    event = overlap_event(EventType.BACKCHANNEL, start_s=10.0, run_s=0.64, overlap_s=0.64)
    transcript = (utterance(Speaker.CUSTOMER, "your first bill goes to the new address", 9.0),
                  murmured("Okay, remember,", 10.0, probability=0.6))
    (refined,) = refine_with_words((event,), transcript, config=TurnConfig())
    assert refined.type is EventType.BACKCHANNEL
