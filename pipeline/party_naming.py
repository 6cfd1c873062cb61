"""Which of a mono call's two voices is the agent, from what each of them says.

Agents open with a greeting and the company's name, offer help and close the call; customers
explain why they are calling. Each voice scores one point per phrase of its role it uses in
the first minute and a half (where these phrases live) and the voice whose agent score is
ahead of the other's is the agent. No phrase either way leaves the decision to the fallback:
on a recorded service line the agent almost always speaks first.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from pipeline.types import Utterance

OPENING_S = 90.0
AGENT_PHRASES = tuple(re.compile(pattern) for pattern in (
    r"\bthank(s| you) for (calling|contacting|holding|your patience)\b",
    r"\bhow (can|may|could) i (help|assist)\b",
    r"\bwhat can i (do|help you with)\b",
    r"\bgood (morning|afternoon|evening)\b[^.?!]*\b(support|service|speaking)\b",
    r"\bmy name is\b", r"\bthis is \w+\b.*\b(speaking|from|with)\b", r"\b\w+ speaking\b",
    r"\b(can|could|may) i (have|get|take) your\b",
    r"\banything else i can\b",
    r"\bwelcome to\b",
    r"\bi('ll| will) (go ahead|put you|transfer|escalate|send you)\b",
))
CUSTOMER_PHRASES = tuple(re.compile(pattern) for pattern in (
    r"\bi('m| am) calling (about|because|to|regarding)\b",
    r"\bi (want|need|would like|'d like) to (cancel|speak|talk|complain|know|change)\b",
    r"\bmy (account|order|bill|car|booking|appointment|card|internet)\b",
    r"\b(can i|let me) (speak|talk) to (a|your) (manager|supervisor)\b",
))


def role_scores(utterances: Iterable[Utterance]) -> tuple[int, int]:
    """(agent phrases, customer phrases) found in ``utterances`` within the opening."""
    text = " ".join(u.text.lower() for u in utterances if u.start_s < OPENING_S)
    text = re.sub(r"[^a-z0-9' ]+", " ", text)
    agent = sum(1 for phrase in AGENT_PHRASES if phrase.search(text))
    customer = sum(1 for phrase in CUSTOMER_PHRASES if phrase.search(text))
    return agent, customer


def agent_voice_from_words(voices: tuple[tuple[Utterance, ...], tuple[Utterance, ...]]
                           ) -> int | None:
    """0 or 1: the voice whose words mark it as the agent; None when the words do not tell."""
    first, second = (role_scores(voice) for voice in voices)
    # Agent evidence for a voice counts with the other voice's customer evidence.
    lead = (first[0] + second[1]) - (second[0] + first[1])
    if lead == 0:
        return None
    return 0 if lead > 0 else 1
