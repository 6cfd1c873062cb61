"""The ``callcoach`` command line.

``analyze`` lives here. Other packages add commands (``process``, ``serve``, ...) through the
``callcoach.commands`` entry-point group, so this module never imports Prefect or FastAPI:
each entry point is a ``register(subparsers)`` function that adds parsers and sets
``handler=fn(args) -> exit code`` on them.

Exit codes: 0 ok, 2 bad input (the message says what to fix), 1 anything else.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from importlib.metadata import entry_points
from pathlib import Path

from pipeline import config as config_module
from pipeline.call_files import call_id_from_name
from pipeline.errors import CallcoachError, ConfigError, InvalidAudioError
from pipeline.summary import summarise_report
from pipeline.types import CallMetadata

logger = logging.getLogger(__name__)

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2
COMMAND_GROUP = "callcoach.commands"


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    if not hasattr(args, "handler"):
        parser.print_help()
        return EXIT_BAD_INPUT
    try:
        code = args.handler(args)
        sys.stdout.flush()  # inside the try: a reader gone shows up here, not at exit
        return code
    except BrokenPipeError:  # `callcoach analyze ... | head -1`: the reader has all it wants
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # nothing left to flush
        return EXIT_FAILED
    except (InvalidAudioError, ConfigError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except CallcoachError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILED


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="callcoach", description="Turn recorded customer-service calls into coaching reports.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log every stage")
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND")
    _add_analyze(subparsers)
    for entry_point in sorted(entry_points(group=COMMAND_GROUP), key=lambda ep: ep.name):
        entry_point.load()(subparsers)
    return parser


def add_config_arguments(parser: argparse.ArgumentParser) -> None:
    """Options every analysing command shares: the config file and the Whisper model."""
    parser.add_argument("--config", type=Path, help="TOML file overriding default thresholds")
    parser.add_argument("--agent-channel", type=int, choices=(0, 1),
                        help="channel that carries the agent (default 0)")
    parser.add_argument("--agent-speaker", choices=("auto", "first", "second"),
                        help="on a mono call, which separated voice is the agent: named from "
                        "what each says (auto, the default), or the first or second to speak")
    parser.add_argument("--model", help="Whisper model: tiny.en (default), base, or a folder")
    parser.add_argument("--device", choices=("auto", "cpu", "cuda"), help="where Whisper runs")


def load_config(args: argparse.Namespace) -> config_module.Config:
    """The config file (or defaults) with command-line overrides applied."""
    config = config_module.load(args.config) if args.config else config_module.Config()
    if args.agent_channel is not None:
        config = config.replace("decode", agent_channel=args.agent_channel)
    if getattr(args, "agent_speaker", None) is not None:
        config = config.replace("separation", agent_speaker=args.agent_speaker)
    overrides = {key: value for key, value in (("model", args.model), ("device", args.device))
                 if value is not None}
    return config.replace("transcription", **overrides) if overrides else config


def _add_analyze(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("analyze", help="analyse call recordings and print findings")
    parser.add_argument("calls", nargs="+", type=Path, metavar="CALL", help="audio file(s): stereo, one party per channel, or mono")
    parser.add_argument("--agent-id", help="agent identifier recorded in the report")
    parser.add_argument("--customer-name", help="customer's name, for the name-use check")
    parser.add_argument("--json", type=Path, metavar="OUT",
                        help="write the report here (a folder when several calls are given)")
    parser.add_argument("--no-transcript", action="store_true",
                        help="acoustic findings only: skip Whisper and the transcript checks")
    add_config_arguments(parser)
    parser.set_defaults(handler=run_analyze)


def run_analyze(args: argparse.Namespace) -> int:
    from pipeline.analyze import analyze_call, get_transcriber  # keeps `callcoach --help` fast

    config = load_config(args)
    if args.json:  # an unwritable target is found before minutes of analysis, not after
        for path in args.calls:
            check_json_target(_json_target(args.json, path, many=len(args.calls) > 1))
    transcriber = None if args.no_transcript else get_transcriber(config.transcription, data_home())
    worst = EXIT_OK
    for path in args.calls:
        metadata = CallMetadata(call_id=call_id_from_name(path.name), agent_id=args.agent_id,
                                customer_name=args.customer_name)
        try:
            report = analyze_call(path, metadata, config=config, transcriber=transcriber)
        except InvalidAudioError as exc:
            print(f"error: {exc}", file=sys.stderr)
            worst = max(worst, EXIT_BAD_INPUT)
            continue
        print(summarise_report(report))
        if args.json:
            _write_json(report.to_json(), _json_target(args.json, path, many=len(args.calls) > 1))
    return worst


def data_home() -> Path:
    """The data directory: ``$CALLCOACH_HOME``, else ``./.callcoach`` (models, store, audio)."""
    return Path(os.environ.get("CALLCOACH_HOME") or ".callcoach").resolve()


def _json_target(out: Path, call: Path, *, many: bool) -> Path:
    if many or out.is_dir():
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(f"--json {out}: cannot create the folder ({exc.strerror}); "
                              "give a folder you can write to") from exc
        return out / f"{call.name}.report.json"
    return out


def check_json_target(target: Path) -> None:
    """Raise ConfigError unless a report can be written at ``target``."""
    partial = target.with_name(target.name + ".partial")
    try:
        with open(partial, "a", encoding="utf-8"):
            pass
        partial.unlink()
    except OSError as exc:
        raise ConfigError(f"--json {target}: cannot write there ({exc.strerror}); give a path "
                          "in a folder you can write to") from exc


def _write_json(report: dict, target: Path) -> None:
    """Write atomically, so a crash never leaves half a report behind."""
    partial = target.with_name(target.name + ".partial")
    partial.write_text(json.dumps(report, indent=2, allow_nan=False), encoding="utf-8")
    partial.replace(target)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
