"""``callcoach process``, ``watch``, ``reprocess`` and ``deploy``: the flows behind the CLI.

Registered through the ``callcoach.commands`` entry-point group. Prefect is imported only when
one of these commands runs, after its environment defaults are set.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from pathlib import Path

from pipeline.cli import add_config_arguments, load_config
from pipeline.errors import ConfigError

EXIT_OK, EXIT_FAILED = 0, 1


def register(subparsers: argparse._SubParsersAction) -> None:
    process = subparsers.add_parser("process", help="analyse calls and store their reports")
    process.add_argument("paths", nargs="+", type=Path, metavar="PATH",
                         help="audio files or folders (sidecar <name>.json or manifest.csv "
                              "give the metadata)")
    process.add_argument("--concurrency", type=int, default=2, metavar="N",
                         help="calls analysed at once (default 2)")
    process.add_argument("--dask", action="store_true",
                         help="run calls in Dask worker processes instead of threads")
    process.add_argument("--manifest", type=Path, metavar="CSV",
                         help="metadata for every file: a 'file' column (the file's name) and "
                              "agent_id, agent_name, team, customer_name, agent_channel, "
                              "started_at (default: manifest.csv in each file's folder)")
    _add_common(process)
    process.set_defaults(handler=run_process)

    watch = subparsers.add_parser("watch", help="serve a deployment that processes new files "
                                                "dropped into a folder")
    watch.add_argument("inbox", type=Path, metavar="DIR")
    watch.add_argument("--interval", type=float, default=30.0, metavar="SECONDS",
                       help="how often the folder is scanned (default 30)")
    watch.add_argument("--settle", type=float, default=2.0, metavar="SECONDS",
                       help="ignore files changed more recently than this (still copying)")
    watch.add_argument("--concurrency", type=int, default=2, metavar="N")
    _add_common(watch)
    watch.set_defaults(handler=run_watch)

    reprocess = subparsers.add_parser(
        "reprocess", help="analyse stored calls again (adds a report version, keeps the old one)",
        description="Analyse stored calls again from their stored audio and metadata (adds a "
                    "report version, keeps the old one). A call that failed on its metadata is "
                    "not analysed here: fix its sidecar or manifest row and run `callcoach "
                    "process` on the file again.")
    reprocess.add_argument("call_ids", nargs="+", metavar="CALL_ID")
    _add_common(reprocess)
    reprocess.set_defaults(handler=run_reprocess)

    deploy = subparsers.add_parser(
        "deploy", help="deploy the call flows into a Prefect work pool for workers to run "
                       "(needs PREFECT_API_URL)")
    deploy.add_argument("--pool", required=True, metavar="NAME",
                        help="work pool (created as a process pool if missing)")
    deploy.add_argument("--name", default="callcoach",
                        help="deployment name (default callcoach): process-batch/NAME, …")
    deploy.add_argument("--concurrency", type=int, default=2, metavar="N",
                        help="calls analysed at once by one batch run (default 2)")
    deploy.add_argument("--source", type=Path, metavar="DIR",
                        help="a callcoach checkout at this same path on every worker (default: "
                             "the callcoach package installed on the workers)")
    _add_common(deploy)
    deploy.set_defaults(handler=run_deploy)


def _add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--rubric", type=Path, help="rubric TOML (default: the built-in one)")
    add_config_arguments(parser)


def _prepare(args: argparse.Namespace):
    """Set Prefect's environment defaults, check that the data folders can be written (a
    read-only or full home stops the command at once, named), then import what it needs."""
    from flows.runtime import Workspace, prefect_environment
    from pipeline.store.folders import check_writable

    os.environ.update(prefect_environment(os.environ, verbose=getattr(args, "verbose", False)))
    workspace = Workspace.from_env()
    for folder in (workspace.audio_dir, workspace.transcript_cache_dir):
        check_writable(Path(folder))
    return workspace, load_config(args)


def _rubric(args: argparse.Namespace) -> str | None:
    return str(args.rubric.resolve()) if args.rubric else None


def run_process(args: argparse.Namespace) -> int:
    workspace, config = _prepare(args)
    from flows.local_server import prefect_api

    if args.manifest is not None:
        from flows.jobs import read_manifest

        if (error := read_manifest(args.manifest).error) is not None:
            raise ConfigError(error)  # before any call is touched
    signal.signal(signal.SIGTERM, _exit_on_signal)  # stop the local server on the way out
    with prefect_api(os.environ, services=False):  # dies with this process, even on SIGKILL
        return _process_batch(args, workspace, config)


def _process_batch(args: argparse.Namespace, workspace, config) -> int:
    from flows.outcomes import BatchSummary, format_summary  # Prefect reads its API URL now
    from flows.process import process_batch
    from flows.runners import task_runner

    batch = process_batch.with_options(
        task_runner=task_runner(concurrency=args.concurrency, dask=args.dask))
    started_s = time.perf_counter()
    raw = batch([str(path) for path in args.paths],
                manifest=str(args.manifest) if args.manifest else None,
                config=config.to_dict(), rubric=_rubric(args), workspace=workspace.to_params(),
                progress=sys.stderr.isatty())
    summary = BatchSummary.from_json(raw)
    print(format_summary(summary, seconds=time.perf_counter() - started_s))
    return EXIT_OK if summary.ok else EXIT_FAILED


def run_watch(args: argparse.Namespace) -> int:
    workspace, config = _prepare(args)
    from flows.local_server import prefect_api

    if not args.inbox.is_dir():
        print(f"error: {args.inbox} is not a folder", file=sys.stderr)
        return 2
    # SIGTERM (a service manager, a test) must still stop the local server on the way out.
    signal.signal(signal.SIGTERM, _exit_on_signal)
    with prefect_api(os.environ) as api_url:
        from flows.inbox import serve_inbox

        print(f"watching {args.inbox} every {args.interval:g} s (Prefect API {api_url})",
              flush=True)
        serve_inbox(args.inbox, interval_s=args.interval, concurrency=args.concurrency,
                    settle_s=args.settle, config=config.to_dict(), rubric=_rubric(args),
                    workspace=workspace)
    return EXIT_OK


def run_deploy(args: argparse.Namespace) -> int:
    _workspace, config = _prepare(args)
    if not os.environ.get("PREFECT_API_URL"):
        raise ConfigError("set PREFECT_API_URL to the Prefect server the workers poll "
                          "(e.g. http://prefect-host:4200/api)")
    from flows.deployments import (DeploymentPlan, default_parameters, deploy_flows,
                                   deployment_names, ensure_process_pool)

    plan = DeploymentPlan(pool=args.pool, name=args.name, concurrency=args.concurrency,
                          source=args.source,
                          parameters=default_parameters(config, rubric=_rubric(args)))
    if ensure_process_pool(plan.pool):
        print(f"created work pool {plan.pool!r} (type process)")
    deploy_flows(plan)
    names = deployment_names(plan)
    print(f"deployed to work pool {plan.pool!r}: {', '.join(names)}\n"
          f"start a worker on each machine: prefect worker start --pool {plan.pool}\n"
          f"then, e.g.: prefect deployment run {names[1]} --param paths='[\"/calls/inbox\"]'")
    return EXIT_OK


def _exit_on_signal(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)


def run_reprocess(args: argparse.Namespace) -> int:
    workspace, config = _prepare(args)
    from flows.outcomes import BatchSummary, format_summary
    from flows.reprocess import reprocess_calls

    raw = reprocess_calls(list(args.call_ids), config=config.to_dict(), rubric=_rubric(args),
                          workspace=workspace.to_params())
    summary = BatchSummary.from_json(raw)
    print(format_summary(summary))
    return EXIT_OK if summary.ok else EXIT_FAILED
