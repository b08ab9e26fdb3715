"""A run's loss history as growing NumPy columns, for live charts whose cost stays flat.

``Run.history`` is a list of dicts, one per epoch. Turning 100,000 of them
into arrays on every live update would cost tens of milliseconds and grow with
the run; ``Curves`` reads only the records added since its last update and
appends them to preallocated columns (doubling when full), so an update costs
the same at epoch 100 and epoch 100,000. Charts then draw ``decimated``
columns (``vae.core.decimate``): at most ~1,000 points per curve.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from vae.core.decimate import MAX_POINTS, decimate_indices

# Columns kept from each epoch record (others are ignored): losses in nats per point, and the
# settings that may change between epochs (marked on the charts).
KEYS = ("loss", "recon", "kl", "val_loss", "val_recon", "val_kl", "beta", "learning_rate")


class Curves:
    """Columns ``epoch`` and ``KEYS`` of a history, appended incrementally.

    Example:
        >>> curves = Curves()
        >>> curves.update(run.history)  # call on every live update; reads only new records
        >>> x, y = curves.decimated("loss")
    """

    def __init__(self, capacity: int = 1024):
        self.n = 0
        self._epoch = np.zeros(capacity, np.int64)
        self._columns = {key: np.full(capacity, np.nan) for key in KEYS}
        self._changes: dict[str, list[tuple[int, float]]] = {key: [] for key in KEYS}
        self._last: dict[str, float] = {}  # each column's last finite value (if it had one)

    def update(self, history: list[dict[str, Any]]) -> int:
        """Append the records of ``history`` not seen yet; returns how many were added.

        ``history`` must be the same list as before, only longer (a run's
        history only grows); a shorter one starts over.
        """
        if len(history) < self.n:
            self.__init__()
        new = history[self.n :]
        if not new:
            return 0
        need = self.n + len(new)
        if need > len(self._epoch):
            size = max(need, 2 * len(self._epoch))
            # np.resize fills the new part with repeats: every column's new rows are written below.
            self._epoch = np.resize(self._epoch, size)
            self._columns = {key: np.resize(column, size) for key, column in self._columns.items()}
        self._epoch[self.n : need] = [int(r["epoch"]) for r in new]
        for key, column in self._columns.items():
            values = [_number(r.get(key)) for r in new]
            column[self.n : need] = values
            for record, value in zip(new, values, strict=True):  # setting changes, found once
                if value == value:  # not NaN
                    last = self._last.get(key)
                    if last is not None and value != last:
                        self._changes[key].append((int(record["epoch"]), value))
                    self._last[key] = value
        self.n = need
        return len(new)

    @property
    def epochs(self) -> np.ndarray:
        return self._epoch[: self.n]

    def column(self, key: str) -> np.ndarray:
        """All values of ``key`` (NaN where a record lacks it), a view."""
        return self._columns[key][: self.n]

    def has(self, key: str) -> bool:
        """Whether any record had a finite ``key``."""
        return key in self._last

    def decimated(self, key: str, max_points: int = MAX_POINTS) -> tuple[np.ndarray, np.ndarray]:
        """``(epochs, values)`` of ``key`` thinned to at most ``max_points``, keeping minima and maxima."""
        y = self.column(key)
        keep = decimate_indices(y, max_points)
        return self.epochs[keep], y[keep]

    def changes(self, key: str) -> list[tuple[int, float]]:
        """``(epoch, new value)`` wherever ``key`` differs from its previous finite value (setting changes)."""
        return list(self._changes[key])


def _number(value: Any) -> float:
    try:
        value = float(value)
    except (TypeError, ValueError):
        return math.nan
    return value if math.isfinite(value) else math.nan
