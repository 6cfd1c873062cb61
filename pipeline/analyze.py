"""Plain-Python orchestration of one call: the CLI, the tests and the Prefect flows all use it.

Each stage is a function the flows can wrap as a task; ``analyze_call`` runs them in order:
decode -> acoustics (activity, prosody, events, metrics) -> transcript -> judging -> report.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
from pathlib import Path
from types import MappingProxyType

from pipeline import mono_call
from pipeline.activity import detect_speech
from pipeline.alongside import for_both_parties
from pipeline.assess import Assessment, assess
from pipeline.backchannels import refine_with_words
from pipeline.call_report import CallReport
from pipeline.config import Config, TranscriptionConfig
from pipeline.decode import decode_call
from pipeline.events import find_events
from pipeline.metrics import call_metrics, party_metrics, with_words_per_minute
from pipeline.native_memory import return_large_buffers
from pipeline.prosody import measure_prosody
from pipeline.report import assemble_report
from pipeline.rubric import Rubric, load_rubric
from pipeline.types import (Acoustics, CallAudio, CallMetadata, Separation, Speaker,
                            SpeechActivity, Utterance)

logger = logging.getLogger(__name__)


def analyze_acoustics(audio: CallAudio, config: Config) -> Acoustics:
    """Speech activity, prosody, turn-taking events and talk metrics from the audio alone.

    A stereo call's parties are its channels; a mono call's are separated first."""
    if audio.is_mono:
        activity, separation = mono_call.separate_parties(audio, config)
        return acoustics_from_activity(audio, activity, config, separation=separation)
    return acoustics_from_activity(audio, detect_speech(audio, config=config.activity), config)


def acoustics_from_activity(audio: CallAudio, activity: dict[Speaker, SpeechActivity],
                            config: Config, *, separation: Separation | None = None) -> Acoustics:
    """Prosody, events and metrics once each party's speech is known."""
    # The customer's pitch and loudness are tracked alongside the agent's when a core is free.
    prosody = for_both_parties(lambda speaker: measure_prosody(
        audio, activity[speaker], config=config.prosody, raised_voice=config.raised_voice))
    events = find_events(activity, prosody, config=config)
    logger.info("acoustic analysis found %d events", len(events))
    return Acoustics(
        activity=MappingProxyType(activity),
        prosody=MappingProxyType(prosody),
        events=events,
        party_metrics=MappingProxyType(party_metrics(activity, config=config.turns)),
        call_metrics=call_metrics(activity, duration_s=audio.duration_s, config=config.turns),
        separation=separation,
    )


@functools.cache
def get_transcriber(config: TranscriptionConfig, cache_dir: Path):  # noqa: ANN201
    """One loaded Whisper model per process and configuration (loading takes seconds)."""
    from pipeline.transcribe import Transcriber  # only callers that transcribe pay the import

    return Transcriber(config, cache_dir=cache_dir)


def transcribe_call(audio: CallAudio, acoustics: Acoustics, transcriber) -> tuple[Utterance, ...]:  # noqa: ANN001
    """Each party's words, from that party's bleed-guarded speech only (on a mono call, the
    whole call heard once and each word given to the party speaking at its time)."""
    if acoustics.separation is not None:
        heard = {Speaker.AGENT: mono_call.anybody_speaking(dict(acoustics.activity))}
        transcript = mono_call.attribute_words(transcriber.transcribe(audio, heard),
                                               dict(acoustics.activity))
        logger.info("transcribed %d utterances of a mono call", len(transcript))
        return transcript
    speech = {speaker: acoustics.activity[speaker].segments for speaker in Speaker}
    transcript = transcriber.transcribe(audio, speech)
    logger.info("transcribed %d utterances", len(transcript))
    return transcript


@functools.cache
def default_rubric() -> Rubric:
    """The rubric packaged with callcoach, parsed once per process."""
    return load_rubric()


def judge_call(acoustics: Acoustics, transcript: tuple[Utterance, ...], metadata: CallMetadata, *,
               config: Config, rubric: Rubric,
               duration_s: float) -> tuple[Acoustics, Assessment | None]:
    """Refine events with words and assess the transcript (None without one)."""
    if not transcript:
        return acoustics, None
    acoustics = Acoustics(
        activity=acoustics.activity,
        prosody=acoustics.prosody,
        events=refine_with_words(acoustics.events, transcript, config=config.turns),
        party_metrics=MappingProxyType(with_words_per_minute(dict(acoustics.party_metrics),
                                                             transcript)),
        call_metrics=acoustics.call_metrics,
        separation=acoustics.separation,
    )
    assessment = assess(acoustics, transcript, metadata, rubric=rubric, duration_s=duration_s)
    return acoustics, assessment


def report_call(audio: CallAudio, metadata: CallMetadata, acoustics: Acoustics,
                transcript: tuple[Utterance, ...], *, config: Config,
                rubric: Rubric | None = None) -> CallReport:
    """The report of one call from its stage results (the rubric defaults to the packaged one)."""
    acoustics, transcript = _name_mono_parties(audio, acoustics, transcript, config)
    acoustics, assessment = judge_call(acoustics, transcript, metadata, config=config,
                                       rubric=rubric or default_rubric(),
                                       duration_s=audio.duration_s)
    return assemble_report(audio, metadata, acoustics, transcript, config=config,
                           assessment=assessment,
                           separation=mono_call.report_section(acoustics.separation))


def _name_mono_parties(audio: CallAudio, acoustics: Acoustics, transcript: tuple[Utterance, ...],
                       config: Config) -> tuple[Acoustics, tuple[Utterance, ...]]:
    """On a mono call, let the words say which voice is the agent (unless the config does)."""
    if acoustics.separation is None:
        return acoustics, transcript
    swap, transcript, separation = mono_call.name_by_words(transcript, acoustics.separation)
    if not swap:
        return dataclasses.replace(acoustics, separation=separation), transcript
    logger.info("the words name the second voice the agent; swapping the parties")
    activity = mono_call.swapped(dict(acoustics.activity))
    return acoustics_from_activity(audio, activity, config, separation=separation), transcript


def analyze_call(path: Path, metadata: CallMetadata, *, config: Config,
                 transcriber=None, rubric: Rubric | None = None,  # noqa: ANN001
                 agent_channel: int | None = None) -> CallReport:
    """Decode, analyse, transcribe (when a transcriber is given) and report one call;
    ``agent_channel`` None takes the config's default."""
    return_large_buffers()  # once per process: a long call's memory stays flat
    audio = decode_call(path, config=config.decode, agent_channel=agent_channel)
    acoustics = analyze_acoustics(audio, config)
    transcript = transcribe_call(audio, acoustics, transcriber) if transcriber else ()
    return report_call(audio, metadata, acoustics, transcript, config=config, rubric=rubric)
