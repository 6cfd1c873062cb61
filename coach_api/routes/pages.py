"""Server-rendered pages: the review queue, a call with everything in its report, the trainer
library of findings and clip collections.

The pages are shells; their script fetches the API with the token kept in sessionStorage,
which is also set as a same-site cookie so the ``<audio>`` element can stream and seek.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from coach_api.labels import page_labels
from coach_api.schemas import API_PREFIX

PACKAGE_DIR = Path(__file__).resolve().parent.parent
router = APIRouter(prefix="/ui", include_in_schema=False)


def _page(request: Request, template: str, **context) -> HTMLResponse:
    templates: Jinja2Templates = request.app.state.templates
    return templates.TemplateResponse(request, template, {"api": API_PREFIX, **context})


@router.get("/")
def queue_page(request: Request) -> HTMLResponse:
    return _page(request, "queue.html", title="Review queue")


@router.get("/calls/{call_id}")
def call_page(request: Request, call_id: str) -> HTMLResponse:
    return _page(request, "call.html", title=f"Call {call_id}", call_id=call_id)


@router.get("/library")
def library_page(request: Request) -> HTMLResponse:
    return _page(request, "library.html", title="Library")


@router.get("/findings")
def findings_page(request: Request) -> RedirectResponse:
    """The findings search became the library's."""
    return RedirectResponse("/ui/library")


def mount(app: FastAPI) -> None:
    app.state.templates = Jinja2Templates(directory=PACKAGE_DIR / "templates")
    app.state.templates.env.globals["labels"] = page_labels()  # the same for every page
    app.mount("/static", StaticFiles(directory=PACKAGE_DIR / "static"), name="static")
    app.include_router(router)
    app.add_api_route("/", lambda: RedirectResponse("/ui/"), include_in_schema=False)
