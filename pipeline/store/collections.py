"""Named collections of example clips: a trainer gathers findings from many calls under one
name ("good de-escalation") for agents to open.

An item names a finding (an event id or a check id) of a call, not a stretch of audio, so
its clip is cut from the call's current report each time it is played, with the same
masking and budget as any trainer's clip.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import (Column, ForeignKey, Index, Integer, String, Table, Text,
                        UniqueConstraint, delete, func, select)

from pipeline.errors import ConflictError, NotFoundError
from pipeline.store.database import Database, as_utc, utc_now
from pipeline.store.schema import CALL_ID_LENGTH, Timestamp, metadata

logger = logging.getLogger(__name__)

collections = Table(
    "collections", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("description", Text, nullable=False, default=""),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="SET NULL")),
    Column("creator", String(200), nullable=False),  # kept when the user is deleted
    Column("created_at", Timestamp, nullable=False),
)

collection_items = Table(
    "collection_items", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("collection_id", Integer, ForeignKey("collections.id", ondelete="CASCADE"),
           nullable=False),
    Column("call_id", String(CALL_ID_LENGTH), ForeignKey("calls.id", ondelete="CASCADE"),
           nullable=False),
    Column("finding_id", String(100), nullable=False),  # "ev-3" or a check id
    Column("note", Text, nullable=False, default=""),
    Column("added_by", String(200), nullable=False),
    Column("added_at", Timestamp, nullable=False),
    UniqueConstraint("collection_id", "call_id", "finding_id"),
    Index(None, "call_id"),
)


@dataclass(frozen=True, slots=True, kw_only=True)
class CollectionRecord:
    id: int
    name: str
    description: str
    user_id: int | None
    creator: str
    created_at: datetime
    item_count: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class CollectionItemRecord:
    id: int
    collection_id: int
    call_id: str
    finding_id: str
    note: str
    added_by: str
    added_at: datetime


class CollectionsOps(Database):
    """Collections and their items; mixed into the API's store."""

    def create_collection(self, name: str, *, description: str, user_id: int | None,
                          creator: str) -> CollectionRecord:
        with self.transaction() as connection:
            taken = connection.execute(select(collections.c.id).where(
                collections.c.name == name.strip())).first()
            if taken is not None:
                raise ConflictError(f"a collection named {name.strip()!r} exists; "
                                    "pick another name or add to that one")
            new_id = connection.execute(collections.insert().values(
                name=name.strip(), description=description, user_id=user_id,
                creator=creator, created_at=utc_now()).returning(collections.c.id)).scalar_one()
        logger.info("collection %r created by %s", name, creator)
        return self.get_collection(new_id)

    def list_collections(self) -> list[CollectionRecord]:
        """Every collection with its number of items, by name."""
        count = (select(collection_items.c.collection_id, func.count().label("n"))
                 .group_by(collection_items.c.collection_id).subquery())
        query = (select(collections, func.coalesce(count.c.n, 0).label("item_count"))
                 .outerjoin(count, count.c.collection_id == collections.c.id)
                 .order_by(collections.c.name))
        with self.read() as connection:
            return [_collection(row) for row in connection.execute(query)]

    def get_collection(self, collection_id: int) -> CollectionRecord:
        found = [c for c in self.list_collections() if c.id == collection_id]
        if not found:
            raise NotFoundError(f"no collection with id {collection_id}")
        return found[0]

    def delete_collection(self, collection_id: int) -> None:
        with self.transaction() as connection:
            gone = connection.execute(delete(collections).where(
                collections.c.id == collection_id)).rowcount
        if not gone:
            raise NotFoundError(f"no collection with id {collection_id}")

    def add_collection_item(self, collection_id: int, *, call_id: str, finding_id: str,
                            note: str, added_by: str) -> CollectionItemRecord:
        self.get_collection(collection_id)
        with self.transaction() as connection:
            taken = connection.execute(select(collection_items.c.id).where(
                collection_items.c.collection_id == collection_id,
                collection_items.c.call_id == call_id,
                collection_items.c.finding_id == finding_id)).first()
            if taken is not None:
                raise ConflictError(f"finding {finding_id!r} of call {call_id!r} is already in "
                                    "this collection")
            new_id = connection.execute(collection_items.insert().values(
                collection_id=collection_id, call_id=call_id, finding_id=finding_id,
                note=note, added_by=added_by, added_at=utc_now())
                .returning(collection_items.c.id)).scalar_one()
        return self.collection_item(collection_id, new_id)

    def collection_items(self, collection_id: int) -> list[CollectionItemRecord]:
        """A collection's items, in the order they were added."""
        query = (select(collection_items).where(collection_items.c.collection_id == collection_id)
                 .order_by(collection_items.c.id))
        with self.read() as connection:
            return [_item(row) for row in connection.execute(query)]

    def collection_item(self, collection_id: int, item_id: int) -> CollectionItemRecord:
        found = [item for item in self.collection_items(collection_id) if item.id == item_id]
        if not found:
            raise NotFoundError(f"collection {collection_id} has no item {item_id}")
        return found[0]

    def remove_collection_item(self, collection_id: int, item_id: int) -> None:
        with self.transaction() as connection:
            gone = connection.execute(delete(collection_items).where(
                collection_items.c.collection_id == collection_id,
                collection_items.c.id == item_id)).rowcount
        if not gone:
            raise NotFoundError(f"collection {collection_id} has no item {item_id}")


def _collection(row) -> CollectionRecord:
    values = dict(row._mapping)
    return CollectionRecord(**{**values, "created_at": as_utc(values["created_at"])})


def _item(row) -> CollectionItemRecord:
    values = dict(row._mapping)
    return CollectionItemRecord(**{**values, "added_at": as_utc(values["added_at"])})
