"""Request bodies: the token is checked before a byte of body is read, and no body is read past
its limit.

FastAPI parses a request's body (a multipart upload is spooled to a temporary file) before it
resolves the route's dependencies, so the token check in :mod:`coach_api.deps` alone came too
late: anyone could make the server read, and keep, hundreds of megabytes. This ASGI middleware
sits in front of every route:

1. a request that carries a body must carry a valid ``Authorization: Bearer`` header, or the
   cookie of a live page session (``coach_api.sessions``), checked here first: 401 without
   reading the body. Only the sign-in and sign-out forms are open, with a small limit;
2. a ``Content-Length`` over the route's limit is refused at once (413), unread;
3. a body without a length (chunked) is counted while it streams, and cut off at the limit.

Limits: the upload route takes ``max_upload_bytes`` plus room for the multipart framing and
form fields; every other body is small JSON (:data:`MAX_JSON_BYTES`).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import cookie_parser

from coach_api.schemas import API_PREFIX
from coach_api.sessions import SESSION_COOKIE, SIGN_IN_PATH

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

MAX_JSON_BYTES = 64 * 1024  # a user, a review note: far under this
MULTIPART_OVERHEAD_BYTES = 1 << 16  # boundaries, part headers and the form's text fields
MAX_FORM_BYTES = 16 * 1024  # a name and a password, or a link's token
UPLOAD_ROUTE = ("POST", f"{API_PREFIX}/calls")
# Forms posted by people not (or no longer) signed in: their routes check them.
OPEN_FORMS = frozenset({("POST", SIGN_IN_PATH), ("POST", f"{SIGN_IN_PATH}/link"),
                        ("POST", "/ui/sign-out")})
MISSING_TOKEN = ("send `Authorization: Bearer <token>`; `callcoach users add` prints a token")
UNKNOWN_TOKEN = "the token is unknown or revoked; ask an admin for a new one"
ENDED_SESSION = "your sign-in has ended; sign in again at /ui/sign-in"


class BodyTooLargeError(HTTPException):
    """Raised from ``receive`` once a streamed body passes its limit; an HTTPException so that
    FastAPI's body parsing hands it on as a 413 instead of a generic 400."""

    def __init__(self, limit_bytes: int) -> None:
        super().__init__(413, f"the request body is over the {_size(limit_bytes)} limit")


def _size(n_bytes: int) -> str:
    return f"{n_bytes / (1 << 20):g} MiB" if n_bytes >= 1 << 20 else f"{n_bytes // 1024} KiB"


def body_limit(method: str, path: str, *, max_upload_bytes: int) -> int:
    """The most body bytes a request to ``method path`` may send."""
    if (method, path.rstrip("/")) == UPLOAD_ROUTE:
        return max_upload_bytes + MULTIPART_OVERHEAD_BYTES
    if (method, path.rstrip("/")) in OPEN_FORMS:
        return MAX_FORM_BYTES
    return MAX_JSON_BYTES


def declared_length(headers: dict[bytes, bytes]) -> int | None:
    """Content-Length as a number; None when absent (chunked) or malformed."""
    value = headers.get(b"content-length", b"").strip()
    return int(value) if value.isdigit() else None


def carries_body(headers: dict[bytes, bytes]) -> bool:
    return b"transfer-encoding" in headers or (declared_length(headers) or 0) > 0


def bearer_token(headers: dict[bytes, bytes]) -> str | None:
    scheme, _, token = headers.get(b"authorization", b"").decode("latin-1").partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


class BodyGuard:
    """The ASGI middleware described in the module docstring; ``max_upload_bytes`` is the
    largest audio file accepted."""

    def __init__(self, app: ASGIApp, *, max_upload_bytes: int) -> None:
        self.app = app
        self.max_upload_bytes = max_upload_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        if not carries_body(headers):
            await self.app(scope, receive, send)
            return
        refusal = await self._refusal(scope, headers)
        if refusal is not None:
            await _reply(send, *refusal)
            return
        limit = body_limit(scope["method"], scope["path"], max_upload_bytes=self.max_upload_bytes)
        await self.app(scope, _limited(receive, limit_bytes=limit), send)

    async def _refusal(self, scope: Scope, headers: dict[bytes, bytes]) -> tuple[int, str] | None:
        """(status, message) when the request is refused before its body is read."""
        if (scope["method"], scope["path"].rstrip("/")) not in OPEN_FORMS:
            refusal = await _unauthenticated(scope["app"].state.store, headers)
            if refusal is not None:
                return 401, refusal
        limit = body_limit(scope["method"], scope["path"], max_upload_bytes=self.max_upload_bytes)
        length = declared_length(headers)
        if length is not None and length > limit:
            return 413, f"the request body is over the {_size(limit)} limit"
        return None


async def _unauthenticated(store, headers: dict[bytes, bytes]) -> str | None:
    """Why the request is not signed in, or None when its token or session is live."""
    token = bearer_token(headers)
    if token is not None:
        user = store.remembered_user(token) or await run_in_threadpool(store.user_for_token,
                                                                       token)
        return None if user is not None else UNKNOWN_TOKEN
    session = cookie_parser(headers.get(b"cookie", b"").decode("latin-1")).get(SESSION_COOKIE)
    if not session:
        return MISSING_TOKEN
    user = store.remembered_session(session) or await run_in_threadpool(store.user_for_session,
                                                                        session)
    return None if user is not None else ENDED_SESSION


def _limited(receive: Receive, *, limit_bytes: int) -> Receive:
    """``receive`` that raises :class:`BodyTooLargeError` once more than ``limit_bytes`` came."""
    received = 0

    async def receive_limited() -> Message:
        nonlocal received
        message = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > limit_bytes:
                raise BodyTooLargeError(limit_bytes)
        return message

    return receive_limited


async def _reply(send: Send, status: int, message: str) -> None:
    body = json.dumps({"detail": message}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
               (b"connection", b"close")]
    if status == 401:
        headers.append((b"www-authenticate", b"Bearer"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
