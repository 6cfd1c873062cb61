"""Task runners: threads on one machine by default, Dask processes for parallel calls."""

from __future__ import annotations

from prefect.task_runners import ThreadPoolTaskRunner

from pipeline.errors import ConfigError


def task_runner(*, concurrency: int, dask: bool = False):
    """At most ``concurrency`` calls at once: threads share one loaded Whisper model; Dask
    workers (one process each, one thread each) sidestep the GIL for the feature math."""
    if concurrency < 1:
        raise ConfigError(f"--concurrency must be at least 1, got {concurrency}")
    if not dask:
        return ThreadPoolTaskRunner(max_workers=concurrency)
    from prefect_dask import DaskTaskRunner

    return DaskTaskRunner(cluster_kwargs={"n_workers": concurrency, "threads_per_worker": 1,
                                          "processes": True, "dashboard_address": None})
