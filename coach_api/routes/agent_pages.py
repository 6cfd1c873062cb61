"""An agent's own page, the same page of one agent for their supervisor, and the team."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from coach_api.access import Action, require, scope_for
from coach_api.agent_home import agent_view
from coach_api.deps import StoreDep
from coach_api.page_shell import PageUser, render
from pipeline.errors import PermissionDeniedError

router = APIRouter(prefix="/ui", include_in_schema=False)
Offset = Annotated[int, Query(ge=0, le=1_000_000, description="calls to skip, newest first")]


@router.get("/me")
async def my_page(request: Request, user: PageUser, store: StoreDep,
                  offset: Offset = 0) -> HTMLResponse:
    if not user.agent_id:
        raise PermissionDeniedError(f"a {user.role.value} has no calls of their own; the "
                                    "team page lists each agent's")
    view = await run_in_threadpool(agent_view, store, user, user.agent_id, offset=offset)
    return render(request, "agent.html", title="My calls and coaching", user=user, view=view,
                  own=True)


@router.get("/agents/{agent_id}")
async def agent_page(request: Request, agent_id: str, user: PageUser, store: StoreDep,
                     offset: Offset = 0) -> HTMLResponse:
    view = await run_in_threadpool(agent_view, store, user, agent_id, offset=offset)
    name = view.agent_name or agent_id
    return render(request, "agent.html", title=f"Agent {name}", user=user, view=view,
                  own=user.agent_id == agent_id)


@router.get("/team")
async def team_page(request: Request, user: PageUser, store: StoreDep) -> HTMLResponse:
    require(user, Action.TEAM_OVERVIEW)
    teams = scope_for(user).teams
    standings = await run_in_threadpool(store.agent_standings, scope_teams=teams)
    return render(request, "team.html", title="Team", user=user, standings=standings,
                  teams=teams)
