"""Fixtures for the flow tests: a throwaway Prefect API, a workspace on SQLite or PostgreSQL,
generated call audio, and stand-in analysis stages for the fast tests."""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import sqlalchemy as sa

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")

from flows import stages  # noqa: E402 - Prefect reads the settings above at import
from flows.runtime import Workspace  # noqa: E402

POSTGRES_ENV = "CALLCOACH_TEST_POSTGRES_URL"
SAMPLE_RATE_HZ = 16000


@pytest.fixture(scope="session", autouse=True)
def prefect_api(tmp_path_factory) -> Iterator[None]:
    """A temporary Prefect database for the whole session, never the user's ~/.prefect."""
    from prefect.testing.utilities import prefect_test_harness

    os.environ["PREFECT_HOME"] = str(tmp_path_factory.mktemp("prefect-home"))
    with prefect_test_harness(server_startup_timeout=60):
        yield


def postgres_url_with_schema(base_url: str, schema: str) -> str:
    return sa.make_url(base_url).update_query_dict(
        {"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request, tmp_path) -> Iterator[str]:
    """A database of its own for one test: a SQLite file, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'callcoach.db'}"
        return
    base_url = os.environ.get(POSTGRES_ENV)
    if not base_url:
        pytest.skip(f"set {POSTGRES_ENV}=postgresql+psycopg://user@host/db to test PostgreSQL")
    with postgres_schema(base_url) as url:
        yield url


@contextmanager
def postgres_schema(base_url: str) -> Iterator[str]:
    """A fresh schema on the PostgreSQL server at ``base_url``, dropped on exit; yields a URL
    whose connections use it."""
    schema = f"callcoach_test_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(base_url)
    with admin.begin() as connection:
        connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    try:
        yield postgres_url_with_schema(base_url, schema)
    finally:
        with admin.begin() as connection:
            connection.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()


@pytest.fixture
def workspace(store_url, tmp_path) -> Iterator[Workspace]:
    from flows.runtime import close_stores

    home = tmp_path / "home"
    yield Workspace(store_url=store_url, audio_dir=str(home / "audio"),
                     transcript_cache_dir=str(home / "transcripts"),
                     model_cache_dir=str(home / "models"))
    close_stores()  # before the database (or schema) goes away


def write_call(path: Path, *, seed: int, duration_s: float = 1.0) -> Path:
    """A short stereo wav of noise; different seeds give different bytes (and sha256)."""
    samples = np.random.default_rng(seed).normal(0.0, 0.05, (int(duration_s * SAMPLE_RATE_HZ), 2))
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, samples.astype(np.float32), SAMPLE_RATE_HZ)
    return path


class FakeStages:
    """Stand-ins for transcription and report building that still decode the audio (so bad
    files fail for real) and count how often they ran."""

    def __init__(self) -> None:
        self.transcribed: list[str] = []
        self.reported: list[str] = []

    def transcribe(self, audio_path, *, sha256, config, agent_channel, model_cache_dir):
        from pipeline.decode import decode_call

        decode_call(Path(audio_path), config=config.decode, agent_channel=agent_channel)
        self.transcribed.append(sha256)
        return [{"speaker": "agent", "start": 0.1, "end": 0.5, "text": "hello", "words": []}]

    def report_cached_call(self, audio_path, metadata, transcript, *, sha256, config,
                           agent_channel, rubric_path=None):
        self.reported.append(metadata.call_id)
        return {"schema_version": 1, "call_id": metadata.call_id, "agent_id": metadata.agent_id,
                "duration_s": 1.0, "transcript": transcript, "rubric_version": rubric_path or "1",
                "events": [{"id": "ev-1", "type": "long_silence", "speaker": None,
                            "start": 0.0, "end": 0.9, "details": {}}],
                "checks": {"apology": {"met": False, "evidence": []}}, "flags": [],
                "config": {"digest": config.digest}}


@pytest.fixture
def fake_stages(monkeypatch) -> FakeStages:
    fake = FakeStages()
    monkeypatch.setattr(stages, "transcribe", fake.transcribe)
    monkeypatch.setattr(stages, "report_cached_call", fake.report_cached_call)
    return fake


CLI_DRIVER = """
import sys
from importlib import metadata
from pipeline import cli
points = metadata.EntryPoints([
    metadata.EntryPoint(name=name, value=value, group=cli.COMMAND_GROUP)
    for name, value in (("flows", "flows.commands:register"),
                        ("calls", "pipeline.store_commands:register"))])
cli.entry_points = lambda group: points
sys.exit(cli.main(sys.argv[1:]))
"""


def callcoach_argv(*args: str) -> list[str]:
    """``callcoach ARGS``; until the package's entry points list the flow and store commands,
    the same main() with those two entry points supplied."""
    from importlib.metadata import entry_points

    names = {point.value for point in entry_points(group="callcoach.commands")}
    if {"flows.commands:register", "pipeline.store_commands:register"} <= names:
        return [sys.executable, "-m", "pipeline.cli", *args]
    return [sys.executable, "-c", CLI_DRIVER, *args]
