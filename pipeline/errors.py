"""The callcoach exception tree, in one place, and the stable kinds failed calls are stored with.

Every error a user can cause is a ``CallcoachError`` whose message says what was wrong and
what to do about it. Third-party errors are wrapped at the boundary (``raise ... from exc``)
so callers never need to know which library failed.

A failed call is stored with its :class:`ErrorKind`, a string that never changes when a class
is renamed or moved; the kinds' values are the names earlier versions stored, so calls that
failed before keep their meaning (a rerun still skips bad audio, still rereads bad metadata).
"""

from __future__ import annotations

import enum
from typing import ClassVar


class ErrorKind(enum.StrEnum):
    """Why a call failed, as the ``calls.error_kind`` column stores it."""

    INVALID_AUDIO = "InvalidAudioError"
    CONFIG = "ConfigError"
    INVALID_METADATA = "InvalidMetadataError"
    INVALID_REPORT = "InvalidReportError"
    MODEL_NOT_FOUND = "ModelNotFoundError"
    TRANSCRIPTION = "TranscriptionError"
    STORE = "StoreError"
    STORE_FOLDER = "StoreFolderError"  # the data folder cannot be written: for a person to fix
    IO = "OSError"  # the file system: worth a retry
    OTHER = "CallcoachError"  # a callcoach error without a kind of its own
    UNEXPECTED = "unexpected"  # a bug on odd input; the log has the traceback

    @property
    def deterministic(self) -> bool:
        """The same audio and config fail the same way again, so a rerun reports it instead
        of redoing it. Metadata is not: it is read afresh on every run."""
        return self in (ErrorKind.INVALID_AUDIO, ErrorKind.CONFIG)

    @classmethod
    def of(cls, error: BaseException) -> ErrorKind:
        """The kind to store for ``error``."""
        if isinstance(error, CallcoachError):
            return error.kind
        return cls.IO if isinstance(error, OSError) else cls.UNEXPECTED

    @classmethod
    def from_stored(cls, text: str | None) -> ErrorKind | None:
        """A stored kind; a class name stored by an earlier version that is no kind reads as
        UNEXPECTED (the file-system errors' names as IO)."""
        if text is None:
            return None
        try:
            return cls(text)
        except ValueError:
            return cls.IO if text in _OS_ERROR_NAMES else cls.UNEXPECTED


_OS_ERROR_NAMES = frozenset({"FileNotFoundError", "PermissionError", "IsADirectoryError",
                             "NotADirectoryError", "IOError", "TimeoutError"})


class CallcoachError(Exception):
    """Base class for every error callcoach raises on purpose."""

    kind: ClassVar[ErrorKind] = ErrorKind.OTHER


# The pipeline: audio, configuration, models, data, the store.

class InvalidAudioError(CallcoachError):
    """The audio file cannot be analysed as a call (corrupt, empty, wrong shape, too long)."""

    kind = ErrorKind.INVALID_AUDIO


class ConfigError(CallcoachError):
    """A configuration file or value is invalid."""

    kind = ErrorKind.CONFIG


class ModelNotFoundError(CallcoachError):
    """A Whisper model (or the VAD model) is not installed where callcoach looks for it."""

    kind = ErrorKind.MODEL_NOT_FOUND


class TranscriptionError(CallcoachError):
    """Whisper failed on audio that decoded fine."""

    kind = ErrorKind.TRANSCRIPTION


class InvalidMetadataError(CallcoachError):
    """Metadata given with a call is malformed (a start time that is not ISO 8601, say)."""

    kind = ErrorKind.INVALID_METADATA


class InvalidReportError(CallcoachError):
    """A report lacks what every report has (schema_version, config digest) or is malformed."""

    kind = ErrorKind.INVALID_REPORT


class InvalidUserError(CallcoachError):
    """A user cannot be created as asked (unknown role, an agent without an agent id, ...)."""


class NotFoundError(CallcoachError):
    """A call, report, event or user does not exist (or is not visible to the caller)."""


class ConflictError(CallcoachError):
    """The request clashes with what is already stored (a duplicate, a stale state)."""


class StoreError(CallcoachError):
    """The database could not be reached or refused an operation; usually worth retrying."""

    kind = ErrorKind.STORE


class StoreFolderError(CallcoachError):
    """The data folder (``CALLCOACH_HOME``) or the audio folder cannot be written."""

    kind = ErrorKind.STORE_FOLDER


# Orchestration.

class PrefectServerError(CallcoachError):
    """The local Prefect server did not come up."""


# The API's own refusals (coach_api.errors maps every error to an HTTP status).

class AuthenticationError(CallcoachError):
    """No bearer token, or one that is unknown or revoked."""


class PermissionDeniedError(CallcoachError):
    """The caller's role may not do this at all (a call they cannot see is a 404 instead)."""


class UploadTooLargeError(CallcoachError):
    """An upload over the size limit, or a call over the duration limit."""


class UnsupportedMediaError(CallcoachError):
    """An upload that is not one of the accepted audio formats."""


class InvalidRequestError(CallcoachError):
    """A request whose values are well-formed but do not make sense together."""


class TooManyAttemptsError(CallcoachError):
    """Sign-ins refused for a while after repeated failures."""

    def __init__(self, message: str, *, retry_after_s: int) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s
