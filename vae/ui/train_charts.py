"""Plotly figures of the Train page: loss curves and the live data / reconstruction / samples panel.

Pure functions of plain data (a run's history, a dataset, NumPy weights), so
they are testable without Streamlit. Figures have a fixed height and a
``uirevision`` so that redrawing them several times a second while training
neither makes the page jump nor resets the user's zoom.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from vae import decode
from vae.data import Dataset
from vae.decode import NetworkWeights
from vae.ui import palette
from vae.ui.axes import log_axis
from vae.ui.text import figure_text

LOSS_HEIGHT = 300
PANEL_HEIGHT = 320
TRAIN_COLOR = palette.TRAIN_CURVE
VAL_COLOR = palette.VAL_CURVE
DATA_COLOR = palette.DATA
RECON_COLOR = palette.RECONSTRUCTION
SAMPLE_COLOR = palette.PRIOR_SAMPLES

TERMS = (("loss", "Total loss"), ("recon", "Reconstruction"), ("kl", "KL"))


def _series(history: list[dict[str, Any]], key: str) -> tuple[list[int], list[float]]:
    epochs, values = [], []
    for record in history:
        value = record.get(key)
        if value is not None and math.isfinite(value):
            epochs.append(int(record["epoch"]))
            values.append(float(value))
    return epochs, values


def loss_figure(
    history: list[dict[str, Any]],
    log_y: bool = False,
    total_epochs: int | None = None,
    height: int = LOSS_HEIGHT,
) -> go.Figure:
    """Total loss, reconstruction and KL (train, and validation when present) against epoch.

    Args:
        history: the run's epoch records (``vae.run.Run.history``).
        log_y: logarithmic loss axes (non-positive values are left out).
        total_epochs: fixes the x range to [1, total_epochs] so the axes do not
            rescale at every epoch.
        height: pixels.

    Returns:
        A figure with three side-by-side panels, in nats per point.
    """
    fig = make_subplots(rows=1, cols=3, subplot_titles=[title for _, title in TERMS], horizontal_spacing=0.07)
    has_val = any("val_loss" in r for r in history)
    for col, (key, _title) in enumerate(TERMS, start=1):
        for prefix, name, color in (("", "train", TRAIN_COLOR), ("val_", "validation", VAL_COLOR)):
            if prefix and not has_val:
                continue
            x, y = _series(history, prefix + key)
            if log_y:  # a log axis cannot show zero or negative losses
                keep = [i for i, v in enumerate(y) if v > 0]
                x, y = [x[i] for i in keep], [y[i] for i in keep]
            fig.add_trace(
                go.Scatter(
                    x=list(x),
                    y=list(y),
                    mode="lines",
                    name=name,
                    line={"color": color, "width": 2},
                    legendgroup=name,
                    showlegend=col == 1,
                    hovertemplate=f"epoch %{{x}}<br>{name} %{{y:.4g}}<extra></extra>",
                ),
                row=1,
                col=col,
            )
        shown = [v for trace in fig.select_traces(row=1, col=col) for v in trace.y]
        fig.update_yaxes(**(log_axis(shown) if log_y else {"type": "linear"}), row=1, col=col)
        if total_epochs:
            fig.update_xaxes(range=[1, max(total_epochs, 2)], row=1, col=col)
    fig.update_xaxes(title_text="epoch")
    fig.update_yaxes(title_text="nats per point", row=1, col=1)
    fig.update_layout(
        height=height,
        margin={"l": 10, "r": 10, "t": 30, "b": 10},
        legend={"orientation": "h", "y": -0.25, "x": 0.5, "xanchor": "center"},
        uirevision="losses",
        hovermode="x unified",
    )
    return fig


def live_panel_figure(
    dataset: Dataset,
    weights: NetworkWeights | None,
    n_points: int = 600,
    n_samples: int = 400,
    seed: int = 0,
    height: int = PANEL_HEIGHT,
) -> go.Figure:
    """The data, their reconstructions and samples from the prior, in original units.

    Decoding is NumPy (``vae.decode``), so this costs milliseconds. Only the
    first two columns are drawn.

    Args:
        dataset: the training data (with its standardizer).
        weights: the latest network weights, or None before the first epoch.
        n_points: at most this many data points (and their reconstructions).
        n_samples: samples z ~ N(0, I) decoded through the network.
        seed: fixes which points and which z are drawn, so frames are comparable.
        height: pixels.
    """
    rng = np.random.default_rng(seed)
    values = dataset.values
    idx = rng.permutation(len(values))[:n_points]
    shown = values[idx]
    cols = dataset.columns
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=shown[:, 0],
            y=shown[:, 1],
            mode="markers",
            name="data",
            marker={"color": DATA_COLOR, "size": 5, "opacity": 0.35},
            hoverinfo="skip",
        )
    )
    if weights is not None and weights.is_finite():
        x_std = dataset.standardizer.transform(shown)
        recon = dataset.standardizer.inverse_transform(decode.reconstruct(weights, x_std))
        z = rng.standard_normal((n_samples, weights.latent_dim)).astype(np.float32)
        samples = dataset.standardizer.inverse_transform(decode.decode(weights, z))
        fig.add_trace(
            go.Scatter(
                x=recon[:, 0],
                y=recon[:, 1],
                mode="markers",
                name="reconstructions",
                marker={"color": RECON_COLOR, "size": 4, "opacity": 0.7},
                hoverinfo="skip",
            )
        )
        fig.add_trace(
            go.Scatter(
                x=samples[:, 0],
                y=samples[:, 1],
                mode="markers",
                name="samples from the prior",
                marker={"color": SAMPLE_COLOR, "size": 4, "opacity": 0.6},
                hoverinfo="skip",
            )
        )
    # Fix the view to the data (with a margin) so it does not zoom as the model moves.
    low, high = values[:, :2].min(axis=0), values[:, :2].max(axis=0)
    pad = 0.25 * np.maximum(high - low, 1e-9)
    fig.update_xaxes(range=[low[0] - pad[0], high[0] + pad[0]], title_text=figure_text(cols[0]))
    fig.update_yaxes(range=[low[1] - pad[1], high[1] + pad[1]], title_text=figure_text(cols[1]))
    fig.update_layout(
        height=height,
        margin={"l": 10, "r": 10, "t": 10, "b": 10},
        legend={"orientation": "h", "y": -0.2, "x": 0.5, "xanchor": "center"},
        uirevision="panel",
    )
    return fig


def progress(epochs_done: int, total_epochs: int, epochs_per_s: float, eta: bool = True) -> tuple[float, str]:
    """Fraction done and a label: "Epoch 12 / 60 · 14.2 epochs/s · ETA 3 s" (ETA only if ``eta``)."""
    total = max(total_epochs, 1)
    fraction = min(max(epochs_done / total, 0.0), 1.0)
    parts = [f"Epoch {epochs_done} / {total_epochs}"]
    if math.isfinite(epochs_per_s) and epochs_per_s > 0:
        parts.append(f"{epochs_per_s:.1f} epochs/s")
        if eta:
            remaining = max(total_epochs - epochs_done, 0) / epochs_per_s
            parts.append(f"ETA {_duration(remaining)}")
    return fraction, " · ".join(parts)


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.0f} s"
    minutes, secs = divmod(int(round(seconds)), 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    return f"{minutes // 60} h {minutes % 60:02d} min"
