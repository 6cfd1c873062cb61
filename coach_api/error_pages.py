"""Errors on the pages: a page in words (not found, not allowed, failed) instead of JSON.

The API's JSON answers stay as ``coach_api.errors`` makes them; a request for a page
(``/ui/...``) gets the same status with a page that says what happened and where to go next.
No server path reaches a page: messages pass through ``errors.public_message``.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from coach_api import errors, method_not_allowed
from coach_api.page_shell import SignInRequired, render, signed_in_user
from pipeline.errors import CallcoachError, ErrorKind
from pipeline.store import CallRecord

PAGE_PREFIX = "/ui"

TITLES = {
    403: "Not allowed",
    404: "Not found",
    429: "Too many attempts",
    503: "Temporarily unavailable",
}
EXPLANATIONS = {
    403: "Your role may not open this page. If you need it, ask your admin.",
    404: "There is no such page or call, or it is not one you may see. "
         "Check the link, or start again from your home page.",
    503: "The database cannot be reached just now. Try again in a minute.",
}
FAILURE_WORDS = {
    ErrorKind.INVALID_AUDIO: "The recording could not be read as a call: it may be damaged, "
                             "silent or in a format the analysis does not take.",
    ErrorKind.INVALID_METADATA: "The call's details (agent, team, time) did not make sense.",
    ErrorKind.TRANSCRIPTION: "The speech could not be transcribed.",
    ErrorKind.MODEL_NOT_FOUND: "A model the analysis needs is not installed on the server.",
    ErrorKind.CONFIG: "The analysis settings on the server are not valid.",
    ErrorKind.STORE: "The database was unavailable while the call was analysed.",
    ErrorKind.STORE_FOLDER: "The server could not write to its data folder.",
    ErrorKind.IO: "A file could not be read or written while the call was analysed.",
}
RETRY_HINT = "An admin can analyse it again once the cause is fixed."


def is_page(request: Request) -> bool:
    return request.url.path == PAGE_PREFIX or request.url.path.startswith(f"{PAGE_PREFIX}/")


def failure_words(call: CallRecord) -> str:
    """Why a call failed, in words: its kind explained, then its message without paths."""
    general = FAILURE_WORDS.get(call.error_kind, "The analysis stopped with an error.")
    detail = errors.without_paths(call.error or "").strip()
    return f"{general} {f'Details: {detail}.' if detail else ''} {RETRY_HINT}".replace(" .", ".")


async def error_page(request: Request, status: int, message: str | None = None) -> Response:
    if status == 401:
        return RedirectResponse(SignInRequired(request.url.path).location, status_code=303)
    try:
        user = await signed_in_user(request, request.app.state.store)
    except CallcoachError:  # the store is down: the page still says what happened
        user = None
    title = TITLES.get(status, "Something went wrong" if status >= 500 else "Cannot show this")
    explanation = EXPLANATIONS.get(status) if status != 403 or not message else None
    if status >= 500 and status != 503:
        message, explanation = None, ("The server could not show this page. Try again; if it "
                                      "keeps failing, tell your admin (the server log has the "
                                      "details).")
    return render(request, "error.html", title=title, user=user, status_code=status,
                  message=message, explanation=explanation)


def install(app: FastAPI) -> None:
    """Page-aware handlers, in place of the JSON-only ones for requests under ``/ui``."""

    async def on_callcoach_error(request: Request, error: Exception) -> Response:
        if not is_page(request):
            return await errors.handle(request, error)
        status = errors.status_for(error)
        if status >= 500:
            await errors.handle(request, error)  # logs it
        return await error_page(request, status, errors.public_message(error))

    async def on_http_error(request: Request, error: StarletteHTTPException) -> Response:
        if not is_page(request):
            return await method_not_allowed.answer(request, error)
        return await error_page(request, error.status_code)

    async def on_sign_in_required(request: Request, error: SignInRequired) -> Response:
        return RedirectResponse(error.location, status_code=303)

    app.add_exception_handler(CallcoachError, on_callcoach_error)
    app.add_exception_handler(Exception, on_callcoach_error)
    app.add_exception_handler(StarletteHTTPException, on_http_error)
    app.add_exception_handler(SignInRequired, on_sign_in_required)
