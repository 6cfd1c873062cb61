"""Analysing uploaded calls outside the request: a small queue drained by worker threads.

An upload is stored as a ``queued`` call and its id put on the queue; a worker hands it to a
processor, by default the flows' analysis of a stored call (:mod:`flows.service`, the one
module of ``flows`` the API uses). Calls left queued by a stopped server are picked up again
at start.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from coach_api.settings import ApiSettings

logger = logging.getLogger(__name__)

CallProcessor = Callable[[str], None]
"""Analyses one stored call, by id, and stores its report (or records why it failed)."""

_STOP = object()
SERVER_LOGGERS = frozenset({"uvicorn", "fastapi", "coach_api"})


def flow_processor(settings: ApiSettings, store) -> CallProcessor:  # noqa: ARG001 (factory shape)
    """A processor that runs the flows' analysis of a stored call, by id.

    Prefect's settings are prepared here, once, as the app starts; no request writes the
    process environment (the first call sets ``PREFECT_API_URL`` when it starts the process's
    local Prefect server). The flows are imported when the first call arrives, so the server
    starts without Prefect or Whisper."""
    from flows.service import Workspace, analyse_stored_call, ensure_prefect_api, prepare_prefect

    prepare_prefect()
    location = settings.location()
    workspace = Workspace(store_url=location.url, audio_dir=str(location.audio_dir),
                          transcript_cache_dir=str(settings.data_dir / "transcripts"),
                          model_cache_dir=str(settings.data_dir / "models"))

    def process(call_id: str) -> None:
        with server_logging_kept():  # Prefect configures logging as it first loads
            ensure_prefect_api()
            outcome = analyse_stored_call(call_id, workspace=workspace)
        logger.info("call %s processed: %s", call_id, outcome.get("kind"))

    return process


@contextmanager
def server_logging_kept() -> Iterator[None]:
    """Undo what importing Prefect does to the server's logging. Prefect's import applies its
    logging config with ``dictConfig``, which names the ``uvicorn`` logger and so resets every
    existing child of it (``uvicorn.access`` lost its handler: the access log stopped after
    the first upload) and gives the root logger Prefect's handler."""
    loggers = [logging.getLogger(name) for name in list(logging.root.manager.loggerDict)
               if name.split(".")[0] in SERVER_LOGGERS]
    saved = [(logger, logger.level, list(logger.handlers), logger.propagate, logger.disabled)
             for logger in (*loggers, logging.getLogger())]
    try:
        yield
    finally:
        for logger, level, handlers, propagate, disabled in saved:
            logger.setLevel(level)
            logger.handlers[:] = handlers
            logger.propagate, logger.disabled = propagate, disabled


class ProcessingQueue:
    """Call ids waiting for analysis, drained by ``workers`` daemon threads."""

    def __init__(self, processor: CallProcessor, *, workers: int,
                 on_error: Callable[[str, BaseException], None]) -> None:
        self._processor = processor
        self._on_error = on_error
        self._pending: queue.Queue = queue.Queue()
        self._threads = [threading.Thread(target=self._drain, name=f"callcoach-process-{n}",
                                          daemon=True) for n in range(workers)]

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def submit(self, call_id: str) -> None:
        self._pending.put(call_id)

    def join(self) -> None:
        """Wait until every submitted call has been handled (tests, shutdown)."""
        self._pending.join()

    def stop(self, *, timeout_s: float = 5.0) -> None:
        """Let workers finish the call in hand; calls still waiting stay queued in the store."""
        for _thread in self._threads:
            self._pending.put(_STOP)
        for thread in self._threads:
            thread.join(timeout=timeout_s)

    def _drain(self) -> None:
        while True:
            call_id = self._pending.get()
            try:
                if call_id is _STOP:
                    return
                self._processor(call_id)
            except Exception as exc:  # a worker must outlive one bad call; the reason is recorded
                logger.exception("processing call %s failed", call_id)
                self._on_error(call_id, exc)
            finally:
                self._pending.task_done()
