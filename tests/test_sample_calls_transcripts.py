"""End to end with the real tiny.en model over every sample call: transcript and rubric checks."""

import statistics
from pathlib import Path

import pytest

from pipeline.analyze import analyze_call, get_transcriber
from pipeline.config import Config
from pipeline.types import CallMetadata
from tests.ground_truth import (audio_versions, check_outcomes, load_truths,
                                speaker_word_error_rates)

TRUTHS = load_truths()
# Word error rate per speaker and recording with tiny.en (int8, CPU), measured on these calls.
# Wideband (16 kHz Opus): worst channel 0.27 (an espeak voice), median 0.04. Telephone band
# (8 kHz FLAC): worst 0.40, median 0.07. The bounds leave a margin for differences in CPU
# kernels, not for a broken transcript.
MAX_WORD_ERROR_RATE = {"wideband": 0.32, "narrowband": 0.45}
MAX_MEDIAN_WORD_ERROR_RATE = {"wideband": 0.08, "narrowband": 0.10}
# Check outcomes right on the telephone-band versions: measured 153 of 153, with CTranslate2's
# default kernels on a CPU with AVX-512 VNNI, with CT2_FORCE_CPU_ISA=AVX512, and on a CPU with
# AVX2 only (tiny.en's int8 words differ between them). The long-hold call's closing question
# is the fragile one: tiny.en runs it into a misheard address read-back. Wideband versions must
# get every outcome right.
MIN_NARROWBAND_CHECKS_RIGHT = 0.97

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not TRUTHS, reason="sample_calls/ holds no ground truth")]


def metadata_of(truth: dict) -> CallMetadata:
    return CallMetadata(call_id=truth["call_id"], agent_id=truth.get("agent_id"),
                        agent_name=truth.get("agent_name"), team=truth.get("team"),
                        customer_name=truth.get("customer_name"))


@pytest.fixture(scope="module")
def reports(tmp_path_factory) -> list[tuple[Path, dict, dict]]:
    config = Config()
    transcriber = get_transcriber(config.transcription, tmp_path_factory.mktemp("home"))
    return [(path, analyze_call(path, metadata_of(truth), config=config,
                          transcriber=transcriber).to_json(),
             truth)
            for truth in TRUTHS for path in audio_versions(truth)]


def band(path: Path) -> str:
    return "narrowband" if path.name.endswith(".8k.flac") else "wideband"


@pytest.mark.parametrize("recording", ["wideband", "narrowband"])
def test_word_error_rate_per_speaker(reports, recording):
    rates = {}
    for path, report, truth in reports:
        if band(path) != recording:
            continue
        for party, rate in speaker_word_error_rates(report, truth).items():
            rates[(path.name, party)] = round(rate, 3)
    print(f"{recording} word error rates: {rates}")
    worst = max(rates, key=rates.get)
    assert rates[worst] <= MAX_WORD_ERROR_RATE[recording], (worst, rates[worst])
    assert statistics.median(rates.values()) <= MAX_MEDIAN_WORD_ERROR_RATE[recording], rates


def expected_outcomes(reports, recording: str) -> tuple[int, list[tuple]]:
    """How many expected check outcomes the recordings hold, and the ones found wrong."""
    total, wrong = 0, []
    for path, report, truth in reports:
        if band(path) == recording:
            expected, missed = check_outcomes(report, truth)
            total += expected
            wrong.extend((path.name, *miss) for miss in missed)
    return total, wrong


def test_every_expected_check_outcome_on_wideband_recordings(reports):
    total, wrong = expected_outcomes(reports, "wideband")
    assert total >= 100, "the ground truth should hold expectations for every check"
    assert not wrong, wrong


def test_check_outcomes_on_telephone_band_recordings(reports):
    total, wrong = expected_outcomes(reports, "narrowband")
    right = 1 - len(wrong) / total
    print(f"narrowband check outcomes right: {total - len(wrong)} of {total}; wrong: {wrong}")
    assert right >= MIN_NARROWBAND_CHECKS_RIGHT, wrong


def test_words_stay_on_their_own_channel(reports):
    """Leaked speech must not appear in the other party's transcript: each utterance lies in
    that party's own scripted turns."""
    for path, report, truth in reports:
        for utterance in report["transcript"]:
            turns = [t for t in truth["turns"] if t["speaker"] == utterance["speaker"]]
            assert any(t["start_s"] - 0.5 <= utterance["start"] and utterance["end"] <= t["end_s"] + 0.5
                       for t in turns), (path.name, utterance["speaker"], utterance["text"])


def test_reports_carry_scores_flags_and_coaching(reports):
    for path, report, _ in reports:
        assert 0 <= report["scores"]["overall"] <= 100
        assert report["coaching"], path.name
        for item in report["coaching"]:
            assert item["evidence"] and len(item["message"]) <= 200
        assert report["rubric"]["version"]
