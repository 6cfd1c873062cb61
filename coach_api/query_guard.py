"""Query parameters a route does not declare are refused, not silently ignored, and so is a
single-valued one given more than once.

A typo in a filter (``?stauts=failed``) would otherwise return the unfiltered list as if it
were the answer; a client is better told which names the route knows. Likewise
``?team=blue&team=red`` would quietly filter by the last team alone.
"""

from __future__ import annotations

import types
import typing
from collections import Counter

from fastapi import Request
from fastapi.dependencies.models import Dependant

from pipeline.errors import InvalidRequestError


def declared_query_names(dependant: Dependant) -> set[str]:
    """Every query parameter name a route reads, its dependencies' included."""
    names = {param.alias for param in dependant.query_params}
    for dependency in dependant.dependencies:
        names |= declared_query_names(dependency)
    return names


async def reject_unknown_query(request: Request) -> None:
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    if dependant is None:
        return
    known = declared_query_names(dependant)
    unknown = sorted(set(request.query_params.keys()) - known)
    if unknown:
        raise InvalidRequestError(
            f"unknown query parameter(s) {unknown}; this route takes "
            f"{', '.join(sorted(known)) or 'none'}")
    counts = Counter(name for name, _ in request.query_params.multi_items())
    repeated = sorted(name for name, count in counts.items()
                      if count > 1 and name not in many_valued_query_names(dependant))
    if repeated:
        raise InvalidRequestError(
            f"query parameter(s) {repeated} given more than once; each takes one value")


def many_valued_query_names(dependant: Dependant) -> set[str]:
    """The query parameters a route reads as a list (``?id=a&id=b``)."""
    names = {param.alias for param in dependant.query_params
             if _is_collection(param.field_info.annotation)}
    for dependency in dependant.dependencies:
        names |= many_valued_query_names(dependency)
    return names


def _is_collection(annotation: object) -> bool:
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType, typing.Annotated):
        return any(_is_collection(arg) for arg in typing.get_args(annotation))
    return origin in (list, tuple, set, frozenset) or annotation in (list, tuple, set, frozenset)
