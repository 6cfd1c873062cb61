"""The per-call and batch flows: one file → a stored report; many files, some at once."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from prefect import flow, task
from prefect.cache_policies import NO_CACHE
from prefect.futures import as_completed

from flows import stages, tasks
from flows.jobs import CallJob, jobs_for
from flows.outcomes import BatchSummary, Outcome, OutcomeKind, merge
from flows.runtime import Workspace, store_for
from pipeline import config as config_module
from pipeline.config import Config
from pipeline.errors import CallcoachError, ErrorKind
from pipeline.store import CallRecord, CallStatus, claim_owner
from pipeline.store.calls import parse_started_at
from pipeline.types import CallMetadata

logger = logging.getLogger(__name__)

BUSY = "being processed by another worker"


def failed_for_good(call: CallRecord) -> bool:
    """The call failed in a way the same audio and config would repeat (see ErrorKind)."""
    return call.status is CallStatus.FAILED and call.error_kind is not None and \
        call.error_kind.deterministic


def failed_on_metadata(call: CallRecord) -> bool:
    return call.status is CallStatus.FAILED and call.error_kind is ErrorKind.INVALID_METADATA


def config_for(raw: dict[str, Any] | None) -> Config:
    return config_module.Config() if not raw else config_module.from_dict(raw)


def run_call(job: CallJob, *, workspace: Workspace, config: Config,
             rubric_path: str | None = None) -> Outcome:
    """Register, analyse and store one call unless its audio was already processed. A call
    that failed on its metadata takes the file's metadata as it is now: usable, it replaces the
    stored metadata and the call is analysed; still unusable, the current problem is recorded."""
    path = str(job.path)
    if not job.path.is_file():
        return Outcome(path=path, call_id=None, kind=OutcomeKind.FAILED,
                       reason="file not found (or not a file)")
    channel = config.decode.agent_channel if job.agent_channel is None else job.agent_channel
    call = tasks.register_call(path, job.metadata, agent_channel=channel, workspace=workspace).call
    earlier = _earlier_outcome(call, job=job, agent_channel=channel)
    if earlier is not None:
        return earlier
    store = store_for(workspace)
    if failed_on_metadata(call) and job.problem is None and not store.update_call_metadata(
            call.id, job.metadata, agent_channel=channel):
        return Outcome(path=path, call_id=call.id, kind=OutcomeKind.SKIPPED, reason=BUSY)
    # Claimed before failing it too, so a bad copy of a file never fails a call being analysed.
    if not store.claim_call(call.id, owner=claim_owner()):
        return Outcome(path=path, call_id=call.id, kind=OutcomeKind.SKIPPED, reason=BUSY)
    if job.problem is not None:
        store.mark_failed(call.id, reason=job.problem, kind=ErrorKind.INVALID_METADATA)
        return Outcome(path=path, call_id=call.id, kind=OutcomeKind.FAILED, reason=job.problem)
    # Read again: the report is built from the metadata stored now, which may have been replaced.
    return analyse_claimed(store.get_call(call.id), path=path, workspace=workspace,
                           config=config, rubric_path=rubric_path)


def _earlier_outcome(call: CallRecord, *, job: CallJob, agent_channel: int) -> Outcome | None:
    """The outcome of a call that is not to be analysed now, or None."""
    path = str(job.path)
    if call.status is CallStatus.DONE:
        reason = f"already processed as {call.id}"
        if job.problem is None and _metadata_differs(call, job.metadata, agent_channel):
            reason += (", whose stored metadata differs from this file's; a processed call keeps "
                       "the metadata its report was built from")
        return Outcome(path=path, call_id=call.id, kind=OutcomeKind.SKIPPED, reason=reason)
    if failed_on_metadata(call) and job.problem == call.error:  # unchanged: nothing to write
        return Outcome(path=path, call_id=call.id, kind=OutcomeKind.FAILED, reason=call.error)
    if failed_for_good(call):
        return Outcome(path=path, call_id=call.id, kind=OutcomeKind.FAILED,
                       reason=f"{call.error} (recorded earlier; `callcoach reprocess {call.id}` "
                              "retries it)")
    return None


def _metadata_differs(call: CallRecord, metadata: CallMetadata, agent_channel: int) -> bool:
    stored = (call.agent_id, call.agent_name, call.team, call.customer_name, call.started_at,
              call.agent_channel)
    given = (metadata.agent_id, metadata.agent_name, metadata.team, metadata.customer_name,
             parse_started_at(metadata.started_at), agent_channel)
    return stored != given


def analyse_claimed(call: CallRecord, *, path: str, workspace: Workspace, config: Config,
                    rubric_path: str | None = None) -> Outcome:
    """Transcribe (cached), build the report and store it; record any failure on the call.
    The agent channel is the call's own fact, passed beside the config (whose digest covers
    the thresholds, the same for every call of a run)."""
    try:
        transcript = tasks.cached_transcribe(workspace)(
            str(call.audio_path), call.sha256, config, call.agent_channel,
            workspace.model_cache_dir)
        report = stages.report_cached_call(call.audio_path, call.metadata, transcript,
                                           sha256=call.sha256, config=config,
                                           agent_channel=call.agent_channel,
                                           rubric_path=rubric_path)
        tasks.save_report(call.id, report, workspace=workspace)
    except (CallcoachError, OSError) as exc:
        return _record_failure(call, path=path, workspace=workspace, error=exc)
    except Exception as exc:  # a bug on odd input must not stop the batch; keep the traceback
        logger.exception("unexpected error on call %s", call.id)
        return _record_failure(call, path=path, workspace=workspace, error=exc)
    finally:
        stages.forget_call(sha256=call.sha256, config=config, agent_channel=call.agent_channel)
    return Outcome(path=path, call_id=call.id, kind=OutcomeKind.DONE)


def _record_failure(call: CallRecord, *, path: str, workspace: Workspace,
                    error: BaseException) -> Outcome:
    reason = str(error) or type(error).__name__
    store_for(workspace).mark_failed(call.id, reason=reason, kind=ErrorKind.of(error))
    return Outcome(path=path, call_id=call.id, kind=OutcomeKind.FAILED, reason=reason)


@task(name="process-call", cache_policy=NO_CACHE)
def process_call_task(job: CallJob, *, workspace: Workspace, config: Config,
                      rubric_path: str | None = None) -> Outcome:
    return run_call(job, workspace=workspace, config=config, rubric_path=rubric_path)


@flow(name="process-call")
def process_call(path: str, metadata: dict[str, Any] | None = None, *,
                 agent_channel: int | None = None, config: dict[str, Any] | None = None,
                 rubric: str | None = None,
                 workspace: dict[str, str] | None = None) -> dict[str, Any]:
    """One call (a path and its metadata fields) → a stored report; returns its outcome."""
    job = jobs_for([Path(path)])[0] if metadata is None else _job(path, metadata, agent_channel)
    outcome = run_call(job, workspace=Workspace.from_params(workspace), config=config_for(config),
                       rubric_path=rubric)
    return outcome.to_json()


@flow(name="analyse-stored-call")
def analyse_stored_call_flow(call_id: str, *, workspace: dict[str, str] | None = None,
                             config: dict[str, Any] | None = None,
                             rubric: str | None = None) -> dict[str, Any]:
    """A call already in the store (an upload) → its report, with the stored metadata."""
    place = Workspace.from_params(workspace)
    store = store_for(place)
    call = store.get_call(call_id)
    path = str(call.audio_path)
    if call.status is CallStatus.DONE:
        outcome = Outcome(path=path, call_id=call.id, kind=OutcomeKind.SKIPPED,
                          reason=f"already processed as {call.id}")
    elif failed_for_good(call):
        outcome = Outcome(path=path, call_id=call.id, kind=OutcomeKind.FAILED, reason=call.error)
    elif not store.claim_call(call.id, owner=claim_owner()):
        outcome = Outcome(path=path, call_id=call.id, kind=OutcomeKind.SKIPPED, reason=BUSY)
    else:
        outcome = analyse_claimed(store.get_call(call.id), path=path, workspace=place,
                                  config=config_for(config), rubric_path=rubric)
    return outcome.to_json()


def process_call_in_process(path: str, metadata: dict[str, Any] | None = None,
                            **options: Any) -> dict[str, Any]:
    """Run the process-call flow here, as the API does for each upload, without Prefect's
    flow-run heartbeats: they let a server notice a run whose process died, which the store's
    claims already handle (a dead owner's call is taken over), and ending each run waited for
    the heartbeat thread's one-second sleep, about half a second a call."""
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

    with temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
        return process_call(path, metadata, **options)


def _job(path: str, metadata: dict[str, Any], agent_channel: int | None) -> CallJob:
    from flows.jobs import job_for, metadata_values

    base = job_for(Path(path))
    values, channel = metadata_values(metadata, source="flow parameters")
    return replace(base, metadata=replace(base.metadata, **values),
                   agent_channel=agent_channel if agent_channel is not None else channel)


def process_jobs(jobs: Sequence[CallJob], *, workspace: Workspace, config: Config,
                 rubric_path: str | None = None,
                 on_outcome: Callable[[Outcome], None] | None = None) -> BatchSummary:
    """Submit every job to the flow's task runner and collect outcomes as they finish."""
    futures = {process_call_task.submit(job, workspace=workspace, config=config,
                                        rubric_path=rubric_path): job for job in jobs}
    outcomes = []
    for future in as_completed(list(futures)):
        try:
            outcome = future.result()
        except Exception as exc:  # the store itself failing after retries: report, go on
            job = futures[future]
            outcome = Outcome(path=str(job.path), call_id=None, kind=OutcomeKind.FAILED,
                              reason=f"{type(exc).__name__}: {exc}")
        outcomes.append(outcome)
        if on_outcome is not None:
            on_outcome(outcome)
    return merge(outcomes)


@flow(name="process-batch")
def process_batch(paths: list[str], *, manifest: str | None = None,
                  config: dict[str, Any] | None = None, rubric: str | None = None,
                  workspace: dict[str, str] | None = None,
                  progress: bool = False) -> dict[str, Any]:
    """Many calls (files or folders), as many at once as the task runner allows; returns the
    summary (counts and one outcome per file)."""
    from flows.progress import progress_reporter

    jobs = jobs_for([Path(p) for p in paths], manifest_path=Path(manifest) if manifest else None)
    with progress_reporter(total=len(jobs), enabled=progress) as report_outcome:
        summary = process_jobs(jobs, workspace=Workspace.from_params(workspace),
                               config=config_for(config), rubric_path=rubric,
                               on_outcome=report_outcome)
    return summary.to_json()
