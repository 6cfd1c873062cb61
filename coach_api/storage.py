"""The store the API opens: calls, reports and findings plus users, tokens, reviews and clip
collections, with checked tokens and sessions remembered for a few seconds."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext

from sqlalchemy import Connection

from pipeline.store import Store
from pipeline.store.collections import CollectionsOps
from pipeline.store.reviews import ReviewsOps
from pipeline.store.users import UserRecord, UsersOps, hash_token

DEFAULT_TOKEN_CACHE_S = 5.0
TOKEN_CACHE_ENTRIES = 10_000


class TokenCache:
    """Users by token hash, each trusted for ``ttl_s`` seconds after the database vouched for it.

    :meth:`forget_all` empties it, and a lookup that began before the last :meth:`forget_all`
    is not stored, so a token revoked in this process is never served from here afterwards.
    Unknown tokens are not remembered: a newly issued token works at once.
    """

    def __init__(self, *, ttl_s: float, max_entries: int = TOKEN_CACHE_ENTRIES,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl_s = ttl_s
        self._max_entries = max_entries
        self._clock = clock
        self._entries: dict[str, tuple[float, UserRecord]] = {}
        self._generation = 0
        self._lock = threading.Lock()

    @property
    def generation(self) -> int:
        """Read before asking the database; hand it to :meth:`put` with the answer."""
        return self._generation

    def get(self, token_sha256: str) -> UserRecord | None:
        entry = self._entries.get(token_sha256)
        if entry is None or entry[0] <= self._clock():
            return None
        return entry[1]

    def put(self, token_sha256: str, user: UserRecord, *, generation: int) -> None:
        if self._ttl_s <= 0:
            return
        with self._lock:
            if generation != self._generation:
                return
            now = self._clock()
            if len(self._entries) >= self._max_entries:
                self._entries = {key: entry for key, entry in self._entries.items()
                                 if entry[0] > now}
                if len(self._entries) >= self._max_entries:
                    self._entries = {}
            self._entries[token_sha256] = (now + self._ttl_s, user)

    def forget_all(self) -> None:
        with self._lock:
            self._generation += 1
            self._entries = {}


class ApiStore(Store, UsersOps, ReviewsOps, CollectionsOps):
    """:class:`pipeline.store.Store` with the user and review operations the API needs.

    Tokens: a token checked against the database is trusted for ``token_cache_s`` seconds, so
    a request costs no query to authenticate. Revoking tokens or deleting a user through this
    store takes effect at once; through another process (the CLI, another server worker),
    within ``token_cache_s``. ``token_cache_s=0`` asks the database on every request.

    Writes: on SQLite a writing transaction takes the database's write lock up front, so the
    server's request threads would otherwise meet in SQLite's busy handler, which sleeps in
    steps of up to 100 ms; queueing them on a process lock instead costs only the transactions
    themselves. Reads take neither lock.
    """

    def __init__(self, engine, *, token_cache_s: float = DEFAULT_TOKEN_CACHE_S,
                 **options) -> None:
        super().__init__(engine, **options)
        self._serial = threading.Lock() if self.is_sqlite else nullcontext()
        self._tokens = TokenCache(ttl_s=token_cache_s)
        self._sessions = TokenCache(ttl_s=token_cache_s)

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        with self._serial, super().transaction() as connection:
            yield connection

    def remembered_user(self, token: str) -> UserRecord | None:
        """The user of a token the database vouched for in the last ``token_cache_s``, else
        None (never a query: safe on the event loop)."""
        return self._tokens.get(hash_token(token))

    def user_for_token(self, token: str) -> UserRecord | None:
        key = hash_token(token)
        user = self._tokens.get(key)
        if user is not None:
            return user
        generation = self._tokens.generation
        user = super().user_for_token(token)
        if user is not None:
            self._tokens.put(key, user, generation=generation)
        return user

    def remembered_session(self, token: str) -> UserRecord | None:
        """The user of a session the database vouched for lately (never a query)."""
        return self._sessions.get(hash_token(token))

    def user_for_session(self, token: str) -> UserRecord | None:
        key = hash_token(token)
        user = self._sessions.get(key)
        if user is not None:
            return user
        generation = self._sessions.generation
        user = super().user_for_session(token)
        if user is not None:
            self._sessions.put(key, user, generation=generation)
        return user

    def end_session(self, token: str) -> None:
        try:
            super().end_session(token)
        finally:
            self._sessions.forget_all()

    def end_sessions(self, user_id: int) -> int:
        try:
            return super().end_sessions(user_id)
        finally:
            self._sessions.forget_all()

    def set_password(self, user_id: int, password: str) -> None:
        try:
            super().set_password(user_id, password)
        finally:
            self._sessions.forget_all()

    def revoke_tokens(self, user_id: int) -> int:
        try:
            return super().revoke_tokens(user_id)
        finally:
            self._tokens.forget_all()

    def delete_user(self, user_id: int) -> None:
        try:
            super().delete_user(user_id)
        finally:
            self._tokens.forget_all()
            self._sessions.forget_all()
