"""Query parameters a route does not declare are refused, not silently ignored.

A typo in a filter (``?stauts=failed``) would otherwise return the unfiltered list as if it
were the answer; a client is better told which names the route knows.
"""

from __future__ import annotations

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
