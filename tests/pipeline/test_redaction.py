import pytest

from pipeline.redaction import (Redaction, RedactionKind, classify_digits, find_redactions, luhn_valid,
                                mask_text, mask_utterance, normalise_spoken_numbers)
from pipeline.types import Speaker, Utterance, Word

VALID_CARD = "4532015112830366"  # passes Luhn
CARD_WORDS = "four five three two zero one five one one two eight three zero three six six"
STEP_S = 0.4  # each word starts this long after the previous one and lasts 0.3 s


def utterance(text: str, *, start_s: float = 10.0, speaker: Speaker = Speaker.CUSTOMER) -> Utterance:
    words = tuple(Word(word=" " + w, start_s=start_s + k * STEP_S, end_s=start_s + k * STEP_S + 0.3,
                       probability=0.9) for k, w in enumerate(text.split()))
    return Utterance(speaker=speaker, start_s=start_s, end_s=words[-1].end_s, text=" " + text,
                     words=words)


def kinds(redactions) -> list[RedactionKind]:
    return [r.kind for r in redactions]


@pytest.mark.parametrize(("text", "kind", "found"), [
    (f"my card is {CARD_WORDS} thanks", RedactionKind.CARD_NUMBER, CARD_WORDS),
    ("it's 4532 0151 1283 0366 thanks", RedactionKind.CARD_NUMBER, "4532 0151 1283 0366"),
    ("it's 4532-0151-1283-0366.", RedactionKind.CARD_NUMBER, "4532-0151-1283-0366."),
    ("forty-five thirty-two oh one fifty-one twelve eighty-three oh three sixty-six",
     RedactionKind.CARD_NUMBER, None),
    ("card is four five three two zero one five one one two eight three zero three six seven",
     RedactionKind.ACCOUNT_NUMBER, None),  # fails Luhn: still a long number, masked as an account
    ("my number is oh seven seven double oh nine double oh one two three", RedactionKind.PHONE_NUMBER,
     "oh seven seven double oh nine double oh one two three"),
    ("call me on 555 867 5309", RedactionKind.PHONE_NUMBER, "555 867 5309"),
    ("it's john dot smith at gmail dot com okay", RedactionKind.EMAIL, "john dot smith at gmail dot com"),
    ("my email is john smith at yahoo dot co dot uk", RedactionKind.EMAIL,
     "john smith at yahoo dot co dot uk"),
    ("send it to john.smith@gmail.com please", RedactionKind.EMAIL, "john.smith@gmail.com"),
    ("my postcode is s w one a one a a", RedactionKind.POSTCODE, "s w one a one a a"),
    ("it's SW1A 1AA", RedactionKind.POSTCODE, "SW1A 1AA"),
    ("my zip code is nine oh two one oh", RedactionKind.POSTCODE, "nine oh two one oh"),
    ("i was born on the third of march nineteen eighty five", RedactionKind.DATE_OF_BIRTH,
     "third of march nineteen eighty five"),
    ("date of birth 12/03/1985", RedactionKind.DATE_OF_BIRTH, "12/03/1985"),
    ("my social security number is one two three four five six seven eight nine",
     RedactionKind.NATIONAL_ID, "one two three four five six seven eight nine"),
    ("the account number is 40 12 77 31", RedactionKind.ACCOUNT_NUMBER, "40 12 77 31"),
])
def test_finds_personal_data(text, kind, found):
    redactions = find_redactions([utterance(text)])
    assert kinds(redactions) == [kind]
    if found is not None:
        assert redactions[0].text == found


@pytest.mark.parametrize("text", [
    "i have been waiting two weeks for this",
    "i placed an order for three items",
    "it cost two hundred and fifty dollars",
    "can you call me back at three thirty",
    "since twenty twenty four",
    "i was born in the uk and raised here",
    "order 5512 arrived on the 3rd",
    "i'll be at home all day",
    "one two three testing",
    "it's about 2.5 kilos",
])
def test_ordinary_numbers_and_words_are_left_alone(text):
    assert find_redactions([utterance(text)]) == ()


def test_times_come_from_the_word_timestamps_with_padding():
    redaction, = find_redactions([utterance(f"my card is {CARD_WORDS} thanks", start_s=10.0)], pad_s=0.1)
    first_word, last_word = 3, 3 + 16 - 1
    assert redaction.start_s == pytest.approx(10.0 + first_word * STEP_S - 0.1)
    assert redaction.end_s == pytest.approx(10.0 + last_word * STEP_S + 0.3 + 0.1)
    assert redaction.speaker is Speaker.CUSTOMER


