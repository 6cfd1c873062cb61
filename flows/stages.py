"""The pipeline stages the flows run, with the decoded call kept between them.

Task inputs are paths, hashes and config; the decoded audio and its acoustic analysis stay in
this process, held from transcription to report building and then dropped, so neither is
computed twice for one call nor pickled into Prefect results.
"""

from __future__ import annotations

import functools
import logging
import threading
from pathlib import Path
from typing import Any

from pipeline import analyze, report
from pipeline.call_report import CallReport, TranscriptTurn
from pipeline.config import Config
from pipeline.decode import decode_call
from pipeline.types import Acoustics, CallAudio, CallMetadata

logger = logging.getLogger(__name__)

_analysed: dict[tuple[str, str, int], tuple[CallAudio, Acoustics]] = {}
_analysed_lock = threading.Lock()


def analysed_call(audio_path: Path, *, sha256: str, config: Config,
                  agent_channel: int) -> tuple[CallAudio, Acoustics]:
    """The decoded call and its acoustics, computed once per (audio, config, agent channel)
    until forgotten."""
    key = (sha256, config.digest, agent_channel)
    with _analysed_lock:
        held = _analysed.get(key)
    if held is not None:
        return held
    audio = decode_call(Path(audio_path), config=config.decode, agent_channel=agent_channel)
    held = (audio, analyze.analyze_acoustics(audio, config))
    with _analysed_lock:
        _analysed[key] = held
    return held


def forget_call(*, sha256: str, config: Config, agent_channel: int) -> None:
    """Release a call's samples once its report is built."""
    with _analysed_lock:
        _analysed.pop((sha256, config.digest, agent_channel), None)


def transcribe(audio_path: Path, *, sha256: str, config: Config, agent_channel: int,
               model_cache_dir: Path) -> list[dict[str, Any]]:
    """The call's transcript as JSON rows (what the transcript cache stores)."""
    audio, acoustics = analysed_call(audio_path, sha256=sha256, config=config,
                                     agent_channel=agent_channel)
    transcriber = analyze.get_transcriber(config.transcription, Path(model_cache_dir))
    transcript = analyze.transcribe_call(audio, acoustics, transcriber)
    return [turn.model_dump(mode="json") for turn in report.transcript_turns(transcript)]


@functools.lru_cache(maxsize=8)
def _rubric(path: str, _mtime_ns: int) -> Any:
    from pipeline.rubric import load_rubric

    return load_rubric(Path(path))


def rubric_at(path: str | None) -> Any:
    """The rubric in a TOML file (re-read when the file changes), or None for the default."""
    return None if path is None else _rubric(path, Path(path).stat().st_mtime_ns)


def report_cached_call(audio_path: Path, metadata: CallMetadata,
                       transcript: list[dict[str, Any]], *, sha256: str, config: Config,
                       agent_channel: int, rubric_path: str | None = None) -> CallReport:
    """The report of one call from its audio and (cached) transcript rows."""
    try:
        audio, acoustics = analysed_call(audio_path, sha256=sha256, config=config,
                                         agent_channel=agent_channel)
        turns = tuple(TranscriptTurn.model_validate(row) for row in transcript)
        return analyze.report_call(audio, metadata, acoustics,
                                   report.transcript_from_turns(turns),
                                   config=config, rubric=rubric_at(rubric_path))
    finally:
        forget_call(sha256=sha256, config=config, agent_channel=agent_channel)
