"""The signed-in user."""

from fastapi import APIRouter

from coach_api.deps import CurrentUser
from coach_api.schemas import UserOut

router = APIRouter(tags=["users"])


@router.get("/me", summary="Who the token belongs to")
def me(user: CurrentUser) -> UserOut:
    return UserOut.of(user)
