"""End to end over every sample call (both recorded versions) against the ground truth.

Acoustic analysis only: decode, VAD with the bleed guard, prosody and turn-taking events.
"""

import numpy as np
import pytest

from pipeline import report
from pipeline.analyze import analyze_acoustics
from pipeline.config import Config
from pipeline.decode import decode_call
from pipeline.types import CallAudio, CallMetadata, Speaker
from tests.ground_truth import Tally, audio_versions, load_truths, matched_pairs, tally

TRUTHS = load_truths()
pytestmark = pytest.mark.skipif(not TRUTHS, reason="sample_calls/ holds no ground truth")


def acoustic_report(path, truth) -> dict:
    config = Config()
    audio = decode_call(path, config=config.decode)
    acoustics = analyze_acoustics(audio, config)
    metadata = CallMetadata(call_id=truth["call_id"])
    return report.assemble_report(audio, metadata, acoustics, (), config=config).to_json()


@pytest.fixture(scope="module")
def reports() -> list[tuple[dict, dict]]:
    return [(acoustic_report(path, truth), truth) for truth in TRUTHS for path in audio_versions(truth)]


def total(reports, event_type) -> Tally:
    overall = Tally()
    for found, truth in reports:
        overall.add(tally(found, truth, event_type))
    return overall


def test_interruptions_precision_and_recall(reports):
    result = total(reports, "interruption")
    assert result.true_positive + result.false_negative >= 4, "sample calls need interruptions"
    assert result.precision >= 0.9, result
    assert result.recall >= 0.9, result


def test_interrupter_and_yield_are_recorded(reports):
    for found, truth in reports:
        expected = [e for e in truth["events"] if e["type"] == "interruption"]
        events = [e for e in found["events"] if e["type"] == "interruption"]
        for event, true_event in matched_pairs(events, expected):
            assert event["details"]["interrupted"] == true_event["interrupted"]
            assert event["details"]["overlap_s"] > 0.5


def test_no_backchannel_is_reported_as_an_interruption(reports):
    for found, truth in reports:
        backchannels = [e for e in truth["events"] if e["type"] == "backchannel"]
        interruptions = [e for e in found["events"] if e["type"] == "interruption"]
        assert not matched_pairs(interruptions, backchannels), truth["call_id"]


def test_backchannels_are_credited(reports):
    result = total(reports, "backchannel")
    assert result.true_positive + result.false_negative >= 4, "sample calls need backchannels"
    assert result.recall >= 0.8, result


def test_raised_voice_precision_and_recall(reports):
    result = total(reports, "raised_voice")
    assert result.true_positive + result.false_negative >= 3, "sample calls need raised voices"
    assert result.precision >= 0.85, result
    assert result.recall >= 0.85, result


def test_raised_voice_events_carry_measured_deltas(reports):
    events = [e for found, _ in reports for e in found["events"] if e["type"] == "raised_voice"]
    assert events
    for event in events:
        assert event["details"]["delta_db"] > 0 and event["details"]["delta_semitones"] > 0


def test_every_long_silence_is_found(reports):
    result = total(reports, "long_silence")
    assert result.true_positive + result.false_negative >= 1, "sample calls need a long silence"
    assert result.recall == 1.0, result


def test_talk_share_follows_the_script(reports):
    for found, truth in reports:
        scripted = {party: sum(t["end_s"] - t["start_s"] for t in truth["turns"]
                               if t["speaker"] == party) for party in ("agent", "customer")}
        for party, seconds in scripted.items():
            measured = found["metrics"][party]["talk_time_s"]
            assert measured == pytest.approx(seconds, rel=0.25), (truth["call_id"], party)


def test_customer_leaking_into_the_agent_channel_is_not_agent_speech():
    """The whole customer side copied into the agent channel at -25 dB is bleed, not speech."""
    truth = TRUTHS[0]
    audio = decode_call(audio_versions(truth)[0], config=Config().decode)
    customer = audio.channel(Speaker.CUSTOMER).copy()
    rng = np.random.default_rng(7)
    leak = 10 ** (-25 / 20) * np.roll(customer, 32)  # 2 ms late, 25 dB down
    noise = 10 ** (-60 / 20) * rng.standard_normal(customer.size)
    leaky = CallAudio(samples=np.stack([leak + noise, customer]).astype(np.float32),
                      sample_rate_hz=audio.sample_rate_hz, source_sample_rate_hz=16000,
                      source_format="test", agent_channel=0)

    acoustics = analyze_acoustics(leaky, Config())

    assert acoustics.activity[Speaker.AGENT].talk_time_s < 0.5
    assert acoustics.activity[Speaker.CUSTOMER].talk_time_s > 5.0
    assert not [e for e in acoustics.events if e.type in ("interruption", "backchannel")]
