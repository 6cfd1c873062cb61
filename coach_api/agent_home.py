"""What an agent's page shows, gathered from the store: their calls with coaching, the
reviews of those calls with their replies, and their weekly trend.

The same view serves the agent on ``/ui/me`` and a supervisor on ``/ui/agents/{id}``;
``coach_api.access`` decides whether the reader may see that agent, and in what scope.
"""

from __future__ import annotations

from dataclasses import dataclass

from coach_api.access import PERMISSIONS, Action, Scope, visible_agent
from coach_api.error_pages import failure_words
from coach_api.trend_chart import skill_chart_svg, skills_of
from coach_api.trends import WeekTrend, weekly_trends
from pipeline.call_report import CallReport
from pipeline.store import CallRecord, CallStatus
from pipeline.store.follow_up import ReplyRecord
from pipeline.store.reviews import QueueFilter, ReviewRecord
from pipeline.store.users import UserRecord

RECENT_CALLS = 20  # a page of calls
REVIEWS_SHOWN = 50
PENDING_SHOWN = 10  # of each status not analysed
PENDING_WORDS = {CallStatus.QUEUED: "Waiting to be analysed.",
                 CallStatus.PROCESSING: "Being analysed now."}


@dataclass(frozen=True, slots=True, kw_only=True)
class CoachingLine:
    skill: str
    kind: str | None  # "strength", "improve" or None
    message: str
    event_id: str | None  # the first event it points at, to open the call there


@dataclass(frozen=True, slots=True, kw_only=True)
class CallCard:
    call: CallRecord
    score: int | float | None
    flags: int
    coaching: tuple[CoachingLine, ...]

    @classmethod
    def of(cls, call: CallRecord, report: CallReport) -> CallCard:
        lines = tuple(CoachingLine(skill=item.skill, kind=item.kind, message=item.message,
                                   event_id=next((ref for ref in item.evidence
                                                  if ref.startswith("ev-")), None))
                      for item in report.coaching)
        return cls(call=call, score=report.scores.overall, flags=len(report.flags),
                   coaching=lines)


@dataclass(frozen=True, slots=True, kw_only=True)
class PendingCall:
    """A call without a report: waiting, being analysed, or failed (why, in words)."""

    call: CallRecord
    words: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ReviewThread:
    review: ReviewRecord
    replies: tuple[ReplyRecord, ...]
    acknowledged: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentView:
    agent_id: str
    agent_name: str | None
    calls: int
    recent: tuple[CallCard, ...]  # one page, newest first
    offset: int  # of the page, in calls from the newest
    page_size: int
    pending: tuple[PendingCall, ...]  # calls not analysed: failed first
    threads: tuple[ReviewThread, ...]  # newest review first
    weeks: tuple[WeekTrend, ...]
    skills: tuple[str, ...]
    chart_svg: str
    may_answer: bool


def agent_view(store, reader: UserRecord, agent_id: str, *, offset: int = 0) -> AgentView:
    """The page's content for ``reader`` looking at ``agent_id`` (403/404 as the API says);
    ``offset`` pages through the calls, newest first."""
    scope = visible_agent(reader, agent_id)
    rows = store.current_reports(agent_id=agent_id, scope_teams=scope.teams)
    reviews = store.reviews_of_agent(agent_id, scope_teams=scope.teams, limit=REVIEWS_SHOWN)
    replies = store.replies_to(review.id for review in reviews)
    weeks = tuple(weekly_trends((call.started_at or call.created_at, report)
                                for call, report in rows))
    names = [call.agent_name for call, _ in rows if call.agent_name]
    newest_first = rows[::-1][offset:offset + RECENT_CALLS]
    return AgentView(
        agent_id=agent_id, agent_name=names[-1] if names else None, calls=len(rows),
        recent=tuple(CallCard.of(call, report) for call, report in newest_first),
        offset=offset, page_size=RECENT_CALLS, pending=_pending(store, agent_id, scope),
        threads=tuple(_thread(review, replies.get(review.id, [])) for review in reviews),
        weeks=weeks, skills=tuple(skills_of(weeks)),
        chart_svg=skill_chart_svg(weeks, title_id="trend-title") if weeks else "",
        may_answer=Action.ANSWER_REVIEWS in PERMISSIONS[reader.role])


def _pending(store, agent_id: str, scope: Scope) -> tuple[PendingCall, ...]:
    found = []
    for status in (CallStatus.FAILED, CallStatus.PROCESSING, CallStatus.QUEUED):
        wanted = QueueFilter(status=status.value, agent_id=agent_id, scope_teams=scope.teams)
        for item in store.review_queue(wanted, limit=PENDING_SHOWN).items:
            words = PENDING_WORDS.get(status) or failure_words(item.call)
            found.append(PendingCall(call=item.call, words=words))
    return tuple(found)


def _thread(review: ReviewRecord, replies: list[ReplyRecord]) -> ReviewThread:
    return ReviewThread(review=review, replies=tuple(replies),
                        acknowledged=any(reply.kind == "acknowledged" for reply in replies))
