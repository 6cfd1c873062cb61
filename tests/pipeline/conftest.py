"""Store fixtures: every store test runs on SQLite and, when CALLCOACH_TEST_POSTGRES_URL is set,
on PostgreSQL, each test in a schema of its own."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from pipeline.store import Store
from pipeline.store.database import create_store_engine

POSTGRES_ENV = "CALLCOACH_TEST_POSTGRES_URL"


def postgres_schema_url(base_url: str) -> Iterator[str]:
    """A fresh PostgreSQL schema for one test, as a URL whose search_path points at it."""
    schema = f"callcoach_test_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(base_url)
    with admin.begin() as connection:
        connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    try:
        yield sa.make_url(base_url).update_query_dict(
            {"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()


def postgres_base_url() -> str:
    base_url = os.environ.get(POSTGRES_ENV)
    if not base_url:
        pytest.skip(f"set {POSTGRES_ENV}=postgresql+psycopg://user@host/db to test PostgreSQL")
    return base_url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request, tmp_path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.db'}"
        return
    yield from postgres_schema_url(postgres_base_url())


@pytest.fixture
def store(database_url, tmp_path) -> Iterator[Store]:
    with Store.open(database_url, audio_dir=tmp_path / "audio") as opened:
        yield opened


@pytest.fixture
def engine(database_url) -> Iterator[sa.Engine]:
    """A bare engine on the test database, for migrations and query plans."""
    engine = create_store_engine(database_url)
    yield engine
    engine.dispose()
