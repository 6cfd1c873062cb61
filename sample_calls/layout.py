"""Place synthesised turns on the call's timeline and derive the ground-truth events.

Pure arithmetic on clip durations: no audio is touched here, so the ground truth depends only on
the scripts, the clip lengths and the call's seed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sample_calls.scripts import Line

LEAD_IN_S = (0.4, 0.8)  # silence before the agent's greeting
GAP_S = (0.25, 1.1)  # between ordinary turns: never an accidental overlap, never a long silence
BACKCHANNEL_MARGIN_S = 0.4  # a backchannel stays this far inside its host turn
BACKCHANNEL_S = (0.3, 0.9)
MIN_INTERRUPTER_S = 1.5
MIN_INTERRUPTED_BEFORE_S = 1.0  # the interrupted party had been speaking at least this long
MAX_RAISED_SHARE = 0.35  # raised speech as a share of that speaker's speech
MIN_RAISED_S = 1.5
LONG_SILENCE_S = 5.0


@dataclass(frozen=True, slots=True, kw_only=True)
class PlacedTurn:
    speaker: str
    start_s: float
    end_s: float
    text: str
    style: str


def _backchannel_start_s(line: Line, host: PlacedTurn, duration_s: float) -> float:
    start_s = host.start_s + line.at * (host.end_s - host.start_s)
    low_s = host.start_s + BACKCHANNEL_MARGIN_S
    high_s = host.end_s - BACKCHANNEL_MARGIN_S - duration_s
    if not BACKCHANNEL_S[0] <= duration_s <= BACKCHANNEL_S[1]:
        raise ValueError(f"backchannel {line.text!r} lasts {duration_s:.2f} s, not {BACKCHANNEL_S}")
    if not low_s <= start_s <= high_s:
        raise ValueError(f"backchannel {line.text!r} at {start_s:.2f} s does not fit in its host")
    return start_s


def _interrupt_start_s(line: Line, host: PlacedTurn, duration_s: float) -> float:
    start_s = host.end_s - line.overlap_s
    if host.speaker == line.speaker:
        raise ValueError(f"{line.text!r} interrupts its own speaker")
    if duration_s < MIN_INTERRUPTER_S or start_s - host.start_s < MIN_INTERRUPTED_BEFORE_S:
        raise ValueError(f"{line.text!r} is too short, or starts too early in the interrupted turn")
    return start_s


def place_turns(
    lines: tuple[Line, ...], durations_s: list[float], *, seed: int, rate_hz: int
) -> list[PlacedTurn]:
    """Start and end times of every line, in speaking order (backchannels right after their host).

    Starts fall on whole samples at ``rate_hz``, so the times are exactly where the clips land.
    """
    rng = np.random.default_rng(seed)
    placed: list[PlacedTurn] = []
    host: PlacedTurn | None = None  # the latest turn that holds the floor
    for line, duration_s in zip(lines, durations_s, strict=True):
        if host is None:
            start_s = float(rng.uniform(*LEAD_IN_S))
        elif line.cue == "backchannel":
            start_s = _backchannel_start_s(line, host, duration_s)
        elif line.cue == "interrupt":
            start_s = _interrupt_start_s(line, host, duration_s)
        else:
            floor_end_s = max(turn.end_s for turn in placed)
            gap_s = line.gap_s if line.gap_s is not None else float(rng.uniform(*GAP_S))
            start_s = floor_end_s + gap_s
        start_s = round(start_s * rate_hz) / rate_hz
        turn = PlacedTurn(
            speaker=line.speaker, start_s=start_s, end_s=start_s + duration_s, text=line.text, style=line.style
        )
        placed.append(turn)
        if line.cue != "backchannel":
            host = turn
    return placed


def _silences(turns: list[PlacedTurn], *, min_s: float) -> list[tuple[float, float]]:
    spans = sorted((turn.start_s, turn.end_s) for turn in turns)
    silences, covered_until_s = [], spans[0][1]
    for start_s, end_s in spans[1:]:
        if start_s - covered_until_s >= min_s:
            silences.append((covered_until_s, start_s))
        covered_until_s = max(covered_until_s, end_s)
    return silences


def _floor_holder_before(
    lines: tuple[Line, ...], turns: list[PlacedTurn], *, index: int
) -> PlacedTurn:
    """The latest turn before ``index`` that held the floor (backchannels never do)."""
    for line, turn in zip(reversed(lines[:index]), reversed(turns[:index])):
        if line.cue != "backchannel":
            return turn
    raise ValueError(f"line {index} interrupts nobody")


def derive_events(lines: tuple[Line, ...], turns: list[PlacedTurn]) -> list[dict]:
    """Interruptions, backchannels, raised voice and long silences, sorted by start time."""
    events: list[dict] = []
    for index, (line, turn) in enumerate(zip(lines, turns, strict=True)):
        span = {"speaker": turn.speaker, "start_s": turn.start_s, "end_s": turn.end_s}
        if line.cue == "interrupt":
            interrupted = _floor_holder_before(lines, turns, index=index)
            overlap = {"end_s": interrupted.end_s, "interrupted": interrupted.speaker}
            events.append({"type": "interruption", **span, **overlap})
        if line.style == "backchannel":
            events.append({"type": "backchannel", **span})
        if line.style == "raised":
            events.append({"type": "raised_voice", **span})
    for start_s, end_s in _silences(turns, min_s=LONG_SILENCE_S):
        events.append({"type": "long_silence", "speaker": None, "start_s": start_s, "end_s": end_s})
    return sorted(events, key=lambda event: (event["start_s"], event["type"]))


def check_layout(turns: list[PlacedTurn]) -> None:
    """Refuse a call whose raised speech would dominate its speaker's own baseline."""
    for speaker in ("agent", "customer"):
        own = [turn for turn in turns if turn.speaker == speaker]
        raised = [turn for turn in own if turn.style == "raised"]
        total_s = sum(turn.end_s - turn.start_s for turn in own)
        raised_s = sum(turn.end_s - turn.start_s for turn in raised)
        if raised_s > MAX_RAISED_SHARE * total_s:
            raise ValueError(f"{speaker} is raised {raised_s:.1f} of {total_s:.1f} s; add calm speech")
        if any(turn.end_s - turn.start_s < MIN_RAISED_S for turn in raised):
            raise ValueError(f"a raised {speaker} turn is shorter than {MIN_RAISED_S} s")
