"""The interactive API reference at ``/docs``: Swagger UI from ``static/vendor`` (no CDN), so
it works on a machine with no way out to the internet."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from coach_api.page_shell import templates
from coach_api.schemas import API_PREFIX

router = APIRouter(include_in_schema=False)
DOCS_PATH = "/docs"


@router.get(DOCS_PATH)
def docs_page(request: Request) -> HTMLResponse:
    return templates(request).TemplateResponse(
        request, "docs.html", {"openapi_url": f"{API_PREFIX}/openapi.json"})


@router.get(f"{API_PREFIX}/docs")
def old_docs_address() -> RedirectResponse:
    return RedirectResponse(DOCS_PATH, status_code=308)
