"""Signing in to the web pages: passwords, sessions and one-time sign-in links.

Only hashes are stored: a password's scrypt hash (``pipeline.store.passwords``), and the
sha256 of each session token and link token, so a copy of the database signs nobody in.
Repeated wrong passwords block the account's sign-ins for a while, doubling each time; the
count lives in the database, so every server process sees it.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import (Column, ForeignKey, Index, Integer, String, Table, delete, select,
                        update)

from pipeline.errors import AuthenticationError, TooManyAttemptsError
from pipeline.store.database import Database, as_utc, utc_now
from pipeline.store.passwords import hash_password, verify_password
from pipeline.store.schema import Timestamp, metadata
from pipeline.store.users import TOKEN_BYTES, UserRecord, hash_token, users

logger = logging.getLogger(__name__)

FREE_ATTEMPTS = 5  # wrong passwords in a row before sign-ins are blocked
FIRST_BLOCK_S = 30
LONGEST_BLOCK_S = 15 * 60
KEEP_EXPIRED = timedelta(days=7)  # expired sessions and links stay this long, for the record

user_passwords = Table(
    "user_passwords", metadata,
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("password_hash", String(300), nullable=False),
    Column("changed_at", Timestamp, nullable=False),
    Column("failed_attempts", Integer, nullable=False, default=0),
    Column("blocked_until", Timestamp),
)

sessions = Table(
    "sessions", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("token_sha256", String(64), nullable=False, unique=True),
    Column("created_at", Timestamp, nullable=False),
    Column("expires_at", Timestamp, nullable=False),
    Column("ended_at", Timestamp),
    Index(None, "user_id"),
)

sign_in_links = Table(
    "sign_in_links", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("token_sha256", String(64), nullable=False, unique=True),
    Column("created_at", Timestamp, nullable=False),
    Column("expires_at", Timestamp, nullable=False),
    Column("used_at", Timestamp),
    Index(None, "user_id"),
)


@dataclass(frozen=True, slots=True, kw_only=True)
class SessionGrant:
    """A new session: its token (the cookie's value; only its hash is stored) and expiry."""

    token: str
    expires_at: datetime


def block_s(failed_attempts: int) -> int:
    """How long sign-ins stay blocked after ``failed_attempts`` wrong passwords in a row."""
    if failed_attempts < FREE_ATTEMPTS:
        return 0
    return min(FIRST_BLOCK_S * 2 ** (failed_attempts - FREE_ATTEMPTS), LONGEST_BLOCK_S)


class SignInOps(Database):
    """Passwords, sessions and sign-in links; mixed into :class:`pipeline.store.Store`."""

    get_user: Callable[[int], UserRecord]  # from UsersOps, mixed in beside this

    def set_password(self, user_id: int, password: str) -> None:
        """Set (or replace) a user's password; their open sessions end."""
        self.get_user(user_id)
        stored = hash_password(password)
        now = utc_now()
        with self.transaction() as connection:
            connection.execute(user_passwords.delete().where(user_passwords.c.user_id == user_id))
            connection.execute(user_passwords.insert().values(
                user_id=user_id, password_hash=stored, changed_at=now, failed_attempts=0))
            connection.execute(update(sessions).where(
                sessions.c.user_id == user_id, sessions.c.ended_at.is_(None)).values(ended_at=now))
        logger.info("password set for user %s", user_id)

    def check_password(self, name: str, password: str) -> UserRecord:
        """The user ``name`` if ``password`` is theirs; :class:`AuthenticationError` if not
        (the same words for an unknown name), :class:`TooManyAttemptsError` while blocked."""
        query = (select(users.c.id, user_passwords.c.password_hash,
                        user_passwords.c.blocked_until)
                 .select_from(users.outerjoin(user_passwords,
                                              user_passwords.c.user_id == users.c.id))
                 .where(users.c.name == name.strip()))
        with self.read() as connection:
            row = connection.execute(query).first()
        now = utc_now()
        blocked_until = as_utc(row.blocked_until) if row is not None else None
        if blocked_until is not None and blocked_until > now:
            wait_s = int((blocked_until - now).total_seconds()) + 1
            raise TooManyAttemptsError(f"too many wrong passwords; try again in {wait_s} s",
                                       retry_after_s=wait_s)
        if verify_password(password, row.password_hash if row is not None else None):
            self._reset_attempts(row.id)
            return self.get_user(row.id)
        if row is not None and row.password_hash is not None:
            self._count_failure(row.id)
        raise AuthenticationError("wrong name or password")

    def _reset_attempts(self, user_id: int) -> None:
        with self.transaction() as connection:
            connection.execute(update(user_passwords).where(user_passwords.c.user_id == user_id)
                               .values(failed_attempts=0, blocked_until=None))

    def _count_failure(self, user_id: int) -> None:
        """One more wrong password, counted in the database (so attempts racing each other
        all count), and the block it earns."""
        with self.transaction() as connection:
            failed = connection.execute(
                update(user_passwords).where(user_passwords.c.user_id == user_id)
                .values(failed_attempts=user_passwords.c.failed_attempts + 1)
                .returning(user_passwords.c.failed_attempts)).scalar_one()
            blocked = block_s(failed)
            if blocked:
                connection.execute(
                    update(user_passwords).where(user_passwords.c.user_id == user_id)
                    .values(blocked_until=utc_now() + timedelta(seconds=blocked)))
        if blocked:
            logger.warning("sign-ins of user %s blocked for %d s after %d wrong passwords",
                           user_id, blocked, failed)

    def start_session(self, user_id: int, *, lifetime_s: float) -> SessionGrant:
        """A new session; sessions and links long expired are cleared out on the way."""
        token = secrets.token_urlsafe(TOKEN_BYTES)
        now = utc_now()
        expires_at = now + timedelta(seconds=lifetime_s)
        with self.transaction() as connection:
            for table in (sessions, sign_in_links):
                connection.execute(delete(table).where(table.c.expires_at < now - KEEP_EXPIRED))
            connection.execute(sessions.insert().values(
                user_id=user_id, token_sha256=hash_token(token), created_at=now,
                expires_at=expires_at))
        return SessionGrant(token=token, expires_at=expires_at)

    def user_for_session(self, token: str) -> UserRecord | None:
        """The user of a live session (not ended, not expired), or None."""
        query = (select(sessions.c.user_id).where(
            sessions.c.token_sha256 == hash_token(token), sessions.c.ended_at.is_(None),
            sessions.c.expires_at > utc_now()))
        with self.read() as connection:
            user_id = connection.execute(query).scalar()
        return None if user_id is None else self.get_user(user_id)

    def end_session(self, token: str) -> None:
        with self.transaction() as connection:
            connection.execute(update(sessions).where(
                sessions.c.token_sha256 == hash_token(token), sessions.c.ended_at.is_(None))
                .values(ended_at=utc_now()))

    def end_sessions(self, user_id: int) -> int:
        """End every open session of a user; returns how many were open."""
        with self.transaction() as connection:
            return connection.execute(update(sessions).where(
                sessions.c.user_id == user_id, sessions.c.ended_at.is_(None))
                .values(ended_at=utc_now())).rowcount

    def issue_sign_in_link(self, user_id: int, *, lifetime_s: float) -> SessionGrant:
        """A one-time sign-in token for a user, good for ``lifetime_s``."""
        self.get_user(user_id)
        token = secrets.token_urlsafe(TOKEN_BYTES)
        now = utc_now()
        expires_at = now + timedelta(seconds=lifetime_s)
        with self.transaction() as connection:
            connection.execute(sign_in_links.insert().values(
                user_id=user_id, token_sha256=hash_token(token), created_at=now,
                expires_at=expires_at))
        return SessionGrant(token=token, expires_at=expires_at)

    def redeem_sign_in_link(self, token: str) -> UserRecord:
        """The link's user, marking the link used: a second use, or a use after it expired,
        raises :class:`AuthenticationError`. The update is the check, so two uses racing
        each other cannot both succeed."""
        now = utc_now()
        key = hash_token(token)
        with self.transaction() as connection:
            user_id = connection.execute(
                update(sign_in_links)
                .where(sign_in_links.c.token_sha256 == key, sign_in_links.c.used_at.is_(None),
                       sign_in_links.c.expires_at > now)
                .values(used_at=now).returning(sign_in_links.c.user_id)).scalar()
        if user_id is None:
            raise AuthenticationError("this sign-in link is used, expired or unknown; "
                                      "ask an admin for a new one")
        return self.get_user(user_id)
