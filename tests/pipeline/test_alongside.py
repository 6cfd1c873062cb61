"""Work shared with a second core gives the same results as on one, and errors still arrive."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest

import pipeline.alongside as alongside_module
from pipeline.activity import detect_speech
from pipeline.alongside import alongside, spare_core
from pipeline.analyze import analyze_acoustics
from pipeline.config import Config
from pipeline.decode import decode_call
from pipeline.sentence_encoder import default_encoder

SAMPLE_CALLS = Path(__file__).resolve().parents[2] / "sample_calls"


@pytest.fixture(params=[True, False], ids=["core free", "cores busy"])
def cores(request, monkeypatch: pytest.MonkeyPatch) -> bool:
    monkeypatch.setattr(alongside_module, "spare_core", lambda: request.param)
    return request.param


def test_the_work_runs_on_its_own_thread_only_when_a_core_is_free(cores: bool) -> None:
    caller = threading.get_ident()
    assert (alongside(threading.get_ident).result() != caller) is cores


def test_an_error_in_the_work_reaches_whoever_waits_for_it(cores: bool) -> None:
    def broken(value: int) -> int:
        raise ValueError(f"bad value {value}")

    future = alongside(broken, 7)
    with pytest.raises(ValueError, match="bad value 7"):
        future.result()


@pytest.mark.parametrize(("loadavg", "free"), [("0.50 0.40 0.30 1/180 4242", True),
                                               ("3.10 2.00 1.50 9/180 4242", False),
                                               ("not what the kernel writes", True)])
def test_a_core_is_free_when_fewer_threads_run_than_there_are_cores(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, loadavg: str, free: bool) -> None:
    monkeypatch.setattr(alongside_module, "_usable_cores", lambda: 2)
    (tmp_path / "loadavg").write_text(loadavg)
    monkeypatch.setattr(alongside_module, "_LOADAVG", tmp_path / "loadavg")
    assert spare_core() is free


def test_a_machine_without_proc_loadavg_counts_as_free(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(alongside_module, "_LOADAVG", tmp_path / "missing")
    assert spare_core() is True


def test_speech_and_prosody_are_the_same_whether_a_core_is_free_or_not(
        monkeypatch: pytest.MonkeyPatch) -> None:
    audio = decode_call(SAMPLE_CALLS / "talk_over.opus", config=Config().decode)
    results = []
    for free in (True, False):
        monkeypatch.setattr(alongside_module, "spare_core", lambda free=free: free)
        results.append(analyze_acoustics(audio, Config()))
    shared, alone = results
    assert shared.activity == alone.activity
    assert shared.events == alone.events
    for speaker, track in shared.prosody.items():
        assert np.array_equal(track.f0_hz, alone.prosody[speaker].f0_hz, equal_nan=True)
        assert np.array_equal(track.loudness_dbfs, alone.prosody[speaker].loudness_dbfs)
    assert detect_speech(audio, config=Config().activity) == alone.activity


def test_sentence_vectors_are_the_same_whether_a_core_is_free_or_not(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # Enough texts for several batches, of many lengths.
    texts = [f"sentence {i} " + "word " * (i % 23) for i in range(150)]
    vectors = []
    for free in (True, False):
        monkeypatch.setattr(alongside_module, "spare_core", lambda free=free: free)
        vectors.append(default_encoder().encode(texts))
    assert np.array_equal(vectors[0], vectors[1])
    assert vectors[0].shape == (150, 384)
