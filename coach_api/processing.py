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
from collections.abc import Callable

from coach_api.settings import ApiSettings

logger = logging.getLogger(__name__)

CallProcessor = Callable[[str], None]
"""Analyses one stored call, by id, and stores its report (or records why it failed)."""

_STOP = object()


def flow_processor(settings: ApiSettings, store) -> CallProcessor:  # noqa: ARG001 (factory shape)
    """A processor that runs the flows' analysis of a stored call, by id.

    Prefect's settings are prepared here, once, as the app starts; a request writes nothing
    to the process environment. The flows are imported when the first call arrives, so the
    server starts without Prefect or Whisper."""
    from flows.service import Workspace, analyse_stored_call, prepare_prefect

    prepare_prefect()
    location = settings.location()
    workspace = Workspace(store_url=location.url, audio_dir=str(location.audio_dir),
                          transcript_cache_dir=str(settings.data_dir / "transcripts"),
                          model_cache_dir=str(settings.data_dir / "models"))

    def process(call_id: str) -> None:
        outcome = analyse_stored_call(call_id, workspace=workspace)
        logger.info("call %s processed: %s", call_id, outcome.get("kind"))

    return process


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
