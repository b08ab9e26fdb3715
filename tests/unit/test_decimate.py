"""Min-max decimation of live curves (vae/core/decimate.py)."""

from __future__ import annotations

import numpy as np
import pytest

from vae.core.decimate import MAX_POINTS, decimate_indices


@pytest.mark.parametrize("n", [1_001, 5_000, 100_000, 123_457])
def test_point_count_is_bounded_and_ends_kept(n):
    rng = np.random.default_rng(n)
    x = np.arange(1, n + 1)
    y = np.cumsum(rng.standard_normal(n)) + 100.0
    keep = decimate_indices(y)
    xs, ys = x[keep], y[keep]
    assert 4 <= len(xs) <= MAX_POINTS
    assert (xs[0], ys[0]) == (x[0], y[0])
    assert (xs[-1], ys[-1]) == (x[-1], y[-1])
    assert np.all(np.diff(xs) > 0)  # original order, no duplicates


def test_global_and_every_bucket_extremes_are_kept():
    rng = np.random.default_rng(0)
    n = 50_000
    y = rng.standard_normal(n)
    y[12_345] = 40.0  # a one-epoch spike
    y[33_333] = -40.0  # and a dip
    keep = decimate_indices(y, 200)
    assert {12_345, 33_333} <= set(keep.tolist())
    assert y[keep].max() == y.max() and y[keep].min() == y.min()
    # Each bucket's extremes: any window of the interior as wide as a bucket has its max within
    # the kept points of the buckets it touches, so the kept envelope covers the curve.
    size = -(-(n - 2) // 99)
    for start in range(1, n - 1, size):
        window = y[start : start + size]
        in_window = keep[(keep >= start) & (keep < start + size)]
        assert y[in_window].max() == window.max()
        assert y[in_window].min() == window.min()


def test_short_curves_are_untouched_and_nan_is_tolerated():
    y = np.array([3.0, np.nan, 1.0, 2.0])
    assert decimate_indices(y).tolist() == [0, 1, 2, 3]
    y = np.full(10_000, np.nan)
    y[5_000] = 1.0
    keep = decimate_indices(y, 100)
    assert 5_000 in keep and len(keep) <= 100


def test_bad_arguments_say_what_is_wrong():
    with pytest.raises(ValueError, match="max_points must be at least 4"):
        decimate_indices(np.zeros(10), 2)
