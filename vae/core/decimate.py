"""Thin a long curve to a bounded number of points without losing its spikes.

A run of 100,000 epochs has 100,000 points per loss curve; a chart a few
hundred pixels wide cannot show more than a few per pixel, and sending them
all makes every live update cost more than the last. ``decimate_indices`` keeps the
first and last points and, in each of ``max_points // 2`` equal buckets in
between, the minimum and the maximum (in their original order), so a spike or
a dip survives at any zoom the chart can show. This is the classic min-max
("M4"-like) downsampling used by time-series plotters.
"""

from __future__ import annotations

import numpy as np

MAX_POINTS = 1000  # per curve: more than a live chart's width in pixels, so nothing visible is lost


def decimate_indices(y: np.ndarray, max_points: int = MAX_POINTS) -> np.ndarray:
    """Which indices of ``y`` to keep: first, last, and each bucket's minimum and maximum.

    Args:
        y: 1-D values in x order (NaN allowed: a bucket of only NaN keeps its first index).
        max_points: at most this many indices are returned (>= 4).

    Returns:
        Sorted, distinct int64 indices into ``y``; all of them when ``len(y) <= max_points``.

    Raises:
        ValueError: if ``max_points < 4`` or ``y`` is not 1-D.
    """
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(f"decimate_indices expects a 1-D array. Received: shape={y.shape}")
    if max_points < 4:
        raise ValueError(
            f"max_points must be at least 4 (first, last, one min and max). Received: {max_points}"
        )
    n = len(y)
    if n <= max_points:
        return np.arange(n, dtype=np.int64)
    inner = n - 2
    n_buckets = (max_points - 2) // 2
    size = -(-inner // n_buckets)  # ceil: equal buckets, the last one padded
    n_buckets = -(-inner // size)
    # Pad the interior by repeating its last index, so the buckets form a (n_buckets, size) grid.
    index = np.minimum(np.arange(n_buckets * size) + 1, n - 2).reshape(n_buckets, size)
    values = y.astype(np.float64, copy=False)[index]
    finite = np.isfinite(values)
    low = np.where(finite, values, np.inf).argmin(axis=1)
    high = np.where(finite, values, -np.inf).argmax(axis=1)
    rows = np.arange(n_buckets)
    kept = np.concatenate(([0], index[rows, low], index[rows, high], [n - 1]))
    return np.unique(kept)
