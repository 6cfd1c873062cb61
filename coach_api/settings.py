"""API settings, read from the environment by the entry points only (``CALLCOACH_*``)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from pipeline.store.database import DEFAULT_HOME, StoreLocation

MEBIBYTE = 1 << 20


class ApiSettings(BaseSettings):
    """Where the data lives and what uploads are accepted. Every field has an environment
    variable: ``CALLCOACH_HOME``, ``CALLCOACH_DATABASE_URL``, ``CALLCOACH_MAX_UPLOAD_MB``, ..."""

    model_config = SettingsConfigDict(env_prefix="CALLCOACH_", extra="ignore", frozen=True)

    home: Path = Field(Path(DEFAULT_HOME), description="data folder: database, audio, uploads")
    database_url: str | None = Field(None, description="SQLAlchemy URL; default a SQLite file "
                                                      "in the data folder")
    audio_dir: Path | None = Field(None, description="stored call audio; default <home>/audio")
    max_upload_mb: float = Field(200.0, gt=0, description="largest upload accepted, MiB")
    max_call_duration_s: float = Field(4 * 3600.0, gt=0, description="longest call accepted")
    processing_workers: int = Field(1, ge=0, le=16, description="calls analysed at once by this "
                                                               "server (0: leave it to workers)")
    host: str = Field("127.0.0.1", description="address `callcoach serve` binds")
    port: int = Field(8000, ge=0, le=65535, description="port `callcoach serve` binds")
    workers: int = Field(1, ge=1, le=64, description="server processes `callcoach serve` runs; "
                                                     "each has its own processing_workers")
    token_cache_s: float = Field(5.0, ge=0, le=300, description=(
        "seconds a checked token is trusted without asking the database; a token revoked "
        "through another process (the CLI, another server worker) stops working within this "
        "time, one revoked through the same process at once; 0 checks every request"))

    session_hours: float = Field(12.0, gt=0, le=24 * 30, description=(
        "hours a web-page sign-in lasts; signing out, or a new password, ends it sooner"))
    sign_in_link_minutes: float = Field(30.0, gt=0, le=7 * 24 * 60, description=(
        "minutes a one-time sign-in link from `callcoach users add --sign-in-link` works"))
    public_url: str | None = Field(None, description=(
        "the address people open the pages at, for sign-in links the CLI prints; default "
        "http://<host>:<port>"))
    secure_cookies: bool | None = Field(None, description=(
        "mark the session cookie Secure (sent over HTTPS only); default: when the request "
        "came over HTTPS (behind a proxy, run uvicorn with --proxy-headers)"))

    @property
    def data_dir(self) -> Path:
        return self.home.expanduser().resolve()

    @property
    def uploads_dir(self) -> Path:
        """Where uploads are written while they are checked, inside the data folder."""
        return self.data_dir / "uploads"

    @property
    def max_upload_bytes(self) -> int:
        return int(self.max_upload_mb * MEBIBYTE)

    def location(self) -> StoreLocation:
        audio_dir = (self.audio_dir or self.data_dir / "audio").expanduser().resolve()
        url = self.database_url or f"sqlite:///{self.data_dir / 'callcoach.db'}"
        return StoreLocation(url=url, audio_dir=audio_dir)
