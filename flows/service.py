"""The flows' one public entry for the API: analyse a call the store already holds.

The API stores an upload as a queued call and hands over only its id; the call's metadata
and agent channel are read back from the store here, never sent round as parameters. The
Prefect settings are prepared once, when the processor is made, before Prefect is imported:
no request writes the process environment.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from flows.runtime import Workspace, prefect_environment  # Workspace: what callers pass

logger = logging.getLogger(__name__)


def prepare_prefect(environ: dict[str, str] | None = None) -> None:
    """Set callcoach's Prefect defaults where the environment says nothing; call it once, at
    start-up, before any flow runs (Prefect reads its settings when first imported)."""
    environ = os.environ if environ is None else environ
    environ.update(prefect_environment(environ))


def analyse_stored_call(call_id: str, *, workspace: Workspace,
                        config: dict[str, Any] | None = None,
                        rubric: str | None = None) -> dict[str, Any]:
    """Analyse the stored call ``call_id`` and store its report (or why it failed); returns
    the outcome as JSON. Runs in this process, without Prefect's flow-run heartbeats."""
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

    from flows.process import analyse_stored_call_flow

    with temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
        return analyse_stored_call_flow(call_id, workspace=workspace.to_params(), config=config,
                                        rubric=rubric)
