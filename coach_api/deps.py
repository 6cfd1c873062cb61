"""Typed dependencies every route uses: the store, the settings, the processing queue and the
signed-in user."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from coach_api.errors import AuthenticationError
from coach_api.processing import ProcessingQueue
from coach_api.settings import ApiSettings
from coach_api.storage import ApiStore
from pipeline.store.users import UserRecord

TOKEN_COOKIE = "callcoach_token"
SAFE_METHODS = frozenset({"GET", "HEAD"})

_bearer = HTTPBearer(auto_error=False, description="a token from `callcoach users add`")


# The dependencies are async so that FastAPI runs them on the event loop instead of handing
# each to a worker thread; only a token the store has not vouched for lately goes to a thread.
async def get_store(request: Request) -> ApiStore:
    return request.app.state.store


async def get_settings(request: Request) -> ApiSettings:
    return request.app.state.settings


async def get_queue(request: Request) -> ProcessingQueue:
    return request.app.state.queue


async def current_user(request: Request, store: Annotated[ApiStore, Depends(get_store)],
                       credentials: Annotated[HTTPAuthorizationCredentials | None,
                                              Depends(_bearer)]) -> UserRecord:
    """The user whose bearer token came with the request.

    The web pages' ``<audio>`` elements cannot send headers, so safe (GET/HEAD) requests may
    carry the token in a same-site cookie instead; writes always need the header.
    """
    token = credentials.credentials if credentials else None
    if token is None and request.method in SAFE_METHODS:
        token = request.cookies.get(TOKEN_COOKIE)
    if not token:
        raise AuthenticationError("send `Authorization: Bearer <token>`; "
                                  "`callcoach users add` prints a token")
    user = store.remembered_user(token)
    if user is None:
        user = await run_in_threadpool(store.user_for_token, token)
    if user is None:
        raise AuthenticationError("the token is unknown or revoked; ask an admin for a new one")
    return user


StoreDep = Annotated[ApiStore, Depends(get_store)]
SettingsDep = Annotated[ApiSettings, Depends(get_settings)]
QueueDep = Annotated[ProcessingQueue, Depends(get_queue)]
CurrentUser = Annotated[UserRecord, Depends(current_user)]
