"""End to end on a sample call mixed down to mono: real separation models and real tiny.en."""

import numpy as np
import pytest
import soundfile as sf

from audio_features.diarization_scoring import score_diarization
from pipeline.activity import detect_speech
from pipeline.analyze import analyze_acoustics, analyze_call, get_transcriber
from pipeline.config import Config
from pipeline import separation
from pipeline.decode import ANALYSIS_RATE_HZ, decode_call
from pipeline.types import CallMetadata, Speaker
from tests.ground_truth import SAMPLE_DIR, matched_pairs, load_truths

pytestmark = pytest.mark.slow
CALL = "talk_over"


@pytest.fixture(scope="module")
def stereo():
    return decode_call(SAMPLE_DIR / f"{CALL}.opus", config=Config().decode)


@pytest.fixture(scope="module")
def mono_path(stereo, tmp_path_factory):
    path = tmp_path_factory.mktemp("mono") / f"{CALL}.wav"
    sf.write(path, np.clip(stereo.samples.whole().sum(axis=0), -1, 1), ANALYSIS_RATE_HZ)
    return path


@pytest.fixture(scope="module")
def report(mono_path, tmp_path_factory):
    config = Config()
    transcriber = get_transcriber(config.transcription, tmp_path_factory.mktemp("home"))
    return analyze_call(mono_path, CallMetadata(call_id=CALL, customer_name="Mike Dunn"),
                        config=config, transcriber=transcriber).to_json()


def test_separated_parties_match_the_stereo_channels(stereo, mono_path):
    config = Config()
    separated = analyze_acoustics(decode_call(mono_path, config=config.decode), config)
    by_channel = detect_speech(stereo, config=config.activity)
    score = score_diarization([by_channel[s].spans for s in Speaker],
                              [separated.activity[s].spans for s in Speaker],
                              scored_s=(0.0, stereo.duration_s), collar_s=0.25)
    # Measured 2.4 % with 2.3 % confusion (bench/separation.py), against stereo's own
    # activity here; the bound leaves room for kernels, not for swapped turns.
    assert score.error_rate < 0.08 and score.confusion_rate < 0.05
    assert separated.separation.method == "mono-diarized"


def test_separation_reads_the_call_a_stretch_at_a_time(mono_path, monkeypatch):
    """A long call is never held whole: the separation reads stretches, and reading them
    shorter still (7 s of mel frames) gives exactly the same voices."""
    config = Config()
    audio = decode_call(mono_path, config=config.decode)
    whole = separation.separate_voices(audio.channel(Speaker.AGENT), config=config.separation,
                                       activity=config.activity)
    reads = []

    def read(start: int, stop: int) -> np.ndarray:
        reads.append(stop - start)
        return audio.read(Speaker.AGENT, start, stop)

    monkeypatch.setattr(separation, "MEL_STRETCH_FRAMES", 700)
    stretched = separation.separate_read(read, audio.n_samples, config=config.separation,
                                         activity=config.activity)
    assert np.array_equal(stretched.talking, whole.talking)
    assert np.array_equal(stretched.overlap, whole.overlap)
    assert stretched.confidence == whole.confidence
    # Silero reads runs of 10,000 windows (5.4 minutes; this call is one run); every other
    # read is one 10 s segmentation window or one stretch of mel frames.
    assert len([n for n in reads if n > separation.WINDOW_SAMPLES]) == 1
    assert len([n for n in reads if n == separation.WINDOW_SAMPLES]) > 1


def test_agent_speaker_setting_names_the_second_voice(mono_path):
    config = Config().replace("separation", agent_speaker="second")
    first = analyze_acoustics(decode_call(mono_path, config=config.decode), Config())
    second = analyze_acoustics(decode_call(mono_path, config=config.decode), config)
    assert second.activity[Speaker.AGENT].segments == first.activity[Speaker.CUSTOMER].segments
    assert second.separation.agent_named_by == "setting"


def test_mono_report_says_so_and_keeps_the_findings(report):
    truth = next(t for t in load_truths() if t["call_id"] == CALL)
    assert report["separation"] == "mono-diarized"
    assert report["separation_details"]["confidence"] > 0.5
    assert report["separation_details"]["agent_named_by"] == "words"
    assert any("mono call" in note for note in report["notes"])
    words = {party: " ".join(u["text"] for u in report["transcript"] if u["speaker"] == party)
             for party in ("agent", "customer")}
    assert "This is Ravi" in words["agent"] and "Ravi" not in words["customer"]
    assert "Nobody came" in words["customer"] and "Nobody came" not in words["agent"]
    # Measured 15 of 17 as on the stereo recording: Whisper, hearing both voices in one clip,
    # times a few words at a turn change into the other party's speech ("I'm sorry about").
    right = [check for check, expected in truth["checks"].items()
             if report["checks"][check]["met"] == expected]
    assert len(right) >= 15, sorted(set(truth["checks"]) - set(right))
    expected = [e for e in truth["events"] if e["type"] == "interruption"]
    found = [e for e in report["events"] if e["type"] == "interruption"]
    # Measured: all 3 found, none false (bench/separation.py --checks). Overlap is claimed only
    # on strong evidence, so a miss is allowed for; a false one is not.
    assert len(matched_pairs(found, expected)) >= 2 and len(found) <= len(expected)
