"""Server-rendered pages: the review queue, a call with everything in its report, the trainer
library of findings and clip collections.

Each page needs a sign-in (``coach_api.page_shell``); their scripts fetch the API with the
session cookie through ``api()`` in ``static/app.js``, which also sends the CSRF token.
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool

from coach_api import error_pages
from coach_api.access import Action, visible_call
from coach_api.deps import StoreDep
from coach_api.labels import page_labels
from coach_api.page_shell import HOME, PACKAGE_DIR, PageUser, make_templates, render
from pipeline.store import CallStatus

router = APIRouter(prefix="/ui", include_in_schema=False)


@router.get("/")
def queue_page(request: Request, user: PageUser) -> Response:
    if user.role in HOME:  # agents and trainers start on their own page
        return RedirectResponse(HOME[user.role], status_code=303)
    return render(request, "queue.html", title="Review queue", user=user)


@router.get("/calls/{call_id}")
async def call_page(request: Request, call_id: str, user: PageUser,
                    store: StoreDep) -> HTMLResponse:
    # Asked here, so a missing or forbidden call is a page that says so, not an empty shell.
    call = await run_in_threadpool(visible_call, store, user, call_id, Action.VIEW_CALL)
    if call.status is CallStatus.FAILED:
        return render(request, "call_failed.html", title=f"Call {call_id} could not be analysed",
                      user=user, call=call, reason=error_pages.failure_words(call))
    return render(request, "call.html", title=f"Call {call_id}", user=user, call_id=call_id)


@router.get("/library")
def library_page(request: Request, user: PageUser) -> HTMLResponse:
    return render(request, "library.html", title="Library", user=user)


@router.get("/findings")
def findings_page(user: PageUser) -> RedirectResponse:
    """The findings search is the library's now."""
    return RedirectResponse("/ui/library", status_code=303)


def mount(app: FastAPI) -> None:
    app.state.templates = make_templates()
    app.state.templates.env.globals["labels"] = page_labels()  # the same for every page
    app.mount("/static", StaticFiles(directory=PACKAGE_DIR / "static"), name="static")
    app.include_router(router)
    app.add_api_route("/", lambda: RedirectResponse("/ui/"), include_in_schema=False)
