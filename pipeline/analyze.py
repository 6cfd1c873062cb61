"""Plain-Python orchestration of one call: the CLI, the tests and the Prefect flows all use it.

Each stage is a function the flows can wrap as a task; ``analyze_call`` runs them in order.
"""

from __future__ import annotations

import logging
from pathlib import Path
from types import MappingProxyType

from pipeline import report
from pipeline.activity import detect_speech
from pipeline.config import Config
from pipeline.decode import decode_call
from pipeline.events import find_events
from pipeline.metrics import call_metrics, party_metrics
from pipeline.prosody import measure_prosody
from pipeline.types import Acoustics, CallAudio, CallMetadata, Speaker, Utterance

logger = logging.getLogger(__name__)


def analyze_acoustics(audio: CallAudio, config: Config) -> Acoustics:
    """Speech activity, prosody, turn-taking events and talk metrics from the audio alone."""
    activity = detect_speech(audio, config=config.activity)
    prosody = {speaker: measure_prosody(audio, activity[speaker], config=config.prosody)
               for speaker in Speaker}
    events = find_events(activity, prosody, config=config)
    logger.info("acoustic analysis found %d events", len(events))
    return Acoustics(
        activity=MappingProxyType(activity),
        prosody=MappingProxyType(prosody),
        events=events,
        party_metrics=MappingProxyType(party_metrics(activity, config=config.turns)),
        call_metrics=call_metrics(activity, duration_s=audio.duration_s, config=config.turns),
    )


def analyze_call(path: Path, metadata: CallMetadata, *, config: Config) -> dict:
    """Decode, analyse and report one call; returns the JSON-ready report."""
    audio = decode_call(path, config=config.decode)
    acoustics = analyze_acoustics(audio, config)
    transcript: tuple[Utterance, ...] = ()
    return report.build_report(audio, metadata, acoustics, transcript, config=config)
