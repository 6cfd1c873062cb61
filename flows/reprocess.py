"""Reprocess stored calls (a new rubric, a fixed bug): each run adds a report version."""

from __future__ import annotations

from typing import Any

from prefect import flow

from flows.outcomes import Outcome, OutcomeKind, merge
from flows.process import analyse_claimed, config_for, failed_on_metadata
from flows.runtime import Workspace, store_for
from pipeline.errors import NotFoundError
from pipeline.store import claim_owner


@flow(name="reprocess-calls")
def reprocess_calls(call_ids: list[str], *, config: dict[str, Any] | None = None,
                    rubric: str | None = None,
                    workspace: dict[str, str] | None = None) -> dict[str, Any]:
    """Analyse stored calls again from their stored audio and metadata; the transcript cache
    makes a rubric change cheap. Earlier report versions are kept. A call that failed on its
    metadata is not analysed: ``callcoach process`` takes it again once it is fixed."""
    place = Workspace.from_params(workspace)
    store = store_for(place)
    outcomes = []
    for call_id in call_ids:
        try:
            call = store.get_call(call_id)
        except NotFoundError as exc:
            outcomes.append(Outcome(path="", call_id=call_id, kind=OutcomeKind.FAILED,
                                    reason=str(exc)))
            continue
        if failed_on_metadata(call):  # its stored metadata is not the metadata it should have
            outcomes.append(Outcome(path=call.source_path, call_id=call.id,
                                    kind=OutcomeKind.FAILED,
                                    reason=f"{call.error} (fix the sidecar or manifest row and "
                                           f"run `callcoach process {call.source_path}`)"))
            continue
        if not store.claim_call(call.id, owner=claim_owner(), force=True):
            outcomes.append(Outcome(path=call.source_path, call_id=call.id,
                                    kind=OutcomeKind.SKIPPED,
                                    reason="being processed by another worker"))
            continue
        outcomes.append(analyse_claimed(call, path=call.source_path, workspace=place,
                                        config=config_for(config), rubric_path=rubric))
    return merge(outcomes).to_json()
