"""An agent's trends over time."""

from fastapi import APIRouter

from coach_api.access import Action, require, scope_for
from coach_api.deps import CurrentUser, StoreDep
from coach_api.schemas import AgentSummary, WeekOut
from coach_api.trends import weekly_trends
from pipeline.errors import NotFoundError

router = APIRouter(prefix="/agents", tags=["agents"])


@router.get("/{agent_id}/summary", summary="Per-week scores, interruptions, raised voices, "
                                            "checks met")
def agent_summary(agent_id: str, user: CurrentUser, store: StoreDep) -> AgentSummary:
    require(user, Action.AGENT_SUMMARY)
    scope = scope_for(user)
    rows = []
    if scope.agent_ids is None or agent_id in scope.agent_ids:
        rows = store.current_reports(agent_id=agent_id, scope_teams=scope.teams)
    if not rows:
        raise NotFoundError(f"no analysed calls for agent {agent_id!r}")
    weeks = weekly_trends((call.started_at or call.created_at, report) for call, report in rows)
    return AgentSummary(agent_id=agent_id, calls=len(rows),
                        weeks=[WeekOut(**{name: getattr(week, name) for name in WeekOut.model_fields})
                               for week in weeks])
