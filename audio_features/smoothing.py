"""Running statistics over frame tracks that have gaps (NaN where a frame has no value)."""

from __future__ import annotations

import numpy as np


_BLOCK = 1 << 15  # values per sorted block: the sorted windows are block x window floats


def running_median(values: np.ndarray, *, window: int, min_count: int) -> np.ndarray:
    """Centred running median ignoring NaN; NaN where fewer than ``min_count`` values.

    Vectorised over a sliding view, a block of values at a time (a four-hour track's windows,
    sorted at once, would take hundreds of MB); written out because ``np.nanmedian`` warns on
    all-NaN windows.
    """
    half = window // 2
    values = np.asarray(values, dtype=float)
    padded = np.concatenate([np.full(half, np.nan), values, np.full(half, np.nan)])
    if values.size == 0:
        return np.zeros(0)
    return np.concatenate([_block_median(padded[first: first + _BLOCK + 2 * half],
                                         window=window, min_count=min_count)
                           for first in range(0, values.size, _BLOCK)])


def _block_median(padded: np.ndarray, *, window: int, min_count: int) -> np.ndarray:
    windows = np.sort(np.lib.stride_tricks.sliding_window_view(padded, window), axis=1)
    count = np.sum(np.isfinite(windows), axis=1)  # sort puts NaN last: values come first
    low = np.take_along_axis(windows, np.maximum((count - 1) // 2, 0)[:, None], axis=1)[:, 0]
    high = np.take_along_axis(windows, np.maximum(count // 2, 0)[:, None], axis=1)[:, 0]
    # Odd counts pick the same element twice; even counts average the middle two.
    return np.where(count >= min_count, (low + high) / 2, np.nan)