def test_padding_never_goes_before_the_call():
    redaction, = find_redactions([utterance(CARD_WORDS, start_s=0.0)], pad_s=0.5)
    assert redaction.start_s == 0.0


def test_a_number_read_across_two_utterances_is_one_redaction():
    first, second = CARD_WORDS.split()[:8], CARD_WORDS.split()[8:]
    parts = [utterance(" ".join(first), start_s=20.0), utterance(" ".join(second), start_s=24.0)]
    redaction, = find_redactions(parts)
    assert redaction.kind is RedactionKind.CARD_NUMBER
    assert redaction.start_s == pytest.approx(19.9)
    assert redaction.end_s == pytest.approx(24.0 + 7 * STEP_S + 0.4)


def test_the_other_partys_question_gives_the_context():
    asked = [utterance("and what is your zip code", start_s=0.0, speaker=Speaker.AGENT),
             utterance("nine oh two one oh", start_s=3.0)]
    assert kinds(find_redactions(asked)) == [RedactionKind.POSTCODE]
    assert find_redactions(asked[1:]) == ()  # five digits alone are not personal data


def test_agent_speech_is_searched_too():
    readback = utterance(f"so that's {CARD_WORDS} correct", speaker=Speaker.AGENT)
    assert [(r.kind, r.speaker) for r in find_redactions([readback])] == [
        (RedactionKind.CARD_NUMBER, Speaker.AGENT)]


@pytest.mark.parametrize(("spoken", "written"), [
    ("four five three two", "4532"),
    ("oh seven seven", "077"),
    ("double five triple one", "55111"),
    ("forty five thirty-two", "4532"),
    ("nineteen eighty five", "1985"),
    ("five hundred and twelve", "512"),
    ("eight hundred five five five", "800555"),
    ("wait two weeks", "wait 2 weeks"),
    ("the first one", "the first 1"),
])
def test_normalise_spoken_numbers(spoken, written):
    assert normalise_spoken_numbers(spoken) == written


@pytest.mark.parametrize(("digits", "valid"), [
    ("4532015112830366", True), ("4532015112830367", False), ("79927398713", True),
    ("79927398710", False), ("0", True),
])
def test_luhn(digits, valid):
    assert luhn_valid(digits) is valid


@pytest.mark.parametrize(("digits", "context", "kind"), [
    ("1234", "", None),
    ("1234", "the last four digits of the card are", RedactionKind.CARD_NUMBER),
    ("90210", "", None),
    ("90210", "zip code", RedactionKind.POSTCODE),
    ("5551234", "my phone number is", RedactionKind.PHONE_NUMBER),
    ("07700900123", "", RedactionKind.PHONE_NUMBER),
    ("123456789", "social security", RedactionKind.NATIONAL_ID),
    ("401277", "sort code", RedactionKind.ACCOUNT_NUMBER),
])
def test_classify_digits(digits, context, kind):
    assert classify_digits(digits, context=context) is kind


def test_mask_text_finds_data_in_free_text():
    masked = mask_text("sure my card is 4532 0151 1283 0366 and email jo@example.com")
    assert masked == "sure my card is [card number] and email [email]"


def test_mask_text_replaces_known_redactions():
    known = Redaction(kind=RedactionKind.ACCOUNT_NUMBER, speaker=Speaker.CUSTOMER, start_s=0.0,
                      end_s=1.0, text="AB-77")
    assert mask_text("it is ab-77 I think", [known]) == "it is [account number] I think"


def test_mask_utterance_replaces_the_words_with_one_label():
    spoken = utterance(f"my card is {CARD_WORDS} thanks")
    masked = mask_utterance(spoken, find_redactions([spoken]))
    assert [w.word.strip() for w in masked.words] == ["my", "card", "is", "[card number]", "thanks"]
    label = masked.words[3]
    assert (label.start_s, label.end_s) == (spoken.words[3].start_s, spoken.words[18].end_s)
    assert masked.text == "my card is [card number] thanks"
    assert not any(ch.isdigit() for ch in masked.text)


def test_mask_utterance_leaves_other_speakers_alone():
    agent = utterance("so that is four five three two", speaker=Speaker.AGENT)
    customer_card = Redaction(kind=RedactionKind.CARD_NUMBER, speaker=Speaker.CUSTOMER,
                              start_s=agent.start_s, end_s=agent.end_s, text="four five three two")
    assert mask_utterance(agent, [customer_card]).words == agent.words


def test_mask_utterance_without_words_masks_the_text():
    bare = Utterance(speaker=Speaker.CUSTOMER, start_s=0.0, end_s=4.0,
                     text="it's john dot smith at gmail dot com", words=())
    assert mask_utterance(bare, find_redactions([bare])).text == "it's [email]"
