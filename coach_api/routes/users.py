"""User management (admins)."""

from typing import Annotated

from fastapi import APIRouter, Path, status

from coach_api.access import Action, require
from coach_api.deps import CurrentUser, StoreDep
from coach_api.schemas import IssuedToken, Revoked, UserCreate, UserOut

router = APIRouter(prefix="/users", tags=["users"])
UserId = Annotated[int, Path(ge=1, le=2**31 - 1, description="a user id from GET /users")]


@router.get("", summary="Every user")
def list_users(user: CurrentUser, store: StoreDep) -> list[UserOut]:
    require(user, Action.MANAGE_USERS)
    return [UserOut.of(each) for each in store.list_users()]


@router.post("", status_code=status.HTTP_201_CREATED, summary="Add a user and issue a token",
             responses={409: {"description": "a user of that name exists"}})
def create_user(body: UserCreate, user: CurrentUser, store: StoreDep) -> IssuedToken:
    require(user, Action.MANAGE_USERS)
    created = store.create_user(body.name, role=body.role, teams=tuple(body.teams),
                                agent_id=body.agent_id)
    return IssuedToken(user=UserOut.of(created), token=store.issue_token(created.id))


@router.post("/{user_id}/tokens", status_code=status.HTTP_201_CREATED,
             summary="Issue another token for a user")
def issue_token(user_id: UserId, user: CurrentUser, store: StoreDep) -> IssuedToken:
    require(user, Action.MANAGE_USERS)
    target = store.get_user(user_id)
    return IssuedToken(user=UserOut.of(target), token=store.issue_token(target.id))


@router.delete("/{user_id}/tokens", summary="Revoke every token of a user")
def revoke_tokens(user_id: UserId, user: CurrentUser, store: StoreDep) -> Revoked:
    require(user, Action.MANAGE_USERS)
    return Revoked(revoked=store.revoke_tokens(user_id))
