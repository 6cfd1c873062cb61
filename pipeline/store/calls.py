"""Registering calls and moving them through queued → processing → done | failed."""

from __future__ import annotations

import logging
import os
import socket
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Row, func, select, update
from sqlalchemy.exc import IntegrityError

from pipeline.errors import ErrorKind, InvalidMetadataError, NotFoundError, StoreError
from pipeline.store import audio
from pipeline.store.database import Database, as_utc, utc_now
from pipeline.store.records import CallRecord, CallStatus, Registration
from pipeline.store.schema import CALL_CONTEXT_TABLES, CALL_ID_LENGTH, calls, reports
from pipeline.types import CallMetadata

logger = logging.getLogger(__name__)


def claim_owner() -> str:
    """Who is analysing a call: host, process and thread, so a dead owner can be recognised."""
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


def owner_is_alive(owner: str, *, claimed_at: datetime, timeout_s: float) -> bool:
    """Whether a claim still holds: same host → its process exists; other host → not too old."""
    host, _, rest = owner.partition(":")
    pid_text = rest.partition(":")[0]
    if host == socket.gethostname() and pid_text.isdigit():
        try:
            os.kill(int(pid_text), 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    return utc_now() - claimed_at < timedelta(seconds=timeout_s)


EARLIEST_START = datetime(1970, 1, 1, tzinfo=UTC)
FUTURE_SLACK = timedelta(days=1)  # clocks and time zones; a recording is never from later


def parse_started_at(value: str | None, *, now: datetime | None = None) -> datetime | None:
    """An ISO 8601 start time in UTC (naive times are taken as UTC). Converted here because
    SQLite keeps no offset: 08:30+02:00 would come back as 08:30 UTC. Times before 1970 or
    more than a day ahead of ``now`` are refused: no recording was made then."""
    if value is None or value == "":
        return None
    example = "write it like 2024-05-01T14:03:00Z"
    try:
        # 0001-01-01T00:00+01:00 and 9999-12-31T23:59-05:00 parse but overflow in UTC.
        started_at = as_utc(datetime.fromisoformat(value)).astimezone(UTC)
    except (TypeError, ValueError, OverflowError) as exc:
        raise InvalidMetadataError(f"started_at {value!r} is not an ISO 8601 time; {example}") \
            from exc
    latest = (now or utc_now()) + FUTURE_SLACK
    if not EARLIEST_START <= started_at <= latest:
        raise InvalidMetadataError(
            f"started_at {value!r} is not a time a call can have started (before 1970 or in "
            f"the future); {example}")
    return started_at


MAX_VALUE_CHARS = 200  # the width of the metadata columns (pipeline/store/schema.py)
TEXT_FIELDS = ("agent_id", "agent_name", "team", "customer_name")
_CONTROL_CHARS = frozenset(map(chr, [*range(0x20), 0x7F]))


def text_problem(name: str, value: str) -> str | None:
    """Why a metadata value cannot be stored as one line of text that fits its column."""
    if len(value) > MAX_VALUE_CHARS:
        return f"{name} is {len(value)} characters long; at most {MAX_VALUE_CHARS} are kept"
    if not _CONTROL_CHARS.isdisjoint(value):
        return f"{name} contains control characters ({value[:40]!r})"
    return None


def check_metadata(metadata: CallMetadata) -> datetime | None:
    """Raise :class:`InvalidMetadataError` for metadata the store cannot keep as given, so it
    is refused where it comes in, not after analysis; returns the start time in UTC."""
    for name in TEXT_FIELDS:
        value = getattr(metadata, name)
        if value is not None and (problem := text_problem(name, value)) is not None:
            raise InvalidMetadataError(problem)
    return parse_started_at(metadata.started_at)


def call_not_found(call_id: str) -> NotFoundError:
    return NotFoundError(f"no call with id {call_id!r}; `callcoach calls list` shows the ids")


def call_from_row(row: Row, *, audio_dir: Path) -> CallRecord:
    """The call in a row whose leading columns are the calls table's own (``select(calls,
    ...)``); zipping their names costs a fraction of walking ``row._mapping``."""
    values: dict[str, Any] = dict(zip(_CALL_COLUMN_NAMES, row))
    relpath = values.pop("audio_relpath")
    for name in ("started_at", "created_at", "updated_at"):
        values[name] = as_utc(values[name])
    return CallRecord(audio_path=audio_dir / relpath, **{
        **values, "status": CallStatus(values["status"]),
        "error_kind": ErrorKind.from_stored(values["error_kind"])})


_CALL_COLUMN_NAMES = tuple(column.name for column in calls.c)


class CallOps(Database):
    """Call-level operations; mixed into :class:`pipeline.store.Store`."""

    audio_dir: Path
    claim_timeout_s: float

    def register_call(self, source: Path, metadata: CallMetadata, *, agent_channel: int = 0,
                      source_name: str | None = None) -> Registration:
        """Copy ``source`` into the audio folder and queue it, unless its sha256 is known.
        ``source_name`` is where the call came from when ``source`` is a temporary copy.

        A known sha256 returns the existing call (``created=False``) whatever its name. A
        call id already taken by other audio gets the first 8 hex digits of the hash appended.
        """
        started_at = check_metadata(metadata)
        sha256, relpath = audio.copy_into(Path(source), audio_dir=self.audio_dir)
        for _attempt in range(3):
            existing = self.find_call_by_sha256(sha256)
            if existing is not None:
                return Registration(call=existing, created=False)
            try:
                with self.transaction() as connection:
                    call_id = _free_call_id(connection, metadata.call_id, sha256)
                    connection.execute(calls.insert().values(
                        id=call_id, source_path=source_name or str(source), audio_relpath=relpath, sha256=sha256,
                        agent_id=metadata.agent_id, agent_name=metadata.agent_name,
                        team=metadata.team, customer_name=metadata.customer_name,
                        started_at=started_at, agent_channel=agent_channel,
                        status=CallStatus.QUEUED.value, created_at=utc_now(), updated_at=utc_now()))
            except StoreError as exc:
                if isinstance(exc.__cause__, IntegrityError):  # raced with another registration
                    continue
                raise
            logger.info("queued call %s (%s)", call_id, sha256[:12])
            return Registration(call=self.get_call(call_id), created=True)
        raise AssertionError("unreachable: a sha256 clash resolves on the next read")

    def get_call(self, call_id: str) -> CallRecord:
        with self.read() as connection:
            row = connection.execute(select(calls).where(calls.c.id == call_id)).first()
        if row is None:
            raise call_not_found(call_id)
        return call_from_row(row, audio_dir=self.audio_dir)

    def find_call_by_sha256(self, sha256: str) -> CallRecord | None:
        with self.read() as connection:
            row = connection.execute(select(calls).where(calls.c.sha256 == sha256)).first()
        return None if row is None else call_from_row(row, audio_dir=self.audio_dir)

    def list_calls(self, *, status: CallStatus | str | None = None, agent_id: str | None = None,
                   team: str | None = None, limit: int | None = None,
                   offset: int = 0) -> list[CallRecord]:
        """Calls, newest first, optionally filtered."""
        query = select(calls).order_by(calls.c.created_at.desc(), calls.c.id)
        for column, value in ((calls.c.status, status), (calls.c.agent_id, agent_id),
                              (calls.c.team, team)):
            if value is not None:
                query = query.where(column == str(value))
        query = query.offset(offset).limit(limit)
        with self.read() as connection:
            rows = connection.execute(query).all()
        return [call_from_row(row, audio_dir=self.audio_dir) for row in rows]

    def count_calls_by_status(self) -> dict[CallStatus, int]:
        query = select(calls.c.status, func.count()).group_by(calls.c.status)
        with self.read() as connection:
            counts = dict(connection.execute(query).all())
        return {status: counts.get(status.value, 0) for status in CallStatus}

    def known_sha256s(self) -> set[str]:
        with self.read() as connection:
            return set(connection.execute(select(calls.c.sha256)).scalars())

    def claim_call(self, call_id: str, *, owner: str, force: bool = False) -> bool:
        """Mark a call ``processing`` by ``owner``; False when it is done (unless ``force``) or
        claimed by an owner that is still alive. A dead owner's claim is taken over, which is
        how a run killed mid-call is redone."""
        with self.transaction() as connection:
            row = _locked_call(connection, call_id)
            if row.status == CallStatus.DONE and not force:
                return False
            if self._claimed_by_live_owner(row, other_than=owner):
                return False
            connection.execute(update(calls).where(calls.c.id == call_id).values(
                status=CallStatus.PROCESSING.value, claimed_by=owner, error=None, error_kind=None,
                updated_at=utc_now()))
        return True

    def update_call_metadata(self, call_id: str, metadata: CallMetadata, *,
                             agent_channel: int) -> bool:
        """Replace the metadata of a call not analysed yet (a file whose sidecar or manifest
        row has been fixed); the call id and status stay. False, changing nothing, when the
        call is ``done`` (its reports were built from the metadata it has) or claimed by an
        owner that is still alive."""
        started_at = check_metadata(metadata)
        with self.transaction() as connection:
            row = _locked_call(connection, call_id)
            if row.status == CallStatus.DONE or self._claimed_by_live_owner(row):
                return False
            connection.execute(update(calls).where(calls.c.id == call_id).values(
                agent_id=metadata.agent_id, agent_name=metadata.agent_name, team=metadata.team,
                customer_name=metadata.customer_name, started_at=started_at,
                agent_channel=agent_channel, updated_at=utc_now()))
            _update_copies(connection, call_id, metadata, started_at=started_at)
        logger.info("call %s: metadata replaced", call_id)
        return True

    def _claimed_by_live_owner(self, row: Row, *, other_than: str | None = None) -> bool:
        return (row.status == CallStatus.PROCESSING and row.claimed_by not in (None, other_than)
                and owner_is_alive(row.claimed_by, claimed_at=as_utc(row.updated_at),
                                   timeout_s=self.claim_timeout_s))

    def mark_failed(self, call_id: str, *, reason: str, kind: ErrorKind | str) -> None:
        """Record why a call failed, and its kind (``ErrorKind.of(error)``)."""
        with self.transaction() as connection:
            _locked_call(connection, call_id)
            connection.execute(update(calls).where(calls.c.id == call_id).values(
                status=CallStatus.FAILED.value, error=reason, error_kind=str(kind), claimed_by=None,
                updated_at=utc_now()))
        logger.info("call %s failed: %s", call_id, reason)

    def release_call(self, call_id: str) -> None:
        """Put a call back in the queue, its last failure forgotten (a worker shutting down
        cleanly, a failed upload sent again)."""
        with self.transaction() as connection:
            connection.execute(update(calls).where(calls.c.id == call_id).values(
                status=CallStatus.QUEUED.value, claimed_by=None, error=None, error_kind=None,
                updated_at=utc_now()))

    def recover_abandoned_calls(self) -> list[str]:
        """Queue again every call left ``processing`` by an owner that is gone (a server or
        worker killed mid-analysis); returns their ids."""
        with self.read() as connection:
            rows = connection.execute(select(calls).where(
                calls.c.status == CallStatus.PROCESSING.value)).all()
        recovered = []
        for row in rows:
            with self.transaction() as connection:
                current = _locked_call(connection, row.id)
                if current.status != CallStatus.PROCESSING.value or \
                        self._claimed_by_live_owner(current):
                    continue
                connection.execute(update(calls).where(calls.c.id == row.id).values(
                    status=CallStatus.QUEUED.value, claimed_by=None, updated_at=utc_now()))
            recovered.append(row.id)
        if recovered:
            logger.warning("queued again %d call(s) left processing by a stopped process: %s",
                           len(recovered), ", ".join(recovered))
        return recovered


def _update_copies(connection: Connection, call_id: str, metadata: CallMetadata, *,
                   started_at: datetime | None) -> None:
    """Keep the copies of who and when that an earlier report's rows hold (a call done once,
    then failed on a rerun) in step with the call, so searches and the queue agree with it."""
    connection.execute(update(reports).where(reports.c.call_id == call_id).values(
        call_started_at=started_at))
    for table in CALL_CONTEXT_TABLES:
        connection.execute(update(table).where(table.c.call_id == call_id).values(
            agent_id=metadata.agent_id, team=metadata.team, call_started_at=started_at))


def _locked_call(connection: Connection, call_id: str) -> Row:
    row = connection.execute(select(calls).where(calls.c.id == call_id).with_for_update()).first()
    if row is None:
        raise call_not_found(call_id)
    return row


def _free_call_id(connection: Connection, wanted: str, sha256: str) -> str:
    wanted = wanted[:CALL_ID_LENGTH - 9] or sha256[:12]
    taken = connection.execute(select(calls.c.id).where(calls.c.id == wanted)).first()
    return wanted if taken is None else f"{wanted}-{sha256[:8]}"
