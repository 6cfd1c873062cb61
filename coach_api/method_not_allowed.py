"""405 answers that name every method the path takes.

Starlette answers 405 from the first route whose path matches, so ``DELETE /api/v1/calls``
was told ``Allow: GET`` although ``POST`` works too. The answer here asks every route.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.routing import Match


METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def allowed_methods(app: FastAPI, request: Request) -> list[str]:
    """Each method some route takes in full at the request's path (asked of the routes as
    they are, so routers included inside routers answer too)."""
    return [method for method in METHODS
            if any(route.matches({**request.scope, "method": method})[0] is Match.FULL
                   for route in app.router.routes)]


async def answer(request: Request, error: HTTPException) -> JSONResponse:
    headers = dict(error.headers or {})
    if error.status_code == 405:
        headers["Allow"] = ", ".join(allowed_methods(request.app, request))
    return JSONResponse({"detail": error.detail}, status_code=error.status_code, headers=headers)


def install(app: FastAPI) -> None:
    app.add_exception_handler(HTTPException, answer)
