"""Packing one party's speech for Whisper: intervals cut out of the channel, laid back to back
in clips of at most ``MAX_CLIP_S``, and every word's time mapped back to the call's clock.

This mirrors faster-whisper's ``collect_chunks`` / ``restore_speech_timestamps`` with the
pipeline's own intervals in place of Silero's; ``pipeline.transcribe`` decodes the clips.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field, replace

import numpy as np

from pipeline.types import Interval

WHISPER_RATE_HZ = 16000
# Utterances split at pauses longer than this, so one never spans a long silence.
UTTERANCE_MAX_PAUSE_S = 1.0
# Whisper invents words ("you", "Thank you.") for blips this short; no real word fits in them.
MIN_INTERVAL_S = 0.2
# Whisper decodes 30 s windows and the encoder costs the same however much of one is speech, so
# clips fill nearly a whole window (a little short of it, so rounding never spills over). A small
# model sometimes skips a sentence of a full window; the speaking-rate retry below catches that.
# Measured on the sample calls against 15 s clips: 39 % fewer windows, half the decoding time,
# and word error rates and check outcomes as good or better.
MAX_CLIP_S = 29.0
# Digital silence between packed intervals, long enough that a word Whisper stretches over a
# join still has one end clearly inside the interval it was spoken in.
JOIN_GAP_S = 0.4
# Frame used to find the quietest moment when an interval longer than a clip must be cut.
CUT_FRAME_S = 0.05


@dataclass(frozen=True, slots=True, kw_only=True)
class SpeechPiece:
    """One speech interval (or part of a long one) placed in the packed buffer."""

    source: Interval  # where the piece lies in the call
    packed_start_s: float  # where it starts in the packed buffer
    group: int  # pieces separated by short pauses share a group (one utterance)

    @property
    def packed_end_s(self) -> float:
        return self.packed_start_s + self.source.duration_s

    def to_call_time(self, packed_s: float) -> float:
        """A packed-buffer time as seconds from the call start, kept inside this piece."""
        call_s = self.source.start_s + (packed_s - self.packed_start_s)
        return round(float(min(max(call_s, self.source.start_s), self.source.end_s)), 3)


@dataclass(frozen=True, slots=True, kw_only=True)
class PackedSpeech:
    """Speech intervals cut out of a channel and laid back to back, in clips Whisper can take."""

    samples: np.ndarray = field(compare=False, repr=False)  # (samples,) float32
    pieces: tuple[SpeechPiece, ...]
    clips_s: tuple[tuple[float, float], ...]  # (start, end) in the packed buffer, each <= 30 s
    _starts_s: tuple[float, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_starts_s", tuple(piece.packed_start_s for piece in self.pieces))

    def piece_at(self, packed_s: float) -> SpeechPiece:
        """The piece containing ``packed_s``, or the nearest one when it falls in a join."""
        index = max(0, bisect.bisect_right(self._starts_s, packed_s) - 1)
        candidates = self.pieces[index:index + 2]
        return min(candidates, key=lambda piece: max(piece.packed_start_s - packed_s,
                                                     packed_s - piece.packed_end_s, 0.0))

    def piece_of_word(self, start_s: float, end_s: float) -> SpeechPiece:
        """The piece a word spanning ``[start_s, end_s]`` (packed times) was spoken in.

        Whisper's alignment stretches a word across silence: the first word after a join
        starts early, the last one before it ends late. So an end that lies in a join is
        ignored, as is a start that lies in one; only a word reaching from one piece into
        the next falls back to its midpoint, as faster-whisper's own restore does.
        """
        first, last = self.piece_at(start_s), self.piece_at(end_s)
        start_inside = first.packed_start_s <= start_s <= first.packed_end_s
        end_inside = last.packed_start_s <= end_s <= last.packed_end_s
        if first is last or start_inside == end_inside:
            return self.piece_at((start_s + end_s) / 2)
        return first if start_inside else last


def pack_speech(samples: np.ndarray, speech: tuple[Interval, ...], *, sample_rate_hz: int,
                max_pause_s: float = UTTERANCE_MAX_PAUSE_S) -> PackedSpeech:
    """Cut ``speech`` out of ``samples`` (1-D) and pack it into clips of at most ``MAX_CLIP_S``.

    Intervals are clipped to the signal, those shorter than ``MIN_INTERVAL_S`` dropped, and
    those longer than a clip cut at their quietest moment.
    """
    spans = [_to_samples(interval, sample_rate_hz, len(samples)) for interval in sorted(speech)]
    spans = [span for span in spans if span[1] - span[0] >= MIN_INTERVAL_S * sample_rate_hz]
    max_clip = int(MAX_CLIP_S * sample_rate_hz)
    gap = np.zeros(int(JOIN_GAP_S * sample_rate_hz), dtype=np.float32)
    buffers: list[np.ndarray] = []
    pieces: list[SpeechPiece] = []
    clips: list[tuple[float, float]] = []
    cursor = clip_start = group = 0
    for start, end in (cut for span in spans for cut in _split_long(samples, span, max_clip)):
        if pieces and cursor - clip_start + len(gap) + end - start <= max_clip:
            buffers.append(gap)
            cursor += len(gap)
        elif pieces:
            clips.append((clip_start / sample_rate_hz, cursor / sample_rate_hz))
            clip_start = cursor
        source = Interval(start_s=start / sample_rate_hz, end_s=end / sample_rate_hz)
        if pieces and source.start_s - pieces[-1].source.end_s > max_pause_s:
            group += 1
        pieces.append(SpeechPiece(source=source, packed_start_s=cursor / sample_rate_hz, group=group))
        buffers.append(samples[start:end])
        cursor += end - start
    if pieces:
        clips.append((clip_start / sample_rate_hz, cursor / sample_rate_hz))
    packed = np.concatenate(buffers) if buffers else np.zeros(0, dtype=np.float32)
    return PackedSpeech(samples=packed, pieces=tuple(pieces), clips_s=tuple(clips))


def _to_samples(interval: Interval, sample_rate_hz: int, length: int) -> tuple[int, int]:
    start = min(max(round(interval.start_s * sample_rate_hz), 0), length)
    return start, min(max(round(interval.end_s * sample_rate_hz), start), length)


def _split_long(samples: np.ndarray, span: tuple[int, int], max_len: int) -> list[tuple[int, int]]:
    """Cut a span longer than ``max_len`` samples at its quietest frame in each second half."""
    start, end = span
    cuts = []
    while end - start > max_len:
        low = start + max_len // 2
        cut = low + _quietest_offset(samples[low:start + max_len])
        cuts.append((start, cut))
        start = cut
    return [*cuts, (start, end)]


def _quietest_offset(window: np.ndarray) -> int:
    frame = int(CUT_FRAME_S * WHISPER_RATE_HZ)
    count = len(window) // frame
    energy = np.square(window[:count * frame].reshape(count, frame)).mean(axis=1)
    return int(np.argmin(energy)) * frame + frame // 2


def join_packed(packs: tuple[PackedSpeech, ...]) -> tuple[PackedSpeech, tuple[float, ...]]:
    """Several channels' packed speech laid end to end, and where each one starts (seconds).

    Clips never span two channels, and group numbers stay apart, so no utterance mixes them.
    """
    pieces: list[SpeechPiece] = []
    clips: list[tuple[float, float]] = []
    starts_s: list[float] = []
    cursor = groups = 0
    for pack in packs:
        offset_s = cursor / WHISPER_RATE_HZ
        starts_s.append(offset_s)
        pieces.extend(replace(piece, packed_start_s=piece.packed_start_s + offset_s,
                              group=piece.group + groups) for piece in pack.pieces)
        clips.extend((start_s + offset_s, end_s + offset_s) for start_s, end_s in pack.clips_s)
        groups += pack.pieces[-1].group + 1 if pack.pieces else 0
        cursor += len(pack.samples)
    samples = (np.concatenate([pack.samples for pack in packs]) if packs
               else np.zeros(0, dtype=np.float32))
    return PackedSpeech(samples=samples, pieces=tuple(pieces), clips_s=tuple(clips)), tuple(starts_s)
