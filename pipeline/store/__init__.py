"""The callcoach store: calls, versioned reports and searchable findings in SQL.

SQLite (a file under the data folder) by default, PostgreSQL by URL. Audio is copied into
the data folder under its sha256, so the same recording is never analysed twice and clips can
be cut later. Every method wraps database errors in :class:`~pipeline.errors.StoreError` and
raises :class:`~pipeline.errors.NotFoundError` for a missing call.

    store = Store.open("sqlite:///.callcoach/callcoach.db", audio_dir=Path(".callcoach/audio"))
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from pipeline.errors import InvalidMetadataError, InvalidReportError, StoreError
from pipeline.store import migrate
from pipeline.store.calls import CallOps, claim_owner
from pipeline.store.database import (StoreLocation, create_store_engine, location_from_env)
from pipeline.store.follow_up import FollowUpOps
from pipeline.store.records import (CallRecord, CallStatus, CheckRow, CoachingRow, EventRow,
                                    FlagRow, RedactionRow, Registration, ReportRecord)
from pipeline.store.reports import ReportOps
from pipeline.store.reviews import ReviewsOps
from pipeline.store.search import SearchOps
from pipeline.store.sign_in import SignInOps
from pipeline.store.users import UsersOps

__all__ = [
    "CallRecord", "CallStatus", "CheckRow", "CoachingRow", "EventRow", "FlagRow",
    "InvalidMetadataError", "InvalidReportError", "RedactionRow", "Registration", "ReportRecord",
    "Store", "StoreLocation", "claim_owner", "location_from_env",
]

DEFAULT_CLAIM_TIMEOUT_S = 6 * 3600.0


class Store(CallOps, ReportOps, SearchOps, UsersOps, ReviewsOps, FollowUpOps, SignInOps):
    """Calls, reports and findings in one database plus an audio folder."""

    def __init__(self, engine, *, audio_dir: Path,
                 claim_timeout_s: float = DEFAULT_CLAIM_TIMEOUT_S) -> None:
        super().__init__(engine)
        self.audio_dir = Path(audio_dir)
        self.claim_timeout_s = claim_timeout_s

    @classmethod
    def open(cls, url: str, *, audio_dir: Path, upgrade: bool = True,
             claim_timeout_s: float = DEFAULT_CLAIM_TIMEOUT_S, **options: Any) -> Store:
        """Connect to ``url`` and, unless ``upgrade`` is False, migrate it to the newest schema.
        ``options`` go to the constructor of a subclass that takes more."""
        store = cls(create_store_engine(url), audio_dir=audio_dir, claim_timeout_s=claim_timeout_s,
                    **options)
        if upgrade:
            store.upgrade()
        return store

    @classmethod
    def at(cls, location: StoreLocation, *, upgrade: bool = True) -> Store:
        return cls.open(location.url, audio_dir=location.audio_dir, upgrade=upgrade)

    def upgrade(self) -> None:
        """Apply any migration the database lacks (a no-op when it is current)."""
        try:
            if migrate.current_revision(self.engine) != migrate.head_revision():
                migrate.upgrade(self.engine)
        except SQLAlchemyError as exc:
            url = self.engine.url.render_as_string(hide_password=True)
            raise StoreError(f"cannot migrate the database at {url} ({type(exc).__name__}); "
                             "check that it is running and the user may create tables") from exc

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()
