"""The ``analyze`` command when its output cannot go where it was told: a clear message
before any analysis, and no traceback when the reader of a pipe leaves early."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SHORT_CALL = REPO / "sample_calls" / "talk_over.8k.flac"
CLI = [sys.executable, "-m", "pipeline.cli"]


def run_cli(*args: str, **options) -> subprocess.CompletedProcess:
    env = {**os.environ, "CALLCOACH_HOME": str(options.pop("home"))}
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=300, env=env,
                          cwd=REPO, **options)


def test_an_unwritable_json_target_is_refused_before_analysis(tmp_path, table):
    started = time.perf_counter()
    result = run_cli("analyze", str(SHORT_CALL), "--json", str(tmp_path / "no" / "such" /
                                                              "dir" / "r.json"),
                     home=tmp_path / "home")
    elapsed_s = time.perf_counter() - started
    table("cli faults").row(probe="--json into a missing folder", exit=result.returncode,
                            seconds=f"{elapsed_s:.1f}", traceback="Traceback" in result.stderr)
    assert result.returncode == 2
    assert "cannot write there" in result.stderr and "Traceback" not in result.stderr
    assert "summary" not in result.stdout.lower() and result.stdout == ""


def test_a_reader_that_leaves_early_gets_no_traceback(tmp_path, table):
    env = {**os.environ, "CALLCOACH_HOME": str(tmp_path / "home")}
    process = subprocess.Popen([*CLI, "analyze", "--no-transcript", *[str(SHORT_CALL)] * 3],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=REPO)
    first = process.stdout.readline()
    process.stdout.close()  # what `| head -1` does
    stderr = process.stderr.read().decode()
    process.stderr.close()
    process.wait(timeout=300)
    table("cli faults").row(probe="analyze | head -1", exit=process.returncode, seconds="-",
                            traceback="Traceback" in stderr)
    assert first
    assert "BrokenPipeError" not in stderr and "Traceback" not in stderr, stderr
