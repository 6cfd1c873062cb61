"""Compact loudness and pitch tracks for the call page's timeline."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from pipeline.call_report import FlagKind, flag_kind_of_reason
from pipeline.tracks import MAX_BINS, bin_step_s, compact_track
from pipeline.types import ProsodyTrack, Speaker, read_only

HOP_S = 0.016


def track(seconds: float, *, loud_from_s: float, loud_to_s: float) -> ProsodyTrack:
    """Speech (at -20 dBFS, 200 Hz) only inside [loud_from_s, loud_to_s); -60 dBFS elsewhere."""
    times = np.arange(int(seconds / HOP_S)) * HOP_S
    speech = (times >= loud_from_s) & (times < loud_to_s)
    f0 = np.where(speech, 200.0, np.nan)
    f0[speech.nonzero()[0][::5]] = np.nan  # unvoiced frames inside speech do not count
    return ProsodyTrack(speaker=Speaker.AGENT, hop_s=HOP_S,
                        loudness_dbfs=read_only(np.where(speech, -20.0, -60.0)),
                        f0_hz=read_only(f0), speech_mask=read_only(speech),
                        baseline_loudness_dbfs=-22.0, baseline_f0_hz=190.0)


def test_bins_hold_the_party_s_own_speech_and_none_elsewhere():
    compact = compact_track(track(10.0, loud_from_s=2.0, loud_to_s=4.0), duration_s=10.0)
    assert compact.step_s == 0.25 and len(compact.loudness_dbfs) == 40
    assert compact.loudness_dbfs[8:16] == (-20.0,) * 8  # 2.0 s to 4.0 s
    assert compact.f0_hz[8:16] == (200.0,) * 8
    assert set(compact.loudness_dbfs[:8] + compact.loudness_dbfs[16:]) == {None}


@pytest.mark.parametrize("duration_s", [60.0, 1800.0, 7200.0])
def test_a_long_call_stays_small(duration_s):
    assert duration_s / bin_step_s(duration_s) <= MAX_BINS


def test_a_silent_party_has_only_gaps():
    compact = compact_track(track(5.0, loud_from_s=9.0, loud_to_s=9.0), duration_s=5.0)
    assert set(compact.loudness_dbfs) == set(compact.f0_hz) == {None}


def test_the_migration_reads_flag_kinds_as_the_report_does():
    path = next(Path(__file__).parents[2].glob("pipeline/migrations/versions/0005_*.py"))
    spec = importlib.util.spec_from_file_location("migration_0005", path)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    reasons = ["Agent raised their voice (once)", "Agent interrupted the customer 4 times",
               "Agent used dismissive or blaming language", "Customer was abusive: check in",
               "Customer asked for a manager and no escalation was offered",
               "Customer ended the call more upset than they began",
               "Upset customer was not turned around", "Customer threatened to leave",
               "Something new"]
    kinds = [flag_kind_of_reason(reason) for reason in reasons]
    assert [migration._kind(reason) for reason in reasons] == [k and k.value for k in kinds]
    assert set(kinds) - {None} == set(FlagKind)
