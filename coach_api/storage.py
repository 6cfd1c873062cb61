"""The store the API opens: calls, reports and findings plus users, tokens and reviews."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext

from sqlalchemy import Connection

from pipeline.store import Store
from pipeline.store.reviews import ReviewsOps
from pipeline.store.users import UsersOps


class ApiStore(Store, UsersOps, ReviewsOps):
    """:class:`pipeline.store.Store` with the user and review operations the API needs.

    On SQLite every transaction takes the database's write lock up front, so the server's
    request threads would otherwise meet in SQLite's busy handler, which sleeps in steps of up
    to 100 ms; queueing them on a process lock instead costs only the transactions themselves.
    """

    def __init__(self, engine, **options) -> None:
        super().__init__(engine, **options)
        is_sqlite = engine.url.get_backend_name() == "sqlite"
        self._serial = threading.Lock() if is_sqlite else nullcontext()

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        with self._serial, super().transaction() as connection:
            yield connection
