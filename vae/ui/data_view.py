"""Plotly figures for datasets: a scatter in a chosen view (columns, PCA, scatter matrix), digit images.

Pure figure builders (no ``st.*``): pages call them and pass the figure to
``st.plotly_chart``. Colours come from ``vae.ui.palette``, shared by every page.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go

from vae.data import views
from vae.ui import palette
from vae.ui.text import figure_text

# Colours come from vae/ui/palette.py (one palette for every page).
DATA_COLORS: tuple[str, ...] = palette.LABEL_COLORS
POINT_COLOR = palette.DATA  # unlabelled points
DRAWN_COLOR = palette.DRAWN
MAX_DISPLAY_POINTS = 50_000  # above this the preview shows a seeded subsample
MAX_LABEL_GROUPS = len(DATA_COLORS)  # more distinct labels than colours: one colour, no legend


def display_subsample(n: int, max_points: int = MAX_DISPLAY_POINTS, seed: int = 0) -> np.ndarray | None:
    """Row indices of a seeded subsample for display, or None when all ``n`` rows fit."""
    if n <= max_points:
        return None
    return np.sort(np.random.default_rng(seed).choice(n, size=max_points, replace=False))


@dataclass(frozen=True)
class PointSet:
    """Points drawn in one colour under one legend name (original units)."""

    values: np.ndarray
    name: str
    color: str
    size: float = 6
    opacity: float = 0.6


def label_sets(values: np.ndarray, labels: np.ndarray | None, size: float = 6) -> list[PointSet]:
    """One ``PointSet`` per label in natural order (2 before 10), or one grey set without labels."""
    groups = palette.label_groups(labels)
    if groups is not None:
        names, codes = groups
        return [
            PointSet(values[codes == i], name, palette.label_color(i), size) for i, name in enumerate(names)
        ]
    return [PointSet(values, "data", POINT_COLOR, size)]


def points_figure(
    sets: Sequence[PointSet],
    columns: Sequence[str],
    view: views.ViewChoice | None = None,
    *,
    fit: np.ndarray | None = None,
    height: int = 380,
    legend_title: str = "label",
    gl: bool = True,
) -> tuple[go.Figure, str]:
    """A scatter of point sets in the chosen view: two columns, a PCA plane, or a scatter matrix.

    Args:
        sets: what to draw, each in original units with ``len(columns)`` columns.
        columns: the column names.
        view: how to show more than 2 columns (default PCA); 2-D data always shows its 2 columns.
        fit: rows the PCA plane is fitted on (default: every set's rows).
        height: pixels (a scatter matrix takes at least 130 per column).
        legend_title: the legend's heading.
        gl: WebGL traces (fast for many points).

    Returns:
        ``(figure, caption)``: the caption says what the plane is ("" for plain columns).
    """
    view = view or views.ViewChoice()
    fig = go.Figure()
    showlegend = len(sets) > 1
    if len(columns) > 2 and view.kind == "matrix":
        chosen = views.matrix_columns(columns, view)
        index = [list(columns).index(c) for c in chosen]
        for item in sets:
            fig.add_trace(
                go.Splom(
                    dimensions=[
                        {"label": figure_text(c), "values": item.values[:, j]}
                        for c, j in zip(chosen, index, strict=True)
                    ],
                    name=figure_text(item.name),
                    marker={"size": max(2, item.size - 2), "color": item.color, "opacity": item.opacity},
                    diagonal_visible=False,
                    showupperhalf=False,
                )
            )
        fig.update_layout(height=max(height, 130 * len(chosen)), dragmode="select")
        caption = f"Scatter matrix of {len(chosen)} of {len(columns)} columns (each panel: one pair)."
    else:
        rows = fit if fit is not None else np.concatenate([item.values for item in sets])
        projection = views.project(rows, columns, view)
        trace = go.Scattergl if gl else go.Scatter
        for item in sets:
            xy = projection.apply(item.values)
            fig.add_trace(
                trace(
                    x=xy[:, 0],
                    y=xy[:, 1],
                    mode="markers",
                    name=figure_text(item.name),
                    marker={"size": item.size, "color": item.color, "opacity": item.opacity},
                )
            )
        fig.update_layout(
            height=height,
            xaxis_title=figure_text(projection.titles[0]),
            yaxis_title=figure_text(projection.titles[1]),
        )
        if len(columns) <= 2 or view.kind == "pca":
            fig.update_yaxes(scaleanchor="x", scaleratio=1)  # equal units: circles look round
        caption = projection.caption
    fig.update_layout(
        margin={"l": 10, "r": 10, "t": 10, "b": 10},
        legend={"title": {"text": legend_title}, "itemsizing": "constant"},
        showlegend=showlegend,
    )
    return fig, caption


def scatter_figure(
    values: np.ndarray,
    *,
    columns: Sequence[str] = ("x1", "x2"),
    labels: np.ndarray | None = None,
    view: views.ViewChoice | None = None,
    max_points: int = MAX_DISPLAY_POINTS,
    seed: int = 0,
    height: int = 380,
) -> tuple[go.Figure, str]:
    """A WebGL scatter of a dataset coloured by label, in the chosen view.

    Args:
        values: (n, D) data in original units.
        columns: the D column names.
        labels: optional (n,) labels used only for colour.
        view: how to show more than 2 columns (default: a PCA projection).
        max_points: past this many rows, plot a seeded subsample.
        seed: seed of that subsample.

    Returns:
        ``(figure, note)``; ``note`` says what the view is and when a subsample is shown.
    """
    values = np.asarray(values)
    keep = display_subsample(len(values), max_points, seed)
    notes = []
    if keep is not None:
        notes.append(
            f"Showing a random {len(keep):,} of {len(values):,} points (seed {seed}) to keep the plot responsive."
        )
        values = values[keep]
        labels = None if labels is None else np.asarray(labels)[keep]
    size = 4 if len(values) > 5000 else 6
    fig, caption = points_figure(label_sets(values, labels, size), columns, view, fit=values, height=height)
    return fig, " ".join([caption, *notes]).strip()


def digits_figure(
    values: np.ndarray, labels: np.ndarray | None = None, *, rows: int = 4, cols: int = 10, height: int = 300
) -> go.Figure:
    """A mosaic of the first ``rows * cols`` 8x8 images (64 columns each), one heatmap, grey scale."""
    values = np.asarray(values, np.float64)
    count = min(rows * cols, len(values))
    gap = 1
    mosaic = np.full((rows * (8 + gap) - gap, cols * (8 + gap) - gap), np.nan)
    for i in range(count):
        r, c = divmod(i, cols)
        mosaic[r * 9 : r * 9 + 8, c * 9 : c * 9 + 8] = values[i].reshape(8, 8)
    fig = go.Figure(go.Heatmap(z=mosaic, colorscale="Greys", showscale=False, hoverinfo="skip"))
    if labels is not None:
        for i in range(count):
            r, c = divmod(i, cols)
            fig.add_annotation(
                x=c * 9 + 3.5,
                y=r * 9 - 0.9,
                text=str(labels[i]),
                showarrow=False,
                font={"size": 10, "color": "#6C4BD8"},
            )
    fig.update_yaxes(autorange="reversed", visible=False, scaleanchor="x")
    fig.update_xaxes(visible=False)
    fig.update_layout(height=height, margin={"l": 0, "r": 0, "t": 10, "b": 0}, plot_bgcolor="white")
    return fig
