"""Real-audio failure classes, on generated signals: loud speech, shouting far above a calm
pitch, and typing on a channel while the other party talks."""

import numpy as np
import pytest

from audio_features import intervals
from pipeline.activity import detect_speech
from pipeline.config import Config
from pipeline.events import raised_voice_events
from pipeline.prosody import measure_prosody
from pipeline.types import CallAudio, Interval, Speaker, SpeechActivity, interval_array
from tests.audio_features.conftest import make_voice, random_contour

RATE_HZ = 16000


def phrases(starts_s, length_s, *, total_s, level_dbfs, low_hz, high_hz, seed=0):
    """Syllabic voiced phrases of ``length_s`` at each start, silence elsewhere."""
    out = np.zeros(int(total_s * RATE_HZ))
    for k, start_s in enumerate(starts_s):
        contour = random_contour(low_hz, high_hz, sample_rate_hz=RATE_HZ, duration_s=length_s,
                                 seed=seed + k)
        piece = make_voice(contour, sample_rate_hz=RATE_HZ, duration_s=length_s,
                           level_dbfs=level_dbfs, seed=seed + k, envelope_hz=3.0)
        first = int(start_s * RATE_HZ)
        out[first: first + piece.size] = piece
    return out


def line_noise(total_s, *, level_dbfs=-62.0, seed=1):
    return 10 ** (level_dbfs / 20) * np.random.default_rng(seed).standard_normal(
        int(total_s * RATE_HZ))


def call(agent, customer):
    samples = np.clip(np.stack([agent, customer]), -1, 1).astype(np.float32)
    return CallAudio(samples=samples, sample_rate_hz=RATE_HZ, source_sample_rate_hz=RATE_HZ,
                     source_format="test", agent_channel=0)


def voiced_truth(samples):
    """Where the generated voice is on (its syllable envelope), as intervals."""
    frame = 160
    level = np.sqrt(np.mean(samples[: samples.size // frame * frame].reshape(-1, frame) ** 2, 1))
    on = level > 10 ** (-45 / 20)
    edges = np.flatnonzero(np.diff(np.concatenate([[0], on.astype(int), [0]])))
    return intervals.merge_close(edges.reshape(-1, 2) * frame / RATE_HZ, max_gap_s=0.3)


@pytest.mark.parametrize("peak_dbfs", [-9.0, -3.0])
def test_loud_speech_is_found(peak_dbfs):
    total_s = 40.0
    loud = phrases(np.arange(2.0, 38.0, 6.0), 3.5, total_s=total_s, level_dbfs=-20.0,
                   low_hz=170, high_hz=260)
    loud *= 10 ** (peak_dbfs / 20) / np.abs(loud).max()
    calm = phrases(np.arange(6.0, 38.0, 6.0), 1.5, total_s=total_s, level_dbfs=-30.0,
                   low_hz=100, high_hz=140, seed=50)
    audio = call(calm + line_noise(total_s), loud + line_noise(total_s, seed=2))

    activity = detect_speech(audio, config=Config().activity)

    truth = voiced_truth(loud)
    found = interval_array(activity[Speaker.CUSTOMER].segments)
    covered = intervals.total_duration_s(intervals.intersect(found, truth))
    assert covered >= 0.95 * intervals.total_duration_s(truth)
    assert intervals.total_duration_s(intervals.subtract(found, truth)) \
        <= 0.1 * intervals.total_duration_s(truth)


def test_typing_while_the_other_party_talks_is_not_speech():
    total_s = 30.0
    talk = phrases(np.arange(1.0, 28.0, 5.0), 4.0, total_s=total_s, level_dbfs=-24.0,
                   low_hz=110, high_hz=160)
    typing = line_noise(total_s)
    rng = np.random.default_rng(3)
    for at_s in np.sort(rng.uniform(1.0, 28.0, 120)):  # key clicks: 5 ms noise bursts
        first = int(at_s * RATE_HZ)
        typing[first: first + 80] += 0.2 * rng.standard_normal(80) * np.hanning(80)
    activity = detect_speech(call(typing, talk), config=Config().activity)
    assert activity[Speaker.AGENT].talk_time_s < 0.5
    assert activity[Speaker.CUSTOMER].talk_time_s > 20.0


def test_shouting_far_above_a_calm_pitch_is_a_raised_voice():
    """A shout 16 semitones over the calm pitch is real shouting, not a tracking error."""
    config = Config()
    total_s = 30.0
    calm = phrases(np.arange(1.0, 22.0, 3.0), 2.5, total_s=total_s, level_dbfs=-32.0,
                   low_hz=110, high_hz=135)
    shout = phrases([24.0], 2.5, total_s=total_s, level_dbfs=-12.0, low_hz=110 * 2 ** (16 / 12),
                    high_hz=135 * 2 ** (16 / 12), seed=9)
    customer = calm + shout + line_noise(total_s)
    audio = call(line_noise(total_s, seed=4), customer)
    spans = tuple(Interval(start_s=s, end_s=s + 2.5) for s in [*np.arange(1.0, 22.0, 3.0), 24.0])
    activity = SpeechActivity(speaker=Speaker.CUSTOMER, segments=spans, bleed_removed=())

    track = measure_prosody(audio, activity, config=config.prosody,
                            raised_voice=config.raised_voice)
    (event,) = raised_voice_events(track, activity, config=config)

    assert 23.5 <= event.start_s and event.end_s <= 27.0
    assert event.details["delta_semitones"] >= 14.0
    assert event.details["delta_db"] >= 15.0
