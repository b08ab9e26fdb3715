"""Plotly figures for datasets: a WebGL scatter of 2-D data, a mosaic of digit images.

Pure figure builders (no ``st.*``): pages call them and pass the figure to
``st.plotly_chart``. Colours come from ``vae.ui.palette``, shared by every page.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

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


def scatter_figure(
    values: np.ndarray,
    *,
    columns: Sequence[str] = ("x1", "x2"),
    labels: np.ndarray | None = None,
    max_points: int = MAX_DISPLAY_POINTS,
    seed: int = 0,
    height: int = 380,
) -> tuple[go.Figure, str]:
    """A WebGL scatter of the first two columns, coloured by label.

    Args:
        values: (n, D) data in original units; columns 0 and 1 are plotted.
        columns: names for the axes.
        labels: optional (n,) labels used only for colour.
        max_points: past this many rows, plot a seeded subsample.
        seed: seed of that subsample.

    Returns:
        ``(figure, note)``; ``note`` says when a subsample is shown ("" otherwise).
    """
    values = np.asarray(values)
    keep = display_subsample(len(values), max_points, seed)
    note = ""
    if keep is not None:
        note = f"Showing a random {len(keep):,} of {len(values):,} points (seed {seed}) to keep the plot responsive."
        values = values[keep]
        labels = None if labels is None else np.asarray(labels)[keep]
    fig = go.Figure()
    marker_size = 4 if len(values) > 5000 else 6
    groups = palette.label_groups(labels)
    if groups is None:
        fig.add_trace(
            go.Scattergl(
                x=values[:, 0],
                y=values[:, 1],
                mode="markers",
                name="data",
                marker={"size": marker_size, "color": POINT_COLOR, "opacity": 0.6},
            )
        )
    else:
        names, index = groups
        for i, name in enumerate(names):
            mask = index == i
            fig.add_trace(
                go.Scattergl(
                    x=values[mask, 0],
                    y=values[mask, 1],
                    mode="markers",
                    name=figure_text(name),
                    marker={"size": marker_size, "color": DATA_COLORS[i], "opacity": 0.6},
                )
            )
    fig.update_layout(
        height=height,
        margin={"l": 10, "r": 10, "t": 10, "b": 10},
        xaxis_title=figure_text(columns[0]),
        yaxis_title=figure_text(columns[1]),
        legend={"title": {"text": "label"}, "itemsizing": "constant"},
        showlegend=groups is not None,
    )
    fig.update_yaxes(scaleanchor="x", scaleratio=1)  # equal units: circles look round
    return fig, note


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
