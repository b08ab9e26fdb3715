"""The Compare page's figures: every model's loss curves, and small multiples of prior samples and codes.

Drawn from a finished (or running) ``vae.compare.Comparison``; the scores come from
``vae.core.compare_metrics``. Split from ``vae.ui.compare_view``, which keeps the form, the
progress, the table and the pads.
"""

from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from vae.compare import Comparison, Entry
from vae.core.decode import encode
from vae.core.explore import prior_samples_original
from vae.data import views
from vae.data.dataset import Dataset
from vae.ui import palette
from vae.ui.axes import log_axis
from vae.ui.text import figure_text

VARIANT_COLORS = {
    "ae": "#0072B2",
    "denoising": "#56B4E9",
    "sparse": "#CC79A7",
    "vae": "#D55E00",
    "beta_vae": "#E69F00",
}


def loss_figure(comparison: Comparison, term: str) -> go.Figure:
    """Every model's per-epoch training loss (or reconstruction term), overlaid."""
    fig = go.Figure()
    for key, entry in comparison.entries.items():
        if entry.history:
            fig.add_trace(
                go.Scatter(
                    x=[r["epoch"] for r in entry.history],
                    y=[r[term] for r in entry.history],
                    mode="lines",
                    name=entry.variant.label,
                    line={"color": VARIANT_COLORS[key], "width": 2},
                )
            )
    fig.update_layout(
        height=320,
        margin={"l": 10, "r": 10, "t": 60, "b": 10},
        xaxis_title="epoch",
        yaxis_title=f"{term} (nats per point)",
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "xanchor": "right", "x": 1},
        title={"text": "Training loss, all models", "font": {"size": 14}},
    )
    fig.update_xaxes(range=[0.5, comparison.spec.train.epochs + 0.5])
    fig.update_yaxes(**log_axis(y for trace in fig.data for y in trace.y))
    return fig


def prior_figure(comparison: Comparison, dataset: Dataset, entries: list[Entry]) -> go.Figure:
    """Small multiples: held-out data (grey) under each model's decoded prior samples (bold)."""
    # The plane the Data and Train previews show by default: the two columns, or PCA of the standardized columns.
    plane = views.project(dataset.values, dataset.columns, views.ViewChoice())
    project, (xlabel, ylabel) = plane.apply, (figure_text(t) for t in plane.titles)
    best = min((e.metrics.energy for e in entries if math.isfinite(e.metrics.energy)), default=math.nan)
    floor = comparison.reference_energy(dataset)
    titles = []
    for e in entries:
        energy = e.metrics.energy
        times = f"{energy / floor:.0f}× real data" if floor > 0 and math.isfinite(energy) else ""
        mark = " ★ best" if energy == best else ""
        titles.append(f"<b>{e.variant.label}</b><br>energy distance {energy:.3f}<br>{times}{mark}")
    fig = make_subplots(
        rows=1,
        cols=len(entries),
        subplot_titles=titles,
        horizontal_spacing=0.03,
        shared_xaxes=True,
        shared_yaxes=True,
    )
    data = project(dataset.values[comparison.test_rows])
    lo, hi = data.min(axis=0), data.max(axis=0)
    margin = 0.25 * (hi - lo)
    for i, e in enumerate(entries, start=1):
        _, x = prior_samples_original(e.weights, dataset.standardizer, 500, comparison.spec.train.seed + 3)
        _add_points(fig, data, i, "held-out data", "data", {"color": palette.DATA, "size": 4})
        samples = {"color": palette.PRIOR_SAMPLES, "size": 5, "opacity": 0.8}
        _add_points(fig, project(x), i, "decoder(z), z ~ N(0, I)", "samples", samples)
    fig.update_xaxes(range=[lo[0] - margin[0], hi[0] + margin[0]], title_text=xlabel)
    fig.update_yaxes(range=[lo[1] - margin[1], hi[1] + margin[1]])
    fig.update_yaxes(title_text=ylabel, row=1, col=1)
    fig.update_annotations(font_size=13)
    fig.update_layout(
        height=370, margin={"l": 10, "r": 10, "t": 80, "b": 10}, legend={"orientation": "h", "y": -0.2}
    )
    return fig


def _add_points(fig: go.Figure, xy: np.ndarray, col: int, name: str, group: str, marker: dict) -> None:
    """Points ``xy`` (n, 2) in panel ``col`` of a row of small multiples; the legend lists them once."""
    fig.add_trace(
        go.Scattergl(
            x=xy[:, 0],
            y=xy[:, 1],
            mode="markers",
            name=name,
            legendgroup=group,
            showlegend=col == 1,
            marker=marker,
        ),
        row=1,
        col=col,
    )


def latent_figure(comparison: Comparison, dataset: Dataset, entries: list[Entry]) -> go.Figure:
    """Small multiples: each model's encoded held-out data; the prior's 1-2-3σ circles for VAEs."""
    titles = [f"<b>{e.variant.label}</b><br>{e.metrics.active_units} active units" for e in entries]
    fig = make_subplots(rows=1, cols=len(entries), subplot_titles=titles, horizontal_spacing=0.04)
    x_std = dataset.standardized()[comparison.test_rows]
    angle = np.linspace(0, 2 * np.pi, 97)
    # The legend names the circles once: at the first variational panel, wherever it stands.
    first_variational = next((i for i, e in enumerate(entries, start=1) if e.variant.is_variational), None)
    for i, e in enumerate(entries, start=1):
        z, _ = encode(e.weights, x_std)
        if e.variant.is_variational:
            for r in (1, 2, 3):
                fig.add_trace(
                    go.Scatter(
                        x=r * np.cos(angle),
                        y=r * np.sin(angle),
                        mode="lines",
                        line={"color": "#888888", "width": 1, "dash": "dot"},
                        name="prior N(0, I): 1, 2, 3σ",
                        legendgroup="prior",
                        showlegend=i == first_variational and r == 1,
                        hoverinfo="skip",
                    ),
                    row=1,
                    col=i,
                )
        marker = {"color": VARIANT_COLORS[e.variant.key], "size": 4, "opacity": 0.7}
        _add_points(fig, z, i, "E[z|x], held-out data", "codes", marker)
        fig.update_xaxes(title_text="z₁", row=1, col=i)
        fig.update_yaxes(scaleanchor=f"x{i if i > 1 else ''}", scaleratio=1, row=1, col=i)
    fig.update_yaxes(title_text="z₂", row=1, col=1)
    fig.update_annotations(font_size=13)
    fig.update_layout(
        height=340, margin={"l": 10, "r": 10, "t": 60, "b": 10}, legend={"orientation": "h", "y": -0.2}
    )
    return fig
