"""Checking an uploaded recording before it is accepted: format, size, channels, duration.

The client's file name is used for nothing but its suffix; the bytes go to a fresh temporary
file inside the data folder, which is removed once the store has its content-addressed copy.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import TYPE_CHECKING, BinaryIO

from coach_api.errors import UnsupportedMediaError, UploadTooLargeError
from pipeline.call_files import AUDIO_SUFFIXES, call_id_from_name
from pipeline.errors import InvalidAudioError

if TYPE_CHECKING:
    from pipeline.decode import AudioProbe

logger = logging.getLogger(__name__)

CHUNK_BYTES = 1 << 20
SUFFIXES = AUDIO_SUFFIXES


def _is_mp3(head: bytes) -> bool:
    return head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0)


# Leading bytes of each container, so a renamed text file is refused before decoding.
_SIGNATURES = {
    ".wav": lambda head: head[:4] == b"RIFF" and head[8:12] == b"WAVE",
    ".flac": lambda head: head[:4] == b"fLaC",
    ".ogg": lambda head: head[:4] == b"OggS",
    ".opus": lambda head: head[:4] == b"OggS",
    ".mp3": _is_mp3,
    ".m4a": lambda head: head[4:8] == b"ftyp",
    ".aac": lambda head: len(head) > 1 and head[0] == 0xFF and head[1] & 0xF6 == 0xF0,  # ADTS
    ".webm": lambda head: head[:4] == b"\x1a\x45\xdf\xa3",
}


def upload_suffix(filename: str | None) -> str:
    """The accepted suffix of a client file name (any folders in it ignored), else 415."""
    name = PureWindowsPath(PurePosixPath(filename or "").name).name
    suffix = os.path.splitext(name)[1].lower()
    if suffix not in SUFFIXES:
        raise UnsupportedMediaError(f"file type {suffix or '(none)'!r} is not accepted; "
                                    f"upload one of {', '.join(SUFFIXES)}")
    return suffix


def save_upload(source: BinaryIO, *, suffix: str, folder: Path, max_bytes: int) -> Path:
    """Copy ``source`` into a new file in ``folder``; 413 past ``max_bytes``, 415 when its
    first bytes are not the container ``suffix`` names."""
    folder.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(dir=folder, prefix="upload-", suffix=suffix)
    target = Path(name)
    try:
        with os.fdopen(handle, "wb") as out:
            _copy_limited(_chunks(source), out, max_bytes=max_bytes, suffix=suffix)
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return target


def _chunks(source: BinaryIO) -> Iterable[bytes]:
    while chunk := source.read(CHUNK_BYTES):
        yield chunk


def _copy_limited(chunks: Iterable[bytes], out: BinaryIO, *, max_bytes: int, suffix: str) -> None:
    written = 0
    for chunk in chunks:
        if written == 0 and not _SIGNATURES[suffix](chunk[:16]):
            raise UnsupportedMediaError(f"the file is not {suffix} audio (its first bytes do not "
                                        "match); upload the recording itself")
        written += len(chunk)
        if written > max_bytes:
            raise UploadTooLargeError(f"the upload is over the {max_bytes // (1 << 20)} MiB limit")
        out.write(chunk)
    if written == 0:
        raise InvalidAudioError("the upload is empty; attach the call recording")


def check_audio(probe: AudioProbe, *, max_duration_s: float) -> None:
    """Refuse what analysis would refuse anyway: not one or two channels, empty, or too long."""
    if probe.channels not in (1, 2):
        raise InvalidAudioError(f"the recording has {probe.channels} channels; callcoach needs "
                                "stereo with the agent on one channel and the customer on the "
                                "other, or mono with both mixed")
    if probe.duration_s <= 0:
        raise InvalidAudioError("the recording is empty")
    if probe.duration_s > max_duration_s:
        raise UploadTooLargeError(f"the call lasts {probe.duration_s:.0f} s, over the "
                                  f"{max_duration_s:.0f} s limit")


@dataclass(frozen=True, slots=True, kw_only=True)
class UploadOutcome:
    call: object  # pipeline.store.CallRecord
    accepted: bool  # queued for analysis now; False: stored already, done, queued or analysed


def register_upload(store, source: BinaryIO, *, filename: str | None, metadata_fields: dict,
                    agent_channel: int, uploads_dir: Path, max_bytes: int,
                    max_duration_s: float,
                    may_requeue: Callable[[object], bool] = lambda call: True) -> UploadOutcome:
    """Check an upload and store it as a queued call.

    ``metadata_fields`` are the :class:`~pipeline.types.CallMetadata` fields other than the id,
    which defaults to the file's name; they are checked before the file is read, as analysis
    would check them. A recording stored already is queued again, with this upload's
    metadata, when it failed or was left half-analysed by a stopped server; a call that is
    done, waiting or being analysed, or that ``may_requeue`` refuses (outside the uploader's scope), is
    left as it is. The checked temporary copy is always removed.
    """
    from pipeline.store.calls import check_metadata
    from pipeline.types import CallMetadata

    suffix = upload_suffix(filename)
    call_id = metadata_fields.pop("call_id", None) or call_id_from_name(filename)
    metadata = CallMetadata(call_id=call_id, **metadata_fields)
    check_metadata(metadata)
    saved = save_upload(source, suffix=suffix, folder=uploads_dir, max_bytes=max_bytes)
    try:
        from pipeline.decode import probe_audio  # the decoder loads with the first upload

        check_audio(probe_audio(saved), max_duration_s=max_duration_s)
        registration = store.register_call(saved, metadata, agent_channel=agent_channel,
                                           source_name=f"upload {call_id_from_name(filename)}"
                                                       f"{suffix}")
    finally:
        saved.unlink(missing_ok=True)
    if registration.created:
        return UploadOutcome(call=registration.call, accepted=True)
    if not may_requeue(registration.call):
        return UploadOutcome(call=registration.call, accepted=False)
    return _send_again(store, registration.call, metadata, agent_channel=agent_channel)


def _send_again(store, call, metadata, *, agent_channel: int) -> UploadOutcome:
    from pipeline.store import CallStatus

    if call.status in (CallStatus.DONE, CallStatus.QUEUED) or not store.update_call_metadata(
            call.id, metadata, agent_channel=agent_channel):
        return UploadOutcome(call=call, accepted=False)
    store.release_call(call.id)
    logger.info("call %s uploaded again: queued for analysis", call.id)
    return UploadOutcome(call=store.get_call(call.id), accepted=True)
