"""An inbox folder watched by a Prefect deployment: new audio files are processed once.

"New" is decided by content, not by name: every settled file is hashed and looked up in the
store, so a restart, a rename or a second copy never causes a second analysis. A file whose
call failed on its metadata is taken again once its sidecar or manifest row changes the
outcome (usable now, or unusable for another reason), and never while it stays as it was.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import Any

from prefect import flow
from prefect.task_runners import ThreadPoolTaskRunner

from flows.jobs import MANIFEST_NAME, CallJob, find_audio_files, jobs_for
from flows.process import failed_for_good, failed_on_metadata, process_batch
from flows.runtime import Workspace, store_for
from pipeline.store import CallRecord, CallStatus, Store
from pipeline.store.audio import sha256_of_file

logger = logging.getLogger(__name__)

DEFAULT_INTERVAL_S = 30.0
DEFAULT_SETTLE_S = 2.0

_hashes: dict[tuple[str, int, int], str] = {}  # (path, size, mtime) → sha256, for this process
_hashes_lock = threading.Lock()


def settled(path: Path, *, settle_s: float, now_s: float | None = None) -> bool:
    """Whether a file has not changed for ``settle_s`` (so it is not still being copied)."""
    now_s = time.time() if now_s is None else now_s
    return now_s - path.stat().st_mtime >= settle_s


def file_sha256(path: Path) -> str:
    """The file's sha256, remembered while its size and mtime stay the same."""
    stat = path.stat()
    key = (str(path), stat.st_size, stat.st_mtime_ns)
    with _hashes_lock:
        known = _hashes.get(key)
    if known is None:
        known = sha256_of_file(path)
        with _hashes_lock:
            _hashes[key] = known
    return known


def needs_processing(path: Path, store: Store) -> bool:
    """False when the store has this audio done, or failed for a reason that would repeat."""
    call = store.find_call_by_sha256(file_sha256(path))
    if call is None:
        return True
    if failed_on_metadata(call):
        return metadata_changed(call, jobs_for([path])[0])
    finished = call.status is CallStatus.DONE or failed_for_good(call)
    return not finished


def metadata_changed(call: CallRecord, job: CallJob) -> bool:
    """Whether processing the file again would change the outcome of a call that failed on its
    metadata: the metadata is usable now, or the file the call came from fails differently.
    Decided by content, so it holds across restarts. A copy of the audio under another name
    with bad metadata of its own is not taken, so two such copies cannot take turns."""
    if job.problem is None:
        return True
    return job.problem != call.error and call.source_path == str(job.path)


def new_files(inbox: Path, store: Store, *, settle_s: float) -> list[Path]:
    return [path for path in find_audio_files([inbox])
            if settled(path, settle_s=settle_s) and needs_processing(path, store)]


@flow(name="watch-inbox")
def watch_inbox(inbox: str, *, concurrency: int = 2, settle_s: float = DEFAULT_SETTLE_S,
                config: dict[str, Any] | None = None, rubric: str | None = None,
                workspace: dict[str, str] | None = None) -> dict[str, Any]:
    """Process the audio files in ``inbox`` the store has not seen (one scan); their metadata
    comes from ``manifest.csv`` in the inbox or their sidecars."""
    place = Workspace.from_params(workspace)
    nothing = {"counts": {"done": 0, "skipped": 0, "failed": 0}, "outcomes": []}
    manifest = Path(inbox) / MANIFEST_NAME
    if manifest.is_file() and not settled(manifest, settle_s=settle_s):
        logger.info("inbox %s: %s is still being written; next scan", inbox, MANIFEST_NAME)
        return nothing  # a half-written row would give a call the wrong metadata
    fresh = new_files(Path(inbox), store_for(place), settle_s=settle_s)
    if not fresh:
        logger.info("inbox %s: nothing new", inbox)
        return nothing
    batch = process_batch.with_options(
        task_runner=ThreadPoolTaskRunner(max_workers=concurrency))
    return batch([str(path) for path in fresh], config=config, rubric=rubric,
                 workspace=place.to_params())


def serve_inbox(inbox: Path, *, interval_s: float = DEFAULT_INTERVAL_S, concurrency: int = 2,
                settle_s: float = DEFAULT_SETTLE_S, config: dict[str, Any] | None = None,
                rubric: str | None = None, workspace: Workspace | None = None) -> None:
    """Serve the inbox deployment until interrupted: one scan every ``interval_s``."""
    place = workspace or Workspace.from_env()
    watch_inbox.serve(
        name=f"inbox-{Path(inbox).resolve().name}",
        interval=interval_s,
        parameters={"inbox": str(Path(inbox).resolve()), "concurrency": concurrency,
                    "settle_s": settle_s, "config": config, "rubric": rubric,
                    "workspace": place.to_params()},
        limit=1,  # scans never overlap, so a slow batch is not picked up twice
        print_starting_message=True,
    )
