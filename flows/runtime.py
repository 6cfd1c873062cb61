"""Where a flow run finds the store, the transcript cache and the models.

Flows are entry points: a deployment run started by a worker has only its parameters and its
environment, so :meth:`Workspace.from_env` reads ``CALLCOACH_HOME`` and friends here, and the
stages below receive explicit paths and URLs.
"""

from __future__ import annotations

import threading
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from pipeline.store import Store, location_from_env
from pipeline.store.database import DEFAULT_HOME

# Prefect settings callcoach chooses unless the environment already says otherwise.
PREFECT_DEFAULTS = {
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "PREFECT_API_ENABLE_HTTP2": "false",
    # The embedded server migrates its own database on first start; on a busy 2-core machine
    # that can exceed Prefect's 20 s default.
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
}


def prefect_environment(environ: Mapping[str, str], *, verbose: bool = False) -> dict[str, str]:
    """The Prefect variables to set before Prefect is imported: no analytics, and Prefect's own
    INFO chatter off the terminal unless ``verbose`` (the batch draws its own progress bar)."""
    wanted = {**PREFECT_DEFAULTS, "PREFECT_LOGGING_LEVEL": "INFO" if verbose else "WARNING"}
    return {key: value for key, value in wanted.items() if key not in environ}


@dataclass(frozen=True, slots=True, kw_only=True)
class Workspace:
    """Everything a flow run needs to find; plain strings so it travels as flow parameters."""

    store_url: str
    audio_dir: str
    transcript_cache_dir: str
    model_cache_dir: str

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Workspace:
        environ = os.environ if environ is None else environ
        home = Path(environ.get("CALLCOACH_HOME") or DEFAULT_HOME).expanduser().resolve()
        location = location_from_env(environ)
        return cls(store_url=location.url, audio_dir=str(location.audio_dir),
                   transcript_cache_dir=str(home / "transcripts"),
                   model_cache_dir=str(home / "models"))

    @classmethod
    def from_params(cls, params: Mapping[str, str] | None) -> Workspace:
        """The workspace a flow was given, or the worker's environment when it was given none."""
        return cls.from_env() if not params else cls(**params)

    def to_params(self) -> dict[str, str]:
        return {"store_url": self.store_url, "audio_dir": self.audio_dir,
                "transcript_cache_dir": self.transcript_cache_dir,
                "model_cache_dir": self.model_cache_dir}


_stores: dict[tuple[str, str], Store] = {}
_stores_lock = threading.Lock()


def open_store(store_url: str, audio_dir: str) -> Store:
    """One migrated store per process and location, shared by every task thread."""
    with _stores_lock:
        key = (store_url, audio_dir)
        if key not in _stores:
            _stores[key] = Store.open(store_url, audio_dir=Path(audio_dir))
        return _stores[key]


def store_for(workspace: Workspace) -> Store:
    return open_store(workspace.store_url, workspace.audio_dir)


def close_stores() -> None:
    """Dispose of every store this process opened (their connection pools)."""
    with _stores_lock:
        for store in _stores.values():
            store.close()
        _stores.clear()
