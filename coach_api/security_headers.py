"""Browser security headers on every response.

The pages load only their own script, styles and media, so the policy allows nothing else;
no other site may frame them (clickjacking), browsers must not guess content types, and no
URL leaves in a Referer. The API docs page too: its Swagger UI is served from ``/static``
and started by a script file, not an inline one.
"""

from __future__ import annotations

from coach_api.body_guard import ASGIApp, Message, Receive, Scope, Send

CONTENT_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                  "media-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
                  "form-action 'self'; frame-ancestors 'none'")
HEADERS = ((b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"no-referrer"),
           (b"x-frame-options", b"DENY"))


class SecurityHeaders:
    """ASGI middleware adding :data:`HEADERS` and the content policy to each response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = [*HEADERS, (b"content-security-policy", CONTENT_POLICY.encode())]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)
