"""Signing in to the pages and out again: by password, or by a one-time link.

Plain HTML forms, so they work before any script has loaded. Each is guarded against other
sites' forms (``coach_api.sessions``). A wrong password costs the sender a pause, and after
several in a row the account's sign-ins are blocked for a while (``pipeline.store.sign_in``).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from coach_api.deps import SettingsDep, StoreDep
from coach_api.page_shell import home_for, render, signed_in_user
from coach_api.sessions import (CSRF_FIELD, SESSION_COOKIE, SIGN_IN_PATH, clear_session_cookie,
                                csrf_matches, form_token, form_token_matches, keep_form_token,
                                secure_cookies, set_session_cookie)
from pipeline.errors import AuthenticationError, TooManyAttemptsError
from pipeline.store.users import UserRecord

logger = logging.getLogger(__name__)
router = APIRouter(prefix="/ui", include_in_schema=False)

FAILED_SIGN_IN_PAUSE_S = 1.0  # on the event loop: a pause that holds no worker thread
STALE_FORM = "This sign-in form had expired; it is fresh again now, please try once more."


def safe_next(path: str | None) -> str | None:
    """Only a path on this site under /ui: never another site (``//host``, ``https:``)."""
    if path and path.startswith("/ui") and not path.startswith("//") and "\\" not in path:
        return path
    return None


def _sign_in_form(request: Request, settings, *, next_path: str | None, status_code: int = 200,
                  error: str | None = None, notice: str | None = None) -> Response:
    token = form_token(request)
    response = render(request, "sign_in.html", title="Sign in", user=None,
                      status_code=status_code, form_token=token, next_path=next_path or "",
                      error=error, notice=notice)
    keep_form_token(response, token, secure=secure_cookies(request, settings))
    return response


@router.get("/sign-in")
async def sign_in_page(request: Request, store: StoreDep, settings: SettingsDep,
                       next: str | None = None, signed_out: bool = False) -> Response:
    user = await signed_in_user(request, store)
    if user is not None:
        return RedirectResponse(safe_next(next) or home_for(user), status_code=303)
    notice = "You are signed out." if signed_out else None
    return _sign_in_form(request, settings, next_path=safe_next(next), notice=notice)


@router.post("/sign-in")
async def sign_in(request: Request, store: StoreDep, settings: SettingsDep,
                  name: Annotated[str, Form(max_length=200)],
                  password: Annotated[str, Form(max_length=2000)],
                  csrf_token: Annotated[str, Form(max_length=200)] = "",
                  next: Annotated[str, Form(max_length=2000)] = "") -> Response:
    next_path = safe_next(next)
    if not form_token_matches(request, csrf_token):
        return _sign_in_form(request, settings, next_path=next_path, status_code=403,
                             error=STALE_FORM)
    try:
        user = await run_in_threadpool(store.check_password, name, password)
    except TooManyAttemptsError as blocked:
        response = _sign_in_form(request, settings, next_path=next_path, status_code=429,
                                 error=f"Too many wrong passwords for this name. Try again in "
                                       f"{blocked.retry_after_s} seconds.")
        response.headers["Retry-After"] = str(blocked.retry_after_s)
        return response
    except AuthenticationError:
        logger.info("failed sign-in as %r", name[:40])
        await asyncio.sleep(FAILED_SIGN_IN_PAUSE_S)
        return _sign_in_form(request, settings, next_path=next_path, status_code=401,
                             error="That name and password do not match. Check both and try "
                                   "again; an admin can set a new password.")
    return await _start_session(request, store, settings, user, next_path)


async def _start_session(request: Request, store, settings, user: UserRecord,
                         next_path: str | None) -> Response:
    """A new session for every sign-in (never the one the browser came with, which someone
    may have planted); the browser's previous one, if any, ends."""
    previous = request.cookies.get(SESSION_COOKIE)
    if previous:
        await run_in_threadpool(store.end_session, previous)
    grant = await run_in_threadpool(store.start_session, user.id,
                                    lifetime_s=settings.session_hours * 3600)
    logger.info("%s signed in to the pages", user.name)
    response = RedirectResponse(next_path or home_for(user), status_code=303)
    set_session_cookie(response, grant.token, expires_at=grant.expires_at,
                       secure=secure_cookies(request, settings))
    return response


@router.get("/sign-in/link")
async def sign_in_link_page(request: Request, settings: SettingsDep) -> Response:
    """The link's token is in the URL's fragment, which browsers never send to a server (so
    no log keeps it); the page's script copies it into the form. Opening the link uses
    nothing: only pressing the button does, so a mail scanner that fetches links cannot."""
    token = form_token(request)
    response = render(request, "sign_in_link.html", title="Sign in", user=None,
                      form_token=token)
    keep_form_token(response, token, secure=secure_cookies(request, settings))
    return response


@router.post("/sign-in/link")
async def redeem_sign_in_link(request: Request, store: StoreDep, settings: SettingsDep,
                              token: Annotated[str, Form(max_length=200)] = "",
                              csrf_token: Annotated[str, Form(max_length=200)] = "") -> Response:
    if not form_token_matches(request, csrf_token):
        return _sign_in_form(request, settings, next_path=None, status_code=403,
                             error=STALE_FORM + " Open the sign-in link again.")
    try:
        user = await run_in_threadpool(store.redeem_sign_in_link, token)
    except AuthenticationError:
        await asyncio.sleep(FAILED_SIGN_IN_PAUSE_S)
        return _sign_in_form(request, settings, next_path=None, status_code=401,
                             error="This sign-in link has been used already, has expired or "
                                   "is not known. Ask your admin for a new one, or sign in "
                                   "with your password.")
    return await _start_session(request, store, settings, user, None)


@router.post("/sign-out")
async def sign_out(request: Request, store: StoreDep, settings: SettingsDep,
                   csrf_token: Annotated[str, Form(alias=CSRF_FIELD, max_length=200)] = ""
                   ) -> Response:
    session = request.cookies.get(SESSION_COOKIE)
    if session and not csrf_matches(session, csrf_token):
        user = await signed_in_user(request, store)
        return render(request, "error.html", title="Not signed out", user=user, status_code=403,
                      message="This sign-out form was not sent by a page of this site.",
                      explanation="Use the Sign out button at the top of the page.")
    if session:
        await run_in_threadpool(store.end_session, session)
    response = RedirectResponse(f"{SIGN_IN_PATH}?signed_out=true", status_code=303)
    clear_session_cookie(response, secure=secure_cookies(request, settings))
    return response
