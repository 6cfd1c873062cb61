"""Calls: upload, the worst-first queue, one call, its report."""

from __future__ import annotations

import json
from typing import Annotated, Literal

from fastapi import APIRouter, File, Form, Query, UploadFile, status
from fastapi.responses import JSONResponse, Response

from coach_api.access import Action, masks_personal_data, require, require_upload_agent, \
    require_upload_team, scope_for, visible_call, visible_call_with_report_json
from coach_api.query_types import IsoTime
from coach_api.deps import CurrentUser, QueueDep, SettingsDep, StoreDep
from coach_api.masking import mask_report
from coach_api.schemas import (API_PREFIX, Accepted, CallOut, CallPage, CallReport, QueueEntry,
                               Severity)
from coach_api.uploads import register_upload
from pipeline.call_report import FlagKind
from pipeline.errors import ConflictError
from pipeline.store import CallStatus
from pipeline.store.reports import report_not_found
from pipeline.store.reviews import QueueFilter
from pipeline.types import EventType

router = APIRouter(prefix="/calls", tags=["calls"])

CALL_ID_PATTERN = r"^[A-Za-z0-9_-]{1,100}$"


@router.post("", status_code=status.HTTP_202_ACCEPTED, summary="Upload a call for analysis",
             responses={409: {"description": "this recording is already stored, and analysed "
                                             "or being analysed"},
                        413: {"description": "over the size or duration limit"},
                        415: {"description": "not an accepted audio format"},
                        422: {"description": "not a stereo recording that can be read"}})
def upload_call(
    user: CurrentUser, store: StoreDep, settings: SettingsDep, queue: QueueDep,
    audio: Annotated[UploadFile, File(description="stereo recording: wav, flac, ogg/opus, mp3, m4a")],
    call_id: Annotated[str | None, Form(pattern=CALL_ID_PATTERN)] = None,
    agent_id: Annotated[str | None, Form(max_length=200)] = None,
    agent_name: Annotated[str | None, Form(max_length=200)] = None,
    team: Annotated[str | None, Form(max_length=200)] = None,
    customer_name: Annotated[str | None, Form(max_length=200)] = None,
    started_at: Annotated[IsoTime | None, Form()] = None,
    agent_channel: Annotated[int, Form(ge=0, le=1)] = 0,
) -> JSONResponse:
    """Checks the file, stores it as a queued call and hands it to the analysis workers.
    Poll ``status_url`` until the status is ``done`` (or ``failed``, with the reason)."""
    team = require_upload_team(user, team)
    require_upload_agent(store, user, agent_id)
    fields = {"call_id": call_id, "agent_id": agent_id, "agent_name": agent_name, "team": team,
              "customer_name": customer_name,
              "started_at": started_at.isoformat() if started_at else None}
    upload = register_upload(
        store, audio.file, filename=audio.filename, agent_channel=agent_channel,
        metadata_fields={key: value for key, value in fields.items() if value is not None},
        uploads_dir=settings.uploads_dir, max_bytes=settings.max_upload_bytes,
        max_duration_s=settings.max_call_duration_s, may_requeue=scope_for(user).contains)
    call = upload.call
    if not upload.accepted:
        known = scope_for(user).contains(call)
        raise ConflictError("this recording is already stored" +
                            (f" as call {call.id!r}" if known else ""))
    queue.submit(call.id)
    url = f"{API_PREFIX}/calls/{call.id}"
    body = Accepted(call_id=call.id, status=call.status, status_url=url, report_url=f"{url}/report")
    return JSONResponse(body.model_dump(mode="json"), status_code=202, headers={"Location": url})


@router.get("", summary="Calls, worst first")
def list_calls(
    user: CurrentUser, store: StoreDep,
    status_: Annotated[CallStatus | None, Query(alias="status")] = None,
    flagged: bool | None = None,
    min_severity: Severity | None = None,
    agent_id: Annotated[str | None, Query(max_length=200)] = None,
    team: Annotated[str | None, Query(max_length=200)] = None,
    since: Annotated[IsoTime | None, Query(description="calls started at or after")] = None,
    until: Annotated[IsoTime | None, Query(description="calls started before")] = None,
    check_met: Annotated[str | None, Query(max_length=100)] = None,
    check_missed: Annotated[str | None, Query(max_length=100)] = None,
    event_type: EventType | None = None,
    flag_kind: Annotated[FlagKind | None, Query(description="calls with a flag of this kind")] = None,
    reviewed: bool | None = None,
    sort: Annotated[Literal["priority", "newest", "oldest"],
                    Query(description="priority: worst first; newest or oldest started")] = "priority",
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> CallPage:
    """Ranked by worst flag, then number of flags, then lowest score; newest among equals
    (``sort`` orders by start time instead). Each call says why it is there (its flags)."""
    require(user, Action.LIST_CALLS)
    scope = scope_for(user)
    wanted = QueueFilter(
        status=status_, flagged=flagged, min_severity=min_severity, agent_id=agent_id, team=team,
        since=since, until=until, check_met=check_met, check_missed=check_missed,
        event_type=event_type, flag_kind=flag_kind, reviewed=reviewed, scope_agent_ids=scope.agent_ids,
        scope_teams=scope.teams)
    page = store.review_queue(wanted, limit=limit, offset=offset, order=sort)
    masked = masks_personal_data(user)
    return CallPage(items=[QueueEntry.of(item, masked=masked) for item in page.items],
                    total=page.total, limit=limit, offset=offset)


@router.get("/{call_id}", summary="One call and its analysis status")
def get_call(call_id: str, user: CurrentUser, store: StoreDep) -> CallOut:
    call = visible_call(store, user, call_id, Action.VIEW_CALL)
    return CallOut.of(call, masked=masks_personal_data(user))


@router.get("/{call_id}/report", summary="The call's current report", response_model=CallReport,
            responses={409: {"description": "the call is not analysed (yet)"}})
def get_report(call_id: str, user: CurrentUser, store: StoreDep) -> Response:
    # The busiest route: one query reads the call (for the access check) and the report.
    call, report_json = visible_call_with_report_json(store, user, call_id)
    if call.status is not CallStatus.DONE:
        reason = f": {call.error}" if call.error else "; try again when its status is done"
        raise ConflictError(f"call {call.id!r} is {call.status.value}{reason}")
    if report_json is None:
        raise report_not_found(call.id)
    if masks_personal_data(user):
        return JSONResponse(mask_report(json.loads(report_json),
                                        customer_name=call.customer_name))
    # The database holds the report as JSON text already: hand it on unparsed.
    return Response(report_json, media_type="application/json")
