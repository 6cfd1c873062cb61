"""The callcoach exception tree.

Every error a user can cause is a ``CallcoachError`` whose message says what was wrong and
what to do about it. Third-party errors are wrapped at the boundary (``raise ... from exc``)
so callers never need to know which library failed.
"""


class CallcoachError(Exception):
    """Base class for every error callcoach raises on purpose."""


class InvalidAudioError(CallcoachError):
    """The audio file cannot be analysed as a call (corrupt, empty, wrong shape, too long)."""


class ConfigError(CallcoachError):
    """A configuration file or value is invalid."""


class ModelNotFoundError(CallcoachError):
    """A Whisper model (or the VAD model) is not installed where callcoach looks for it."""


class TranscriptionError(CallcoachError):
    """Whisper failed on audio that decoded fine."""


class NotFoundError(CallcoachError):
    """A call, report, event or user does not exist (or is not visible to the caller)."""


class ConflictError(CallcoachError):
    """The request clashes with what is already stored (a duplicate, a stale state)."""


class StoreError(CallcoachError):
    """The database could not be reached or refused an operation; usually worth retrying."""
