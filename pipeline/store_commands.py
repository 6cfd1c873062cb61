"""``callcoach calls list`` and ``callcoach calls show``: what the store holds.

Registered through the ``callcoach.commands`` entry-point group; reads ``CALLCOACH_HOME`` /
``CALLCOACH_DATABASE_URL`` here, at the entry point.
"""

from __future__ import annotations

import argparse
import json
import os
from typing import Any

from pipeline.store import CallRecord, CallStatus, Store, location_from_env

EXIT_OK = 0


def register(subparsers: argparse._SubParsersAction) -> None:
    calls = subparsers.add_parser("calls", help="list and show stored calls")
    actions = calls.add_subparsers(title="actions", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help="stored calls, newest first")
    listing.add_argument("--status", choices=[status.value for status in CallStatus])
    listing.add_argument("--limit", type=int, default=None, help="at most this many")
    listing.add_argument("--json", action="store_true", help="machine-readable output")
    listing.set_defaults(handler=run_list)
    show = actions.add_parser("show", help="one call and its current report")
    show.add_argument("call_id", metavar="CALL_ID")
    show.add_argument("--json", action="store_true", help="the call and the full report as JSON")
    show.set_defaults(handler=run_show)


def _store() -> Store:
    return Store.at(location_from_env(os.environ))


def call_json(call: CallRecord) -> dict[str, Any]:
    return {
        "id": call.id, "status": call.status.value, "source_path": call.source_path,
        "audio_path": str(call.audio_path), "sha256": call.sha256, "agent_id": call.agent_id,
        "agent_name": call.agent_name, "team": call.team, "customer_name": call.customer_name,
        "started_at": call.started_at.isoformat() if call.started_at else None,
        "agent_channel": call.agent_channel, "duration_s": call.duration_s, "error": call.error,
        "error_kind": call.error_kind, "created_at": call.created_at.isoformat(),
        "updated_at": call.updated_at.isoformat(),
    }


def format_call_line(call: CallRecord) -> str:
    duration = f"{call.duration_s:7.1f} s" if call.duration_s is not None else "      - s"
    error = f"  {call.error}" if call.error else ""
    return f"{call.id:<32} {call.status.value:<10} {duration}  {call.agent_id or '-':<12}{error}"


def run_list(args: argparse.Namespace) -> int:
    with _store() as store:
        calls = store.list_calls(status=args.status, limit=args.limit)
    if args.json:
        print(json.dumps([call_json(call) for call in calls], indent=2))
    else:
        for call in calls:
            print(format_call_line(call))
        print(f"{len(calls)} call(s)")
    return EXIT_OK


def run_show(args: argparse.Namespace) -> int:
    from pipeline.call_report import upgrade_document  # stored by an older version: as read now

    with _store() as store:
        call = store.get_call(args.call_id)
        versions = store.report_versions(call.id)
    current = next((v for v in versions if v.is_current), None)
    if args.json:
        print(json.dumps({"call": call_json(call), "report_versions": [
            {"version": v.version, "rubric_version": v.rubric_version,
             "config_digest": v.config_digest, "created_at": v.created_at.isoformat()}
            for v in versions],
            "report": upgrade_document(current.document) if current else None},
            indent=2))
        return EXIT_OK
    print(format_call_line(call))
    print(f"audio: {call.audio_path} (from {call.source_path})")
    if current is not None:
        from pipeline.summary import summarise_report

        print(f"report v{current.version} of {len(versions)}, rubric {current.rubric_version}, "
              f"config {current.config_digest}")
        print(summarise_report(current.report))
    return EXIT_OK
