"""Agents: each one's trends over time, and the team overview."""

from fastapi import APIRouter

from coach_api.access import Action, require, scope_for, visible_agent
from coach_api.deps import CurrentUser, StoreDep
from coach_api.schemas import AgentStandingOut, AgentSummary, WeekOut
from coach_api.trends import weekly_trends
from pipeline.errors import NotFoundError

router = APIRouter(prefix="/agents", tags=["agents"])


@router.get("", summary="Every agent of the caller's teams: calls, mean score, flagged calls, "
                        "reviews not yet answered")
def team_overview(user: CurrentUser, store: StoreDep) -> list[AgentStandingOut]:
    require(user, Action.TEAM_OVERVIEW)
    return [AgentStandingOut.of(standing)
            for standing in store.agent_standings(scope_teams=scope_for(user).teams)]


@router.get("/{agent_id}/summary", summary="Per-week scores, interruptions, raised voices, "
                                            "checks met, skill scores")
def agent_summary(agent_id: str, user: CurrentUser, store: StoreDep) -> AgentSummary:
    scope = visible_agent(user, agent_id)
    rows = store.current_reports(agent_id=agent_id, scope_teams=scope.teams)
    if not rows:
        raise NotFoundError(f"no analysed calls for agent {agent_id!r}")
    weeks = weekly_trends((call.started_at or call.created_at, report) for call, report in rows)
    return AgentSummary(agent_id=agent_id, calls=len(rows),
                        weeks=[WeekOut(**{name: getattr(week, name) for name in WeekOut.model_fields})
                               for week in weeks])
