"""Coaching items for the agent: what went well and what to change, each tied to evidence.

Items are written to the agent in plain, kind words, each at most 200 characters, with times
as mm:ss from the start of the call and quotes with personal data masked. Strengths come
first; at most ``max_items`` items are returned, keeping room for at least two strengths
when there are any, and the most important things to change first.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Callable, Mapping, Sequence

from pipeline.redaction import mask_text
from pipeline.scoring import agent_events, check_met
from pipeline.sentiment import SentimentTrajectory, Verdict
from pipeline.types import CheckResult, Event, EventType, Evidence, Speaker

logger = logging.getLogger(__name__)

MAX_MESSAGE_CHARS = 200
_MAX_QUOTE_CHARS = 120
_MAX_INLINE_QUOTE_CHARS = 40


@dataclass(frozen=True, slots=True, kw_only=True)
class CoachingItem:
    skill: str  # one of pipeline.scoring.SKILLS
    kind: str  # "strength" or "improve"
    message: str
    evidence: tuple[str, ...]  # event ids, or "check:<check id>"
    start_s: float | None = None  # the moment to play, when there is one
    quote: str | None = None  # what was said there, personal data masked

    def __post_init__(self) -> None:
        if self.kind not in ("strength", "improve"):
            raise ValueError(f"kind must be 'strength' or 'improve', got {self.kind!r}")
        if not self.evidence:
            raise ValueError("a coaching item needs at least one piece of evidence")
        if len(self.message) > MAX_MESSAGE_CHARS:
            raise ValueError(f"message is {len(self.message)} characters; keep it to {MAX_MESSAGE_CHARS}")


def format_mm_ss(seconds: float) -> str:
    """``134.6`` -> ``"02:14"``; minutes keep counting past an hour (``"75:03"``)."""
    whole = max(int(seconds), 0)
    return f"{whole // 60:02d}:{whole % 60:02d}"


def _first(checks: Mapping[str, CheckResult], check_id: str) -> Evidence | None:
    result = checks.get(check_id)
    return result.evidence[0] if result is not None and result.evidence else None


def _quote(evidence: Evidence | None) -> str | None:
    if evidence is None or not evidence.text.strip():
        return None
    text = mask_text(evidence.text.strip())
    return text if len(text) <= _MAX_QUOTE_CHARS else text[:_MAX_QUOTE_CHARS - 1].rstrip() + "…"


def _at(start_s: float | None) -> str:
    return "" if start_s is None else f" ({format_mm_ss(start_s)})"


def _from_check(checks: Mapping[str, CheckResult], check_id: str, *, skill: str, kind: str,
                message: Callable[[str, str | None], str], also: tuple[str, ...] = ()) -> CoachingItem:
    """An item about a check; ``message(time, quote)`` gets " (mm:ss)" or "" and the quote."""
    evidence = _first(checks, check_id)
    start_s = None if evidence is None else evidence.start_s
    quote = _quote(evidence)
    return CoachingItem(skill=skill, kind=kind, message=message(_at(start_s), quote),
                        evidence=(f"check:{check_id}",) + tuple(f"check:{c}" for c in also),
                        start_s=start_s, quote=quote)


# Strengths, most valuable first. Each returns None when it does not apply.

def _calm_under_pressure(events, checks, trajectory):
    shouted = [e for e in events if e.type is EventType.RAISED_VOICE and e.speaker is Speaker.CUSTOMER]
    if not shouted or agent_events(events, EventType.RAISED_VOICE):
        return None
    return CoachingItem(skill="composure", kind="strength", start_s=shouted[0].start_s,
                        evidence=tuple(e.id for e in shouted),
                        message=f"The customer raised their voice{_at(shouted[0].start_s)} and you "
                                "kept an even tone; that helps a tense call cool down.")


def _met(check_id: str, skill: str, text: str, *, unless: str | None = None):
    """A strength quoting ``check_id`` when it is met, unless the stronger ``unless`` is too."""
    def strength(events, checks, trajectory):
        if not check_met(checks, check_id) or (unless and check_met(checks, unless)):
            return None
        return _from_check(checks, check_id, skill=skill, kind="strength",
                           message=lambda t, q: text.format(t=t))
    return strength


def _both_met(check_id: str, because: str, skill: str, text: str):
    """A strength quoting ``check_id`` when both it and ``because`` are met."""
    def strength(events, checks, trajectory):
        if not (check_met(checks, check_id) and check_met(checks, because)):
            return None
        return _from_check(checks, check_id, skill=skill, kind="strength", also=(because,),
                           message=lambda t, q: text.format(t=t))
    return strength


def _turned_around(events, checks, trajectory):
    helped = tuple(f"check:{c}" for c in ("empathy_statement", "apology", "solution_offered")
                   if check_met(checks, c))
    if trajectory is None or trajectory.verdict is not Verdict.TURNED_AROUND or not helped:
        return None
    return CoachingItem(skill="resolution", kind="strength", evidence=helped,
                        message="The customer started the call upset and finished it calmer: "
                                "the way you handled it worked.")


def _backchannels(events, checks, trajectory):
    cues = agent_events(events, EventType.BACKCHANNEL)
    if len(cues) < 2:
        return None
    return CoachingItem(skill="listening", kind="strength", start_s=cues[0].start_s,
                        evidence=tuple(e.id for e in cues),
                        message=f"You used short cues like \"mm-hmm\"{_at(cues[0].start_s)} to show "
                                "you were following without taking over.")


_STRENGTHS = (
    _both_met("agent_boundary_set", "customer_abuse", "professionalism", "You stayed calm and "
              "set a clear limit when the caller became abusive{t}."),
    _calm_under_pressure,
    _met("empathy_statement", "empathy", "You acknowledged how the customer felt{t}; that helps "
         "them feel heard."),
    _both_met("escalation_offered", "customer_escalation_request", "professionalism",
              "When the customer asked for a manager, you offered a handover{t}."),
    _both_met("solution_offered", "next_steps_set", "resolution",
              "You told the customer what you could do{t} and agreed a clear next step."),
    _met("paraphrase_or_clarify", "listening", "You repeated the problem back{t} to check you had "
         "understood it."),
    _met("solution_offered", "resolution", "You told the customer clearly what you could do{t}.",
         unless="next_steps_set"),
    _turned_around, _backchannels,
    _met("customer_name_used", "professionalism", "You used the customer's name{t}, which makes "
         "the call feel personal."),
)


# Things to change, most important first.

def _raised_voice(events, checks, trajectory):
    raised = agent_events(events, EventType.RAISED_VOICE)
    if not raised:
        return None
    return CoachingItem(skill="composure", kind="improve", start_s=raised[0].start_s,
                        evidence=tuple(e.id for e in raised),
                        message=f"At {format_mm_ss(raised[0].start_s)} your voice rose well above "
                                "your usual level; when a call gets tense, slow down and lower your volume.")


def _dismissive(t: str, q: str | None) -> str:
    said = f"Saying \"{q}\"" if q and len(q) <= _MAX_INLINE_QUOTE_CHARS else "One phrase"
    return (f"{said}{t} can sound dismissive. Try naming the feeling instead: "
            "\"I can hear how frustrating this is.\"")


def _interruptions(events, checks, trajectory):
    cuts = agent_events(events, EventType.INTERRUPTION)
    if not cuts:
        return None
    more = f" (and {len(cuts) - 1} more time{'s' if len(cuts) > 2 else ''})" if len(cuts) > 1 else ""
    return CoachingItem(skill="listening", kind="improve", start_s=cuts[0].start_s,
                        evidence=tuple(e.id for e in cuts),
                        message=f"At {format_mm_ss(cuts[0].start_s)}{more} you started speaking while "
                                "the customer was still explaining; let them finish, then summarise "
                                "what you heard.")


def _escalation_missed(events, checks, trajectory):
    if not check_met(checks, "customer_escalation_request") or check_met(checks, "escalation_offered"):
        return None
    return _from_check(checks, "customer_escalation_request", skill="professionalism", kind="improve",
                       message=lambda t, q: f"The customer asked for a manager{t}; offer a handover, "
                                            "or explain when someone senior will call back.")


def _abuse_without_boundary(events, checks, trajectory):
    if not check_met(checks, "customer_abuse") or check_met(checks, "agent_boundary_set"):
        return None
    return _from_check(checks, "customer_abuse", skill="professionalism", kind="improve",
                       message=lambda t, q: f"The caller became abusive{t}. You don't have to take "
                                            "it: calmly say you want to help and ask them to keep "
                                            "the language civil.")


def _when(check_id: str, state: bool, skill: str, text: str | Callable[[str, str | None], str]):
    """An item for a check in a given state; ``text`` may use {t} for " (mm:ss)"."""
    def improve(events, checks, trajectory):
        if check_met(checks, check_id) is not state:
            return None
        message = text if callable(text) else (lambda t, q: text.format(t=t))
        return _from_check(checks, check_id, skill=skill, kind="improve", message=message)
    return improve


_IMPROVEMENTS = (
    _raised_voice,
    _when("dismissive_phrase", True, "composure", _dismissive),
    _when("blame_language", True, "positive_language", "The customer may have heard blame here{t}; "
          "focus on fixing the problem rather than on whose fault it was."),
    _interruptions, _escalation_missed,
    _when("negative_language", True, "positive_language", "You told the customer what you couldn't "
          "do{t}; lead with what you can do instead."),
    _abuse_without_boundary,
    _when("empathy_statement", False, "empathy", "Before moving to the fix, acknowledge how the "
          "customer feels, e.g. \"I can see why that's frustrating.\""),
    _when("paraphrase_or_clarify", False, "listening", "Before offering a fix, repeat the problem "
          "back in your own words so the customer knows you understood."),
    _when("solution_offered", False, "resolution", "Tell the customer clearly what you can do for "
          "them, even if it is only a first step."),
    _when("next_steps_set", False, "resolution", "End with a clear next step and when it will "
          "happen, so the customer knows what to expect."),
    _when("over_apology", True, "empathy", "You apologised several times; one sincere apology "
          "followed by action lands better."),
    _when("closing_check", False, "resolution", "Before you end the call, ask whether there is "
          "anything else you can help with."),
    _when("agent_introduction", False, "professionalism", "Open the call by giving your name, so "
          "the customer knows who is helping them."),
    _when("customer_name_used", False, "professionalism", "Use the customer's name once or twice; "
          "it makes the call feel personal."),
)


def coach(
    events: Sequence[Event],
    checks: Mapping[str, CheckResult],
    *,
    trajectory: SentimentTrajectory | None = None,
    max_items: int = 6,
) -> tuple[CoachingItem, ...]:
    """Up to ``max_items`` coaching items: strengths first, then the most important changes."""
    strengths = [i for rule in _STRENGTHS if (i := rule(events, checks, trajectory)) is not None]
    changes = [i for rule in _IMPROVEMENTS if (i := rule(events, checks, trajectory)) is not None]
    strength_count = min(len(strengths), max(2, max_items - len(changes)), max_items)
    change_count = min(len(changes), max_items - strength_count)
    logger.debug("coaching: %d strengths, %d changes found; keeping %d and %d",
                 len(strengths), len(changes), strength_count, change_count)
    return tuple(strengths[:strength_count] + changes[:change_count])
