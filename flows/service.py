"""The flows' one public entry for the API: analyse a call the store already holds.

The API stores an upload as a queued call and hands over only its id; the call's metadata
and agent channel are read back from the store here, never sent round as parameters. The
Prefect settings are prepared once, when the processor is made, before Prefect is imported;
the only later write is ``PREFECT_API_URL``, once, when :func:`ensure_prefect_api` starts the
process's shared local Prefect server for the first call.
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


def ensure_prefect_api() -> None:
    """A Prefect API for this process: the one ``PREFECT_API_URL`` names, else a local server
    started on first use and stopped with the process (``PREFECT_API_URL`` is set then, once)."""
    from flows.local_server import shared_prefect_api

    shared_prefect_api(os.environ)


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
