"""Column roles of an uploaded table: which columns to model, which is the label, which to leave out.

The page and the CLI call the same ``propose_roles``, so ``python -m vae train
--data file.csv`` models the columns the Data page preselects. The rules, in
the order they apply to each column:

- a column of one value is left out (it carries no information);
- a numeric id (unique integers, named id / index / ..., or an unnamed
  0, 1, 2, ... column such as a saved pandas index) is left out;
- dates are left out (they are not measurements);
- a label is proposed from a text column, or an integer column with few
  distinct values named like class, label, target, species or y (a matching
  name wins over a text column that merely has few values);
- every other numeric column is modelled, up to ``MAX_DEFAULT_COLUMNS``.

Labels are only ever used for colour: ``split_label`` removes the label from
the modelled columns and says so, so the answer never leaks into the model.
``label_groups`` orders labels naturally (2 before 10) and shows integral
numbers as integers (0, 1, 2, not 0.0), for every legend.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

# Modelled by default at most: 64 fits 8 x 8 images (the digits preset) and keeps
# the bar view and the scatter-matrix choices readable. The user may pick more.
MAX_DEFAULT_COLUMNS = 64
# A label has few classes: more than this many distinct values reads as a measurement
# or free text, and the palette has only ten colours anyway.
MAX_LABEL_CLASSES = 20
_LABEL_NAME = re.compile(
    r"^(class|classes|label|labels|target|species|y|category|cluster|digit|kind|outcome|cultivar)$",
    re.I,
)
_ID_NAME = re.compile(r"^(id|idx|index|row|rownum|row_?id|row_?number|unnamed: ?\d+)$|(^|[_ ])id$", re.I)
_UNNAMED = re.compile(r"^column \d+$")  # what vae.data names a column with an empty header
_DATE = re.compile(
    r"^\d{4}-\d{1,2}-\d{1,2}([ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$"
    r"|^\d{1,2}[/.]\d{1,2}[/.]\d{2,4}( \d{1,2}:\d{2}(:\d{2})?)?$"
)
_SAMPLE = 2000  # cells looked at to call a text column dates, or a column few-valued


@dataclass(frozen=True)
class ColumnRoles:
    """What to do with each column of a table."""

    modelled: tuple[str, ...]  # the columns the model sees, in file order
    label: str | None  # the column used only for colour
    left_out: dict[str, str] = field(default_factory=dict)  # column -> why ("an id", "dates", ...)
    notes: tuple[str, ...] = ()  # what the user should know about the choice (the cap, ...)


def _present(column: pd.Series) -> pd.Series:
    return column.dropna() if column.hasnans else column


def _sample(column: pd.Series) -> pd.Series:
    present = _present(column)
    return present if len(present) <= _SAMPLE else present.iloc[:: max(1, len(present) // _SAMPLE)]


def _is_integral(values: np.ndarray) -> bool:
    return (
        bool(len(values)) and bool(np.all(np.isfinite(values))) and bool(np.all(values == np.round(values)))
    )


def _few_values(column: pd.Series) -> bool:
    """True if the column has at most ``MAX_LABEL_CLASSES`` distinct values (and more than one row each)."""
    present = _present(column)
    if present.iloc[: 10 * _SAMPLE].nunique() > MAX_LABEL_CLASSES:  # cheap early no on big tables
        return False
    count = present.nunique()
    return 1 < count <= MAX_LABEL_CLASSES and count < len(present)


def _is_id(name: str, values: np.ndarray) -> bool:
    """Unique integers under an id-like name, or 0, 1, 2, ... under no name (a saved row index)."""
    named, unnamed = bool(_ID_NAME.search(name.strip())), bool(_UNNAMED.match(name))
    if not (named or unnamed) or not _is_integral(values):
        return False
    consecutive = len(values) > 1 and bool(np.all(np.diff(values) == 1))
    return consecutive or (named and len(np.unique(values)) == len(values))


def _is_dates(column: pd.Series) -> bool:
    sample = _sample(column).astype(str).str.strip()
    return bool(len(sample)) and sample.str.match(_DATE).mean() > 0.9


def leave_out_reason(name: str, column: pd.Series, numeric: bool) -> str | None:
    """Why a column should not be modelled by default, or None if it should (numeric columns only)."""
    present = _present(column)
    if len(present) == 0:
        return "empty"
    if numeric:
        values = present.to_numpy(np.float64)
        if values.min() == values.max():
            return f"one value ({values[0]:g}) in every row"
        if _is_id(name, values):
            return "an id (unique integers)"
        return None
    if present.nunique() == 1:
        return f"one value ({str(present.iloc[0])[:40]!r}) in every row"
    if _is_dates(column):
        return "dates"
    return "text"


def propose_label(frame: pd.DataFrame, numeric: Sequence[str]) -> str | None:
    """The column proposed as label: a named integer or text class column, else a few-valued text one."""
    numeric_set = set(numeric)
    named, text = [], []
    for name in frame.columns:
        column = frame[name]
        if name in numeric_set:
            integral = _is_integral(_sample(column).to_numpy(np.float64))
            if _LABEL_NAME.match(str(name).strip()) and integral and _few_values(column):
                named.append(name)
        elif _few_values(column) and not _is_dates(column):
            (named if _LABEL_NAME.match(str(name).strip()) else text).append(name)
    return (named or text or [None])[0]


def propose_roles(
    frame: pd.DataFrame, numeric: Sequence[str], max_columns: int = MAX_DEFAULT_COLUMNS
) -> ColumnRoles:
    """Choose the modelled columns and the label of a table, saying why columns are left out.

    Every usable ``numeric`` column is modelled (in file order, at most ``max_columns``),
    except the label; the others are in ``left_out`` with a reason.
    """
    label = propose_label(frame, numeric)
    numeric_set = set(numeric)
    left_out: dict[str, str] = {}
    modelled: list[str] = []
    for name in frame.columns:
        if name == label:
            continue
        reason = leave_out_reason(str(name), frame[name], name in numeric_set)
        if reason is None:
            modelled.append(name)
        else:
            left_out[name] = reason
    if len(modelled) < 2:  # too few to propose: offer them all, so validation says what is wrong with them
        modelled = [c for c in frame.columns if c in numeric_set and c != label]
        left_out = {c: why for c, why in left_out.items() if c not in modelled}
    notes = []
    if len(modelled) > max_columns:
        notes.append(
            f"{len(modelled)} numeric columns: the first {max_columns} are modelled by default "
            f"(the limit for a default choice). Add or remove columns below."
        )
        modelled = modelled[:max_columns]
    return ColumnRoles(modelled=tuple(modelled), label=label, left_out=left_out, notes=tuple(notes))


def split_label(columns: Sequence[str], label: str | None) -> tuple[tuple[str, ...], str | None]:
    """Remove the label from the modelled columns.

    Returns:
        ``(columns without the label, message)``; the message says the label
        was removed from the inputs (None if it was not among them).
    """
    if label is None or label not in columns:
        return tuple(columns), None
    kept = tuple(c for c in columns if c != label)
    return kept, (
        f"{label!r} is the label, so it was removed from the modelled columns: a model that "
        "sees the answer learns nothing about the other columns."
    )


def _natural_key(text: str) -> list:
    # Digit runs compare as numbers by (length without leading zeros, digits): int() refuses runs
    # over 4,300 digits (a hostile label) and str.isdigit() also accepts "²", which int() refuses.
    # re.split with a group puts the digit runs at the odd positions.
    return [
        (0, len(part.lstrip("0")), part.lstrip("0")) if i % 2 else (1, 0, part.lower())
        for i, part in enumerate(re.split(r"(\d+)", text))
    ]


def label_text(value) -> str:
    """How a label reads in a legend: integral numbers as integers ("2", not "2.0")."""
    if isinstance(value, (float, np.floating)) and np.isfinite(value) and float(value).is_integer():
        return str(int(value))
    return str(value)


def label_groups(labels: np.ndarray) -> tuple[list[str], np.ndarray]:
    """Distinct labels (n,), numbers or text, in natural order (2 before 10) and each row's index into them.

    Returns:
        ``(names, codes)``: display names (integral numbers without ".0"), and
        (n,) int codes with ``names[codes[i]]`` the label of row i.
    """
    labels = np.asarray(labels).reshape(-1)
    if labels.dtype.kind in "biuf":
        uniques, codes = np.unique(labels, return_inverse=True)  # numeric order: 2 before 10
        return [label_text(v) for v in uniques], codes.reshape(-1)
    # factorize keeps text as Python objects: no rows x longest-cell array (see DESIGN.md).
    codes, uniques = pd.factorize(pd.Series(labels, dtype=object).map(label_text), use_na_sentinel=False)
    names = [str(u) for u in uniques]
    order = sorted(range(len(names)), key=lambda i: _natural_key(names[i]))
    rank = np.empty(len(order), np.int64)
    rank[order] = np.arange(len(order))
    return [names[i] for i in order], rank[codes]


def integral_labels(labels: np.ndarray) -> np.ndarray:
    """Integer labels when every value is a whole number (a CSV's 0.0, 1.0 come back as 0, 1)."""
    labels = np.asarray(labels)
    if labels.dtype.kind == "f" and _is_integral(labels) and np.abs(labels).max(initial=0) < 2**53:
        return labels.astype(np.int64)
    return labels
