"""Users of the coaching API, their teams and their bearer tokens.

A token is shown once, when it is issued; only its sha256 is stored, so a copy of the database
cannot be used to sign in. Roles decide what a user may see (``coach_api.access``); an agent
user is tied to the ``agent_id`` their calls carry.
"""

from __future__ import annotations

import enum
import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import (Column, ForeignKey, Index, Integer, String, Table, delete, select,
                        update)

from pipeline.errors import ConflictError, InvalidUserError, NotFoundError
from pipeline.store.database import Database, as_utc, utc_now
from pipeline.store.schema import Timestamp, metadata

logger = logging.getLogger(__name__)

TOKEN_BYTES = 32


class Role(enum.StrEnum):
    ADMIN = "admin"
    SUPERVISOR = "supervisor"
    AGENT = "agent"
    TRAINER = "trainer"


users = Table(
    "users", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("role", String(20), nullable=False),
    Column("agent_id", String(200)),
    Column("created_at", Timestamp, nullable=False),
)

team_members = Table(
    "team_members", metadata,
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("team", String(200), primary_key=True),
)

api_tokens = Table(
    "api_tokens", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("token_sha256", String(64), nullable=False, unique=True),
    Column("created_at", Timestamp, nullable=False),
    Column("revoked_at", Timestamp),
    Index(None, "user_id"),
)


@dataclass(frozen=True, slots=True, kw_only=True)
class UserRecord:
    id: int
    name: str
    role: Role
    agent_id: str | None
    teams: tuple[str, ...]
    created_at: datetime


def hash_token(token: str) -> str:
    """The stored form of a bearer token: its hex sha256."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def parse_role(value: str) -> Role:
    try:
        return Role(value)
    except ValueError:
        raise InvalidUserError(f"unknown role {value!r}; use one of "
                               f"{', '.join(role.value for role in Role)}") from None


class UsersOps(Database):
    """Users, teams and tokens; mixed into :class:`pipeline.store.Store`."""

    def create_user(self, name: str, *, role: Role | str, teams: tuple[str, ...] = (),
                    agent_id: str | None = None) -> UserRecord:
        """A new user; an agent needs the ``agent_id`` their calls are recorded under."""
        role = parse_role(str(role))
        name = name.strip()
        if not name:
            raise InvalidUserError("a user needs a non-empty name")
        if role is Role.AGENT and not agent_id:
            raise InvalidUserError("an agent user needs --agent-id, the id their calls carry")
        with self.transaction() as connection:
            if connection.execute(select(users.c.id).where(users.c.name == name)).first():
                raise ConflictError(f"a user named {name!r} exists already")
            user_id = connection.execute(users.insert().values(
                name=name, role=role.value, agent_id=agent_id or None,
                created_at=utc_now()).returning(users.c.id)).scalar_one()
            wanted = sorted({team.strip() for team in teams if team.strip()})
            if wanted:
                connection.execute(team_members.insert(),
                                   [{"user_id": user_id, "team": team} for team in wanted])
        logger.info("created %s user %s", role.value, name)
        return self.get_user(user_id)

    def issue_token(self, user_id: int) -> str:
        """A new bearer token for the user; the only time its plain text exists."""
        self.get_user(user_id)
        token = secrets.token_urlsafe(TOKEN_BYTES)
        with self.transaction() as connection:
            connection.execute(api_tokens.insert().values(
                user_id=user_id, token_sha256=hash_token(token), created_at=utc_now()))
        return token

    def user_for_token(self, token: str) -> UserRecord | None:
        """The user a live (not revoked) token belongs to, or None."""
        query = (select(users, team_members.c.team)
                 .join(api_tokens, api_tokens.c.user_id == users.c.id)
                 .outerjoin(team_members, team_members.c.user_id == users.c.id)
                 .where(api_tokens.c.token_sha256 == hash_token(token),
                        api_tokens.c.revoked_at.is_(None)))
        with self.read() as connection:
            rows = connection.execute(query).all()
        return _user_from_rows(rows)

    def get_user(self, user_id: int) -> UserRecord:
        return self._one_user(users.c.id == user_id, f"no user with id {user_id}")

    def get_user_by_name(self, name: str) -> UserRecord:
        return self._one_user(users.c.name == name,
                              f"no user named {name!r}; `callcoach users list` shows them")

    def list_users(self) -> list[UserRecord]:
        query = (select(users, team_members.c.team)
                 .outerjoin(team_members, team_members.c.user_id == users.c.id)
                 .order_by(users.c.name, team_members.c.team))
        with self.read() as connection:
            rows = connection.execute(query).all()
        by_id: dict[int, list] = {}
        for row in rows:
            by_id.setdefault(row.id, []).append(row)
        return [_user_from_rows(group) for group in by_id.values()]

    def revoke_tokens(self, user_id: int) -> int:
        """Revoke every live token of a user; returns how many were live."""
        self.get_user(user_id)
        with self.transaction() as connection:
            result = connection.execute(update(api_tokens).where(
                api_tokens.c.user_id == user_id, api_tokens.c.revoked_at.is_(None)).values(
                revoked_at=utc_now()))
        return result.rowcount

    def delete_user(self, user_id: int) -> None:
        self.get_user(user_id)
        with self.transaction() as connection:
            connection.execute(delete(users).where(users.c.id == user_id))

    def _one_user(self, condition, missing: str) -> UserRecord:
        query = (select(users, team_members.c.team)
                 .outerjoin(team_members, team_members.c.user_id == users.c.id).where(condition))
        with self.read() as connection:
            user = _user_from_rows(connection.execute(query).all())
        if user is None:
            raise NotFoundError(missing)
        return user


def _user_from_rows(rows) -> UserRecord | None:
    """One user from its rows joined with team memberships (one row per team)."""
    if not rows:
        return None
    first = rows[0]
    teams = tuple(sorted({row.team for row in rows if row.team is not None}))
    return UserRecord(id=first.id, name=first.name, role=Role(first.role), agent_id=first.agent_id,
                      teams=teams, created_at=as_utc(first.created_at))
