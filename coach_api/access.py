"""Who may do what: the one place the API decides access.

Two questions, asked in this order:

1. May this role do this kind of thing at all? (``PERMISSIONS``; no: 403, whatever the call)
2. Is this call inside the caller's scope? (agent: calls where they are the agent; supervisor:
   calls of their teams; trainer and admin: every call). No: 404, worded exactly like a call
   that does not exist, so a guessed id reveals nothing.

Trainers see findings across teams with personal data masked in text and bleeped in audio,
and never the full recording. Clip collections are open to every role, and everyone hears
their clips as a trainer would (masked, bleeped, inside the call's trainer budget), whatever
team the call is from: a collection is teaching material, not a way into other teams' calls.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from coach_api.errors import PermissionDeniedError
from pipeline.errors import NotFoundError
from pipeline.store import CallRecord
from pipeline.store.users import Role, UserRecord

T = TypeVar("T")


class Action(enum.StrEnum):
    LIST_CALLS = "list calls"
    VIEW_CALL = "view calls and reports"
    FULL_AUDIO = "play full call audio"
    CLIP = "play clips"
    SEARCH_FINDINGS = "search findings"
    UPLOAD = "upload calls"
    READ_REVIEWS = "read reviews"
    WRITE_REVIEWS = "review calls"
    ANSWER_REVIEWS = "acknowledge or answer reviews"
    TEAM_OVERVIEW = "see the team overview"
    AGENT_SUMMARY = "see agent trends"
    MANAGE_USERS = "manage users"
    OPEN_COLLECTIONS = "open clip collections"
    CURATE_COLLECTIONS = "create clip collections and add clips"


_EVERYTHING = frozenset(Action)
PERMISSIONS: dict[Role, frozenset[Action]] = {
    Role.ADMIN: _EVERYTHING,
    Role.SUPERVISOR: _EVERYTHING - {Action.MANAGE_USERS},
    # An agent reads the reviews of their own calls and answers them (scope: their calls).
    Role.AGENT: frozenset({Action.LIST_CALLS, Action.VIEW_CALL, Action.FULL_AUDIO, Action.CLIP,
                           Action.AGENT_SUMMARY, Action.READ_REVIEWS, Action.ANSWER_REVIEWS,
                           Action.OPEN_COLLECTIONS}),
    Role.TRAINER: frozenset({Action.VIEW_CALL, Action.CLIP, Action.SEARCH_FINDINGS,
                             Action.OPEN_COLLECTIONS, Action.CURATE_COLLECTIONS}),
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Scope:
    """The calls a user may see: ``None`` is no restriction, an empty tuple is nothing."""

    agent_ids: tuple[str, ...] | None = None
    teams: tuple[str, ...] | None = None

    def contains(self, call: CallRecord) -> bool:
        return ((self.agent_ids is None or call.agent_id in self.agent_ids)
                and (self.teams is None or call.team in self.teams))


def require(user: UserRecord, action: Action) -> None:
    """Raise 403 unless the user's role may do ``action`` at all."""
    if action not in PERMISSIONS[user.role]:
        raise PermissionDeniedError(f"a {user.role.value} may not {action.value}")


def scope_for(user: UserRecord) -> Scope:
    if user.role is Role.AGENT:
        return Scope(agent_ids=(user.agent_id,) if user.agent_id else ())
    if user.role is Role.SUPERVISOR:
        return Scope(teams=user.teams)
    return Scope()


def visible_agent(user: UserRecord, agent_id: str) -> Scope:
    """The scope in which ``user`` sees agent ``agent_id``'s calls and trend: 403 for a role
    without trends, 404 (like an agent with no calls) for another agent of an agent user."""
    require(user, Action.AGENT_SUMMARY)
    scope = scope_for(user)
    if scope.agent_ids is not None and agent_id not in scope.agent_ids:
        raise NotFoundError(f"no analysed calls for agent {agent_id!r}")
    return scope


def masks_personal_data(user: UserRecord) -> bool:
    """Whether text shown to this user has personal data masked (trainers)."""
    return user.role is Role.TRAINER


def call_not_visible(call_id: str) -> NotFoundError:
    """A 404 that says no more than that: an out-of-scope call looks like a missing one."""
    return NotFoundError(f"no call with id {call_id!r}")


def visible_call(store, user: UserRecord, call_id: str, action: Action) -> CallRecord:
    """The call, if the user may do ``action`` on it; 403 for the role, 404 out of scope."""
    call, _ = _visible(user, call_id, action, lambda: (store.get_call(call_id), None))
    return call


def visible_call_with_report_json(store, user: UserRecord,
                                  call_id: str) -> tuple[CallRecord, str | None]:
    """:func:`visible_call` for viewing, with the current report's JSON text (None while it
    has none) read in the same query."""
    return _visible(user, call_id, Action.VIEW_CALL,
                    lambda: store.call_with_report_json(call_id))


def _visible(user: UserRecord, call_id: str, action: Action,
             read: Callable[[], tuple[CallRecord, T]]) -> tuple[CallRecord, T]:
    require(user, action)
    try:
        call, extra = read()
    except NotFoundError:
        raise call_not_visible(call_id) from None
    if not scope_for(user).contains(call):
        raise call_not_visible(call_id)
    return call, extra


def require_upload_team(user: UserRecord, team: str | None) -> str | None:
    """The team an upload is filed under: a supervisor's own (their only one by default)."""
    require(user, Action.UPLOAD)
    if user.role is not Role.SUPERVISOR:
        return team
    if team is None and len(user.teams) == 1:
        return user.teams[0]
    if team not in user.teams:
        raise PermissionDeniedError("a supervisor may upload calls only for their own team(s): "
                                    f"{', '.join(user.teams) or 'none'}")
    return team


def require_upload_agent(store, user: UserRecord, agent_id: str | None) -> None:
    """A supervisor files calls only under agents of their own teams: an agent whose user or
    whose stored calls belong to another team is refused (403), or the call would show in
    that agent's list and trend while the agent's own supervisor could not see it."""
    if user.role is not Role.SUPERVISOR or agent_id is None:
        return
    own = set(user.teams)
    teams = {team for other in store.list_users() if other.agent_id == agent_id
             for team in other.teams}
    teams |= {call.team for call in store.list_calls(agent_id=agent_id, limit=200)}
    foreign = sorted(str(team) for team in teams - own)
    if foreign:
        raise PermissionDeniedError(f"agent {agent_id!r} works in team(s) {', '.join(foreign)}; "
                                    "a supervisor may upload calls only for agents of their "
                                    f"own team(s): {', '.join(user.teams) or 'none'}")
