"""What ``callcoach deploy`` would send to a Prefect server (fast; the real server, pool and
worker are in test_scale_out.py)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from flows.deployments import (THREAD_LIMIT_VARIABLE, DeploymentPlan, default_parameters,
                               deployment_names, runner_deployments)
from pipeline.config import Config
from pipeline.errors import ConfigError

from .conftest import callcoach_argv

REPO = Path(__file__).resolve().parents[2]


def test_installed_package_deployments_use_module_entrypoints_and_bound_batches():
    plan = DeploymentPlan(pool="calls", name="night", concurrency=3,
                          parameters=default_parameters(Config(), rubric=None))
    deployments = runner_deployments(plan)
    assert [d.entrypoint for d in deployments] == [
        "flows.process.process_call", "flows.process.process_batch",
        "flows.reprocess.reprocess_calls"]
    assert all(d.storage is None and d.parameters == {} for d in deployments)
    assert {d.job_variables["env"][THREAD_LIMIT_VARIABLE] for d in deployments} == {"3"}
    assert deployment_names(plan) == [
        "process-call/night", "process-batch/night", "reprocess-calls/night"]


def test_checkout_deployments_load_the_flows_from_that_folder():
    config = Config().replace("decode", agent_channel=1)
    plan = DeploymentPlan(pool="calls", source=REPO,
                          parameters=default_parameters(config, rubric="/srv/rubric.toml"))
    deployments = runner_deployments(plan)
    assert [d.entrypoint for d in deployments] == [
        "flows/process.py:process_call", "flows/process.py:process_batch",
        "flows/reprocess.py:reprocess_calls"]
    assert {str(d.storage.destination) for d in deployments} == {str(REPO)}
    batch = deployments[1]
    assert batch.parameters["config"]["decode"]["agent_channel"] == 1
    assert batch.parameters["rubric"] == "/srv/rubric.toml"


@pytest.mark.parametrize(("options", "message"), [
    ({"concurrency": 0}, "at least 1"),
    ({"source": REPO / "flows"}, "not a callcoach checkout"),
])
def test_a_plan_that_cannot_work_is_refused(options, message):
    with pytest.raises(ConfigError, match=message):
        DeploymentPlan(pool="calls", **options)


def test_deploy_needs_a_prefect_server(tmp_path):
    env = {key: value for key, value in os.environ.items() if not key.startswith("PREFECT_")}
    env |= {"CALLCOACH_HOME": str(tmp_path / "home"), "PREFECT_HOME": str(tmp_path / "prefect")}
    done = subprocess.run(callcoach_argv("deploy", "--pool", "calls"), env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "set PREFECT_API_URL" in done.stderr
