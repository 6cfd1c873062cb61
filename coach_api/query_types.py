"""Types of query and form values that pydantic would otherwise read too generously."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import BeforeValidator, WithJsonSchema


def _iso_time(value: Any) -> Any:
    """Only ISO 8601 text: pydantic reads a bare number ("0.5") as seconds since 1970, which
    the schema does not say and no client means."""
    if isinstance(value, str):
        try:
            return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError as exc:
            raise ValueError(f"{value!r} is not an ISO 8601 time; write it like "
                             "2024-05-01T14:03:00Z") from exc
    return value


IsoTime = Annotated[dt.datetime, BeforeValidator(_iso_time),
                    WithJsonSchema({"type": "string", "format": "date-time"})]
