"""Work run on a second core while the caller does its own share, when a core is free.

The stages around Whisper are single-threaded (Silero on one thread per channel, the pitch
tracker, the sentence encoder), while Whisper itself keeps every core busy. Where a stage
does the same work for both parties, or in independent batches, one share can run on a
thread of its own and the stage takes about half the time on an idle machine. On a busy one
(other calls analysed at once, other programs) an extra thread would only take turns with
them, so the work then runs at once on the caller's thread. The results are the same either
way; only when the work happens changes.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import TypeVar

from pipeline.types import Speaker

T = TypeVar("T")
_LOADAVG = Path("/proc/loadavg")


def alongside(work: Callable[..., object], /, *args, **kwargs) -> Future:  # noqa: ANN002, ANN003
    """``work(*args, **kwargs)`` on a thread of its own if a core is free now, else at once;
    its result or error comes back through the future. A daemon thread: an interrupted
    process does not wait for it."""
    future: Future = Future()
    if not spare_core():
        _run_into(future, work, args, kwargs)
        return future
    threading.Thread(target=_run_into, args=(future, work, args, kwargs),
                     name=f"callcoach-{getattr(work, '__name__', 'work')}", daemon=True).start()
    return future


def for_both_parties(work: Callable[[Speaker], T]) -> dict[Speaker, T]:
    """``work(speaker)`` for each party: the customer's alongside the agent's."""
    customer = alongside(work, Speaker.CUSTOMER)
    return {Speaker.AGENT: work(Speaker.AGENT), Speaker.CUSTOMER: customer.result()}


def spare_core() -> bool:
    """Whether fewer threads are running on the machine right now than this process may use
    cores (the caller's own thread counted); True where the kernel does not say."""
    try:
        running = int(_LOADAVG.read_text().split()[3].split("/")[0])
    except (OSError, IndexError, ValueError):
        return True
    return running < _usable_cores()


def _usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not available on macOS
        return os.cpu_count() or 1


def _run_into(future: Future, work: Callable[..., object], args: tuple, kwargs: dict) -> None:
    if not future.set_running_or_notify_cancel():
        return
    try:
        future.set_result(work(*args, **kwargs))
    except BaseException as exc:  # handed to whoever waits on the result
        future.set_exception(exc)
