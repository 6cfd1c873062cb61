"""The one table that maps every error (all defined in pipeline.errors) to an HTTP status.

Messages go to the client with file-system paths removed; anything unexpected becomes a 500
with a fixed message (the traceback goes to the log only).
"""

from __future__ import annotations

import logging
import re

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from pipeline.errors import (AuthenticationError, CallcoachError, ConfigError, ConflictError,
                             InvalidAudioError, InvalidMetadataError, InvalidRequestError,
                             InvalidUserError, NotFoundError, PermissionDeniedError, StoreError,
                             TooManyAttemptsError, UnsupportedMediaError,
                             UploadTooLargeError)

logger = logging.getLogger(__name__)


# Most specific first: the first matching class decides the status.
STATUS_BY_ERROR: tuple[tuple[type[BaseException], int], ...] = (
    (AuthenticationError, 401),
    (TooManyAttemptsError, 429),
    (PermissionDeniedError, 403),
    (NotFoundError, 404),
    (ConflictError, 409),
    (UploadTooLargeError, 413),
    (UnsupportedMediaError, 415),
    (InvalidAudioError, 422),
    (InvalidMetadataError, 400),
    (InvalidUserError, 400),
    (InvalidRequestError, 400),
    (StoreError, 503),
    (ConfigError, 500),
    (CallcoachError, 400),
)

_PATH = re.compile(r"(?:[A-Za-z]:)?(?:[\\/][^\s'\"\\/:,;()]+){2,}[\\/]?")


def status_for(error: BaseException) -> int:
    return next((status for kind, status in STATUS_BY_ERROR if isinstance(error, kind)), 500)


def without_paths(text: str) -> str:
    """``text`` with every file-system path in it replaced, so no server layout leaks."""
    return _PATH.sub("<path>", text)


def public_message(error: BaseException) -> str:
    """The error's message with any file-system path replaced, so no layout leaks."""
    if status_for(error) >= 500 and not isinstance(error, StoreError):
        return "internal error; the server log has the details"
    if isinstance(error, StoreError):
        return "the database is unavailable; try again shortly"
    return without_paths(str(error)) or type(error).__name__


async def handle(request: Request, error: Exception) -> JSONResponse:
    status = status_for(error)
    if status >= 500:
        logger.error("%s %s failed", request.method, request.url.path, exc_info=error)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    if isinstance(error, TooManyAttemptsError):
        headers = {"Retry-After": str(error.retry_after_s)}
    return JSONResponse({"detail": public_message(error)}, status_code=status, headers=headers)


def install_error_handlers(app: FastAPI) -> None:
    """Route every callcoach error, and anything unexpected, through :func:`handle`."""
    app.add_exception_handler(CallcoachError, handle)
    app.add_exception_handler(Exception, handle)
