"""The call flows deployed into a Prefect work pool, for workers on other machines.

Each flow becomes the deployment ``<flow name>/<name>`` (``process-batch/callcoach`` …). A
worker runs the flow from the callcoach package installed on its machine (a module
entrypoint), or from a checkout at the same path on every machine (``source``). No image and
no remote storage are involved.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

from pipeline.config import Config
from pipeline.errors import ConfigError

logger = logging.getLogger(__name__)

# (module, file in a checkout, flow function)
DEPLOYED_FLOWS = (
    ("flows.process", "flows/process.py", "process_call"),
    ("flows.process", "flows/process.py", "process_batch"),
    ("flows.reprocess", "flows/reprocess.py", "reprocess_calls"),
)
# A batch run on a worker submits every file to the flow's thread pool, which Prefect leaves
# unbounded unless this setting says otherwise.
THREAD_LIMIT_VARIABLE = "PREFECT_TASK_RUNNER_THREAD_POOL_MAX_WORKERS"


@dataclass(frozen=True, slots=True, kw_only=True)
class DeploymentPlan:
    """What ``callcoach deploy`` creates; ``parameters`` are the deployments' defaults."""

    pool: str
    name: str = "callcoach"
    concurrency: int = 2
    source: Path | None = None
    parameters: Mapping[str, Any] | None = None

    def __post_init__(self) -> None:
        if self.concurrency < 1:
            raise ConfigError(f"--concurrency must be at least 1, got {self.concurrency}")
        if self.source is not None and not (self.source / DEPLOYED_FLOWS[0][1]).is_file():
            raise ConfigError(f"{self.source} is not a callcoach checkout (no "
                              f"{DEPLOYED_FLOWS[0][1]}); give the folder that holds flows/")


def ensure_process_pool(pool: str) -> bool:
    """Create ``pool`` as a process work pool unless it exists; True when it was created."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.exceptions import ObjectNotFound
    from prefect.workers.process import ProcessWorker

    with get_client(sync_client=True) as client:
        try:
            client.read_work_pool(pool)
            return False
        except ObjectNotFound:
            pass
        client.create_work_pool(WorkPoolCreate(
            name=pool, type=ProcessWorker.type,
            base_job_template=ProcessWorker.get_default_base_job_template()))
    logger.info("created process work pool %s", pool)
    return True


def default_parameters(config: Config, *, rubric: str | None) -> dict[str, Any]:
    """Deployment defaults for what was asked for; the rest stays each worker's own default."""
    parameters: dict[str, Any] = {}
    if config.digest != Config().digest:
        parameters["config"] = config.to_dict()
    if rubric is not None:
        parameters["rubric"] = rubric
    return parameters


def deploy_flows(plan: DeploymentPlan) -> list[UUID]:
    """Create or update the deployments of every call flow in ``plan.pool``."""
    from prefect import deploy

    return deploy(*runner_deployments(plan), work_pool_name=plan.pool, build=False, push=False,
                  print_next_steps_message=False, ignore_warnings=True)


def runner_deployments(plan: DeploymentPlan) -> list[Any]:
    """Prefect's description of each deployment (nothing is sent to the server here)."""
    import importlib

    from prefect import Flow
    from prefect.deployments.runner import EntrypointType

    options = {"name": plan.name, "parameters": dict(plan.parameters or {}),
               "job_variables": {"env": {THREAD_LIMIT_VARIABLE: str(plan.concurrency)}}}
    deployments = []
    # _sync: Prefect hands back a coroutine when the calling thread has an event loop running;
    # this function is synchronous whoever calls it.
    for module, file, function in DEPLOYED_FLOWS:
        if plan.source is not None:
            flow = Flow.from_source(source=str(plan.source.resolve()),
                                    entrypoint=f"{file}:{function}")
            deployments.append(flow.to_deployment(_sync=True, **options))
        else:
            flow = getattr(importlib.import_module(module), function)
            deployments.append(flow.to_deployment(entrypoint_type=EntrypointType.MODULE_PATH,
                                                  _sync=True, **options))
    return deployments


def deployment_names(plan: DeploymentPlan) -> list[str]:
    """``<flow name>/<deployment name>`` of each deployed flow, as ``prefect deployment run``
    takes them."""
    import importlib

    return [f"{getattr(importlib.import_module(module), function).name}/{plan.name}"
            for module, _file, function in DEPLOYED_FLOWS]
