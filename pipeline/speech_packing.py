"""Packing one party's speech for Whisper: intervals cut out of the channel, laid back to back
in clips of at most ``MAX_CLIP_S``, and every word's time mapped back to the call's clock.

This mirrors faster-whisper's ``collect_chunks`` / ``restore_speech_timestamps`` with the
pipeline's own intervals in place of Silero's; ``pipeline.transcribe`` decodes the clips.

The packing is planned from the intervals alone (``plan_speech``: where each piece goes, and
the clips), and the packed samples are read from the call only for the clips about to be
decoded (``render``), so a four-hour call never holds all its speech in memory at once.
"""

from __future__ import annotations

import bisect
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np

from audio_features import intervals
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
# A clip is topped up with the head of the next interval (cut at a pause) only if the head
# holds at least this much: a shorter one gives Whisper too little to go on.
MIN_FILL_S = 1.0
# Frame used to find the quietest moment when an interval longer than a clip must be cut.
CUT_FRAME_S = 0.05


@dataclass(frozen=True, slots=True, kw_only=True)
class SpeechPiece:
    """One speech interval (or part of a long one) placed in the packed buffer."""

    source: Interval  # where the piece lies in the call
    packed_start_s: float  # where it starts in the packed buffer
    group: int  # pieces separated by short pauses share a group (one utterance)
    # Seconds of the party's own speech in the piece (its speech activity, before
    # ``pipeline.heard_speech`` padded it and bridged its pauses); None: the whole piece.
    spoken_s: float | None = None

    @property
    def speech_s(self) -> float:
        """How long the party speaks in the piece, its bridged pauses left out."""
        return self.source.duration_s if self.spoken_s is None else self.spoken_s

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

    pieces: tuple[SpeechPiece, ...]
    clips_s: tuple[tuple[float, float], ...]  # (start, end) in the packed buffer, each <= 30 s
    length: int  # samples in the whole packed buffer
    # (samples,) float32: the whole packed buffer, or None when only planned (see ``render``)
    samples: np.ndarray | None = field(default=None, compare=False, repr=False)
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
    """Cut ``speech`` out of ``samples`` (1-D) and pack it into clips of at most ``MAX_CLIP_S``,
    with the packed buffer filled in (``plan_speech`` says how intervals are chosen and cut).
    """
    def read(start: int, stop: int) -> np.ndarray:
        return samples[start:stop]

    plan = plan_speech(read, len(samples), speech, sample_rate_hz=sample_rate_hz,
                       max_pause_s=max_pause_s)
    return replace(plan, samples=render(plan, lambda _piece, start, stop: read(start, stop),
                                        first=0, last=plan.length, sample_rate_hz=sample_rate_hz))


def plan_speech(read: Callable[[int, int], np.ndarray], n_samples: int,
                speech: tuple[Interval, ...], *, sample_rate_hz: int,
                max_pause_s: float = UTTERANCE_MAX_PAUSE_S,
                spoken: tuple[Interval, ...] | None = None) -> PackedSpeech:
    """Where ``speech`` goes in the packed buffer and its clips of at most ``MAX_CLIP_S``,
    without the samples. ``read(start, stop)`` gives the channel's samples, read only to cut an
    interval longer than a clip.

    Intervals are clipped to the signal, those shorter than ``MIN_INTERVAL_S`` dropped, and
    those longer than a clip cut at their quietest moment.

    With ``spoken`` (the party's own speech, of which ``speech`` is the widened version:
    ``pipeline.heard_speech``), an interval that does not fit in what is left of a clip may be
    cut at the last pause of ``spoken`` that does fit, the clip topped up with its head and
    the tail starting the next clip: each clip costs a whole 30 s window to encode, however
    little of it is filled (on the 245 s real service call 10 clips became 9). The cut lies
    in the middle of a pause the speech activity found, where faster-whisper's own packing
    cuts too, but Whisper loses the context across it, and moving clip edges moves words:
    cutting wherever a clip had room left changed two check outcomes of 153 on the wideband
    sample calls without saving one window. So the cuts are made only when they save one.
    """
    plan = _plan(read, n_samples, speech, sample_rate_hz=sample_rate_hz,
                 max_pause_s=max_pause_s, pauses=np.zeros(0, dtype=np.int64))
    if not spoken:
        return plan
    topped_up = _plan(read, n_samples, speech, sample_rate_hz=sample_rate_hz,
                      max_pause_s=max_pause_s, pauses=_pause_middles(spoken, sample_rate_hz))
    return topped_up if len(topped_up.clips_s) < len(plan.clips_s) else plan


