"""Named collections of example clips: trainers (and supervisors) gather them, every role opens
them; see :mod:`coach_api.collections` for how an item is shown and played."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response, status
from fastapi.concurrency import run_in_threadpool

from coach_api.access import Action, require, visible_call
from coach_api.collections import held_finding, item_clip, item_out
from coach_api.deps import CurrentUser, StoreDep
from coach_api.schemas import (CollectionDetail, CollectionIn, CollectionItemIn,
                               CollectionItemOut, CollectionOut)

router = APIRouter(prefix="/collections", tags=["collections"])

RowId = Annotated[int, Path(ge=1, le=2**31 - 1)]  # an integer key, in every database's range


@router.get("", summary="Every clip collection, by name")
def list_collections(user: CurrentUser, store: StoreDep) -> list[CollectionOut]:
    require(user, Action.OPEN_COLLECTIONS)
    return [CollectionOut.of(record) for record in store.list_collections()]


@router.post("", status_code=status.HTTP_201_CREATED, summary="Start a collection",
             responses={409: {"description": "a collection of that name exists"}})
def create_collection(body: CollectionIn, user: CurrentUser, store: StoreDep) -> CollectionOut:
    require(user, Action.CURATE_COLLECTIONS)
    return CollectionOut.of(store.create_collection(body.name, description=body.description,
                                                    user_id=user.id, creator=user.name))


@router.get("/{collection_id}", summary="A collection and its clips")
def get_collection(collection_id: RowId, user: CurrentUser, store: StoreDep) -> CollectionDetail:
    require(user, Action.OPEN_COLLECTIONS)
    record = store.get_collection(collection_id)
    items = [item_out(store, user, item) for item in store.collection_items(collection_id)]
    return CollectionDetail(**CollectionOut.of(record).model_dump(), items=items)


@router.delete("/{collection_id}", status_code=status.HTTP_204_NO_CONTENT,
               summary="Delete a collection (the calls stay)")
def delete_collection(collection_id: RowId, user: CurrentUser, store: StoreDep) -> Response:
    require(user, Action.CURATE_COLLECTIONS)
    store.delete_collection(collection_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{collection_id}/items", status_code=status.HTTP_201_CREATED,
             summary="Add a finding's clip to a collection",
             responses={409: {"description": "the clip is in the collection already"}})
def add_item(collection_id: RowId, body: CollectionItemIn, user: CurrentUser,
             store: StoreDep) -> CollectionItemOut:
    """The finding must be one a trainer may clip (403 past the call's trainer budget), as
    everyone who opens the collection hears it the way a trainer does."""
    require(user, Action.CURATE_COLLECTIONS)
    store.get_collection(collection_id)
    call = visible_call(store, user, body.call_id, Action.CLIP)
    held_finding(store, call, body.finding_id).window()
    item = store.add_collection_item(collection_id, call_id=call.id,
                                     finding_id=body.finding_id, note=body.note,
                                     added_by=user.name)
    return item_out(store, user, item)


@router.delete("/{collection_id}/items/{item_id}", status_code=status.HTTP_204_NO_CONTENT,
               summary="Take a clip out of a collection")
def remove_item(collection_id: RowId, item_id: RowId, user: CurrentUser,
                store: StoreDep) -> Response:
    require(user, Action.CURATE_COLLECTIONS)
    store.remove_collection_item(collection_id, item_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/{collection_id}/items/{item_id}/clip", response_class=Response,
            summary="An item's clip: WAV, personal data bleeped",
            responses={200: {"content": {"audio/wav": {}}}})
async def get_item_clip(collection_id: RowId, item_id: RowId, user: CurrentUser,
                        store: StoreDep) -> Response:
    require(user, Action.OPEN_COLLECTIONS)
    item = await run_in_threadpool(store.collection_item, collection_id, item_id)
    wav = await run_in_threadpool(item_clip, store, item)
    return Response(wav, media_type="audio/wav", headers={
        "Content-Disposition": f'inline; filename="collection-{collection_id}-{item_id}.wav"'})
