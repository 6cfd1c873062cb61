"""Typed dependencies every route uses: the store, the settings, the processing queue and the
signed-in user."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from coach_api.errors import AuthenticationError, PermissionDeniedError
from coach_api.processing import ProcessingQueue
from coach_api.sessions import CSRF_HEADER, SAFE_METHODS, SESSION_COOKIE, csrf_matches
from coach_api.settings import ApiSettings
from coach_api.storage import ApiStore
from pipeline.store.users import UserRecord

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
    """The user whose bearer token came with the request, else the user signed in to the
    web pages by the session cookie (whose writes must carry the CSRF token too)."""
    if credentials is not None:
        return await _bearer_user(store, credentials.credentials)
    session = request.cookies.get(SESSION_COOKIE)
    if not session:
        raise AuthenticationError("send `Authorization: Bearer <token>` (`callcoach users add` "
                                  "prints a token), or sign in at /ui/sign-in")
    user = await session_user(store, session)
    if user is None:
        raise AuthenticationError("your sign-in has ended; sign in again at /ui/sign-in")
    if request.method not in SAFE_METHODS and \
            not csrf_matches(session, request.headers.get(CSRF_HEADER)):
        raise PermissionDeniedError(f"a write signed in by cookie needs the page's "
                                    f"{CSRF_HEADER} header; reload the page and try again")
    return user


async def _bearer_user(store: ApiStore, token: str) -> UserRecord:
    user = store.remembered_user(token)
    if user is None:
        user = await run_in_threadpool(store.user_for_token, token)
    if user is None:
        raise AuthenticationError("the token is unknown or revoked; ask an admin for a new one")
    return user


async def session_user(store: ApiStore, session: str) -> UserRecord | None:
    """The user of a live session, or None; asks the database only when not remembered."""
    user = store.remembered_session(session)
    if user is None:
        user = await run_in_threadpool(store.user_for_session, session)
    return user


StoreDep = Annotated[ApiStore, Depends(get_store)]
SettingsDep = Annotated[ApiSettings, Depends(get_settings)]
QueueDep = Annotated[ProcessingQueue, Depends(get_queue)]
CurrentUser = Annotated[UserRecord, Depends(current_user)]
