"""A call's samples, read a stretch at a time: in memory for short arrays, spooled to disk when
decoded from a file.

A four-hour stereo call is 1.8 GB of float32 at 16 kHz; held in memory, and copied by each
stage, it cost about 2 GB per hour of audio. So the decoder writes each channel to its own
temporary file as it decodes, and every stage reads the stretch it works on (a few minutes,
with the context it needs either side). The files keep the decoder's float32 values, so a
stretch read back is bit for bit what the whole array held: no stage's result changes.

The files are unlinked as soon as they are opened: they vanish with the process, whatever
way it ends, and reads go through the page cache (``os.pread``), which is not the process's
own memory, rather than a memory map whose touched pages would count as resident.
"""

from __future__ import annotations

import errno
import os
import tempfile

import numpy as np

_ITEM = np.dtype(np.float32).itemsize
# Samples per stretch the stages read: two minutes at 16 kHz, 7.7 MB of float32 (the bleed
# guard's filtered copies and FFTs of a stretch take some 15 times that, per party).
BLOCK_SAMPLES = 16000 * 120


class CallSamples:
    """Channels-first float32 samples, ``n_channels`` x ``n_samples``, read by stretch."""

    n_channels: int
    n_samples: int

    def read(self, channel: int, start: int, stop: int) -> np.ndarray:
        """Samples ``[start, stop)`` of ``channel`` as a new float32 array; positions outside
        the recording read as zeros (the padding every frame-based feature assumes)."""
        out = np.zeros(max(0, stop - start), dtype=np.float32)
        first, last = max(start, 0), min(stop, self.n_samples)
        if last > first:
            out[first - start: last - start] = self._read(channel, first, last)
        return out

    def whole(self) -> np.ndarray:
        """All channels as one ``(channels, samples)`` array: for short calls and tests only."""
        return np.stack([self.read(channel, 0, self.n_samples)
                         for channel in range(self.n_channels)])

    def channel_array(self, channel: int) -> np.ndarray:
        """One whole channel in memory (the mono separation and short tools need it)."""
        return self.read(channel, 0, self.n_samples)

    def _read(self, channel: int, start: int, stop: int) -> np.ndarray:
        raise NotImplementedError


class ArraySamples(CallSamples):
    """Samples already in memory (built in tests and by tools; read back without copies)."""

    def __init__(self, samples: np.ndarray) -> None:
        samples = np.asarray(samples, dtype=np.float32)
        if samples.ndim == 1:
            samples = samples[None, :]
        samples = samples.view()
        samples.flags.writeable = False  # no stage may change another stage's input
        self._samples = samples
        self.n_channels, self.n_samples = samples.shape

    def _read(self, channel: int, start: int, stop: int) -> np.ndarray:
        return self._samples[channel, start:stop]

    def whole(self) -> np.ndarray:
        return self._samples

    def channel_array(self, channel: int) -> np.ndarray:
        return self._samples[channel]


class SpooledSamples(CallSamples):
    """Samples in one unlinked temporary file per channel, appended while decoding."""

    def __init__(self, n_channels: int, *, folder: str | None = None) -> None:
        self.n_channels, self.n_samples = n_channels, 0
        self._files = []
        for _ in range(n_channels):
            handle = tempfile.TemporaryFile(prefix="callcoach-samples-", dir=folder)
            self._files.append(handle)

    def append(self, block: np.ndarray) -> None:
        """Add ``(channels, n)`` samples at the end of every channel."""
        block = np.asarray(block, dtype=np.float32)
        for handle, channel in zip(self._files, block, strict=True):
            try:
                handle.write(np.ascontiguousarray(channel).tobytes())
            except OSError as exc:
                raise _with_fix(exc) from exc
        self.n_samples += block.shape[1]

    def finish(self) -> SpooledSamples:
        for handle in self._files:
            handle.flush()
        return self

    def _read(self, channel: int, start: int, stop: int) -> np.ndarray:
        data = os.pread(self._files[channel].fileno(), (stop - start) * _ITEM, start * _ITEM)
        return np.frombuffer(data, dtype=np.float32)

    def close(self) -> None:
        for handle in self._files:
            handle.close()

    def __del__(self) -> None:
        self.close()


def _with_fix(exc: OSError) -> OSError:
    """A full temporary folder is the likely failure on a long call: say what to do about it.
    It stays an OSError, so a retry after space is freed works as for any other I/O error."""
    if exc.errno not in (errno.ENOSPC, errno.EDQUOT):
        return exc
    return OSError(exc.errno, f"no space left in the temporary folder ({tempfile.gettempdir()}) "
                   "for the decoded call, which needs about 460 MB per hour of stereo audio; "
                   "free some space there or set TMPDIR to a folder on a larger disk")
