"""Turn-taking between two parties from their speech intervals.

Parties are float ``(n, 2)`` interval arrays in seconds (``a`` and ``b``); results name them by
index, 0 for ``a`` and 1 for ``b``. A *run* is one interval of one party (the activity stage
has already bridged short pauses inside it); a *turn* is a party's runs merged across pauses
of at most ``max_pause_s``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from audio_features.intervals import (as_intervals, durations_s, gaps, intersect, merge_close,
                                      subtract, total_duration_s, union)

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class OverlapFinding:
    """One stretch where both parties speak, judged from the entrant's side."""

    kind: str  # "interruption" | "backchannel" | "other"
    entrant: int  # 0 (a) or 1 (b): whose run started second
    start_s: float  # the entrant's start, which is where the overlap starts
    end_s: float  # end of the overlap
    overlap_s: float
    entrant_run_s: float  # length of the entrant's whole run
    holder_yielded: bool  # holder stopped within yield_window_s while the entrant went on


def overlaps(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Float ``(n, 2)`` seconds where both parties speak."""
    return intersect(a, b)


def classify_overlaps(a: np.ndarray, b: np.ndarray, *, interruption_min_overlap_s: float,
                      backchannel_max_s: float, yield_window_s: float,
                      simultaneous_start_s: float = 0.1) -> tuple[OverlapFinding, ...]:
    """Classify every overlapping pair of runs, sorted by start.

    The *entrant* is the party whose run started second; the *holder* had the floor.

    - Runs starting within ``simultaneous_start_s`` of each other: nobody held the floor, so
      "other" whatever the overlap; the entrant is the later starter (on an exact tie, the
      party with the shorter run).
    - "backchannel": the entrant's run lasts at most ``backchannel_max_s`` and the holder's
      run goes on after it ends, however long the overlap.
    - "interruption": not a backchannel, and the overlap lasts more than
      ``interruption_min_overlap_s``. This includes an entrant whose run outlasts the holder's
      (a take-over), but an early take-over that overlaps the end of the holder's run by less
      than the minimum is "other": normal turn-taking.
    - "other": everything else.

    ``holder_yielded`` is true when the holder's run ended within ``yield_window_s`` of the
    entrant's start while the entrant kept speaking past it.

    Args:
        a, b: float ``(n, 2)`` speech runs of each party, seconds.

    Returns:
        A tuple of :class:`OverlapFinding`, one per overlapping (a-run, b-run) pair.
    """
    a, b = as_intervals(a, name="a"), as_intervals(b, name="b")
    index_a, index_b = _overlapping_pairs(a, b)
    run_a, run_b = a[index_a], b[index_b]
    start_gap_s = run_b[:, 0] - run_a[:, 0]
    tie_entrant = durations_s(run_b) <= durations_s(run_a)
    entrant = np.where(start_gap_s != 0, start_gap_s > 0, tie_entrant).astype(int)
    entrant_run = np.where(entrant[:, None] == 1, run_b, run_a)
    holder_run = np.where(entrant[:, None] == 1, run_a, run_b)
    overlap_end_s = np.minimum(run_a[:, 1], run_b[:, 1])
    overlap_s = overlap_end_s - entrant_run[:, 0]
    simultaneous = np.abs(start_gap_s) <= simultaneous_start_s
    backchannel = ~simultaneous & (durations_s(entrant_run) <= backchannel_max_s) \
        & (holder_run[:, 1] > entrant_run[:, 1])
    interruption = ~simultaneous & ~backchannel & (overlap_s > interruption_min_overlap_s)
    yielded = (holder_run[:, 1] <= entrant_run[:, 0] + yield_window_s) \
        & (entrant_run[:, 1] > holder_run[:, 1])
    kind = np.where(backchannel, "backchannel", np.where(interruption, "interruption", "other"))
    entrant_run_s = durations_s(entrant_run)
    findings = [
        OverlapFinding(kind=str(kind[i]), entrant=int(entrant[i]),
                       start_s=float(entrant_run[i, 0]), end_s=float(overlap_end_s[i]),
                       overlap_s=float(overlap_s[i]), entrant_run_s=float(entrant_run_s[i]),
                       holder_yielded=bool(yielded[i]))
        for i in range(len(entrant))]
    return tuple(sorted(findings, key=lambda finding: finding.start_s))


def _overlapping_pairs(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Indices ``(i, j)`` of every run ``a[i]`` that overlaps ``b[j]`` (positive overlap)."""
    first = np.searchsorted(b[:, 1], a[:, 0], side="right")  # first b run ending after a starts
    stop = np.searchsorted(b[:, 0], a[:, 1], side="left")  # b runs starting before a ends
    counts = np.maximum(stop - first, 0)
    index_a = np.repeat(np.arange(len(a)), counts)
    index_b = np.repeat(first, counts) + np.arange(counts.sum()) - np.repeat(
        np.cumsum(counts) - counts, counts)
    return index_a, index_b


def merge_floor_pauses(own: np.ndarray, other: np.ndarray, *, max_pause_s: float,
                       trace_s: float = 0.2) -> np.ndarray:
    """Join ``own`` runs across pauses of at most ``max_pause_s`` that do not hand over the floor.

    A speaker who pauses for breath while nobody else speaks still holds the floor, so the
    runs on either side are one turn. A pause in which the other party speaks is normally a
    real turn boundary and is kept; up to ``trace_s`` of the other's speech in it does not
    count: the tail of a run the other was already ending, or the head of one the other began
    just before this speaker went on. A speaker who resumes within 0.2 s of the other's onset
    cannot be answering it (the fastest reaction to a voice takes about that long), so they
    were still in their own turn, and the other started inside it. One exception: a
    pause inside a single run of the other's that both sides of the pause overlap, when the
    later side outlasts that run, is a floor grab in two breaths ("Try? ... Last time you
    said that"), and is joined too.
    Float ``(n, 2)`` seconds.
    """
    own = as_intervals(own, name="own")
    theirs = as_intervals(other, name="other")
    if len(own) < 2:
        return own
    pauses = np.column_stack([own[:-1, 1], own[1:, 0]])
    short = durations_s(pauses) <= max_pause_s
    held = [pauses[i] for i in np.flatnonzero(short)
            if total_duration_s(intersect(pauses[i][None, :], theirs)) <= trace_s
            or _grabs_floor(own[i], own[i + 1], theirs)]
    return union(own, np.array(held).reshape(-1, 2))


def _grabs_floor(before: np.ndarray, after: np.ndarray, theirs: np.ndarray) -> bool:
    """Whether one run of ``theirs`` overlaps both ``before`` and ``after``, and ``after``
    goes on past it: the speaker kept talking over the other until the other gave way."""
    spanning = (theirs[:, 0] < before[1]) & (theirs[:, 1] > after[0])
    return bool(np.any(spanning & (theirs[:, 1] < after[1])))


def silences(a: np.ndarray, b: np.ndarray, *, start_s: float, end_s: float,
             min_silence_s: float) -> np.ndarray:
    """Float ``(n, 2)`` seconds within ``[start_s, end_s)`` where neither party speaks,
    keeping stretches of at least ``min_silence_s``."""
    quiet = gaps(union(a, b), start_s=start_s, end_s=end_s)
    return quiet[durations_s(quiet) >= min_silence_s]


def backchannel_mask(own: np.ndarray, other: np.ndarray, *, backchannel_max_s: float,
                     max_pause_s: float) -> np.ndarray:
    """Which runs of ``own`` are backchannels: ``(n_own,)`` bool over ``as_intervals(own)``.

    A backchannel lasts at most ``backchannel_max_s`` and lies inside a turn of ``other``
    (``other``'s runs merged across pauses up to ``max_pause_s``): the turn began before it
    and goes on after it, whether or not the two overlap.
    """
    own = as_intervals(own, name="own")
    turns = merge_close(as_intervals(other, name="other"), max_gap_s=max_pause_s)
    turn = np.searchsorted(turns[:, 0], own[:, 0], side="left") - 1  # turn begun strictly before
    found = turn >= 0
    inside = np.zeros(len(own), dtype=bool)
    inside[found] = own[found, 1] < turns[turn[found], 1]
    return inside & (durations_s(own) <= backchannel_max_s)


def response_latencies_s(responder: np.ndarray, other: np.ndarray, *, backchannel_max_s: float,
                         max_pause_s: float) -> np.ndarray:
    """Floor-transfer offsets: ``(n,)`` seconds from the end of ``other``'s run to the start of
    ``responder``'s run that takes the floor from it.

    Backchannels of either party (see :func:`backchannel_mask`) are ignored. A responder run
    takes the floor from the latest ``other`` run that started before it when it outlasts that
    run and the responder's previous run ended before that run did. Negative values are
    overlapping take-overs and are kept, as in conversation analysis (Heldner & Edlund 2010,
    "Pauses, gaps and overlaps in conversations"): dropping them would bias the median up.
    """
    own = as_intervals(responder, name="responder")
    theirs = as_intervals(other, name="other")
    own = own[~backchannel_mask(own, theirs, backchannel_max_s=backchannel_max_s,
                                max_pause_s=max_pause_s)]
    theirs = theirs[~backchannel_mask(theirs, own, backchannel_max_s=backchannel_max_s,
                                      max_pause_s=max_pause_s)]
    if len(own) == 0 or len(theirs) == 0:  # nobody to answer, or nothing said
        return np.zeros(0)
    source = np.searchsorted(theirs[:, 0], own[:, 0], side="left") - 1
    has_source = source >= 0
    source_end_s = np.where(has_source, theirs[np.maximum(source, 0), 1], np.inf)
    previous_end_s = np.concatenate(([-np.inf], own[:-1, 1]))
    takes_floor = has_source & (own[:, 1] > source_end_s) & (previous_end_s < source_end_s)
    return own[takes_floor, 0] - source_end_s[takes_floor]


def longest_monologue_s(own: np.ndarray, other: np.ndarray, *, max_pause_s: float,
                        backchannel_max_s: float) -> float:
    """Longest stretch (seconds) of ``own`` speech, pauses up to ``max_pause_s`` included,
    during which ``other`` says nothing but backchannels. 0.0 when ``own`` never speaks."""
    own = as_intervals(own, name="own")
    theirs = as_intervals(other, name="other")
    interjections = theirs[~backchannel_mask(theirs, own, backchannel_max_s=backchannel_max_s,
                                             max_pause_s=max_pause_s)]
    pieces = subtract(merge_close(own, max_gap_s=max_pause_s), interjections)
    spoken = intersect(pieces, own)
    if len(spoken) == 0:
        return 0.0
    # Trim each piece to the own speech inside it, so a pause at a cut does not count.
    piece = np.searchsorted(pieces[:, 0], spoken[:, 0], side="right") - 1
    first_s = np.full(len(pieces), np.inf)
    last_s = np.full(len(pieces), -np.inf)
    np.minimum.at(first_s, piece, spoken[:, 0])
    np.maximum.at(last_s, piece, spoken[:, 1])
    return float(np.max(last_s - first_s))
