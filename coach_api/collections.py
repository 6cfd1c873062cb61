"""Collection items as readers see them: what each clip is, its masked quote, its clip.

Every reader of a collection, whatever their role, gets an item the way a trainer would: the
quote masked and the clip bleeped and inside the call's trainer budget, so a clip added by a
trainer can be opened by an agent of any team without passing on anyone's personal data.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from coach_api.access import Action, PERMISSIONS, scope_for
from coach_api.clip_budget import finding_spans, require_trainer_clip, trainer_window
from coach_api.clips import ClipWindow, render_clip
from coach_api.errors import PermissionDeniedError
from coach_api.findings import quote_at
from coach_api.labels import check_name, event_name
from coach_api.masking import PersonalData
from coach_api.schemas import API_PREFIX, CollectionItemOut
from pipeline.call_report import read_report, upgrade_document
from pipeline.errors import NotFoundError
from pipeline.store import CallRecord
from pipeline.store.collections import CollectionItemRecord
from pipeline.store.users import UserRecord

QUOTE_CHARS = 240


@dataclass(frozen=True, slots=True, kw_only=True)
class HeldFinding:
    """One finding of a call's current report, with what masking needs."""

    call: CallRecord
    document: dict[str, Any]
    finding_id: str
    start_s: float
    end_s: float

    @property
    def duration_s(self) -> float:
        return float(self.document.get("duration_s") or self.call.duration_s or self.end_s)

    def window(self) -> ClipWindow:
        """The clip as a trainer may hear it (403 past the call's trainer budget)."""
        require_trainer_clip(self.document, self.finding_id, duration_s=self.duration_s)
        return trainer_window(self.start_s, self.end_s, pad_s=2.0, duration_s=self.duration_s)

    def personal_data(self) -> PersonalData:
        return PersonalData.of(self.document, customer_name=self.call.customer_name)


def held_finding(store, call: CallRecord, finding_id: str) -> HeldFinding:
    """The finding in the call's current report; 404 when it has none such."""
    try:
        document = upgrade_document(store.latest_report(call.id).document)
    except NotFoundError:
        raise NotFoundError(f"call {call.id!r} has no report, so no findings yet") from None
    for found_id, start_s, end_s in finding_spans(document):
        if found_id == finding_id:
            return HeldFinding(call=call, document=document, finding_id=finding_id,
                               start_s=start_s, end_s=end_s)
    raise NotFoundError(f"call {call.id!r} has no event or evidenced check {finding_id!r}")


def describe(finding: HeldFinding) -> tuple[str, str | None]:
    """(label, masked quote) of a finding."""
    event = next((e for e in finding.document.get("events") or ()
                  if e.get("id") == finding.finding_id), None)
    if event is not None:
        label = f"{event_name(str(event.get('type')))} ({event.get('speaker') or 'both'})"
        quote = quote_at(read_report(finding.document), start_s=finding.start_s,
                         end_s=finding.end_s, speaker=event.get("speaker"))
    else:
        check = (finding.document.get("checks") or {}).get(finding.finding_id) or {}
        met = check.get("met")
        label = check_name(finding.finding_id) + ("" if met is None else
                                                  " (met)" if met else " (not met)")
        evidence = check.get("evidence") or ()
        quote = str(evidence[0].get("text") or "")[:QUOTE_CHARS] if evidence else None
    return label, finding.personal_data().mask_string(quote) if quote else None


def item_out(store, user: UserRecord, item: CollectionItemRecord) -> CollectionItemOut:
    """The item for ``user``; its call and finding may have gone since it was added."""
    call = store.get_call(item.call_id)
    in_scope = Action.VIEW_CALL in PERMISSIONS[user.role] and scope_for(user).contains(call)
    try:
        finding = held_finding(store, call, item.finding_id)
        label, quote = describe(finding)
        window = finding.window()
    except (NotFoundError, PermissionDeniedError):
        return CollectionItemOut.of(item, label=item.finding_id, quote=None, duration_s=None,
                                    clip_url=None, call_id=item.call_id if in_scope else None)
    url = f"{API_PREFIX}/collections/{item.collection_id}/items/{item.id}/clip"
    return CollectionItemOut.of(item, label=label, quote=quote, clip_url=url,
                                duration_s=round(window.end_s - window.start_s, 2),
                                call_id=item.call_id if in_scope else None)


def item_clip(store, item: CollectionItemRecord) -> bytes:
    """The item's clip as WAV: a trainer's window, the personal data bleeped."""
    finding = held_finding(store, store.get_call(item.call_id), item.finding_id)
    window = finding.window()
    spans = finding.personal_data().bleep_spans_s(finding.document)
    return render_clip(finding.call.audio_path, window=window, bleep_spans_s=spans)
