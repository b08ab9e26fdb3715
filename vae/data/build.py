"""From a table to a Dataset: validate the chosen columns, handle missing values, subsample.

Every problem raises ``DataError`` with a one-line message that says what is
wrong and what to do (the rows and columns at fault, and the fix).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from vae.config import DataConfig, MissingValues, Scaling
from vae.data import columns as roles
from vae.data.csv_reader import Table, names_text, read_table
from vae.data.dataset import (
    MAX_ROWS,
    MIN_ROWS,
    DataError,
    Dataset,
    check_values,
    line_list,
    make_dataset,
    out_of_memory_as,
    out_of_memory_error,
)


@out_of_memory_as(out_of_memory_error)
def build_dataset(
    table: Table,
    columns: Sequence[str] | None = None,
    *,
    label_column: str | None = None,
    scaling: Scaling = "zscore",
    max_rows: int = MAX_ROWS,
    subsample_seed: int | None = None,
    missing: MissingValues = "drop",
) -> Dataset:
    """Validate the chosen columns of a ``Table`` and make a ``Dataset``.

    Rows with a missing, non-numeric, NaN or infinite value in a chosen column
    are dropped and reported in ``Dataset.warnings`` (count and first line
    numbers); with ``missing="median"`` missing cells are filled with their
    column's median instead (infinite values still drop their row).

    Args:
        table: from ``read_table``.
        columns: at least 2 numeric columns (default: ``table.roles().modelled``).
        label_column: optional column used only for colour; if it is among
            ``columns`` it is removed from them (and a note says so).
        missing: "drop" rows with missing values, or fill them with the "median".
        scaling: "zscore", "minmax" or "none", stored with the dataset.
        max_rows: more rows than this raise ``DataError(kind="too_many_rows")``
            unless ``subsample_seed`` is given.
        subsample_seed: keep a seeded random subset of ``max_rows`` rows.

    Raises:
        DataError: too few rows or numeric columns, unknown or duplicate
            columns, a constant column, values too large, too many rows.
    """
    label = repr(table.name) if table.name and table.name != "the file" else "The file"
    if table.n_rows == 0:
        raise DataError(
            f"{label} has a header row but no data rows. Add at least {MIN_ROWS} rows of numbers.", "no_rows"
        )
    if table.n_rows < MIN_ROWS:
        raise DataError(
            f"{label} has only 1 data row; a dataset needs at least {MIN_ROWS}. Add more rows.", "one_row"
        )
    if not table.numeric:
        raise DataError(
            f"{label} has no numeric columns (columns: {names_text(table.columns)}). Check that it "
            "holds numbers and that the delimiter and decimal mark are standard.",
            "no_numeric",
        )
    if len(table.numeric) < 2:
        raise DataError(
            f"{label} has only one numeric column ({table.numeric[0]!r}); a dataset needs at "
            "least 2. Add another numeric column.",
            "one_numeric",
        )
    columns = table.roles().modelled if columns is None else columns
    columns, label_note = roles.split_label(columns, label_column)
    unknown = [c for c in columns if c not in table.frame.columns]
    if unknown:
        raise DataError(
            f"No column named {names_text(unknown)}. Columns are: {names_text(table.columns)}.", "columns"
        )
    not_numeric = [c for c in columns if c not in table.numeric]
    if not_numeric:
        raise DataError(
            f"Column(s) {names_text(not_numeric)} are not numeric. Numeric columns: "
            f"{names_text(table.numeric) or 'none'}.",
            "columns",
        )
    if len(columns) < 2 or len(set(columns)) != len(columns):
        raise DataError(
            f"Choose at least 2 different numeric columns. Received: {names_text(columns)}", "columns"
        )
    if label_column is not None and label_column not in table.frame.columns:
        raise DataError(
            f"No label column named {label_column!r}. Columns are: {names_text(table.columns)}.", "columns"
        )
    values = np.empty((table.n_rows, len(columns)), np.float64, order="F")  # contiguous columns: fast checks
    for j, c in enumerate(columns):
        values[:, j] = table.frame[c].to_numpy(np.float64, na_value=np.nan)
    index = table.frame.index.to_numpy()
    notes: list[str] = [*table.notes, *([label_note] if label_note else [])]
    warnings = list(table.guesses)
    if missing == "median":
        notes += _fill_with_median(values, columns)
    finite = np.isfinite(values)
    if not finite.all():
        bad = ~finite.all(axis=1)
        nan_rows = np.isnan(values).any(axis=1) & bad
        n_bad = int(bad.sum())
        kinds = " or ".join(
            k
            for k, there in (
                ("missing, NaN or non-numeric", nan_rows.any()),
                ("infinite", (bad & ~nan_rows).any()),
            )
            if there
        )
        if n_bad == len(values):
            raise DataError(
                f"Every row of {label} has {kinds} values in {names_text(columns)}; "
                "nothing is left. Check the columns and the decimal mark.",
                "all_dropped",
            )
        warnings.append(
            f"Dropped {n_bad:,} row(s) with {kinds} values in {names_text(columns)} (line(s) "
            f"{line_list(index[bad], table.first_line)})."
        )
        values, index = values[~bad], index[~bad]
        if len(values) < MIN_ROWS:
            raise DataError(
                f"Only {len(values)} row(s) of {label} are complete; a dataset needs at least "
                f"{MIN_ROWS}. Fix the missing values.",
                "one_row",
            )
    if len(values) > max_rows:
        if subsample_seed is None:
            raise DataError(
                f"{label} has {len(values):,} rows, more than the {max_rows:,} limit. Use a seeded "
                f"random subsample of {max_rows:,} rows, or upload fewer rows.",
                "too_many_rows",
            )
        keep = np.sort(np.random.default_rng(subsample_seed).choice(len(values), max_rows, replace=False))
        warnings.append(
            f"Kept a random subsample of {max_rows:,} of {len(values):,} rows (seed {subsample_seed})."
        )
        values, index = values[keep], index[keep]
    check_values(values, columns, index + table.first_line)
    labels = None
    if label_column is not None:
        column = table.frame[label_column]
        if len(index) != len(column):  # rows dropped or subsampled
            column = column.loc[index]
        labels = roles.integral_labels(column.to_numpy())  # a CSV's 0.0, 1.0 read back as the classes 0, 1
    config = DataConfig(
        source="upload",
        preset="upload",
        n_samples=len(values),
        noise=0.0,
        columns=columns,
        label_column=label_column,
        scaling=scaling,
        name=table.name,
        missing=missing,
    )
    as_label = f"; label {label_column!r} (colour only)" if label_column is not None else ""
    # The table's own summary already says "Read N rows × M columns"; this says what is used of it.
    rows = (
        f"all {len(values):,} rows"
        if len(values) == table.n_rows
        else f"{len(values):,} of {table.n_rows:,} rows"
    )
    notes.insert(0, f"Modelling {names_text(columns)} on {rows}{as_label}.")
    return make_dataset(values, columns, config, labels=labels, notes=notes, warnings=warnings)


def _fill_with_median(values: np.ndarray, columns: Sequence[str]) -> list[str]:
    """Fill NaN cells of ``values`` in place with their column's median; say how many, per column."""
    filled = []
    for j, name in enumerate(columns):
        column = values[:, j]
        gaps = np.isnan(column)
        count = int(gaps.sum())
        if count and count < len(column):
            median = float(np.median(column[~gaps & np.isfinite(column)]))
            column[gaps] = median
            filled.append(f"{name!r} ({count:,} with {median:g})")
    if not filled:
        return []
    return [f"Filled missing values with the column median: {', '.join(filled)}."]


def load_csv(
    source: bytes | str | Path,
    *,
    columns: Sequence[str] | None = None,
    label_column: str | None = None,
    scaling: Scaling = "zscore",
    name: str = "",
    max_rows: int = MAX_ROWS,
    subsample_seed: int | None = None,
    max_bytes: int | None = None,
    missing: MissingValues = "drop",
) -> Dataset:
    """Read, validate and standardize a CSV or TSV file: ``read_table`` then ``build_dataset``.

    Example: ``load_csv("points.csv", columns=["x", "y"])``.

    Raises:
        DataError: with a one-line message saying what is wrong and what to do.
    """
    table = read_table(source, name=name, max_bytes=max_bytes)
    return build_dataset(
        table,
        columns,
        label_column=label_column,
        scaling=scaling,
        max_rows=max_rows,
        subsample_seed=subsample_seed,
        missing=missing,
    )