def _plan(read: Callable[[int, int], np.ndarray], n_samples: int,
          speech: tuple[Interval, ...], *, sample_rate_hz: int, max_pause_s: float,
          pauses: np.ndarray) -> PackedSpeech:
    """``plan_speech``, an interval cut at the last of ``pauses`` (samples) that fits when it
    does not fit in what is left of a clip."""
    spans = [_to_samples(interval, sample_rate_hz, n_samples) for interval in sorted(speech)]
    spans = [span for span in spans if span[1] - span[0] >= MIN_INTERVAL_S * sample_rate_hz]
    max_clip = int(MAX_CLIP_S * sample_rate_hz)
    gap = int(JOIN_GAP_S * sample_rate_hz)
    min_head = int(MIN_FILL_S * sample_rate_hz)
    pieces: list[SpeechPiece] = []
    clips: list[tuple[float, float]] = []
    cursor = clip_start = group = 0
    queue = deque(cut for span in spans for cut in _split_long(read, span, max_clip))
    while queue:
        start, end = queue.popleft()
        if pieces and cursor - clip_start + gap + end - start <= max_clip:
            cursor += gap
        elif pieces:
            cut = _last_pause(pauses, start + min_head,
                              start + max_clip - (cursor - clip_start) - gap)
            if cut is not None and cut < end:
                queue.appendleft((cut, end))  # the tail starts the next clip
                end = cut
                cursor += gap
            else:
                clips.append((clip_start / sample_rate_hz, cursor / sample_rate_hz))
                clip_start = cursor
        source = Interval(start_s=start / sample_rate_hz, end_s=end / sample_rate_hz)
        if pieces and source.start_s - pieces[-1].source.end_s > max_pause_s:
            group += 1
        pieces.append(SpeechPiece(source=source, packed_start_s=cursor / sample_rate_hz, group=group))
        cursor += end - start
    if pieces:
        clips.append((clip_start / sample_rate_hz, cursor / sample_rate_hz))
    return PackedSpeech(pieces=tuple(pieces), clips_s=tuple(clips), length=cursor)


def _pause_middles(spoken: tuple[Interval, ...], sample_rate_hz: int) -> np.ndarray:
    """The sample in the middle of each pause between consecutive ``spoken`` intervals."""
    spans = sorted(spoken)
    return np.array([round((before.end_s + after.start_s) / 2 * sample_rate_hz)
                     for before, after in zip(spans, spans[1:]) if after.start_s > before.end_s],
                    dtype=np.int64)


def _last_pause(pauses: np.ndarray, low: int, high: int) -> int | None:
    """The last pause middle in ``[low, high]``, or None."""
    index = int(np.searchsorted(pauses, high, side="right")) - 1
    return int(pauses[index]) if index >= 0 and pauses[index] >= low else None


def render(packed: PackedSpeech, read: Callable[[SpeechPiece, int, int], np.ndarray], *,
           first: int, last: int, sample_rate_hz: int) -> np.ndarray:
    """Samples ``[first, last)`` of the packed buffer: each piece's samples, read from the
    call by ``read(piece, start, stop)`` (call samples), and silence between them."""
    out = np.zeros(last - first, dtype=np.float32)
    for piece in packed.pieces:
        at = round(piece.packed_start_s * sample_rate_hz)
        start = round(piece.source.start_s * sample_rate_hz)
        stop = round(piece.source.end_s * sample_rate_hz)
        if at + stop - start <= first or at >= last:
            continue
        out[at - first: at - first + stop - start] = read(piece, start, stop)
    return out


def _to_samples(interval: Interval, sample_rate_hz: int, length: int) -> tuple[int, int]:
    start = min(max(round(interval.start_s * sample_rate_hz), 0), length)
    return start, min(max(round(interval.end_s * sample_rate_hz), start), length)


def _split_long(read: Callable[[int, int], np.ndarray], span: tuple[int, int],
                max_len: int) -> list[tuple[int, int]]:
    """Cut a span longer than ``max_len`` samples at its quietest frame in each second half."""
    start, end = span
    cuts = []
    while end - start > max_len:
        low = start + max_len // 2
        cut = low + _quietest_offset(read(low, start + max_len))
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
    The samples are joined too when every pack has them.
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
        cursor += pack.length
    samples = None
    if all(pack.samples is not None for pack in packs):
        samples = (np.concatenate([pack.samples for pack in packs]) if packs
                   else np.zeros(0, dtype=np.float32))
    return PackedSpeech(pieces=tuple(pieces), clips_s=tuple(clips), length=cursor,
                        samples=samples), tuple(starts_s)


def with_spoken_time(packed: PackedSpeech, spoken_of: Callable[[SpeechPiece], np.ndarray]
                     ) -> PackedSpeech:
    """``packed`` with each piece's ``spoken_s``: its overlap with ``spoken_of(piece)``, the
    (n, 2) sorted, disjoint seconds its party speaks in."""
    def spoken_s(piece: SpeechPiece) -> float:
        spans = spoken_of(piece)
        low = int(np.searchsorted(spans[:, 1], piece.source.start_s, side="right"))
        high = int(np.searchsorted(spans[:, 0], piece.source.end_s, side="left"))
        piece_span = np.array([[piece.source.start_s, piece.source.end_s]])
        return intervals.total_duration_s(intervals.intersect(piece_span, spans[low:high]))

    return replace(packed, pieces=tuple(replace(piece, spoken_s=spoken_s(piece))
                                        for piece in packed.pieces))
