"""Plotly figures for datasets: a scatter in a chosen view (columns, PCA, scatter matrix), digit images.

Pure figure builders (no ``st.*``): pages call them and pass the figure to
``st.plotly_chart``. Colours come from ``vae.ui.palette``, shared by every page.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go

from vae.core.explore import display_subset
from vae.data import views
from vae.ui import palette
from vae.ui.text import figure_text

MAX_DISPLAY_POINTS = 50_000  # above this the preview shows a seeded subsample (seed 0)


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
    return [PointSet(values, "data", palette.DATA, size)]


def points_figure(
    sets: Sequence[PointSet],
    columns: Sequence[str],
    view: views.ViewChoice | None = None,
    *,
    fit: np.ndarray | None = None,
    legend_title: str = "label",
) -> tuple[go.Figure, str]:
    """A scatter of point sets (original units) in the chosen view: two columns, a PCA plane, or a
    scatter matrix; returns ``(figure, caption)``, the caption saying what the plane is.

    Args:
        view: how to show more than 2 columns (default PCA); 2-D data always shows its 2 columns.
        fit: rows the PCA plane is fitted on (default: every set's rows).
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
        fig.update_layout(height=max(380, 130 * len(chosen)), dragmode="select")  # 130 px per column
        caption = f"Scatter matrix of {len(chosen)} of {len(columns)} columns (each panel: one pair)."
    else:
        rows = fit if fit is not None else np.concatenate([item.values for item in sets])
        projection = views.project(rows, columns, view)
        for item in sets:
            xy = projection.apply(item.values)
            fig.add_trace(
                go.Scattergl(
                    x=xy[:, 0],
                    y=xy[:, 1],
                    mode="markers",
                    name=figure_text(item.name),
                    marker={"size": item.size, "color": item.color, "opacity": item.opacity},
                )
            )
        fig.update_layout(
            height=380,
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
) -> tuple[go.Figure, str]:
    """A WebGL scatter of (n, D) ``values`` coloured by their optional (n,) ``labels``, in the chosen view.

    Returns:
        ``(figure, note)``; ``note`` says what the view is and when a subsample is shown.
    """
    values = np.asarray(values)
    notes = []
    if len(values) > MAX_DISPLAY_POINTS:
        keep = display_subset(len(values), MAX_DISPLAY_POINTS)
        notes.append(
            f"Showing a random {len(keep):,} of {len(values):,} points (seed 0) to keep the plot responsive."
        )
        values = values[keep]
        labels = None if labels is None else np.asarray(labels)[keep]
    size = 4 if len(values) > 5000 else 6
    fig, caption = points_figure(label_sets(values, labels, size), columns, view, fit=values)
    return fig, " ".join([caption, *notes]).strip()


def digits_figure(values: np.ndarray, labels: np.ndarray | None = None) -> go.Figure:
    """A mosaic of the first 40 8x8 images (64 columns each), 4 rows of 10, as one grey-scale heatmap."""
    values = np.asarray(values, np.float64)
    mosaic = np.full((4 * 9 - 1, 10 * 9 - 1), np.nan)  # a pixel's gap between images
    fig = go.Figure()
    for i in range(min(40, len(values))):
        r, c = divmod(i, 10)
        mosaic[r * 9 : r * 9 + 8, c * 9 : c * 9 + 8] = values[i].reshape(8, 8)
        if labels is not None:
            fig.add_annotation(
                x=c * 9 + 3.5,
                y=r * 9 - 0.9,
                text=str(labels[i]),
                showarrow=False,
                font={"size": 10, "color": palette.PRIMARY},
            )
    fig.add_trace(go.Heatmap(z=mosaic, colorscale="Greys", showscale=False, hoverinfo="skip"))
    fig.update_yaxes(autorange="reversed", visible=False, scaleanchor="x")
    fig.update_xaxes(visible=False)
    fig.update_layout(height=300, margin={"l": 0, "r": 0, "t": 10, "b": 0}, plot_bgcolor="white")
    return fig
