from pipeline import mono_call
from pipeline.party_naming import agent_voice_from_words
from pipeline.types import Interval, Separation, Speaker, SpeechActivity, Utterance, Word


def said(speaker, start_s, text):
    words = tuple(Word(word=w, start_s=start_s + i * 0.3, end_s=start_s + i * 0.3 + 0.25,
                       probability=0.9) for i, w in enumerate(text.split()))
    return Utterance(speaker=speaker, start_s=words[0].start_s, end_s=words[-1].end_s,
                     text=text, words=words)


def test_the_voice_that_greets_and_offers_help_is_the_agent():
    caller = (said(Speaker.AGENT, 0.5, "Hi, I'm calling about my bill."),)
    agent = (said(Speaker.CUSTOMER, 3.0, "Thank you for calling Brightline, how can I help?"),)
    assert agent_voice_from_words((caller, agent)) == 1
    assert agent_voice_from_words((agent, caller)) == 0


def test_words_that_say_nothing_about_roles_leave_the_fallback():
    assert agent_voice_from_words(((said(Speaker.AGENT, 0, "okay sure"),),
                                   (said(Speaker.CUSTOMER, 2, "right fine"),))) is None


def separation(named_by="first_speaker"):
    return Separation(method="mono-diarized", confidence=0.9, overlap=(), agent_named_by=named_by)


def test_words_rename_the_parties_unless_a_setting_named_them():
    transcript = (said(Speaker.AGENT, 0.5, "Hi, I'm calling about my bill."),
                  said(Speaker.CUSTOMER, 3.0, "Thank you for calling, how can I help?"))
    swap, renamed, named = mono_call.name_by_words(transcript, separation())
    assert swap and named.agent_named_by == "words"
    assert [u.speaker for u in renamed] == [Speaker.CUSTOMER, Speaker.AGENT]
    swap, kept, named = mono_call.name_by_words(transcript, separation("setting"))
    assert not swap and kept == transcript and named.agent_named_by == "setting"


def activity(agent, customer):
    def party(speaker, spans):
        return SpeechActivity(speaker=speaker, bleed_removed=(),
                              segments=tuple(Interval(start_s=a, end_s=b) for a, b in spans))
    return {Speaker.AGENT: party(Speaker.AGENT, agent),
            Speaker.CUSTOMER: party(Speaker.CUSTOMER, customer)}


def test_each_word_goes_to_the_party_speaking_at_its_time():
    heard = (said(Speaker.AGENT, 0.0, "one two three four five six"),)  # words 0.0 .. 1.75 s
    parties = activity(agent=[(0.0, 0.9)], customer=[(0.6, 1.8)])
    transcript = mono_call.attribute_words(heard, parties)
    assert [(u.speaker, u.text) for u in transcript] == [
        (Speaker.AGENT, "one two three"),  # "three" lies in the overlap: stays with "two"
        (Speaker.CUSTOMER, "four five six")]
