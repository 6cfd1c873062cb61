"""What the pages call each check, event type and flag kind, and what each means.

The ids are the pipeline's (``pipeline.check_meanings``, ``pipeline.types.EventType``,
``pipeline.call_report.FlagKind``); the words are for people and live only here. The pages
get them as one JSON block (:func:`page_labels`), so a new check shows under its id until it
is named here rather than breaking a page.
"""

from __future__ import annotations

from typing import Any

from pipeline.call_report import FlagKind, Severity
from pipeline.check_meanings import CHECK_MEANINGS
from pipeline.types import EventType

CHECKS = {  # id → (name, what "met" means)
    "agent_introduction": ("Introduction", "the agent greets and gives their own name early"),
    "customer_name_used": ("Customer's name used", "the agent addresses the customer by name"),
    "empathy_statement": ("Empathy", "the agent acknowledges the customer's feelings"),
    "apology": ("Apology", "the agent apologises"),
    "over_apology": ("Over-apologising", "the agent apologises so often it sounds scripted"),
    "paraphrase_or_clarify": ("Paraphrase or clarify",
                              "the agent restates the problem or checks understanding"),
    "solution_offered": ("Solution offered", "the agent states what they can do"),
    "next_steps_set": ("Next steps set", "the agent commits to a next step with a time"),
    "closing_check": ("Closing check", "the agent asks whether there is anything else"),
    "negative_language": ("Negative language",
                          "the agent says what they can't do without what they can"),
    "blame_language": ("Blaming the customer", "the agent blames the customer"),
    "dismissive_phrase": ("Dismissive phrase", "\"calm down\", \"as I already said\" and the like"),
    "customer_escalation_request": ("Customer asked for a manager",
                                    "the customer asks for a manager or supervisor"),
    "escalation_offered": ("Escalation offered", "the agent offers or makes a handover"),
    "customer_abuse": ("Abusive customer", "the customer insults, swears at or threatens"),
    "agent_boundary_set": ("Boundary set", "the agent calmly sets a limit on abuse"),
    "customer_threat": ("Customer threat", "the customer threatens to cancel, sue or go public"),
}

EVENTS = {
    EventType.INTERRUPTION: ("Interruption", "started talking over the other party for more "
                             "than half a second"),
    EventType.RAISED_VOICE: ("Raised voice", "clearly louder and higher than their own calm "
                             "level in this call, for a second or more"),
    EventType.LONG_SILENCE: ("Long silence", "neither party spoke for 5 s or more"),
    EventType.BACKCHANNEL: ("Backchannel", "a short \"mm-hmm\" or \"right\" inside the other "
                            "party's turn: active listening, not an interruption"),
}

SEVERITIES = {
    Severity.HIGH: "High: review this call first",
    Severity.MEDIUM: "Medium: review soon",
    Severity.LOW: "Low: worth a look",
}


def check_name(check_id: str) -> str:
    return CHECKS.get(check_id, (check_id.replace("_", " ").capitalize(), ""))[0]


def event_name(event_type: str) -> str:
    known = {str(key): value for key, value in EVENTS.items()}
    return known.get(event_type, (event_type.replace("_", " ").capitalize(), ""))[0]


def page_labels() -> dict[str, Any]:
    """Every label the pages use, as JSON-ready values."""
    checks = {}
    for check_id in CHECK_MEANINGS:
        name, meaning = CHECKS.get(check_id, (check_name(check_id), ""))
        polarity = CHECK_MEANINGS[check_id].polarity.value
        checks[check_id] = {"name": name, "meaning": meaning, "polarity": polarity}
    return {
        "checks": checks,
        "events": {str(key): {"name": name, "meaning": meaning}
                   for key, (name, meaning) in EVENTS.items()},
        "flags": {kind.value: kind.label for kind in FlagKind},
        "severities": {str(key): text for key, text in SEVERITIES.items()},
    }
