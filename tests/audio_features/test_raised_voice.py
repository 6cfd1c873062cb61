import numpy as np
import pytest

from audio_features.loudness import loudness_dbfs
from audio_features.pitch import f0_hz
from audio_features.raised import RaisedRules, raised_regions, speaker_baseline

HOP_S = 0.016
RULES = RaisedRules(min_delta_db=6.0, min_delta_semitones=2.0, min_duration_s=1.0,
                    max_gap_s=0.4, smooth_s=0.4)


def tracks(duration_s=20.0, *, level_dbfs=-26.0, f0=120.0, seed=0):
    """Calm speech tracks: level jitter of 1 dB, pitch jitter of 3 %, a third unvoiced."""
    rng = np.random.default_rng(seed)
    n = int(round(duration_s / HOP_S))
    loudness = level_dbfs + rng.normal(0, 1.0, n)
    pitch = f0 * (1 + rng.normal(0, 0.03, n))
    pitch[rng.random(n) < 0.33] = np.nan
    return loudness, pitch, np.ones(n, dtype=bool)


def span(start_s, end_s):
    return slice(int(round(start_s / HOP_S)), int(round(end_s / HOP_S)))


def find(loudness, pitch, speech, baseline_from=None):
    baseline = speaker_baseline(*(baseline_from or (loudness, pitch)), speech_mask=speech,
                                percentile=50.0)
    return raised_regions(loudness, pitch, hop_s=HOP_S, speech_mask=speech,
                          baseline_loudness_dbfs=baseline[0], baseline_f0_hz=baseline[1],
                          rules=RULES)


def test_louder_and_higher_stretch_is_one_region():
    loudness, pitch, speech = tracks()
    loudness[span(8, 10)] += 10.0
    pitch[span(8, 10)] *= 2 ** (4 / 12)
    (region,) = find(loudness, pitch, speech)
    # Edges move by up to a few frames: the smoothing only sees the voiced two thirds.
    assert (region.start_s, region.end_s) == pytest.approx((8.0, 10.0), abs=0.05)
    assert region.delta_db == pytest.approx(10.0, abs=0.5)
    assert region.delta_semitones == pytest.approx(4.0, abs=0.3)


@pytest.mark.parametrize(("delta_db", "delta_semitones", "duration_s"), [
    (10.0, 0.0, 2.0),  # loud but same pitch
    (0.0, 4.0, 2.0),  # higher but not louder
    (4.0, 4.0, 2.0),  # not loud enough
    (10.0, 4.0, 0.6),  # too short
])
def test_not_raised(delta_db, delta_semitones, duration_s):
    loudness, pitch, speech = tracks()
    loudness[span(8, 8 + duration_s)] += delta_db
    pitch[span(8, 8 + duration_s)] *= 2 ** (delta_semitones / 12)
    assert find(loudness, pitch, speech) == ()


def test_a_loud_calm_speaker_is_not_raised():
    loudness, pitch, speech = tracks(level_dbfs=-10.0, f0=210.0)
    assert find(loudness, pitch, speech) == ()


@pytest.mark.parametrize(("dip_s", "expected_regions"), [(0.3, 1), (0.8, 2)])
def test_short_dips_are_bridged(dip_s, expected_regions):
    loudness, pitch, speech = tracks()
    for start_s, end_s in [(8, 9.2), (9.2 + dip_s, 10.4 + dip_s)]:
        loudness[span(start_s, end_s)] += 10.0
        pitch[span(start_s, end_s)] *= 2 ** (4 / 12)
    assert len(find(loudness, pitch, speech)) == expected_regions


def test_non_speech_frames_are_ignored():
    loudness, pitch, speech = tracks()
    speech[span(0, 5)] = False
    loudness[span(0, 5)] = -5.0  # a door slam while the speaker is silent
    pitch[span(0, 5)] = 400.0
    assert find(loudness, pitch, speech) == ()


def test_speaker_baseline():
    loudness = np.array([-30.0, -20.0, -10.0, 0.0])
    pitch = np.array([100.0, np.nan, 200.0, 300.0])
    speech = np.array([True, True, True, False])
    assert speaker_baseline(loudness, pitch, speech_mask=speech, percentile=50.0) == \
        pytest.approx((-20.0, 150.0))
    level, f0 = speaker_baseline(loudness, pitch, speech_mask=np.zeros(4, bool), percentile=50.0)
    assert np.isnan(level) and np.isnan(f0)
    level, f0 = speaker_baseline(loudness, np.full(4, np.nan), speech_mask=speech, percentile=50.0)
    assert np.isnan(level) and np.isnan(f0)


def test_baseline_level_ignores_pauses_between_words():
    loudness, pitch, speech = tracks()
    pauses = np.isnan(pitch)
    loudness[pauses] = -60.0  # the gaps between words, far under the voice
    level, _ = speaker_baseline(loudness, pitch, speech_mask=speech, percentile=50.0)
    assert level == pytest.approx(-26.0, abs=0.3)


def test_a_stretch_whose_whole_median_misses_a_threshold_is_dropped():
    loudness, pitch, speech = tracks()
    loudness[span(8, 10)] += 10.0
    pitch[span(8, 8.6)] *= 2 ** (4 / 12)  # higher for the first third only: median under 2 st
    assert find(loudness, pitch, speech) == ()


def test_without_baseline_nothing_is_raised():
    loudness, pitch, speech = tracks()
    assert raised_regions(loudness, pitch, hop_s=HOP_S, speech_mask=speech,
                          baseline_loudness_dbfs=np.nan, baseline_f0_hz=120.0, rules=RULES) == ()


def test_mismatched_tracks_name_the_fix():
    with pytest.raises(ValueError, match="same hop_s"):
        speaker_baseline(np.zeros(3), np.zeros(4), speech_mask=np.ones(3, bool), percentile=50)


@pytest.mark.parametrize(("raised_f0_hz", "expected"), [(150.0, 1), (120.0, 0)])
def test_raised_voice_in_audio(voice, raised_f0_hz, expected):
    rate_hz = 16000
    calm = voice(120.0, sample_rate_hz=rate_hz, duration_s=5.0, level_dbfs=-26, seed=1)
    loud = voice(raised_f0_hz, sample_rate_hz=rate_hz, duration_s=2.0, level_dbfs=-16, seed=2)
    samples = np.concatenate([calm, loud, calm[::-1]])
    loudness = loudness_dbfs(samples, sample_rate_hz=rate_hz, frame_s=0.064, hop_s=HOP_S)
    pitch = f0_hz(samples, sample_rate_hz=rate_hz, frame_s=0.064, hop_s=HOP_S, f0_min_hz=65.0,
                  f0_max_hz=400.0)
    regions = find(loudness, pitch, np.ones(len(loudness), dtype=bool))
    assert len(regions) == expected
    if expected:
        assert (regions[0].start_s, regions[0].end_s) == pytest.approx((5.0, 7.0), abs=0.05)
