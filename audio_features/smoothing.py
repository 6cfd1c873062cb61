"""Running statistics over frame tracks that have gaps (NaN where a frame has no value)."""

from __future__ import annotations

import numpy as np


def running_median(values: np.ndarray, *, window: int, min_count: int) -> np.ndarray:
    """Centred running median ignoring NaN; NaN where fewer than ``min_count`` values.

    Vectorised over a sliding view; written out because ``np.nanmedian`` warns on all-NaN
    windows.
    """
    half = window // 2
    padded = np.concatenate([np.full(half, np.nan), values, np.full(half, np.nan)])
    windows = np.sort(np.lib.stride_tricks.sliding_window_view(padded, window), axis=1)
    count = np.sum(np.isfinite(windows), axis=1)  # sort puts NaN last: values come first
    low = np.take_along_axis(windows, np.maximum((count - 1) // 2, 0)[:, None], axis=1)[:, 0]
    high = np.take_along_axis(windows, np.maximum(count // 2, 0)[:, None], axis=1)[:, 0]
    # Odd counts pick the same element twice; even counts average the middle two.
    return np.where(count >= min_count, (low + high) / 2, np.nan)
