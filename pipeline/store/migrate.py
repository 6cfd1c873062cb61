"""Run the store's Alembic migrations from the installed package (no alembic.ini needed)."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine

logger = logging.getLogger(__name__)

_MIGRATION_LOCK = threading.Lock()
_ADVISORY_LOCK_KEY = 0x63616C6C  # "call": any constant shared by every callcoach process
MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(*, url: str | None = None, connection: Connection | None = None) -> AlembicConfig:
    """An Alembic config pointing at the packaged migrations, bound to a URL or a connection."""
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url is not None:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def upgrade(engine: Engine, *, revision: str = "head") -> None:
    """Bring the database up to ``revision`` (the newest by default).

    Safe to call from many threads and processes at once: Alembic's context is process-global,
    so threads take turns, and on PostgreSQL an advisory lock makes other processes wait and
    then find the schema already current (SQLite's BEGIN IMMEDIATE does the same there).
    """
    with _MIGRATION_LOCK, engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_ADVISORY_LOCK_KEY})")
        command.upgrade(alembic_config(connection=connection), revision)
    logger.info("store schema at revision %s", revision)


def downgrade(engine: Engine, *, revision: str = "base") -> None:
    """Step the database back to ``revision`` (``base`` drops every table)."""
    with _MIGRATION_LOCK, engine.begin() as connection:
        command.downgrade(alembic_config(connection=connection), revision)
    logger.info("store schema downgraded to %s", revision)


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, or None for an empty database."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str:
    """The newest revision shipped with this package."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, "the package ships at least one migration"
    return head
