"""The FastAPI application factory. Nothing happens at import: the store is opened and the
processing workers started in the lifespan of an app made by :func:`create_app`.

    uvicorn --factory coach_api.app:app_from_env      # settings from CALLCOACH_* variables
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI

from coach_api import error_pages, method_not_allowed
from coach_api.body_guard import BodyGuard
from coach_api.errors import install_error_handlers, public_message
from coach_api.processing import CallProcessor, ProcessingQueue, flow_processor
from coach_api.query_guard import reject_unknown_query
from coach_api.security_headers import SecurityHeaders
from coach_api.routes import (agent_pages, agents, calls, collections, docs, findings, health,
                              me, media, pages, reviews, sign_in, users)
from coach_api.schemas import API_PREFIX, ErrorOut
from coach_api.settings import ApiSettings
from coach_api.storage import ApiStore
from pipeline.errors import ErrorKind
from pipeline.store import CallStatus

logger = logging.getLogger(__name__)

ProcessorFactory = Callable[[ApiSettings, ApiStore], CallProcessor]
_ERRORS = {status: {"model": ErrorOut} for status in (400, 401, 403, 404, 422, 503)}


def create_app(settings: ApiSettings, *, processor: ProcessorFactory = flow_processor) -> FastAPI:
    """The API and web pages over the store ``settings`` point at. ``processor`` makes the
    function that analyses an uploaded call (default: the ``process-call`` Prefect flow)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        location = settings.location()
        store = ApiStore.open(location.url, audio_dir=location.audio_dir,
                              token_cache_s=settings.token_cache_s)
        queue = ProcessingQueue(processor(settings, store), workers=settings.processing_workers,
                                on_error=lambda call_id, exc: _record_failure(store, call_id, exc))
        app.state.settings, app.state.store, app.state.queue = settings, store, queue
        queue.start()
        if settings.processing_workers:
            store.recover_abandoned_calls()  # a server killed mid-analysis left these
            for call in store.list_calls(status=CallStatus.QUEUED):
                queue.submit(call.id)
        try:
            yield
        finally:
            queue.stop()
            store.close()

    app = FastAPI(title="callcoach", version="1", lifespan=lifespan,
                  summary="Coaching reports for recorded customer-service calls",
                  openapi_url=f"{API_PREFIX}/openapi.json", docs_url=None, redoc_url=None)
    install_error_handlers(app)
    method_not_allowed.install(app)
    error_pages.install(app)  # after the JSON handlers: pages get pages, the API JSON
    app.add_middleware(BodyGuard, max_upload_bytes=settings.max_upload_bytes)
    app.add_middleware(SecurityHeaders)  # outermost: refusals carry the headers too
    app.include_router(health.router)
    for module in (me, users, calls, media, reviews, findings, agents, collections):
        app.include_router(module.router, prefix=API_PREFIX, responses=_ERRORS,
                           dependencies=[Depends(reject_unknown_query)])
    pages.mount(app)
    for module in (sign_in, agent_pages, docs):
        app.include_router(module.router)
    return app


def _record_failure(store: ApiStore, call_id: str, error: BaseException) -> None:
    """A processor that raised instead of recording the failure itself: record it here."""
    try:
        store.mark_failed(call_id, reason=public_message(error), kind=ErrorKind.of(error))
    except Exception:  # the store itself is down; the log has both errors
        logger.exception("could not record the failure of call %s", call_id)


def app_from_env() -> FastAPI:
    """The app with settings from the environment (for ``uvicorn --factory``)."""
    return create_app(ApiSettings())
