"""Prefect tasks around the stages where retries or caching pay.

* registering a file copies it and writes the database: retried on OSError / StoreError;
* transcription is the slow stage: cached by audio sha256 + model + config digest, so a
  reprocess with a new rubric skips Whisper;
* saving a report is one transaction: retried on StoreError.

Deterministic failures (bad audio, bad config, bad metadata) are never retried.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE

from flows import stages
from flows.runtime import Workspace, store_for
from pipeline.call_report import CallReport
from pipeline.config import Config
from pipeline.errors import StoreError
from pipeline.store import Registration, ReportRecord
from pipeline.store.folders import is_permanent
from pipeline.types import CallMetadata

logger = logging.getLogger(__name__)

TRANSIENT_ERRORS = (OSError, StoreError)
RETRY_DELAYS_S = [1.0, 5.0, 15.0]


def retry_transient(_task: Any, _task_run: Any, state: Any) -> bool:
    """Retry only errors that may pass (I/O, the database); bad input, and a data folder that
    is read-only or full, fail at once."""
    error = state.result(raise_on_failure=False)
    return isinstance(error, TRANSIENT_ERRORS) and not is_permanent(error)


_RETRYING = {"retries": len(RETRY_DELAYS_S), "retry_delay_seconds": RETRY_DELAYS_S,
             "retry_condition_fn": retry_transient}


@task(name="register-call", cache_policy=NO_CACHE, **_RETRYING)
def register_call(path: str, metadata: CallMetadata, *, agent_channel: int,
                  workspace: Workspace) -> Registration:
    """Copy the file into the store and queue it, or find the call its sha256 already is."""
    return store_for(workspace).register_call(Path(path), metadata, agent_channel=agent_channel)


def transcript_cache_key(_context: Any, parameters: dict[str, Any]) -> str:
    """``transcript-<sha256>-<model>-<config digest>-agent<channel>``; a model given as a
    path is hashed. The agent channel is the call's, not the config's: it decides whose words
    are whose."""
    config: Config = parameters["config"]
    model = config.transcription.model
    model_key = model if model.replace(".", "").isalnum() else hashlib.sha256(
        model.encode()).hexdigest()[:12]
    return (f"transcript-{parameters['sha256']}-{model_key}-{config.digest}"
            f"-agent{parameters['agent_channel']}")


@task(name="transcribe", cache_key_fn=transcript_cache_key, persist_result=True,
      result_serializer="json", **_RETRYING)
def transcribe(audio_path: str, sha256: str, config: Config, agent_channel: int,
               model_cache_dir: str) -> list[dict]:
    """The transcript rows of a stored call (decodes and analyses the audio in this process)."""
    return stages.transcribe(Path(audio_path), sha256=sha256, config=config,
                             agent_channel=agent_channel, model_cache_dir=Path(model_cache_dir))


def cached_transcribe(workspace: Workspace):
    """The transcription task writing its cache under the workspace's transcript folder."""
    return transcribe.with_options(result_storage=Path(workspace.transcript_cache_dir))


@task(name="save-report", cache_policy=NO_CACHE, **_RETRYING)
def save_report(call_id: str, report: CallReport | Mapping[str, Any], *,
                workspace: Workspace) -> ReportRecord:
    """Store the report, its findings and the call's ``done`` status in one transaction."""
    return store_for(workspace).save_report(call_id, report)
