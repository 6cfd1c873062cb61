"""Engines, transactions and where the store lives.

The store takes its URL and audio folder explicitly; :func:`location_from_env` is for entry
points (the CLI, the flows) that turn ``CALLCOACH_HOME`` / ``CALLCOACH_DATABASE_URL`` into them.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from pipeline.errors import ConfigError, StoreError
from pipeline.store.folders import sqlite_folder_error

logger = logging.getLogger(__name__)

DEFAULT_HOME = ".callcoach"
SQLITE_BUSY_TIMEOUT_S = 60.0
READ_ONLY_OPTION = "callcoach_read_only"
"""Execution option that marks a connection's transactions as reads (see :meth:`Database.read`)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class StoreLocation:
    """A database URL and the folder holding content-addressed audio copies."""

    url: str
    audio_dir: Path


def location_from_env(environ: Mapping[str, str]) -> StoreLocation:
    """Where the store lives, from ``CALLCOACH_HOME`` (default ``./.callcoach``),
    ``CALLCOACH_DATABASE_URL`` (default a SQLite file in the home) and ``CALLCOACH_AUDIO_DIR``
    (default ``<home>/audio``; point every worker at one shared folder when scaling out)."""
    home = Path(environ.get("CALLCOACH_HOME") or DEFAULT_HOME).expanduser().resolve()
    url = environ.get("CALLCOACH_DATABASE_URL") or f"sqlite:///{home / 'callcoach.db'}"
    audio_dir = Path(environ.get("CALLCOACH_AUDIO_DIR") or home / "audio").expanduser().resolve()
    return StoreLocation(url=url, audio_dir=audio_dir)


def create_store_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite gets WAL, foreign keys, writes that take the write lock up
    front and reads that take no lock (see :func:`_begin`)."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise ConfigError(f"database URL {url!r} is not valid: {exc}; use sqlite:///path/to/file.db "
                          "or postgresql+psycopg://user@host/db") from exc
    if parsed.get_backend_name() != "sqlite":
        return create_engine(parsed, pool_pre_ping=True)
    if parsed.database and parsed.database != ":memory:":
        create_private_file(Path(parsed.database).expanduser())
    engine = create_engine(parsed, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S})
    event.listen(engine, "connect", _configure_sqlite_connection)
    event.listen(engine, "begin", _begin)
    return engine


def create_private_file(path: Path) -> None:
    """Create the database file readable by its owner alone (0600; SQLite gives its -wal and
    -shm files the same mode), in a folder created 0700: it holds customers' names and what
    they said. An existing file keeps the mode its owner gave it."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    if not path.exists():
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))


def _configure_sqlite_connection(dbapi_connection, _record) -> None:
    # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin (see the
    # SQLAlchemy pysqlite notes on serializable isolation).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={int(SQLITE_BUSY_TIMEOUT_S * 1000)}")
    cursor.close()


def _begin(connection: Connection) -> None:
    # A write takes the write lock up front: a deferred transaction that reads and then writes
    # must upgrade its lock, and once another connection has written since its read began SQLite
    # refuses the upgrade at once (SQLITE_BUSY, busy_timeout not consulted: its snapshot is
    # stale), where BEGIN IMMEDIATE waits its turn.
    # A read never upgrades, so it takes no lock: in WAL mode it reads a snapshot beside the one
    # writer and every other reader (https://sqlite.org/wal.html, "Concurrency").
    if connection.get_execution_options().get(READ_ONLY_OPTION):
        connection.exec_driver_sql("BEGIN")
    else:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def utc_now() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; everything stored is UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


class Database:
    """An engine with two ways in, both wrapping driver errors in StoreError: :meth:`transaction`
    for work that writes and :meth:`read` for work that only reads."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        # The same pool and listeners; its connections carry the read-only mark from the start.
        self._read_engine = engine.execution_options(**{READ_ONLY_OPTION: True})

    @property
    def engine(self) -> Engine:
        return self._engine

    @property
    def is_sqlite(self) -> bool:
        return self._engine.url.get_backend_name() == "sqlite"

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """A connection inside one transaction that may write: committed on success, rolled
        back on error. On SQLite it holds the database's one write lock from start to end."""
        with self._store_errors(), self._engine.begin() as connection:
            yield connection

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A connection inside one transaction that only reads. On SQLite it takes no lock:
        every query in it reads one snapshot, it neither waits for a writer nor makes one wait,
        and nothing inside may write (a write there could fail at once instead of waiting its
        turn). On PostgreSQL it is the same as :meth:`transaction`."""
        with self._store_errors(), self._read_engine.begin() as connection:
            yield connection

    @contextmanager
    def _store_errors(self) -> Iterator[None]:
        try:
            yield
        except SQLAlchemyError as exc:
            if self.is_sqlite and (folder := sqlite_folder_error(
                    str(exc.orig if hasattr(exc, "orig") else exc), self._engine.url.database)):
                raise folder from exc
            url = self._engine.url.render_as_string(hide_password=True)
            raise StoreError(f"the database at {url} refused or failed an operation "
                             f"({type(exc).__name__}: {exc.args[0] if exc.args else exc}); "
                             "check that it is reachable and migrated (callcoach calls list "
                             "migrates it)") from exc

    def close(self) -> None:
        self._engine.dispose()
