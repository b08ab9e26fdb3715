"""The Dataset every source ends up as, its Standardizer, and the limits on values.

Every dataset, whatever its source (a preset, a drawing, an uploaded CSV), ends
up as a ``Dataset``: finite float64 values in the user's original units plus a
``Standardizer`` fitted on them, so plots show original units while the model
trains on standardized float32 values.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from vae.config import DataConfig, Scaling

MAX_ROWS = 1_000_000  # more than this: refuse, or take a seeded subsample
MIN_ROWS = 2
MAX_ABS_VALUE = 1e15  # beyond this float32 training loses the data (and its squared error overflows)
# A column must vary by more than this: the squares of smaller differences underflow float64
# (below 2.2e-308), so the z-score scale comes out 0 and the column standardizes to all zeros
# (1e-320, 2e-320, ... did, silently).
MIN_SPREAD = 1e-150


@dataclass(frozen=True)
class Standardizer:
    """Per-column affine map between original units and training units.

    ``transform(x) = (x - offset) / scale``; ``inverse_transform`` undoes it.
    """

    offset: np.ndarray
    scale: np.ndarray
    method: Scaling = "zscore"

    @classmethod
    def fit(cls, values: np.ndarray, method: Scaling = "zscore") -> Standardizer:
        """Fit per-column offset and scale; a constant column gets scale 1 (no division by 0)."""
        # A few columns are copied to contiguous rows first: a reduction over axis 0 of an (n, 2)
        # C-ordered array is strided and several times slower.
        columns = np.asarray(values, np.float64).T
        columns = np.ascontiguousarray(columns) if len(columns) <= 8 else columns
        if method == "zscore":
            offset, scale = columns.mean(axis=1), columns.std(axis=1)
        elif method == "minmax":
            offset, scale = columns.min(axis=1), np.ptp(columns, axis=1)
        else:
            offset, scale = np.zeros(len(columns)), np.ones(len(columns))
        scale = np.where(scale > 0, scale, 1.0)
        return cls(offset=offset, scale=scale, method=method)

    def transform(self, values: np.ndarray) -> np.ndarray:
        return ((np.asarray(values, np.float64) - self.offset) / self.scale).astype(np.float32)

    def inverse_transform(self, values: np.ndarray) -> np.ndarray:
        return np.asarray(values, np.float64) * self.scale + self.offset

    def to_dict(self) -> dict:
        return {"method": self.method, "offset": self.offset.tolist(), "scale": self.scale.tolist()}

    @classmethod
    def from_dict(cls, data: dict) -> Standardizer:
        return cls(
            offset=np.asarray(data["offset"], np.float64),
            scale=np.asarray(data["scale"], np.float64),
            method=data["method"],
        )


@dataclass(frozen=True)
class Dataset:
    """A validated dataset in original units, with how to standardize it."""

    values: np.ndarray  # (n, D) float64, original units, all finite
    columns: tuple[str, ...]
    standardizer: Standardizer  # fitted on values with config.scaling
    config: DataConfig  # where the data came from
    labels: np.ndarray | None = None  # (n,), used only for colour
    notes: tuple[str, ...] = ()  # what loading did (rows read, columns used, ...)
    # What the user may want to fix: rows dropped, columns renamed, encoding guessed, subsampled.
    warnings: tuple[str, ...] = ()

    @property
    def n_rows(self) -> int:
        return int(self.values.shape[0])

    @property
    def n_dims(self) -> int:
        return int(self.values.shape[1])

    @property
    def name(self) -> str:
        return self.config.name or self.config.preset

    def standardized(self) -> np.ndarray:
        """float32 (n, D) training values."""
        return self.standardizer.transform(self.values)


def make_dataset(
    values: np.ndarray, columns, config: DataConfig, labels=None, notes=(), warnings=()
) -> Dataset:
    """Wrap validated values in a ``Dataset``, fitting its standardizer with ``config.scaling``."""
    values = np.asarray(values, np.float64)
    standardizer = Standardizer.fit(values, config.scaling)
    return Dataset(
        values=np.ascontiguousarray(values),
        columns=tuple(columns),
        standardizer=standardizer,
        config=config,
        labels=None if labels is None else np.asarray(labels),
        notes=tuple(notes),
        warnings=tuple(warnings),
    )


def rescale(dataset: Dataset, scaling: Scaling) -> Dataset:
    """The same data with a standardizer refitted for ``scaling`` ("zscore", "minmax" or "none")."""
    if scaling == dataset.config.scaling:
        return dataset
    config = dataset.config.replace(scaling=scaling)
    return replace(dataset, config=config, standardizer=Standardizer.fit(dataset.values, scaling))


class DataError(ValueError):
    """A dataset that cannot be used, with a one-line message saying what to do.

    Attributes:
        kind: a short machine-readable reason (e.g. ``"too_many_rows"``), so the
            UI can offer a fix (a seeded subsample) without parsing the text.
    """

    def __init__(self, message: str, kind: str = "invalid") -> None:
        super().__init__(message)
        self.kind = kind


def out_of_memory_as(error: Callable[[], Exception]) -> Callable[[Callable], Callable]:
    """A decorator: a ``MemoryError`` inside the function is raised as ``error()`` instead.

    Readers of untrusted input use it so that running out of memory reaches
    the user as their usual one-line message (the page keeps what it had, the
    CLI exits 2), never as a traceback.
    """

    def decorate(function: Callable) -> Callable:
        @functools.wraps(function)
        def guarded(*args, **kwargs):
            try:
                return function(*args, **kwargs)
            except MemoryError as err:
                raise error() from err

        return guarded

    return decorate


def out_of_memory_error() -> DataError:
    return DataError(
        "Reading the file ran out of memory. Upload a smaller file (fewer rows or columns), "
        "or close other programs and try again.",
        "memory",
    )


def dataset_frame(dataset: Dataset) -> pd.DataFrame:
    """The dataset as a table in original units, labels last (in a column named as uploaded, or "label")."""
    frame = pd.DataFrame(dataset.values, columns=list(dataset.columns))
    if dataset.labels is not None:
        name = dataset.config.label_column or "label"
        while name in frame.columns:
            name += "_"
        frame[name] = dataset.labels
    return frame


def to_csv_bytes(dataset: Dataset) -> bytes:
    """The dataset as UTF-8 CSV, exactly: ``load_csv`` reads it back unchanged (run bundles use it).

    Downloads for people go through ``vae.data.spreadsheet.csv_bytes`` instead (formula-safe text).
    """
    # float_format=None writes repr(), which round-trips float64 exactly.
    return dataset_frame(dataset).to_csv(index=False, lineterminator="\n").encode("utf-8")


def line_list(index: np.ndarray, first_line: int, limit: int = 5) -> str:
    shown = ", ".join(str(int(i) + first_line) for i in index[:limit])
    return shown + (", ..." if len(index) > limit else "")


def check_values(values: np.ndarray, columns: Sequence[str], lines: np.ndarray) -> None:
    """Raise ``DataError`` for values too large for float32 training or constant columns."""
    for j, col in enumerate(columns):
        column = values[:, j]
        low, high = float(column.min()), float(column.max())
        worst = max(-low, high)
        if worst > MAX_ABS_VALUE:
            f32 = " (beyond float32's 3.4e38)" if worst > float(np.finfo(np.float32).max) else ""
            raise DataError(
                f"Column {col!r} has values up to {worst:.3g}{f32} on line(s) "
                f"{line_list(lines[np.abs(column) > MAX_ABS_VALUE], 0)}; values beyond ±{MAX_ABS_VALUE:.0e} cannot be "
                "trained in float32. Rescale the column (other units) or remove those rows.",
                "too_large_values",
            )
        if low == high:
            raise DataError(
                f"Column {col!r} is constant (every value is {column[0]:g}), so it carries "
                "no information and cannot be standardized. Choose another column.",
                "constant",
            )
        if high - low < MIN_SPREAD:
            raise DataError(
                f"Column {col!r} varies only between {low:.3g} and {high:.3g}, too little for "
                "floating point to standardize (it would become all zeros). Rescale the column "
                "(other units) or choose another column.",
                "too_small_spread",
            )
