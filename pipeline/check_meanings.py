"""What each stable check id means: whose behaviour it finds, the skill it informs, and
whether the agent should do it or avoid it.

The rubric (``rubric.toml``) says how a check is recognised; this table says what a result
means, and every reader (scoring, flags, trends, the stored findings, the report) takes it
from here. The ids are stable: the API, the stored reports and the rubric file name them.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType

from pipeline.call_report import Polarity


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckMeaning:
    skill: str | None  # one of pipeline.scoring.SKILLS; None for the customer's checks
    polarity: Polarity


def _goal(skill: str) -> CheckMeaning:
    return CheckMeaning(skill=skill, polarity=Polarity.GOAL)


def _avoid(skill: str) -> CheckMeaning:
    return CheckMeaning(skill=skill, polarity=Polarity.AVOID)


_CUSTOMER = CheckMeaning(skill=None, polarity=Polarity.CUSTOMER)

# In DESIGN.md's order, which the rubric file follows.
CHECK_MEANINGS = MappingProxyType({
    "agent_introduction": _goal("professionalism"),
    "customer_name_used": _goal("professionalism"),
    "empathy_statement": _goal("empathy"),
    "apology": _goal("empathy"),
    "over_apology": _avoid("empathy"),
    "paraphrase_or_clarify": _goal("listening"),
    "solution_offered": _goal("resolution"),
    "next_steps_set": _goal("resolution"),
    "closing_check": _goal("resolution"),
    "negative_language": _avoid("positive_language"),
    "blame_language": _avoid("positive_language"),
    "dismissive_phrase": _avoid("composure"),
    "customer_escalation_request": _CUSTOMER,
    "escalation_offered": _goal("professionalism"),
    "customer_abuse": _CUSTOMER,
    "agent_boundary_set": _goal("professionalism"),
    "customer_threat": _CUSTOMER,
})
CHECK_IDS = tuple(CHECK_MEANINGS)
