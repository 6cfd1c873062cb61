"""Supervisor reviews of a call."""

from fastapi import APIRouter, status

from coach_api.access import Action, visible_call
from coach_api.deps import CurrentUser, StoreDep
from coach_api.schemas import ReviewIn, ReviewOut

router = APIRouter(prefix="/calls", tags=["reviews"])


@router.post("/{call_id}/review", status_code=status.HTTP_201_CREATED,
             summary="Mark the call reviewed, with a note")
def add_review(call_id: str, body: ReviewIn, user: CurrentUser, store: StoreDep) -> ReviewOut:
    call = visible_call(store, user, call_id, Action.WRITE_REVIEWS)
    return ReviewOut.of(store.add_review(call.id, user_id=user.id, reviewer=user.name,
                                         note=body.note))


@router.get("/{call_id}/review", summary="The call's review history, oldest first")
def list_reviews(call_id: str, user: CurrentUser, store: StoreDep) -> list[ReviewOut]:
    call = visible_call(store, user, call_id, Action.READ_REVIEWS)
    return [ReviewOut.of(review) for review in store.list_reviews(call.id)]
