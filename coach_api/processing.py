"""Analysing uploaded calls outside the request: a small queue drained by worker threads.

An upload is stored as a ``queued`` call and its id put on the queue; a worker hands it to a
processor, by default the ``process-call`` Prefect flow (imported when the first call arrives,
so the server starts without Prefect or Whisper). Calls left queued by a stopped server are
picked up again at start.
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
# A server busy with uploads starts Prefect's local API more slowly than Prefect's 20 s default.
PREFECT_STARTUP_TIMEOUT = {"PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120"}


def flow_processor(settings: ApiSettings, store) -> CallProcessor:
    """A processor that runs the ``process-call`` flow on the stored copy of a call."""

    def process(call_id: str) -> None:
        import os

        from flows.local_server import shared_prefect_api
        from flows.runtime import Workspace, prefect_environment

        os.environ.update(prefect_environment(os.environ))
        for key, value in PREFECT_STARTUP_TIMEOUT.items():
            os.environ.setdefault(key, value)
        shared_prefect_api(os.environ)  # a server that dies with this one
        with server_logging_kept():
            from flows.process import process_call_in_process

        call = store.get_call(call_id)
        location = settings.location()
        workspace = Workspace(store_url=location.url, audio_dir=str(location.audio_dir),
                              transcript_cache_dir=str(settings.data_dir / "transcripts"),
                              model_cache_dir=str(settings.data_dir / "models"))
        metadata = {key: value for key, value in (
            ("agent_id", call.agent_id), ("agent_name", call.agent_name), ("team", call.team),
            ("customer_name", call.customer_name),
            ("started_at", call.started_at.isoformat() if call.started_at else None))
            if value is not None}
        outcome = process_call_in_process(str(call.audio_path), metadata,
                                          agent_channel=call.agent_channel,
                                          workspace=workspace.to_params())
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
