"""Liveness, without a token."""

from fastapi import APIRouter

from coach_api.schemas import Health

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="Is the server up")
def healthz() -> Health:
    return Health()
