"""How a preview shows data with more than two columns: a PCA projection, two columns, or a scatter matrix.

Pure NumPy and scikit-learn (no Streamlit, no Plotly): the Data and Train
previews fit a ``Projection`` once and apply it to the data, their
reconstructions and samples alike, so all of them land in the same plane.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

ViewKind = Literal["pca", "columns", "matrix"]
VIEW_TITLES: dict[str, str] = {
    "pca": "PCA projection (2-D)",
    "columns": "Two columns",
    "matrix": "Scatter matrix",
}
MAX_MATRIX_COLUMNS = 6  # a 6 x 6 grid of panels is still readable at preview size
MAX_FIT_ROWS = 50_000  # PCA on a seeded subsample: the plane differs by < 1e-3 and fitting stays < 50 ms


@dataclass(frozen=True)
class ViewChoice:
    """What the user picked: a view kind and, for some kinds, columns."""

    kind: ViewKind = "pca"
    x: str | None = None  # "columns": the horizontal axis
    y: str | None = None  # "columns": the vertical axis
    matrix: tuple[str, ...] = field(default_factory=tuple)  # "matrix": up to MAX_MATRIX_COLUMNS


@dataclass(frozen=True)
class Projection:
    """A linear map from (n, D) original units to the 2 plotted coordinates.

    ``apply(values) = ((values - mean) / scale) @ axes.T``. For two columns the
    mean is 0, the scale 1 and the axes pick the columns, so points keep their units.
    """

    mean: np.ndarray
    scale: np.ndarray
    axes: np.ndarray  # (2, D)
    titles: tuple[str, str]  # the two axis titles
    caption: str = ""  # what the plane is (for PCA, the variance each axis explains)

    def apply(self, values: np.ndarray) -> np.ndarray:
        return ((np.asarray(values, np.float64) - self.mean) / self.scale) @ self.axes.T


def pick_columns(columns: Sequence[str], choice: ViewChoice) -> tuple[str, str]:
    """The two columns to plot: the chosen ones if they exist and differ, else the first two."""
    names = list(columns)
    x = choice.x if choice.x in names else names[0]
    y = choice.y if choice.y in names and choice.y != x else next(c for c in names if c != x)
    return x, y


def matrix_columns(columns: Sequence[str], choice: ViewChoice) -> tuple[str, ...]:
    """The scatter matrix's columns: the chosen ones that exist, else the first ``MAX_MATRIX_COLUMNS``."""
    chosen = tuple(c for c in choice.matrix if c in columns)[:MAX_MATRIX_COLUMNS]
    return chosen if len(chosen) >= 2 else tuple(columns[:MAX_MATRIX_COLUMNS])


def project(values: np.ndarray, columns: Sequence[str], choice: ViewChoice, seed: int = 0) -> Projection:
    """Fit the plane to show for ``values`` (n, D) in original units: two columns, or PCA.

    Two columns always for 2-D data; else PCA of the standardized columns when ``choice`` is
    "pca" ("matrix" has no single plane: use ``matrix_columns``). ``seed`` picks the rows a
    large table's PCA is fitted on.
    """
    values = np.asarray(values, np.float64)
    d = values.shape[1]
    if d <= 2 or choice.kind != "pca":
        x, y = pick_columns(columns, choice)
        axes = np.zeros((2, d))
        axes[0, list(columns).index(x)] = axes[1, list(columns).index(y)] = 1.0
        return Projection(np.zeros(d), np.ones(d), axes, (str(x), str(y)))
    from sklearn.decomposition import PCA

    fit_rows = values
    if len(values) > MAX_FIT_ROWS:
        fit_rows = values[np.random.default_rng(seed).choice(len(values), MAX_FIT_ROWS, replace=False)]
    # Standardized first: otherwise the column with the largest units (wine's proline) is the plane.
    mean, scale = fit_rows.mean(axis=0), fit_rows.std(axis=0)
    scale = np.where(scale > 0, scale, 1.0)
    pca = PCA(n_components=2, random_state=seed).fit((fit_rows - mean) / scale)
    share = tuple(float(v) for v in pca.explained_variance_ratio_)
    caption = (
        f"PCA of the {d} standardized columns: PC1 explains {share[0]:.0%} of the variance, "
        f"PC2 {share[1]:.0%} (together {sum(share):.0%})."
    )
    titles = (f"PC1 ({share[0]:.0%} of variance)", f"PC2 ({share[1]:.0%})")
    return Projection(mean, scale, pca.components_, titles, caption)
