"""The web pages' sign-in session: its cookie and the CSRF token that guards its writes.

The session token lives only in an HttpOnly cookie, so page scripts cannot read it, and the
database keeps only its hash (``pipeline.store.sign_in``). A request that the cookie alone
authenticates could have been sent by another site's form, so every write made with it must
also carry the session's CSRF token in the ``X-CSRF-Token`` header (the page script sends it)
or, for plain HTML forms, in a ``csrf_token`` field. The CSRF token is an HMAC of the session
token: nothing more to store, and no page of another site can compute or read it. Bearer
tokens are sent on purpose by API clients, never ambiently, so they need no CSRF token.

The sign-in form itself has no session yet; it is guarded by a double-submit token: a random
value in a Strict cookie and the same value in the form.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import datetime

from fastapi import Request, Response

from coach_api.settings import ApiSettings

SESSION_COOKIE = "callcoach_session"
SIGN_IN_COOKIE = "callcoach_sign_in"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD"})
SIGN_IN_PATH = "/ui/sign-in"


def csrf_token_for(session_token: str) -> str:
    """The CSRF token of a session: the pages get it in a ``<meta>`` tag."""
    digest = hmac.new(session_token.encode("utf-8"), b"callcoach csrf", hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def csrf_matches(session_token: str, sent: str | None) -> bool:
    return bool(sent) and hmac.compare_digest(csrf_token_for(session_token), sent)


def secure_cookies(request: Request, settings: ApiSettings) -> bool:
    if settings.secure_cookies is not None:
        return settings.secure_cookies
    return request.url.scheme == "https"


def set_session_cookie(response: Response, token: str, *, expires_at: datetime,
                       secure: bool) -> None:
    # Lax, not Strict: a link to a call, followed from a mail, opens the call signed in;
    # other sites' writes are refused by the CSRF token, not by the cookie's absence.
    response.set_cookie(SESSION_COOKIE, token, expires=expires_at, path="/", httponly=True,
                        secure=secure, samesite="lax")


def clear_session_cookie(response: Response, *, secure: bool) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, secure=secure,
                           samesite="lax")


def form_token(request: Request) -> str:
    """The sign-in forms' double-submit token: the browser's own if it has one (so two open
    tabs both work), else a new one; :func:`keep_form_token` sets it as a cookie."""
    return request.cookies.get(SIGN_IN_COOKIE) or secrets.token_urlsafe(24)


def keep_form_token(response: Response, token: str, *, secure: bool) -> None:
    response.set_cookie(SIGN_IN_COOKIE, token, path=SIGN_IN_PATH, httponly=True, secure=secure,
                        samesite="strict", max_age=3600)


def form_token_matches(request: Request, sent: str | None) -> bool:
    expected = request.cookies.get(SIGN_IN_COOKIE)
    return bool(expected and sent) and hmac.compare_digest(expected, sent)
