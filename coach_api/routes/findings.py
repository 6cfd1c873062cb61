"""Findings across calls, for trainers and supervisors."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from coach_api import findings
from coach_api.access import Action, masks_personal_data, require, scope_for
from coach_api.query_types import IsoTime
from coach_api.deps import CurrentUser, StoreDep
from coach_api.schemas import FindingPage, Severity
from pipeline.types import EventType

router = APIRouter(prefix="/findings", tags=["findings"])


@router.get("", summary="Search events and check results across calls")
def search_findings(
    user: CurrentUser, store: StoreDep,
    kind: Literal["event", "check"] | None = None,
    type: EventType | None = None,
    check_id: Annotated[str | None, Query(max_length=100)] = None,
    met: bool | None = None,
    skill: Annotated[str | None, Query(max_length=100)] = None,
    severity: Severity | None = None,
    speaker: Literal["agent", "customer"] | None = None,
    agent_id: Annotated[str | None, Query(max_length=200)] = None,
    team: Annotated[str | None, Query(max_length=200)] = None,
    since: IsoTime | None = None,
    until: IsoTime | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> FindingPage:
    """Newest calls first; each finding has its quote (masked for trainers) and a clip URL."""
    require(user, Action.SEARCH_FINDINGS)
    query = findings.FindingQuery(kind=kind, type=type, check_id=check_id, met=met, skill=skill,
                                  severity=severity, speaker=speaker, agent_id=agent_id,
                                  team=team, since=since, until=until)
    found = findings.search(store, query, scope_for(user))
    page = findings.with_quotes(store, found[offset:offset + limit],
                                masked=masks_personal_data(user))
    return FindingPage(items=page, total=len(found), limit=limit, offset=offset)
