"""Supervisor reviews of a call, and the agent's acknowledgements and answers to them."""

from typing import Annotated

from fastapi import APIRouter, Path, status

from coach_api.access import Action, visible_call
from coach_api.deps import CurrentUser, StoreDep
from coach_api.schemas import ReplyIn, ReplyOut, ReviewIn, ReviewOut

router = APIRouter(prefix="/calls", tags=["reviews"])
ReviewId = Annotated[int, Path(ge=1, le=2**31 - 1, description="a review id from GET .../review")]


@router.post("/{call_id}/review", status_code=status.HTTP_201_CREATED,
             summary="Mark the call reviewed, with a note")
def add_review(call_id: str, body: ReviewIn, user: CurrentUser, store: StoreDep) -> ReviewOut:
    call = visible_call(store, user, call_id, Action.WRITE_REVIEWS)
    return ReviewOut.of(store.add_review(call.id, user_id=user.id, reviewer=user.name,
                                         note=body.note))


@router.get("/{call_id}/review", summary="The call's review history with its replies, "
                                         "oldest first")
def list_reviews(call_id: str, user: CurrentUser, store: StoreDep) -> list[ReviewOut]:
    call = visible_call(store, user, call_id, Action.READ_REVIEWS)
    found = store.list_reviews(call.id)
    replies = store.replies_to(review.id for review in found)
    return [ReviewOut.of(review, replies.get(review.id, [])) for review in found]


@router.post("/{call_id}/review/{review_id}/replies", status_code=status.HTTP_201_CREATED,
             summary="Acknowledge or answer a review of the call")
def reply_to_review(call_id: str, review_id: ReviewId, body: ReplyIn, user: CurrentUser,
                    store: StoreDep) -> ReplyOut:
    """The call's agent (or a supervisor of its team) acknowledges the review, or answers it
    with a note; the thread shows under the review for everyone who may read it."""
    call = visible_call(store, user, call_id, Action.ANSWER_REVIEWS)
    return ReplyOut.of(store.add_reply(review_id, call_id=call.id, user_id=user.id,
                                       author=user.name, kind=body.kind, note=body.note))
