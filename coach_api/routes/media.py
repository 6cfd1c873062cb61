"""Call audio (with range requests, so players can seek) and clips around findings."""

from __future__ import annotations

import mimetypes
import re
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, Response

from coach_api.access import Action, masks_personal_data, visible_call
from coach_api.clip_budget import (finding_spans, require_trainer_clip, trainer_clippable,
                                   trainer_window)
from coach_api.clips import clip_window, render_clip
from coach_api.deps import CurrentUser, StoreDep
from coach_api.masking import PersonalData
from coach_api.schemas import API_PREFIX, ClipOut
from pipeline.call_report import upgrade_document
from pipeline.errors import NotFoundError

router = APIRouter(prefix="/calls", tags=["audio"])

AUDIO_TYPES = {".opus": "audio/ogg", ".ogg": "audio/ogg", ".flac": "audio/flac",
               ".wav": "audio/wav", ".mp3": "audio/mpeg", ".m4a": "audio/mp4",
               ".webm": "audio/webm"}


def finding_span(report, finding_id: str) -> tuple[float, float]:
    """``(start_s, end_s)`` of an event (``ev-N``) or of a check's first piece of evidence."""
    for found_id, start_s, end_s in finding_spans(report):
        if found_id == finding_id:
            return start_s, end_s
    raise NotFoundError(f"the call has no event or evidenced check {finding_id!r}")


@router.get("/{call_id}/audio", summary="The whole recording (supports Range requests)",
            response_class=FileResponse,
            responses={200: {"content": {"audio/*": {}}}, 206: {"description": "a byte range"}})
async def get_audio(call_id: str, user: CurrentUser, store: StoreDep) -> FileResponse:
    call = await run_in_threadpool(visible_call, store, user, call_id, Action.FULL_AUDIO)
    if not call.audio_path.is_file():
        raise NotFoundError(f"the recording of call {call.id!r} is no longer stored")
    media_type = AUDIO_TYPES.get(call.audio_path.suffix.lower()) or \
        mimetypes.guess_type(call.audio_path.name)[0] or "application/octet-stream"
    return FileResponse(call.audio_path, media_type=media_type)


@router.get("/{call_id}/clips", summary="The clips of the call's findings this user may play")
def list_clips(call_id: str, user: CurrentUser, store: StoreDep) -> list[ClipOut]:
    """Each finding's clip window, in the call's time: every finding for a user who may hear
    the call; for a trainer, those inside the call's clip budget (the call page plays these
    in place of the recording, which trainers may not hear whole)."""
    call = visible_call(store, user, call_id, Action.CLIP)
    try:
        report = upgrade_document(store.latest_report(call.id).document)
    except NotFoundError:
        return []
    duration_s = float(report.get("duration_s") or call.duration_s or 0.0)
    base = f"{API_PREFIX}/calls/{call.id}/events"
    if masks_personal_data(user):
        allowed = trainer_clippable(report, duration_s=duration_s)
        windows = [(finding_id, trainer_window(start_s, end_s, pad_s=2.0, duration_s=duration_s))
                   for finding_id, start_s, end_s in finding_spans(report)
                   if finding_id in allowed]
    else:
        windows = [(finding_id, clip_window(start_s, end_s, pad_s=2.0, duration_s=duration_s))
                   for finding_id, start_s, end_s in finding_spans(report)]
    return [ClipOut(finding_id=finding_id, start_s=round(window.start_s, 3),
                    end_s=round(window.end_s, 3), url=f"{base}/{finding_id}/clip")
            for finding_id, window in windows]


@router.get("/{call_id}/events/{event_id}/clip", summary="A WAV clip around a finding",
            response_class=Response,
            responses={200: {"content": {"audio/wav": {}},
                             "description": "both channels, redacted ranges bleeped"}})
def get_clip(call_id: str, event_id: str, user: CurrentUser, store: StoreDep,
             pad_s: Annotated[float, Query(ge=0.0, le=30.0)] = 2.0) -> Response:
    """``event_id`` is an event id (``ev-N``) or a check id, whose first evidence is cut.
    Trainers get at most 2 s of padding and 20 s of audio a clip, the customer's name
    bleeped too, and only findings inside a quarter of the call (see the README)."""
    call = visible_call(store, user, call_id, Action.CLIP)
    try:
        # The clip budget and the masking walk the report's JSON (as read by this version).
        report = upgrade_document(store.latest_report(call.id).document)
    except NotFoundError:
        raise NotFoundError(f"call {call.id!r} has no report, so no findings yet") from None
    start_s, end_s = finding_span(report, event_id)
    duration_s = float(report.get("duration_s") or call.duration_s or end_s)
    if masks_personal_data(user):
        require_trainer_clip(report, event_id, duration_s=duration_s)
        window = trainer_window(start_s, end_s, pad_s=pad_s, duration_s=duration_s)
        spans = PersonalData.of(report, customer_name=call.customer_name).bleep_spans_s(report)
    else:
        window = clip_window(start_s, end_s, pad_s=pad_s, duration_s=duration_s)
        spans = [(row.start_s, row.end_s) for row in store.list_redactions(call.id)]
    wav = render_clip(call.audio_path, window=window, bleep_spans_s=spans)
    name = re.sub(r"[^A-Za-z0-9_-]+", "-", f"{call.id}-{event_id}")
    return Response(wav, media_type="audio/wav",
                    headers={"Content-Disposition": f'inline; filename="{name}.wav"'})
