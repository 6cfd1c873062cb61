"""What happens after a review: the agent's acknowledgements and replies, and each agent's
standing for a team overview (calls, mean score, flags, reviews still unanswered).

A reply belongs to one review; ``kind`` says whether it only acknowledges the note or answers
it with words of its own. Replies are kept as a thread, oldest first, like the reviews.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Column, ForeignKey, Index, Integer, String, Table, Text, func, select

from pipeline.errors import NotFoundError
from pipeline.store.database import Database, as_utc, utc_now
from pipeline.store.reviews import ReviewRecord, _review_from_row, reviews
from pipeline.store.schema import CURRENT_REPORT, Timestamp, calls, metadata, reports

logger = logging.getLogger(__name__)

review_replies = Table(
    "review_replies", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("review_id", Integer, ForeignKey("reviews.id", ondelete="CASCADE"), nullable=False),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="SET NULL")),
    Column("author", String(200), nullable=False),  # kept when the user is deleted
    Column("kind", String(20), nullable=False),
    Column("note", Text),
    Column("created_at", Timestamp, nullable=False),
    Index(None, "review_id", "created_at"),
)


class ReplyKind(enum.StrEnum):
    ACKNOWLEDGED = "acknowledged"
    REPLY = "reply"


@dataclass(frozen=True, slots=True, kw_only=True)
class ReplyRecord:
    id: int
    review_id: int
    user_id: int | None
    author: str
    kind: ReplyKind
    note: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentStanding:
    """One agent's line in a team overview."""

    agent_id: str
    agent_name: str | None
    teams: tuple[str, ...]
    calls: int
    mean_score: float | None
    flagged_calls: int
    last_call_at: datetime | None
    reviews: int
    unanswered_reviews: int


class FollowUpOps(Database):
    """Replies to reviews and the team overview; mixed into :class:`pipeline.store.Store`."""

    def add_reply(self, review_id: int, *, call_id: str, user_id: int | None, author: str,
                  kind: ReplyKind | str, note: str | None) -> ReplyRecord:
        """Answer a review of ``call_id``; a review of another call is not found."""
        kind = ReplyKind(kind)
        with self.transaction() as connection:
            found = connection.execute(select(reviews.c.id).where(
                reviews.c.id == review_id, reviews.c.call_id == call_id)).first()
            if found is None:
                raise NotFoundError(f"call {call_id!r} has no review {review_id}")
            reply_id = connection.execute(review_replies.insert().values(
                review_id=review_id, user_id=user_id, author=author, kind=kind.value,
                note=note or None, created_at=utc_now()).returning(review_replies.c.id)
            ).scalar_one()
            row = connection.execute(select(review_replies)
                                     .where(review_replies.c.id == reply_id)).one()
        logger.info("review %s of call %s answered (%s) by %s", review_id, call_id, kind, author)
        return _reply_from_row(row)

    def replies_to(self, review_ids: Iterable[int]) -> dict[int, list[ReplyRecord]]:
        """Each review's replies, oldest first; reviews without any are left out."""
        wanted = sorted(set(review_ids))
        if not wanted:
            return {}
        query = (select(review_replies).where(review_replies.c.review_id.in_(wanted))
                 .order_by(review_replies.c.created_at, review_replies.c.id))
        found: dict[int, list[ReplyRecord]] = {}
        with self.read() as connection:
            for row in connection.execute(query):
                found.setdefault(row.review_id, []).append(_reply_from_row(row))
        return found

    def reviews_of_agent(self, agent_id: str, *, scope_teams: tuple[str, ...] | None = None,
                         limit: int = 50) -> list[ReviewRecord]:
        """Reviews of the agent's calls, newest first."""
        query = (select(reviews).join(calls, calls.c.id == reviews.c.call_id)
                 .where(calls.c.agent_id == agent_id)
                 .order_by(reviews.c.created_at.desc(), reviews.c.id.desc()).limit(limit))
        if scope_teams is not None:
            query = query.where(calls.c.team.in_(scope_teams))
        with self.read() as connection:
            return [_review_from_row(row) for row in connection.execute(query)]

    def agent_standings(self, *, scope_teams: tuple[str, ...] | None) -> list[AgentStanding]:
        """Every agent with calls in the teams (all teams for None), by agent id: read from
        the queue keys stored with each current report, not from the reports themselves."""
        answered = select(review_replies.c.id).where(review_replies.c.review_id == reviews.c.id)
        review_counts = (select(calls.c.agent_id, func.count(reviews.c.id).label("n"),
                                func.count(reviews.c.id).filter(~answered.exists())
                                .label("unanswered"))
                         .join(calls, calls.c.id == reviews.c.call_id).group_by(calls.c.agent_id))
        call_stats = (select(calls.c.agent_id, func.max(calls.c.agent_name).label("name"),
                             func.count(calls.c.id).label("calls"),
                             func.avg(reports.c.score_overall).label("mean_score"),
                             func.count(reports.c.id).filter(reports.c.flag_count > 0)
                             .label("flagged"),
                             func.max(calls.c.started_at).label("last_at"))
                      .outerjoin(reports, (reports.c.call_id == calls.c.id) & CURRENT_REPORT)
                      .where(calls.c.agent_id.is_not(None)).group_by(calls.c.agent_id))
        team_rows = select(calls.c.agent_id, calls.c.team).distinct().where(
            calls.c.agent_id.is_not(None), calls.c.team.is_not(None))
        if scope_teams is not None:
            call_stats = call_stats.where(calls.c.team.in_(scope_teams))
            review_counts = review_counts.where(calls.c.team.in_(scope_teams))
            team_rows = team_rows.where(calls.c.team.in_(scope_teams))
        with self.read() as connection:
            stats = connection.execute(call_stats.order_by(calls.c.agent_id)).all()
            counted = {row.agent_id: row for row in connection.execute(review_counts)}
            teams: dict[str, set[str]] = {}
            for row in connection.execute(team_rows):
                teams.setdefault(row.agent_id, set()).add(row.team)
        return [_standing(row, counted.get(row.agent_id), teams.get(row.agent_id, ()))
                for row in stats]


def _standing(row, reviewed, teams) -> AgentStanding:
    mean = row.mean_score
    return AgentStanding(
        agent_id=row.agent_id, agent_name=row.name, teams=tuple(sorted(teams)),
        calls=int(row.calls), mean_score=round(float(mean), 1) if mean is not None else None,
        flagged_calls=int(row.flagged), last_call_at=as_utc(row.last_at),
        reviews=int(reviewed.n) if reviewed else 0,
        unanswered_reviews=int(reviewed.unanswered) if reviewed else 0)


def _reply_from_row(row) -> ReplyRecord:
    values = dict(row._mapping)
    return ReplyRecord(**{**values, "kind": ReplyKind(values["kind"]),
                          "created_at": as_utc(values["created_at"])})
